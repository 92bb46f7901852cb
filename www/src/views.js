// The teaching views. For 2-D data, a decision-boundary heatmap with the training and test
// points and a thumbnail per hidden unit, joined by weight lines as in TensorFlow Playground.
// For every data set, a confusion matrix whose cells list their rows, per-layer gradient
// diagnostics and the epoch metrics as a table. The Worker computes every number, and this
// file only draws them.

/** Class 0 / negative, the midpoint, and class 1 / positive, as TensorFlow Playground colors them. */
const NEGATIVE = [245, 147, 34];
const MIDDLE = [232, 234, 235];
const POSITIVE = [8, 119, 189];
const BOUNDARY_PIXELS = 300;
/** Rows and columns of a kernel that the weights table lists at most. */
const MAX_TABLE_WEIGHTS = 32;
/** Class colors for more than 2 classes. */
const PALETTE = [
  [8, 119, 189], [245, 147, 34], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

/** Maps v in [-1, 1] to orange (negative) through light gray to blue (positive). */
function diverging(v) {
  const x = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  const end = x < 0 ? NEGATIVE : POSITIVE;
  const w = Math.abs(x);
  return MIDDLE.map((m, i) => Math.round(m + (end[i] - m) * w));
}

function css([r, g, b]) {
  return `rgb(${r}, ${g}, ${b})`;
}

function element(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) node.append(child);
  return node;
}

/** Paints `values` (size x size, row 0 at the top) mapped through `color` onto `canvas`. */
function paintGrid(canvas, size, color) {
  canvas.width = size;
  canvas.height = size;
  const context = canvas.getContext('2d');
  const image = context.createImageData(size, size);
  for (let p = 0; p < size * size; p += 1) {
    const [r, g, b] = color(p);
    image.data.set([r, g, b, 255], p * 4);
  }
  context.putImageData(image, 0, 0);
}

/**
 * Returns the color of each grid point's output. A regression output is divided by `scale`
 * when given (the largest |target|, so that points and heatmap share one scale).
 */
function outputColors(grid, scale) {
  const { output, outputWidth: width, scoreKind } = grid;
  const points = grid.size * grid.size;
  if (width === 1 && scoreKind !== 'output') return (p) => diverging(2 * output[p] - 1);
  if (width === 2 && scoreKind === 'softmax') return (p) => diverging(2 * output[p * 2 + 1] - 1);
  if (width === 2) return (p) => diverging(output[p * 2 + 1] - output[p * 2]);
  if (width === 1 && scale) return (p) => diverging(output[p] / scale);
  if (width === 1) {
    // A predicted value: centered on the grid's mean and scaled to its largest deviation.
    let mean = 0;
    for (let p = 0; p < points; p += 1) mean += output[p] / points;
    let spread = 1e-9;
    for (let p = 0; p < points; p += 1) spread = Math.max(spread, Math.abs(output[p] - mean));
    return (p) => diverging((output[p] - mean) / spread);
  }
  return (p) => {
    let best = 0;
    for (let c = 1; c < width; c += 1) if (output[p * width + c] > output[p * width + best]) best = c;
    const confidence = scoreKind === 'output' ? 1 : output[p * width + best];
    return PALETTE[best % PALETTE.length].map((v, i) => Math.round(MIDDLE[i] + (v - MIDDLE[i]) * confidence));
  };
}

const ACTIVATION_LABELS = {
  relu: 'ReLU', sigmoid: 'sigmoid', tanh: 'tanh', leaky_relu: 'LeakyReLU', gelu: 'GELU',
  linear: 'linear',
};

/** Tensors each layer kind has in `parameterValues`, in its order. */
const TENSORS = { dense: 2, conv2d: 2, batch_norm: 4, layer_norm: 2 };

/**
 * Finds every dense layer's kernel in `weights` (parameterValues' arrays): returns
 * `[{ position, inputs, units, kernel }]` in layer order.
 */
function denseKernels(summary, weights) {
  const kernels = [];
  let tensor = 0;
  summary.layers.forEach((layer, position) => {
    if (layer.kind === 'dense') {
      const kernel = weights[tensor];
      kernels.push({ position, inputs: kernel.length / layer.units, units: layer.units, kernel });
    }
    tensor += TENSORS[layer.kind] ?? 0;
  });
  return kernels;
}

export class Views {
  /**
   * @param {(id: string) => HTMLElement} $  finds an element of the playground by id
   * @param {{ t: Function, post: Function, lang: () => string }} context
   */
  constructor($, { t, post, lang }) {
    this.$ = $;
    this.t = t;
    this.post = post;
    this.lang = lang;
    this.spec = null;
    this.summary = null;
    this.latest = null;
    this.points = null;
    this.cell = null;
    this.showTest = true;
    $('boundary-show-test').addEventListener('change', (event) => {
      this.showTest = event.target.checked;
      this.drawBoundary();
    });
    $('weights-toggle').addEventListener('click', () => {
      const table = $('weights-table');
      table.hidden = !table.hidden;
      this.renderWeightsTable();
      this.renderLabels();
    });
    new ResizeObserver(() => this.drawLinks()).observe($('network-graph'));
  }

  /** Clears the views for a newly built network. */
  reset(spec, summary) {
    this.spec = spec;
    this.summary = summary;
    this.latest = null;
    this.points = null;
    this.cell = null;
    this.$('boundary-view').hidden = summary.inputs !== 2;
    this.$('confusion').replaceChildren();
    this.$('cell-rows').replaceChildren();
    this.$('diagnostics').replaceChildren();
    this.$('weights-table').replaceChildren();
    this.$('views-error').hidden = true;
    this.$('views-status').textContent = this.t('views.waiting');
    delete this.$('views').dataset.epoch;
  }

  /** Takes a `views` message from the Worker. */
  update(message) {
    if (message.error) {
      this.$('views-error').hidden = false;
      this.$('views-error').textContent = this.t('views.failed', { message: message.error.message });
      return;
    }
    this.$('views-error').hidden = true;
    this.$('views-status').textContent = '';
    if (message.points) this.points = message.points;
    this.latest = message;
    this.render();
    // The epoch the views show, which the end-to-end tests wait for, and the Worker's time
    // to compute them in milliseconds.
    this.$('views').dataset.epoch = message.epoch;
    this.$('views').dataset.computeMs = message.computeMs.toFixed(2);
  }

  render() {
    if (!this.latest) return;
    if (this.latest.grid) this.renderGraph();
    this.renderConfusion();
    this.renderDiagnostics();
    this.renderWeightsTable();
    this.renderLabels();
    if (this.cell) this.renderCell();
  }

  /** Builds the columns of the network graph, or only repaints them when the shape is unchanged. */
  renderGraph() {
    const { grid } = this.latest;
    const graph = this.$('network-graph');
    const shape = JSON.stringify(grid.layers.map((layer) => [layer.layer, layer.units]));
    if (graph.dataset.shape !== shape) {
      graph.dataset.shape = shape;
      this.buildGraph(grid);
    }
    const size = grid.size;
    // Input thumbnails: x1 grows to the right, x2 upward, each scaled to [-1, 1].
    const [inputX, inputY] = graph.querySelectorAll('.column.inputs canvas');
    paintGrid(inputX, size, (p) => diverging(2 * (p % size) / (size - 1) - 1));
    paintGrid(inputY, size, (p) => diverging(1 - 2 * Math.floor(p / size) / (size - 1)));
    grid.layers.forEach((layer, column) => {
      const canvases = graph.querySelectorAll(`.column[data-column="${column}"] canvas`);
      let largest = 1e-9;
      for (const value of layer.values) largest = Math.max(largest, Math.abs(value));
      canvases.forEach((canvas, unit) => {
        paintGrid(canvas, size, (p) => diverging(layer.values[p * layer.units + unit] / largest));
      });
    });
    this.drawBoundary();
    this.drawLinks();
  }

  buildGraph(grid) {
    const { t } = this;
    const graph = this.$('network-graph');
    for (const column of graph.querySelectorAll('.column:not(.output)')) column.remove();
    const thumb = (label) => element('canvas', { className: 'unit', title: label, ariaLabel: label });
    const inputs = element('div', { className: 'column inputs' }, [
      element('span', { className: 'column-title', textContent: t('boundary.inputs') }),
      thumb(t('boundary.input', { name: 'x1' })),
      thumb(t('boundary.input', { name: 'x2' })),
    ]);
    graph.insertBefore(inputs, this.$('boundary-figure'));
    grid.layers.forEach((layer, column) => {
      const total = this.summary.layers[layer.layer]?.units ?? layer.units;
      const children = [element('span', {
        className: 'column-title', textContent: t('boundary.layer', { layer: layer.layer + 1 }),
      })];
      for (let unit = 0; unit < layer.units; unit += 1) {
        children.push(thumb(t('boundary.unit', { layer: layer.layer + 1, unit: unit + 1 })));
      }
      if (total > layer.units) {
        children.push(element('span', { className: 'hint', textContent: t('boundary.more', { count: total - layer.units }) }));
      }
      const node = element('div', { className: 'column' }, children);
      node.dataset.column = column;
      node.dataset.testid = 'unit-column';
      graph.insertBefore(node, this.$('boundary-figure'));
    });
  }

  /** Draws the output heatmap and the points over it. */
  drawBoundary() {
    const grid = this.latest?.grid;
    if (!grid) return;
    const canvas = this.$('boundary');
    const small = document.createElement('canvas');
    // Regression points are colored by their target on the same scale as the heatmap.
    const targets = this.points ? [...this.points.train_targets, ...this.points.test_targets] : [];
    const scale = targets.length ? Math.max(1e-9, ...targets.map(Math.abs)) : null;
    // The heatmap is lightened so that the points in full color stand out on it.
    const color = outputColors(grid, scale);
    paintGrid(small, grid.size, (p) => color(p).map((v) => Math.round(v + (255 - v) * 0.35)));
    canvas.width = BOUNDARY_PIXELS;
    canvas.height = BOUNDARY_PIXELS;
    const context = canvas.getContext('2d');
    context.imageSmoothingEnabled = true;
    context.drawImage(small, 0, 0, BOUNDARY_PIXELS, BOUNDARY_PIXELS);
    if (!this.points) return;
    const [x0, x1] = grid.xRange;
    const [y0, y1] = grid.yRange;
    const place = (x, y) => [
      ((x - x0) / (x1 - x0)) * BOUNDARY_PIXELS,
      ((y1 - y) / (y1 - y0)) * BOUNDARY_PIXELS,
    ];
    const draw = (coordinates, labels, values, test) => {
      const rows = coordinates.length / 2;
      for (let i = 0; i < rows; i += 1) {
        const [px, py] = place(coordinates[2 * i], coordinates[2 * i + 1]);
        const color = css(scale ? diverging(values[i] / scale) : (labels[i] === 0 ? NEGATIVE : POSITIVE));
        context.beginPath();
        context.arc(px, py, 3, 0, 2 * Math.PI);
        // Training points get a white edge and test points a black one.
        context.lineWidth = test ? 1.5 : 1;
        context.strokeStyle = test ? '#000000' : '#ffffff';
        context.fillStyle = color;
        context.fill();
        context.stroke();
      }
    };
    const { points } = this;
    draw(points.train, points.train_labels, points.train_targets, false);
    if (this.showTest) draw(points.test, points.test_labels, points.test_targets, true);
  }

  /**
   * Draws a line for each weight between shown units: blue for positive, orange for negative,
   * width by |w| relative to the layer's largest. For a 2-way softmax the line into the output
   * carries w[i][1] - w[i][0], the weight on the logit difference that sets p(class 1).
   */
  drawLinks() {
    const svg = this.$('links');
    svg.replaceChildren();
    const grid = this.latest?.grid;
    const weights = this.latest?.weights;
    if (!grid || !weights) return;
    const graph = this.$('network-graph');
    const box = graph.getBoundingClientRect();
    svg.setAttribute('width', graph.scrollWidth);
    svg.setAttribute('height', graph.scrollHeight);
    const columns = [
      [...graph.querySelectorAll('.column.inputs canvas')],
      ...grid.layers.map((_, c) => [...graph.querySelectorAll(`.column[data-column="${c}"] canvas`)]),
      [this.$('boundary')],
    ];
    const anchor = (node, side) => {
      const r = node.getBoundingClientRect();
      return [(side === 'right' ? r.right : r.left) - box.left + graph.scrollLeft, r.top + r.height / 2 - box.top];
    };
    const kernels = denseKernels(this.summary, weights);
    for (let c = 0; c + 1 < columns.length; c += 1) {
      if (!kernels[c]) break;
      const { kernel, units } = kernels[c];
      const from = columns[c];
      const to = columns[c + 1];
      const toOutput = c + 1 === columns.length - 1;
      const weight = (i, j) => {
        if (!toOutput) return kernel[i * units + j];
        return units === 2 ? kernel[i * 2 + 1] - kernel[i * 2] : kernel[i * units];
      };
      let largest = 1e-9;
      for (let i = 0; i < from.length; i += 1) {
        for (let j = 0; j < to.length; j += 1) largest = Math.max(largest, Math.abs(weight(i, j)));
      }
      for (let i = 0; i < from.length; i += 1) {
        const [ax, ay] = anchor(from[i], 'right');
        for (let j = 0; j < to.length; j += 1) {
          const w = weight(i, j);
          const [bx, by] = anchor(to[j], 'left');
          const line = document.createElementNS('http://www.w3.org/2000/svg', 'path');
          const mid = (ax + bx) / 2;
          line.setAttribute('d', `M${ax},${ay} C${mid},${ay} ${mid},${by} ${bx},${by}`);
          line.setAttribute('stroke', css(w < 0 ? NEGATIVE : POSITIVE));
          line.setAttribute('stroke-width', (0.3 + 3.5 * Math.abs(w) / largest).toFixed(2));
          line.setAttribute('fill', 'none');
          line.setAttribute('opacity', '0.75');
          svg.append(line);
        }
      }
    }
  }

  /** Lists each dense kernel as a table (the numbers behind the lines), when toggled on. */
  renderWeightsTable() {
    const container = this.$('weights-table');
    if (container.hidden || !this.latest?.weights) return;
    container.replaceChildren();
    for (const { position, inputs, units, kernel } of denseKernels(this.summary, this.latest.weights)) {
      // A 1024 x 1024 kernel would be a million cells, so large kernels show their corner.
      const rows = Math.min(inputs, MAX_TABLE_WEIGHTS);
      const columns = Math.min(units, MAX_TABLE_WEIGHTS);
      let caption = this.t('weights.caption', { layer: position + 1 });
      if (rows < inputs || columns < units) {
        caption += ` ${this.t('weights.cut', { rows, columns, inputs, units })}`;
      }
      const table = element('table', { className: 'numbers' });
      table.append(element('caption', { textContent: caption }));
      const head = element('tr', {}, [element('th', { scope: 'col', textContent: '' })]);
      for (let j = 0; j < columns; j += 1) head.append(element('th', { scope: 'col', textContent: String(j + 1) }));
      table.append(element('thead', {}, [head]));
      const body = element('tbody');
      for (let i = 0; i < rows; i += 1) {
        const row = element('tr', {}, [element('th', { scope: 'row', textContent: String(i + 1) })]);
        for (let j = 0; j < columns; j += 1) {
          row.append(element('td', { textContent: kernel[i * units + j].toFixed(3) }));
        }
        body.append(row);
      }
      table.append(body);
      container.append(table);
    }
  }

  renderConfusion() {
    const { confusion, epoch } = this.latest;
    const table = this.$('confusion');
    const caption = this.$('confusion-caption');
    // Data without class names (real-valued targets) has no confusion matrix.
    if (!confusion || confusion.classNames.length === 0) {
      table.replaceChildren();
      caption.textContent = this.t('confusion.notClassification');
      return;
    }
    caption.textContent = this.t(`confusion.caption.${confusion.split}`, {
      rows: confusion.rows.toLocaleString(this.lang()), epoch,
    });
    const names = confusion.classNames;

    // Keep the focused cell focused across updates.
    const focused = table.querySelector('button:focus')?.dataset;
    const head = element('tr', {}, [element('th', { scope: 'col', textContent: this.t('confusion.corner') })]);
    for (const name of names) head.append(element('th', { scope: 'col', textContent: name }));

    const body = element('tbody');
    confusion.counts.forEach((row, actual) => {
      const total = row.reduce((sum, count) => sum + count, 0) || 1;
      const tr = element('tr', {}, [element('th', { scope: 'row', textContent: names[actual] })]);
      row.forEach((count, predicted) => {
        const share = count / total;
        const base = actual === predicted ? POSITIVE : NEGATIVE;
        const color = MIDDLE.map((m, i) => Math.round(255 + (base[i] - 255) * share * 0.85));
        const button = element('button', {
          type: 'button',
          className: 'cell',
          textContent: String(count),
          ariaLabel: this.t('confusion.cell', { actual: names[actual], predicted: names[predicted], count }),
        });
        button.dataset.actual = actual;
        button.dataset.predicted = predicted;
        button.dataset.testid = `cell-${actual}-${predicted}`;
        button.style.background = css(color);
        if (share > 0.55) button.style.color = '#fff';
        if (this.cell?.actual === actual && this.cell?.predicted === predicted) {
          button.setAttribute('aria-pressed', 'true');
        }
        // A button activates on click, Enter and Space.
        button.addEventListener('click', () => this.openCell(actual, predicted));
        tr.append(element('td', {}, [button]));
      });
      body.append(tr);
    });
    table.replaceChildren(element('thead', {}, [head]), body);
    if (focused) {
      table.querySelector(`button[data-actual="${focused.actual}"][data-predicted="${focused.predicted}"]`)?.focus();
    }
  }

  openCell(actual, predicted) {
    this.cell = { actual, predicted, rows: null };
    this.post({ type: 'cell', actual, predicted });
    for (const button of this.$('confusion').querySelectorAll('button')) {
      const pressed = Number(button.dataset.actual) === actual && Number(button.dataset.predicted) === predicted;
      button.setAttribute('aria-pressed', String(pressed));
    }
  }

  /** Takes a `cell` message: the rows of the selected confusion-matrix cell. */
  showCell(message) {
    if (!this.cell || this.cell.actual !== message.actual || this.cell.predicted !== message.predicted) return;
    this.cell.rows = message;
    this.renderCell();
  }

  renderCell() {
    const container = this.$('cell-rows');
    const message = this.cell?.rows;
    if (!message) return;
    const names = message.classNames;
    const actual = names[message.actual];
    const predicted = names[message.predicted];
    if (message.total === 0) {
      container.replaceChildren(element('p', { className: 'hint', textContent: this.t('cell.empty', { actual, predicted }) }));
      return;
    }

    const digits = this.spec.data.set === 'digits';
    const showFeatures = !digits && message.rows[0].features.length <= 13;
    const table = element('table', { className: 'numbers rows' });
    table.dataset.testid = 'cell-table';
    table.append(element('caption', {
      textContent: this.t('cell.caption', {
        actual, predicted, shown: message.rows.length, total: message.total,
        split: this.t(`split.name.${message.split}`),
      }) + ' ' + this.t(`cell.scores.${message.scoreKind}`),
    }));
    const head = element('tr', {}, [
      element('th', { scope: 'col', textContent: this.t('cell.row') }),
      ...(digits ? [element('th', { scope: 'col', textContent: this.t('cell.image') })] : []),
      element('th', { scope: 'col', textContent: this.t('cell.actual') }),
      element('th', { scope: 'col', textContent: this.t('cell.predicted') }),
      ...names.map((name) => element('th', {
        scope: 'col', textContent: this.t(`cell.score.${message.scoreKind}`, { name }),
      })),
      ...(showFeatures ? [element('th', { scope: 'col', textContent: this.t('cell.features') })] : []),
    ]);

    const body = element('tbody');
    for (const row of message.rows) {
      const cells = [element('th', { scope: 'row', textContent: String(row.id) })];
      if (digits) cells.push(element('td', {}, [digitImage(row.features, `${actual} #${row.id}`)]));
      cells.push(element('td', { textContent: names[row.label] }));
      cells.push(element('td', { textContent: names[row.predicted] }));
      for (const score of row.scores) cells.push(element('td', { textContent: score.toFixed(3) }));
      if (showFeatures) {
        cells.push(element('td', { textContent: row.features.map((x) => Number(x.toPrecision(4))).join(', ') }));
      }
      body.append(element('tr', {}, cells));
    }
    table.append(element('thead', {}, [head]), body);
    container.replaceChildren(table);
  }

  renderDiagnostics() {
    const { diagnostics, epoch } = this.latest;
    const table = this.$('diagnostics');
    if (!diagnostics) return;
    const { t } = this;
    this.$('diagnostics-caption').textContent = t('diagnostics.caption', {
      rows: diagnostics.rows, epoch, loss: diagnostics.loss.toFixed(4), margin: Number(diagnostics.saturation_margin.toPrecision(3)),
    });

    const columns = ['layer', 'units', 'activation', 'weightNorm', 'gradientNorm', 'biasGradientNorm', 'ratio', 'dead', 'saturated'];
    const head = element('tr', {}, columns.map((key) => element('th', { scope: 'col', textContent: t(`diagnostics.${key}`) })));
    const body = element('tbody');
    const share = (value) => (value == null ? '–' : `${(value * 100).toFixed(1)}%`);
    const exp = (value) => (value === 0 ? '0' : value.toExponential(2));
    for (const layer of diagnostics.layers) {
      const activation = layer.output
        ? t('diagnostics.output')
        : ACTIVATION_LABELS[layer.activation] ?? layer.activation;
      const ratio = layer.weight_norm > 0 ? exp(layer.gradient_norm / layer.weight_norm) : '–';
      const cells = [
        element('th', { scope: 'row', textContent: String(layer.layer + 1) }),
        element('td', { textContent: String(layer.units) }),
        element('td', { textContent: activation }),
        element('td', { textContent: layer.weight_norm.toFixed(3) }),
        element('td', { textContent: exp(layer.gradient_norm) }),
        element('td', { textContent: exp(layer.bias_gradient_norm) }),
        element('td', { textContent: ratio }),
        shareCell(share(layer.dead_share), layer.dead_share),
        shareCell(share(layer.saturated_share), layer.saturated_share),
      ];
      body.append(element('tr', {}, cells));
    }
    table.replaceChildren(element('thead', {}, [head]), body);
  }

  /** Updates the text that depends on the latest numbers and the language. */
  renderLabels() {
    const { t } = this;
    this.$('weights-toggle').textContent = t(this.$('weights-table').hidden ? 'weights.toggle' : 'weights.hide');
    this.$('weights-toggle').setAttribute('aria-expanded', String(!this.$('weights-table').hidden));
    const grid = this.latest?.grid;
    if (!grid) return;
    const epoch = this.latest.epoch;
    this.$('boundary-hint').textContent = t('boundary.hint', { epoch });
    const range = (value) => Number(value.toPrecision(3));
    this.$('boundary-output').textContent = t(`boundary.output.${grid.scoreKind}`, {
      x1: range(grid.xRange[0]), x2: range(grid.xRange[1]), y1: range(grid.yRange[0]), y2: range(grid.yRange[1]),
    });
    this.$('boundary').setAttribute('aria-label', t('boundary.label', {
      epoch,
      trainRows: (this.points?.train.length ?? 0) / 2,
      testRows: (this.points?.test.length ?? 0) / 2,
    }));
  }

  /** Re-renders every text for a change of language. */
  setLanguage() {
    if (this.latest?.grid) {
      this.$('network-graph').dataset.shape = '';
    }
    this.render();
    this.renderLabels();
  }
}

/** Builds a table cell with a share and a bar under it. */
function shareCell(text, value) {
  const cell = element('td', { textContent: text });
  if (value != null) {
    const bar = element('span', { className: 'bar' });
    bar.style.width = `${Math.round(value * 100)}%`;
    cell.append(bar);
  }
  return cell;
}

/** Draws an 8x8 digit from its raw pixels (0 white to 1 black) on a canvas. */
function digitImage(pixels, label) {
  const canvas = element('canvas', { className: 'digit', ariaLabel: label });
  canvas.setAttribute('role', 'img');
  paintGrid(canvas, 8, (p) => {
    const level = Math.round(255 * (1 - Math.max(0, Math.min(1, pixels[p]))));
    return [level, level, level];
  });
  return canvas;
}

/**
 * Renders the epoch metrics as a table in `container`. `loss` and `metric` are the two charts,
 * whose `values.train`, `values.validation` and `values.test` arrays run parallel to `epochs`;
 * a series is listed when the chart shows it. `metricName` is "accuracy" or "mae".
 */
export function renderMetricsTable(container, { epochs, loss, metric, metricName }, t) {
  const series = ['train', 'validation', 'test'].filter((name) => name === 'train' || loss.shown[name]);
  const lossKeys = { train: 'trainLoss', validation: 'validationLoss', test: 'testLoss' };
  const columns = [
    ...series.map((name) => ({ chart: loss, name, label: t(lossKeys[name]) })),
    ...series.map((name) => ({ chart: metric, name, label: t(`${name}Metric.${metricName}`) })),
  ];
  const table = element('table', { className: 'numbers' });
  table.append(element('caption', { textContent: t('table.caption') }));
  const head = [t('table.epoch'), ...columns.map((column) => column.label)];
  table.append(element('thead', {}, [element('tr', {}, head.map((name) => element('th', { scope: 'col', textContent: name })))]));
  const body = element('tbody');
  const value = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(4));
  epochs.forEach((epoch, index) => {
    const cells = [element('th', { scope: 'row', textContent: String(epoch) })];
    for (const { chart, name } of columns) {
      cells.push(element('td', { textContent: value(chart.values[name][index]) }));
    }
    body.append(element('tr', {}, cells));
  });
  table.append(body);
  container.replaceChildren(table);
}
