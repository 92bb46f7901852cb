// Per-epoch line charts of a training and a test series, and optionally a third series (the
// loss chart's penalty), drawn with uPlot.
import uPlot from '../vendor/uPlot.esm.js';

const COLORS = { train: '#1f6feb', test: '#e36209', extra: '#8250df' };
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
    this.train = [];
    this.test = [];
    this.extra = [];
    this.labels = { train: 'training', test: 'test', extra: 'extra' };
    this.plannedEpochs = 10;
    this.hasTest = true;
    this.hasExtra = false;
    this.plot = null;
    this.build();
    new ResizeObserver(() => this.resize()).observe(container);
  }

  build() {
    this.plot?.destroy();
    // An empty loss chart still gets a y axis, from 0 to 1, until the first epoch arrives.
    const y = this.yRange
      ? { range: () => this.yRange }
      : { range: (u, min, max) => (min == null ? [0, 1] : uPlot.rangeNum(min, max, 0.1, true)) };
    const series = [
      { label: 'epoch' },
      { label: this.labels.train, stroke: COLORS.train, width: 2, points: { show: false } },
    ];
    if (this.hasTest) {
      series.push({ label: this.labels.test, stroke: COLORS.test, width: 2, points: { show: false } });
    }
    if (this.hasExtra) {
      series.push({
        label: this.labels.extra, stroke: COLORS.extra, width: 2, dash: [6, 4], points: { show: false },
      });
    }
    this.plot = new uPlot(
      {
        width: this.width(),
        height: HEIGHT,
        // The x axis spans the planned epochs from the start, as Keras's progress bar does.
        scales: { x: { time: false, range: () => [1, Math.max(2, this.plannedEpochs)] }, y },
        // A static legend: values under the cursor would only repeat the readouts.
        legend: { live: false },
        // Whole epochs only on the x axis.
        axes: [{ label: 'epoch', incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000] }, {}],
        series,
      },
      this.data(),
      this.container,
    );
  }

  data() {
    const data = [this.epochs, this.train];
    if (this.hasTest) data.push(this.test);
    if (this.hasExtra) data.push(this.extra);
    return data;
  }

  width() {
    return Math.max(240, this.container.clientWidth || 400);
  }

  resize() {
    this.plot?.setSize({ width: this.width(), height: HEIGHT });
  }

  /** Renames the series, for a change of UI language. */
  setLabels(train, test, extra = this.labels.extra) {
    this.labels = { train, test, extra };
    this.build();
  }

  /**
   * Adds one epoch; `test` is null when there is no test split, and `extra` is read only by a
   * chart cleared with `hasExtra`. `draw` shows it.
   */
  push(epoch, train, test, extra = null) {
    this.epochs.push(epoch);
    this.train.push(train);
    this.test.push(test);
    this.extra.push(extra);
  }

  /** Redraws with every epoch pushed so far. */
  draw() {
    this.plot.setData(this.data());
  }

  /** Empties the chart for a run of `epochs` epochs, with or without a test and a third series. */
  clear({ epochs, hasTest, hasExtra = false }) {
    this.epochs.length = 0;
    this.train.length = 0;
    this.test.length = 0;
    this.extra.length = 0;
    this.plannedEpochs = epochs;
    this.hasTest = hasTest;
    this.hasExtra = hasExtra;
    this.build();
  }

  /** Labels of the series drawn, in order, read by the end-to-end tests through the page. */
  get seriesLabels() {
    return this.plot.series.slice(1).map((series) => series.label);
  }

  /** Number of epochs drawn, read by the end-to-end tests through the page. */
  get points() {
    return this.epochs.length;
  }
}
