// Per-epoch line charts of a training, a validation and a test series, and on the loss chart a
// dashed penalty series when the spec has a kernel regularizer, drawn with uPlot. The penalty
// has its own y axis on the right: an L2 penalty can be far larger than the data loss, and on
// a shared axis it would flatten the loss lines.
import uPlot from '../vendor/uPlot.esm.js';

const COLORS = { train: '#1f6feb', validation: '#8250df', test: '#e36209', penalty: '#1a7f37' };
const SERIES = ['train', 'validation', 'test', 'penalty'];
const HEIGHT = 220;

export class EpochChart {
  /**
   * @param {HTMLElement} container
   * @param {{ yRange?: [number, number] }} options  fixed y range (accuracy), else automatic
   */
  constructor(container, { yRange } = {}) {
    this.container = container;
    this.yRange = yRange;
    this.epochs = [];
    this.values = { train: [], validation: [], test: [], penalty: [] };
    this.labels = { train: 'training', validation: 'validation', test: 'test', penalty: 'penalty' };
    this.plannedEpochs = 10;
    /** Series drawn besides training, as `clear` sets them. */
    this.shown = { validation: false, test: true, penalty: false };
    this.plot = null;
    this.build();
    new ResizeObserver(() => this.resize()).observe(container);
  }

  /** Returns the names of the series drawn, in legend order. */
  series() {
    return SERIES.filter((name) => name === 'train' || this.shown[name]);
  }

  build() {
    this.plot?.destroy();
    // An empty loss chart still gets a y axis, from 0 to 1, until the first epoch arrives.
    const automatic = { range: (u, min, max) => (min == null ? [0, 1] : uPlot.rangeNum(min, max, 0.1, true)) };
    const y = this.yRange ? { range: () => this.yRange } : automatic;
    const penalty = this.shown.penalty;
    const series = [
      { label: 'epoch' },
      ...this.series().map((name) => ({
        label: this.labels[name],
        stroke: COLORS[name],
        width: 2,
        // The penalty is dashed, so it reads as a different kind of line from the losses.
        ...(name === 'penalty' ? { dash: [6, 4], scale: 'penalty' } : {}),
        points: { show: false },
      })),
    ];
    this.plot = new uPlot(
      {
        width: this.width(),
        height: HEIGHT,
        // The x axis spans the planned epochs from the start, as Keras's progress bar does.
        scales: {
          x: { time: false, range: () => [1, Math.max(2, this.plannedEpochs)] },
          y,
          ...(penalty ? { penalty: automatic } : {}),
        },
        // A static legend names the series; values under the cursor would only repeat the
        // readouts.
        legend: { live: false },
        // Whole epochs only on the x axis.
        axes: [
          { label: 'epoch', incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000] },
          {},
          ...(penalty ? [{ scale: 'penalty', side: 1, stroke: COLORS.penalty, grid: { show: false } }] : []),
        ],
        series,
      },
      this.data(),
      this.container,
    );
  }

  data() {
    return [this.epochs, ...this.series().map((name) => this.values[name])];
  }

  width() {
    return Math.max(240, this.container.clientWidth || 400);
  }

  resize() {
    this.plot?.setSize({ width: this.width(), height: HEIGHT });
  }

  /** Renames the series (`{ train, validation, test, penalty }`), for a change of UI language. */
  setLabels(labels) {
    this.labels = labels;
    this.build();
  }

  /**
   * Adds one epoch; `validation` and `test` are null for a split the run does not have, and
   * `penalty` is drawn only by a chart cleared with `hasPenalty`. `draw` shows it.
   */
  push(epoch, train, validation, test, penalty = null) {
    this.epochs.push(epoch);
    this.values.train.push(train);
    this.values.validation.push(validation);
    this.values.test.push(test);
    this.values.penalty.push(penalty);
  }

  /** Redraws with every epoch pushed so far. */
  draw() {
    this.plot.setData(this.data());
  }

  /**
   * Empties the chart for a run of `epochs` epochs, with the validation, test and penalty
   * series it has. `yRange`, when the run names it, replaces the fixed y range (undefined:
   * automatic).
   */
  clear({ epochs, hasValidation, hasTest, hasPenalty = false, ...rest }) {
    if ('yRange' in rest) this.yRange = rest.yRange;
    this.epochs.length = 0;
    for (const name of SERIES) this.values[name].length = 0;
    this.plannedEpochs = epochs;
    this.shown = { validation: hasValidation, test: hasTest, penalty: hasPenalty };
    this.build();
  }

  /** Number of epochs drawn, read by the end-to-end tests through the page. */
  get points() {
    return this.epochs.length;
  }

  /** Labels of the series drawn, in legend order, read by the end-to-end tests. */
  get seriesLabels() {
    return this.series().map((name) => this.labels[name]);
  }
}
