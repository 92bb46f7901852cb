// Per-epoch line charts of a training and a test series, drawn with uPlot.
import uPlot from '../vendor/uPlot.esm.js';

const COLORS = { train: '#1f6feb', test: '#e36209' };
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
    this.labels = { train: 'training', test: 'test' };
    this.plot = null;
    this.build();
    new ResizeObserver(() => this.resize()).observe(container);
  }

  build() {
    this.plot?.destroy();
    const scale = this.yRange ? { range: () => this.yRange } : { auto: true };
    this.plot = new uPlot(
      {
        width: this.width(),
        height: HEIGHT,
        scales: { x: { time: false }, y: scale },
        // A static legend: values under the cursor would only repeat the readouts.
        legend: { live: false },
        axes: [{ label: 'epoch' }, {}],
        series: [
          { label: 'epoch' },
          { label: this.labels.train, stroke: COLORS.train, width: 2, points: { show: false } },
          { label: this.labels.test, stroke: COLORS.test, width: 2, points: { show: false } },
        ],
      },
      [this.epochs, this.train, this.test],
      this.container,
    );
  }

  width() {
    return Math.max(240, this.container.clientWidth || 400);
  }

  resize() {
    this.plot?.setSize({ width: this.width(), height: HEIGHT });
  }

  /** Renames the series, for a change of UI language. */
  setLabels(train, test) {
    this.labels = { train, test };
    this.build();
  }

  /** Adds one epoch; `test` is null when there is no test split. `draw` shows it. */
  push(epoch, train, test) {
    this.epochs.push(epoch);
    this.train.push(train);
    this.test.push(test);
  }

  /** Redraws with every epoch pushed so far. */
  draw() {
    this.plot.setData([this.epochs, this.train, this.test]);
  }

  clear() {
    this.epochs.length = 0;
    this.train.length = 0;
    this.test.length = 0;
    this.plot.setData([this.epochs, this.train, this.test]);
  }

  /** Number of epochs drawn, read by the end-to-end tests through the page. */
  get points() {
    return this.epochs.length;
  }
}
