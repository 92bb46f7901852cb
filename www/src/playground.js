// The playground controller: the only code that touches the DOM. It edits a copy of the network
// spec, asks its training Worker to build it, and commits the edit only when the Worker accepts
// it, so a rejected edit leaves the previous network, data and charts as they were. Each call of
// createPlayground runs one independent playground with its own Worker.
import { LANGUAGES, describeField, detectLanguage, formatError, translate } from './i18n.js';
import { EpochChart } from './charts.js';
import {
  DEFAULTS as OPTIMIZER_DEFAULTS, SCHEDULES, SCHEDULE_DEFAULTS, fragmentToSpec, optionOf,
  specToFragment,
} from './url.js';
import { Views, renderMetricsTable } from './views.js';
import { renderFormulas } from './formulas.js';

const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'leaky_relu', 'gelu', 'linear'];
/** The hidden layer types of the spec, in the order the editor lists them. */
const LAYER_TYPES = [
  'dense', 'dropout', 'conv2d', 'max_pool2d', 'avg_pool2d', 'flatten', 'batch_norm', 'layer_norm',
];

/**
 * Returns a new hidden layer of `type` with Keras-like defaults; a Dense layer takes `units`
 * (the width of the layer it replaces, capped at the editor's 1024).
 */
function newLayer(type, units) {
  switch (type) {
    case 'dense':
      return { type, units: Math.min(units, 1024), activation: 'relu' };
    case 'dropout':
      return { type, rate: 0.2 };
    case 'conv2d':
      return { type, filters: 8, kernel_size: 3, stride: 1, padding: 'same', activation: 'relu' };
    case 'max_pool2d':
    case 'avg_pool2d':
      return { type, pool_size: 2 };
    default:
      return { type };
  }
}
const ACTIVATION_LABELS = {
  relu: 'ReLU', sigmoid: 'sigmoid', tanh: 'tanh', leaky_relu: 'LeakyReLU', gelu: 'GELU',
  linear: 'linear', softmax: 'softmax',
};
const DATA_SETS = [
  'iris', 'wine', 'breast_cancer', 'digits', 'circle', 'xor', 'gaussian', 'spiral', 'teacher',
  'plane', 'multi_gaussian',
];
/** Sets generated from the seed, which take a row count (and, for the 2-D ones, noise). */
const GENERATED_SETS = [
  'circle', 'xor', 'gaussian', 'spiral', 'teacher', 'plane', 'multi_gaussian',
];
/** Built-in sets with a real-valued target; an uploaded file's task comes from its summary. */
const REGRESSION_SETS = ['plane', 'multi_gaussian'];
/** Losses that need class labels; a regression set switches them to MSE. */
const CLASS_LOSSES = ['cross_entropy', 'binary_cross_entropy'];
/**
 * Sets whose features are measurements in their own units, so they are standardized when
 * picked. The 2-D sets feed raw coordinates as TensorFlow Playground does, the teacher set is
 * already standard normal, and digits are pixels scaled to 0..1.
 */
const STANDARDIZED_SETS = ['iris', 'wine', 'breast_cancer', 'csv'];
/** Largest CSV file read, in bytes; the engine applies the same limit to the text. */
const MAX_CSV_BYTES = 10 * 2 ** 20;
/** Class names listed in the data summary before it shortens the list. */
const SHOWN_CLASSES = 10;
const LOSSES = ['cross_entropy', 'binary_cross_entropy', 'mean_squared_error', 'huber'];
const OPTIMIZERS = ['sgd', 'adam', 'rmsprop', 'adamw'];
const OPTIMIZER_FIELDS = {
  sgd: ['learning_rate', 'momentum'],
  adam: ['learning_rate', 'beta1', 'beta2', 'epsilon'],
  rmsprop: ['learning_rate', 'rho', 'epsilon', 'momentum'],
  adamw: ['learning_rate', 'weight_decay', 'beta1', 'beta2', 'epsilon'],
};
const FIELD_LABELS = {
  learning_rate: 'learningRate', momentum: 'momentum', beta1: 'beta1', beta2: 'beta2',
  epsilon: 'epsilon', rho: 'rho', weight_decay: 'weightDecay',
};
/**
 * Each schedule's constants: the translation key, the input's limits, and whether the engine
 * takes a whole number.
 */
const SCHEDULE_FIELDS = {
  constant: {},
  step: {
    factor: { label: 'stepFactor', min: 0, max: 1, step: 'any' },
    step_epochs: { label: 'stepEpochs', min: 1, max: 10000, step: 1, integer: true },
  },
  cosine: { alpha: { label: 'cosineAlpha', min: 0, max: 1, step: 'any' } },
};

/** Panels that `options.panels` may list; all show by default. */
export const PANELS = [
  'header', 'controls', 'data', 'network', 'training', 'charts', 'views', 'formulas', 'code',
];

/**
 * Runs a playground in `root` (a document or a shadow root holding TEMPLATE's markup).
 * Options: `url` keeps the configuration in the page's URL fragment and the language in
 * localStorage (the full page and the iframe page); `title` sets the document's title and
 * language; `preset` (an id) or `spec` (an object) picks the first network; `panels` lists the
 * panels to show; `autoplay` starts training once loaded; `lang` fixes the UI language.
 */
export function createPlayground(root, options = {}) {
  const $ = (id) => root.querySelector(`#${id}`);
  const state = {
    lang: options.lang
      ?? (options.url ? localStorage.getItem('dfdx-playground-language') : null)
      ?? detectLanguage(),
    presets: [],
    presetId: 'keras-iris',
    /** The accepted spec and its summary; edits are made on copies. */
    spec: null,
    summary: null,
    running: false,
    finished: false,
    epoch: 0,
    nextRequest: 1,
    /** Resolvers of `load` requests the Worker has not replied to yet, by request id. */
    pending: new Map(),
    /** Set while Play waits for a Reset to finish. */
    playAfterReset: false,
    /** The backend setting ("auto", "gpu", "cpu") and the backend the Worker chose for it. */
    backendSetting: 'auto',
    backend: null,
    /** A message about a mid-run switch to the CPU, shown until the next load. */
    backendNotice: '',
    /** The framework the code panel shows: "keras" or "pytorch". */
    codeFramework: 'keras',
    /** Whether the code panel has been on screen; until then no code is requested. */
    codeSeen: false,
    /**
     * The last accepted CSV upload as the Worker describes it, `{ name, summary }`, or null.
     * The Worker keeps the file's text; the page only shows its shape.
     */
    csv: null,
  };

  const t = (key, values) => translate(state.lang, key, values);

  const lossChart = new EpochChart($('loss-chart'));
  // Accuracy lies in [0, 1]; a regression run's mean absolute error gets an automatic range.
  const accuracyChart = new EpochChart($('accuracy-chart'), { yRange: [0, 1] });

  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => handlers[data.type]?.(data);
  worker.onerror = (event) => showError(t('engineFailed', { message: event.message }));
  const views = new Views($, {
    t, post: (message) => worker.postMessage(message), lang: () => state.lang,
  });

  const handlers = {
    ready({ presets }) {
      state.presets = presets;
      renderPresetOptions();
      if (options.url && location.hash.length > 1) {
        loadFragment(location.hash);
      } else if (options.specError) {
        loadDefault({ key: 'specAttributeInvalid', values: { message: options.specError } });
      } else if (options.spec) {
        propose(options.spec);
      } else {
        loadDefault();
      }
    },
    failed({ error }) {
      showError(t('engineFailed', { message: error.message }));
    },
    loaded({ requestId, spec, summary, backend, csv }) {
      const pending = state.pending.get(requestId);
      state.pending.delete(requestId);
      state.backend = backend;
      state.csv = csv;
      state.backendNotice = '';
      commit(spec, summary);
      pending?.resolve();
      if (options.autoplay && !state.autoplayed) {
        state.autoplayed = true;
        worker.postMessage({ type: 'play' });
      }
      if (state.playAfterReset) {
        state.playAfterReset = false;
        worker.postMessage({ type: 'play' });
      }
    },
    rejected({ requestId, error }) {
      state.pending.get(requestId)?.reject(error);
      state.pending.delete(requestId);
      showError(error);
      // A link can carry a spec the engine rejects before anything was accepted: the page then
      // starts from the default preset and keeps the message on screen.
      if (!state.spec) {
        loadDefault(error);
        return;
      }
      render();
    },
    backend({ backend, notice }) {
      state.backend = backend;
      const key = notice.kept ? 'switchedKept' : 'switchedLost';
      state.backendNotice = t(key, { error: notice.message, epoch: notice.resumedFrom });
      renderBackend();
    },
    state({ running }) {
      state.running = running;
      // Epochs that arrived just before a stop are drawn before the buttons change, so the
      // readouts are final once Play is enabled again.
      if (!running) drawNow();
      renderButtons();
    },
    metrics({ epochs }) {
      const metric = isRegression() ? 'mae' : 'accuracy';
      for (const { metrics } of epochs) {
        lossChart.push(
          metrics.epoch,
          metrics.train_loss,
          metrics.validation_loss,
          metrics.test_loss,
          metrics.train_penalty,
        );
        accuracyChart.push(
          metrics.epoch,
          metrics[`train_${metric}`],
          metrics[`validation_${metric}`],
          metrics[`test_${metric}`],
        );
      }
      state.latest = epochs[epochs.length - 1];
      state.epoch = state.latest.metrics.epoch;
      scheduleDraw();
    },
    views(message) {
      views.update(message);
    },
    cell(message) {
      views.showCell(message);
    },
    code({ framework, text }) {
      if (framework !== state.codeFramework) return;
      $('code-text').textContent = text;
    },
    exported({ bytes }) {
      // A blob: URL is local to the page, so the download makes no network request.
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = 'model.safetensors';
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 0);
    },
    done({ epochs }) {
      state.finished = true;
      $('status').textContent = t('done', { epochs });
      renderButtons();
    },
    error({ error }) {
      state.running = false;
      state.finished = true;
      showError(error);
      renderButtons();
    },
  };

  /** Draws the charts and readouts at most once per animation frame, however fast epochs end. */
  function scheduleDraw() {
    if (state.drawQueued) return;
    state.drawQueued = true;
    requestAnimationFrame(drawNow);
  }

  /** Draws a queued update at once; a frame that was queued for it then finds nothing to do. */
  function drawNow() {
    if (!state.drawQueued) return;
    state.drawQueued = false;
    if (!state.latest) return;
    const { metrics, examplesPerSecond, msPerEpoch } = state.latest;
    lossChart.draw();
    accuracyChart.draw();
    $('loss-chart').dataset.points = lossChart.points;
    $('accuracy-chart').dataset.points = accuracyChart.points;
    $('epoch').textContent = metrics.epoch;
    const metric = isRegression() ? 'mae' : 'accuracy';
    $('train-loss').textContent = formatNumber(metrics.train_loss);
    $('validation-loss').textContent = formatNumber(metrics.validation_loss);
    $('test-loss').textContent = formatNumber(metrics.test_loss);
    $('train-penalty').textContent = formatNumber(metrics.train_penalty);
    $('train-metric').textContent = formatNumber(metrics[`train_${metric}`]);
    $('validation-metric').textContent = formatNumber(metrics[`validation_${metric}`]);
    $('test-metric').textContent = formatNumber(metrics[`test_${metric}`]);
    $('speed').textContent =
      examplesPerSecond == null ? '–' : Math.round(examplesPerSecond).toLocaleString(state.lang);
    // Training time of the epoch in the Worker, read by the benchmark and shown on hover.
    $('speed').dataset.msPerEpoch = msPerEpoch.toFixed(3);
    $('speed').title = t('speed.title', { ms: msPerEpoch.toFixed(2) });
    drawSchedule();
    renderChartLabels();
    renderMetrics();
  }

  /** Gives each chart a text alternative with its latest values, for screen readers. */
  function renderChartLabels() {
    const metric = isRegression() ? 'mae' : 'accuracy';
    const charts = [
      [$('loss-chart'), lossChart, 'lossChart'],
      [$('accuracy-chart'), accuracyChart, `metricChart.${metric}`],
    ];
    for (const [container, chart, key] of charts) {
      const last = chart.points - 1;
      const name = t(key);
      if (last < 0) {
        container.setAttribute('aria-label', t('chart.empty', { name }));
        continue;
      }
      const values = [`${t('series.train')} ${formatNumber(chart.values.train[last])}`];
      for (const series of ['validation', 'test', 'penalty']) {
        if (!chart.shown[series]) continue;
        values.push(`${t(`series.${series}`)} ${formatNumber(chart.values[series][last])}`);
      }
      container.setAttribute('aria-label', t('chart.label', {
        name, points: chart.points, values: values.join(', '),
      }));
    }
  }

  /** Renders the epoch metrics table while it is shown. */
  function renderMetrics() {
    const table = $('metrics-table');
    $('metrics-toggle').textContent = t(table.hidden ? 'table.show' : 'table.hide');
    $('metrics-toggle').setAttribute('aria-expanded', String(!table.hidden));
    if (table.hidden) return;
    renderMetricsTable(table, {
      epochs: lossChart.epochs,
      loss: lossChart,
      metric: accuracyChart,
      metricName: isRegression() ? 'mae' : 'accuracy',
    }, t);
  }

  function renderFormulasPanel() {
    if (!state.spec || $('formulas').closest('[data-panel]').hidden) return;
    renderFormulas($('formulas'), state.spec, state.summary, t);
  }

  /**
   * Draws the learning rate of each epoch as a curve, from the engine's schedule, and marks
   * the epoch in progress (the last one once training is done). The canvas is sized in device
   * pixels, so the curve stays sharp.
   */
  function drawSchedule() {
    const canvas = $('schedule-chart');
    const rates = state.summary?.learning_rates ?? [];
    const width = Math.max(120, Math.round(canvas.clientWidth || 240));
    const height = Math.max(32, Math.round(canvas.clientHeight || 64));
    const scale = globalThis.devicePixelRatio || 1;
    canvas.width = width * scale;
    canvas.height = height * scale;
    const context = canvas.getContext('2d');
    context.setTransform(scale, 0, 0, scale, 0, 0);
    context.clearRect(0, 0, width, height);
    canvas.dataset.points = rates.length;
    if (rates.length === 0) return;

    const top = Math.max(...rates);
    const pad = 4;
    const x = (index) => pad + (rates.length === 1 ? 0 : (index / (rates.length - 1)) * (width - 2 * pad));
    const y = (rate) => height - pad - (top > 0 ? rate / top : 0) * (height - 2 * pad);
    context.strokeStyle = '#1f6feb';
    context.lineWidth = 1.5;
    context.beginPath();
    rates.forEach((rate, index) => {
      if (index === 0) context.moveTo(x(index), y(rate));
      else context.lineTo(x(index), y(rate));
    });
    context.stroke();

    const current = Math.min(state.epoch, rates.length - 1);
    context.fillStyle = '#e36209';
    context.beginPath();
    context.arc(x(current), y(rates[current]), 3.5, 0, 2 * Math.PI);
    context.fill();
    canvas.dataset.marked = current;
    const format = (rate) => rate.toPrecision(3);
    canvas.setAttribute('aria-label', t('scheduleCurve', {
      first: format(rates[0]),
      top: format(top),
      last: format(rates[rates.length - 1]),
      epochs: rates.length,
      epoch: current + 1,
      rate: format(rates[current]),
    }));
  }

  /** Returns whether the accepted network predicts a real-valued target. */
  function isRegression() {
    return state.summary?.data.task === 'regression';
  }

  function formatNumber(value) {
    return value == null || Number.isNaN(value) ? '–' : value.toFixed(4);
  }

  /**
   * Shows an error, or hides the box for an empty one. `error` is an engine error (with
   * `details`), a page message `{ key, values }`, or plain text; the first two are kept so a
   * change of language can translate them.
   */
  function showError(error) {
    state.error = error || null;
    renderError();
  }

  function renderError() {
    const error = state.error;
    let message = '';
    if (error?.key) {
      const values = { ...error.values, field: describeField(state.lang, error.values.field) };
      message = t(error.key, values);
    } else if (error) {
      message = typeof error === 'string' ? error : formatError(state.lang, error);
    }
    const box = $('error');
    box.textContent = message;
    box.hidden = !message;
  }

  /**
   * Asks the Worker to build `spec`. The page changes only once the Worker accepts it; a
   * rejection shows the reason and re-renders the form from the accepted spec.
   */
  function propose(spec, presetId = 'custom', upload = null) {
    const requestId = state.nextRequest++;
    state.proposedPreset = presetId;
    state.proposedSpec = spec;
    const message = { type: 'load', requestId, spec, backend: state.backendSetting };
    worker.postMessage(upload ? { ...message, type: 'upload', ...upload } : message);
    return new Promise((resolve, reject) => state.pending.set(requestId, { resolve, reject }))
      .catch(() => {});
  }

  function loadDefault(keepError) {
    const wanted = keepError ? 'keras-iris' : (options.preset ?? 'keras-iris');
    const preset = state.presets.find((p) => p.id === wanted)
      ?? state.presets.find((p) => p.id === 'keras-iris');
    state.keepErrorOnCommit = keepError ?? null;
    propose(preset.spec, preset.id);
  }

  /** Loads the configuration in a URL fragment, over the Keras preset for missing parameters. */
  function loadFragment(fragment) {
    const base = state.presets.find((p) => p.id === 'keras-iris') ?? state.presets[0];
    const { spec, backend, problems } = fragmentToSpec(fragment, base.spec, 'auto');
    state.backendSetting = backend;
    showNotice(problems.length ? { problems } : null);
    const same = state.presets.find((p) => JSON.stringify(p.spec) === JSON.stringify(spec));
    propose(spec, same?.id ?? 'custom');
  }

  /** Shows a notice about the link's unusable parameters; null hides it. */
  function showNotice(notice) {
    state.notice = notice;
    renderNotice();
  }

  function renderNotice() {
    const box = $('notice');
    const problems = state.notice?.problems ?? [];
    box.textContent = problems
      .map(({ name, value, reason }) => t(reason === 'csv' ? 'csvLink' : 'urlProblem', { name, value }))
      .join(' ');
    box.hidden = problems.length === 0;
  }

  function commit(spec, summary) {
    state.spec = spec;
    // The fragment follows every accepted spec, so the address bar always links to this run.
    if (options.url) {
      const fragment = `#${specToFragment(spec, state.backendSetting)}`;
      if (location.hash !== fragment) history.replaceState(null, '', fragment);
    }
    state.summary = summary;
    state.presetId = state.proposedPreset ?? state.presetId;
    state.proposedPreset = null;
    state.running = false;
    state.finished = false;
    state.epoch = 0;
    state.latest = null;
    const run = {
      epochs: spec.epochs,
      hasValidation: summary.data.validation_rows > 0,
      hasTest: summary.data.test_rows > 0,
    };
    const penalty = penaltyActive();
    lossChart.labels = lossLabels();
    lossChart.clear({ ...run, hasPenalty: penalty });
    accuracyChart.clear({ ...run, yRange: isRegression() ? undefined : [0, 1] });
    $('loss-note').hidden = !penalty;
    $('penalty-readout').hidden = !penalty;
    $('loss-chart').dataset.points = 0;
    $('accuracy-chart').dataset.points = 0;
    const readouts = [
      'train-loss', 'validation-loss', 'test-loss', 'train-penalty',
      'train-metric', 'validation-metric', 'test-metric', 'speed',
    ];
    for (const id of readouts) $(id).textContent = '–';
    $('epoch').textContent = '0';
    views.reset(spec, summary);
    renderChartLabels();
    renderMetrics();
    renderFormulasPanel();
    showError(state.keepErrorOnCommit);
    state.keepErrorOnCommit = null;
    $('status').textContent = '';
    render();
  }

  /**
   * Copies the spec, applies `change` to the copy and proposes it. While a proposal is still
   * on its way (a preset picked a moment ago), the edit builds on that proposal rather than on
   * the accepted spec, so that the quick edit is not applied to the previous network.
   */
  /** Proposes the current network changed by `change`, as the preset `presetId` or custom. */
  function edit(change, presetId = 'custom') {
    if (!state.spec) return;
    const base = state.pending.size > 0 && state.proposedSpec ? state.proposedSpec : state.spec;
    const next = structuredClone(base);
    change(next);
    propose(next, presetId);
  }

  /**
   * Reads a whole number from an input. Non-integers are reported here, because the engine's
   * spec types are integers and would only report "invalid type".
   */
  function readInteger(input, field) {
    const value = readNumber(input, field);
    if (value == null) return null;
    if (!Number.isSafeInteger(value)) {
      showError({ key: 'error.not_whole', values: { field, value: input.value } });
      render();
      return null;
    }
    return value;
  }

  /** Reads a number from an input; an empty field is reported here, ranges by the engine. */
  function readNumber(input, field) {
    const value = Number(input.value);
    if (input.value.trim() === '' || !Number.isFinite(value)) {
      showError({ key: 'error.empty', values: { field } });
      render();
      return null;
    }
    return value;
  }

  // ---- Rendering -------------------------------------------------------------------------

  function option(value, label, selected) {
    const element = document.createElement('option');
    element.value = value;
    element.textContent = label;
    element.selected = selected;
    return element;
  }

  function fillSelect(select, values, label, selected) {
    select.replaceChildren(...values.map((value) => option(value, label(value), value === selected)));
  }

  function renderPresetOptions() {
    const ids = state.presets.map((p) => p.id);
    const current = state.presetId;
    fillSelect($('preset'), [...ids, 'custom'], (id) => t(`preset.${id}`), current);
    $('preset').querySelector('option[value="custom"]').disabled = true;
  }

  function renderStaticText() {
    if (options.title) {
      document.documentElement.lang = state.lang;
      document.title = t('title');
    }
    for (const element of root.querySelectorAll('[data-i18n]')) {
      element.textContent = t(element.dataset.i18n);
    }
    for (const element of root.querySelectorAll('[data-i18n-title]')) {
      element.title = t(element.dataset.i18nTitle);
    }
    for (const element of root.querySelectorAll('[data-i18n-aria-label]')) {
      element.setAttribute('aria-label', t(element.dataset.i18nAriaLabel));
    }
    fillSelect($('language'), Object.keys(LANGUAGES), (lang) => LANGUAGES[lang], state.lang);
    const labels = {
      train: t('series.train'), validation: t('series.validation'), test: t('series.test'),
    };
    lossChart.setLabels(lossLabels());
    accuracyChart.setLabels(labels);
    renderMetricLabels();
    drawSchedule();
    renderChartLabels();
    renderMetrics();
    views.setLanguage();
    renderFormulasPanel();
  }

  /**
   * Names the loss chart's series. With a kernel penalty the legend marks the lines as data
   * losses and names the penalty's own line.
   */
  function lossLabels() {
    if (!penaltyActive()) {
      return {
        train: t('series.train'), validation: t('series.validation'), test: t('series.test'),
        penalty: t('series.penalty'),
      };
    }
    return {
      train: t('series.trainData'),
      validation: t('series.validationData'),
      test: t('series.testData'),
      penalty: t('series.penalty'),
    };
  }

  function penaltyActive() {
    const regularizer = state.spec && optionOf(state.spec, 'kernel_regularizer');
    return Boolean(regularizer && (regularizer.l1 > 0 || regularizer.l2 > 0));
  }

  /** Names the metric readouts and chart: accuracy, or the mean absolute error for regression. */
  function renderMetricLabels() {
    const metric = isRegression() ? 'mae' : 'accuracy';
    $('train-metric-label').textContent = t(`trainMetric.${metric}`);
    $('validation-metric-label').textContent = t(`validationMetric.${metric}`);
    $('test-metric-label').textContent = t(`testMetric.${metric}`);
    $('metric-chart-caption').textContent = t(`metricChart.${metric}`);
    $('accuracy-chart').dataset.metric = metric;
    $('accuracy-chart').dataset.series = accuracyChart.seriesLabels.join(',');
    $('loss-chart').dataset.series = lossChart.seriesLabels.join(',');
  }

  function render() {
    if (!state.spec) return;
    const { spec, summary } = state;
    renderPresetOptions();

    // The uploaded file is offered once there is one; the Worker keeps its text.
    const sets = state.csv ? [...DATA_SETS, 'csv'] : DATA_SETS;
    fillSelect($('data-set'), sets, (set) => t(`set.${set}`, { name: state.csv?.name }), spec.data.set);
    // Only the regression sets get a description, because the other sets' names describe them.
    $('data-description').textContent = REGRESSION_SETS.includes(spec.data.set)
      ? t(`setInfo.${spec.data.set}`)
      : '';
    $('data-description').hidden = !REGRESSION_SETS.includes(spec.data.set);
    const generated = GENERATED_SETS.includes(spec.data.set);
    for (const element of root.querySelectorAll('.generated')) element.hidden = !generated;
    // Noise applies to the 2-D sets only.
    $('noise').closest('label').hidden = !generated || spec.data.set === 'teacher';
    $('train-percent').value = spec.data.train_percent;
    $('validation-percent').value = spec.data.validation_percent ?? 0;
    $('noise').value = spec.data.noise;
    $('samples').value = spec.data.samples;
    $('standardize').checked = spec.data.standardize;
    const rows = {
      train: summary.data.train_rows,
      validation: summary.data.validation_rows,
      test: summary.data.test_rows,
    };
    $('data-rows').textContent = t(rows.validation > 0 ? 'dataRowsValidation' : 'dataRows', rows);
    for (const element of root.querySelectorAll('.validation-only')) {
      element.hidden = rows.validation === 0;
    }
    renderDataShape();
    renderMetricLabels();

    renderLayers();

    fillSelect($('loss'), LOSSES, (loss) => t(`loss.${loss}`), spec.loss);
    $('huber-delta-row').hidden = spec.loss !== 'huber';
    $('huber-delta').value = optionOf(spec, 'huber_delta');
    fillSelect($('optimizer'), OPTIMIZERS, (name) => t(`optimizer.${name}`), spec.optimizer.type);
    renderOptimizerParams();
    renderSchedule();
    const regularizer = optionOf(spec, 'kernel_regularizer');
    $('l1').value = regularizer.l1;
    $('l2').value = regularizer.l2;
    $('batch-size').value = spec.batch_size;
    $('epochs-input').value = spec.epochs;
    $('epochs').textContent = spec.epochs;
    $('seed').value = spec.seed;
    renderBackend();
    renderCode();
    renderButtons();
  }

  /**
   * Shows the features and classes (or the regression target), and for an uploaded file its
   * columns, label column and task.
   */
  function renderDataShape() {
    const { data } = state.summary;
    const names = data.class_names.slice(0, SHOWN_CLASSES).join(', ');
    const more = data.class_names.length > SHOWN_CLASSES ? ', …' : '';
    $('data-shape').textContent = isRegression()
      ? t('dataShapeRegression', { features: data.features.toLocaleString(state.lang) })
      : t('dataShape', {
        features: data.features.toLocaleString(state.lang),
        classes: data.class_names.length,
        names: names + more,
      });

    const csvShown = state.spec.data.set === 'csv' && state.csv != null;
    for (const element of root.querySelectorAll('.csv-only')) element.hidden = !csvShown;
    if (!csvShown) return;
    const { name, summary } = state.csv;
    fillSelect(
      $('label-column'),
      summary.columns.map((_, index) => String(index)),
      (index) => `${Number(index) + 1}: ${summary.columns[index]}`,
      String(summary.label_column),
    );
    fillSelect($('task'), ['classification', 'regression'], (task) => t(`task.${task}`), summary.task);
    $('csv-summary').textContent = t('csvSummary', {
      name,
      rows: summary.rows.toLocaleString(state.lang),
      columns: summary.columns.length,
      delimiter: t(`delimiter.${summary.delimiter}`),
      header: t(summary.has_header ? 'header.yes' : 'header.no'),
      label: summary.columns[summary.label_column],
    });
    if (summary.target_range) {
      const [min, max] = summary.target_range.map((value) => value.toLocaleString(state.lang));
      $('csv-summary').textContent += ` ${t('csvTarget', { min, max })}`;
    }
  }

  /**
   * Asks the Worker for the current network's code in the chosen framework, once the code
   * panel has been on screen. The code generators are in a second wasm module, which the
   * Worker loads on the first request, so a visit that never shows the panel skips it.
   */
  function renderCode() {
    for (const framework of ['keras', 'pytorch']) {
      $(`code-${framework}`).setAttribute('aria-selected', String(framework === state.codeFramework));
    }
    if (state.codeSeen) worker.postMessage({ type: 'code', framework: state.codeFramework });
  }

  function adapterName(adapter) {
    const name = [adapter?.vendor, adapter?.architecture].filter(Boolean).join(' ');
    return name || adapter?.description || t('unknownAdapter');
  }

  /** Shows where training runs and why the setting led there. */
  function renderBackend() {
    fillSelect($('backend-setting'), ['auto', 'gpu', 'cpu'], (s) => t(`setting.${s}`), state.backendSetting);
    const backend = state.backend;
    if (!backend) return;
    const adapter = adapterName(backend.adapter);
    $('backend').textContent = backend.kind === 'gpu'
      ? `${t('backend.gpu')} · ${adapter}`
      : t('backend.cpu');
    let reason;
    if (backend.reason === 'chosen') {
      reason = t(`reason.chosen.${backend.kind}`, { adapter });
      if (backend.kind === 'gpu' && backend.adapter?.fallback) reason += ` ${t('reason.software')}`;
    } else {
      reason = t(`reason.${backend.reason}`, {
        adapter, error: backend.error ?? '', layer: backend.layer ?? '',
      });
    }
    $('backend-reason').textContent = state.backendNotice || reason;
  }

  /** Hidden layers the engine accepts; the Add layer button stops there. */
  const MAX_HIDDEN_LAYERS = 16;

  function renderButtons() {
    const loaded = state.spec != null;
    $('add-layer').disabled = !loaded || state.spec.layers.length >= MAX_HIDDEN_LAYERS;
    $('play').disabled = !loaded || state.running;
    $('pause').disabled = !state.running;
    $('step').disabled = !loaded || state.running || state.finished;
    $('reset').disabled = !loaded;
  }

  /** Formats a shape without its batch dimension as Keras's summary prints it. */
  function shapeText(dims) {
    return `(None, ${dims.join(', ')})`;
  }

  function inputText(summary) {
    const [height, width, channels] = summary.input_shape;
    return summary.input_shape.length === 3
      ? t('imageInput', { height, width, channels })
      : t('features', { count: summary.inputs });
  }

  /** Returns the inputs that edit hidden layer `i`'s settings, by layer type. */
  function layerSettings(layer, i) {
    const layerLabel = (key) => `${t(key)} (${i + 1})`;
    const integer = (name, labelKey, min, max) => numberInput(layer[name], {
      min, max, step: 1, testid: `layer-${i}-${name.replace('_', '-')}`, label: layerLabel(labelKey),
      onChange: (input) => {
        const value = readInteger(input, `layers[${i}].${name}`);
        if (value != null) edit((s) => { s.layers[i][name] = value; });
      },
    });
    // Conv2D and pooling rows have several numbers, so each gets a visible caption.
    const captioned = (labelKey, control) => {
      const label = document.createElement('label');
      label.className = 'captioned';
      const caption = document.createElement('span');
      caption.textContent = t(labelKey);
      label.append(caption, control);
      return label;
    };
    const activation = () => {
      const select = document.createElement('select');
      select.dataset.testid = `layer-${i}-activation`;
      select.setAttribute('aria-label', layerLabel('activation'));
      fillSelect(select, ACTIVATIONS, (a) => ACTIVATION_LABELS[a], layer.activation);
      select.addEventListener('change', () => edit((s) => {
        s.layers[i].activation = select.value;
      }));
      return select;
    };
    switch (layer.type) {
      case 'dense':
        return [integer('units', 'units', 1, 1024), activation()];
      case 'dropout':
        return [numberInput(layer.rate, {
          min: 0, max: 0.95, step: 0.05, testid: `layer-${i}-rate`, label: layerLabel('rate'),
          onChange: (input) => {
            const value = readNumber(input, `layers[${i}].rate`);
            if (value != null) edit((s) => { s.layers[i].rate = value; });
          },
        })];
      case 'conv2d': {
        const padding = document.createElement('select');
        padding.dataset.testid = `layer-${i}-padding`;
        padding.setAttribute('aria-label', layerLabel('padding'));
        fillSelect(padding, ['valid', 'same'], (p) => t(`padding.${p}`), layer.padding ?? 'valid');
        padding.addEventListener('change', () => edit((s) => {
          s.layers[i].padding = padding.value;
        }));
        return [
          captioned('filters', integer('filters', 'filters', 1, 1024)),
          captioned('kernelSize', integer('kernel_size', 'kernelSize', 1, 16)),
          captioned('stride', integer('stride', 'stride', 1, 16)),
          captioned('padding', padding),
          captioned('activation', activation()),
        ];
      }
      case 'max_pool2d':
      case 'avg_pool2d': {
        const size = integer('pool_size', 'poolSize', 1, 16);
        // An empty stride means the pool size, as in Keras.
        const stride = numberInput(layer.stride ?? '', {
          min: 1, max: 16, step: 1, testid: `layer-${i}-stride`, label: layerLabel('stride'),
          onChange: (input) => {
            if (input.value.trim() === '') {
              edit((s) => { delete s.layers[i].stride; });
              return;
            }
            const value = readInteger(input, `layers[${i}].stride`);
            if (value != null) edit((s) => { s.layers[i].stride = value; });
          },
        });
        stride.placeholder = String(layer.pool_size);
        return [captioned('poolSize', size), captioned('stride', stride)];
      }
      default:
        return [];
    }
  }

  function layerRow(index, cells) {
    const row = document.createElement('li');
    row.className = 'layer';
    row.dataset.testid = `layer-${index}`;
    row.append(...cells);
    return row;
  }

  function cell(text, className, testid) {
    const element = document.createElement('span');
    element.className = className;
    element.textContent = text;
    if (testid) element.dataset.testid = testid;
    return element;
  }

  function button(label, testid, onClick, disabled = false) {
    const element = document.createElement('button');
    element.textContent = label.text;
    element.title = label.title;
    element.setAttribute('aria-label', label.title);
    element.dataset.testid = testid;
    element.disabled = disabled;
    element.addEventListener('click', onClick);
    return element;
  }

  function numberInput(value, { min, max, step, testid, label, onChange }) {
    const input = document.createElement('input');
    Object.assign(input, { type: 'number', value, min, max, step });
    input.dataset.testid = testid;
    input.setAttribute('aria-label', label);
    input.addEventListener('change', () => onChange(input));
    return input;
  }

  function renderLayers() {
    const { spec, summary } = state;
    const list = $('layers');
    const heading = layerRow('heading', [
      cell('', 'kind'),
      cell('', 'detail'),
      cell(t('shape'), 'shape'),
      cell(t('params'), 'params'),
    ]);
    heading.className = 'layer heading';
    const rows = [
      heading,
      layerRow('input', [
        cell(t('inputLayer'), 'kind'),
        cell(inputText(summary), 'detail', 'layer-input-detail'),
        cell(shapeText(summary.input_shape), 'shape', 'layer-input-shape'),
        cell('', 'params'),
      ]),
    ];

    spec.layers.forEach((layer, i) => {
      const info = summary.layers[i];
      const kind = document.createElement('select');
      kind.dataset.testid = `layer-${i}-type`;
      kind.setAttribute('aria-label', `${t('layerType')} (${i + 1})`);
      fillSelect(kind, LAYER_TYPES, (k) => t(`layer.${k}`), layer.type);
      kind.addEventListener('change', () => edit((s) => {
        s.layers[i] = newLayer(kind.value, info.units);
      }));

      const settings = document.createElement('span');
      settings.className = 'detail';
      settings.append(...layerSettings(layer, i));

      const last = spec.layers.length - 1;
      const move = (from, to) => edit((s) => {
        const [moved] = s.layers.splice(from, 1);
        s.layers.splice(to, 0, moved);
      });
      // Conv2D and pooling rows have several captioned fields, which get a line of their own.
      if (['conv2d', 'max_pool2d', 'avg_pool2d'].includes(layer.type)) {
        settings.classList.add('own-line');
      }
      rows.push(layerRow(i, [
        kind,
        settings,
        cell(shapeText(info.shape), 'shape', `layer-${i}-shape`),
        cell(info.parameters.toLocaleString(state.lang), 'params', `layer-${i}-params`),
        button({ text: '↑', title: t('moveUp') }, `layer-${i}-up`, () => move(i, i - 1), i === 0),
        button({ text: '↓', title: t('moveDown') }, `layer-${i}-down`, () => move(i, i + 1), i === last),
        button({ text: '✕', title: t('remove') }, `layer-${i}-remove`, () => edit((s) => {
          s.layers.splice(i, 1);
        })),
      ]));
    });

    const output = summary.layers[summary.layers.length - 1];
    rows.push(layerRow('output', [
      cell(t('outputLayer'), 'kind'),
      cell(`${t('layer.dense')} ${output.units}, ${ACTIVATION_LABELS[output.activation] ?? output.activation}`, 'detail', 'layer-output-detail'),
      cell(shapeText(output.shape), 'shape', 'layer-output-shape'),
      cell(output.parameters.toLocaleString(state.lang), 'params', 'layer-output-params'),
    ]));
    rows[rows.length - 1].title = t('outputNote');
    list.replaceChildren(...rows);
    $('total-params').textContent = t('totalParams', {
      count: summary.parameters.toLocaleString(state.lang),
    });
  }

  function renderOptimizerParams() {
    const { optimizer } = state.spec;
    const container = $('optimizer-params');
    const fields = OPTIMIZER_FIELDS[optimizer.type].map((name) => {
      const label = document.createElement('label');
      const text = document.createElement('span');
      text.textContent = t(FIELD_LABELS[name]);
      const input = numberInput(optimizer[name], {
        min: 0, max: name === 'learning_rate' ? 10 : 1, step: 'any',
        testid: name.replace('_', '-'), label: t(FIELD_LABELS[name]),
        onChange: (element) => {
          const value = readNumber(element, `optimizer.${name}`);
          if (value != null) edit((s) => { s.optimizer[name] = value; });
        },
      });
      label.append(text, input);
      return label;
    });
    if (optimizer.type === 'rmsprop') {
      const note = document.createElement('p');
      note.className = 'hint';
      note.textContent = t('rmspropNote');
      fields.push(note);
    }
    container.replaceChildren(...fields);
  }

  /** Shows the schedule's choice, its constants and warm-up, and draws its curve. */
  function renderSchedule() {
    const schedule = optionOf(state.spec, 'schedule');
    const { decay } = schedule;
    fillSelect($('schedule'), SCHEDULES, (type) => t(`schedule.${type}`), decay.type);
    $('warmup').value = schedule.warmup_epochs;
    const fields = Object.entries(SCHEDULE_FIELDS[decay.type]).map(([name, field]) => {
      const label = document.createElement('label');
      const text = document.createElement('span');
      text.textContent = t(field.label);
      const input = numberInput(decay[name], {
        min: field.min, max: field.max, step: field.step,
        testid: `schedule-${name.replace('_', '-')}`, label: t(field.label),
        onChange: (element) => {
          const path = `schedule.decay.${name}`;
          const value = field.integer ? readInteger(element, path) : readNumber(element, path);
          if (value == null || value === optionOf(state.spec, 'schedule').decay[name]) return;
          edit((s) => {
            s.schedule = optionOf(s, 'schedule');
            s.schedule.decay[name] = value;
          });
        },
      });
      label.append(text, input);
      return label;
    });
    $('schedule-params').replaceChildren(...fields);
    drawSchedule();
  }

  // ---- Events ----------------------------------------------------------------------------

  $('play').addEventListener('click', () => {
    if (state.finished) {
      state.playAfterReset = true;
      worker.postMessage({ type: 'reset', requestId: state.nextRequest++ });
    } else {
      worker.postMessage({ type: 'play' });
    }
  });
  $('pause').addEventListener('click', () => worker.postMessage({ type: 'pause' }));
  $('export-model').addEventListener('click', () => worker.postMessage({ type: 'export' }));
  for (const framework of ['keras', 'pytorch']) {
    $(`code-${framework}`).addEventListener('click', () => {
      state.codeFramework = framework;
      renderCode();
    });
  }
  const codeObserver = new IntersectionObserver((entries) => {
    if (!entries.some((entry) => entry.isIntersecting)) return;
    codeObserver.disconnect();
    state.codeSeen = true;
    renderCode();
  });
  codeObserver.observe(root.querySelector('[data-panel="code"]'));
  $('code-copy').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText($('code-text').textContent);
      $('status').textContent = t('code.copied');
    } catch {
      // Without clipboard permission, select the code so Ctrl+C copies it.
      getSelection().selectAllChildren($('code-text'));
      $('status').textContent = t('code.selected');
    }
  });

  /** Model files larger than this are rejected unread; the engine applies the same limit. */
  const MAX_MODEL_FILE_BYTES = 64 * 2 ** 20;

  $('import-model').addEventListener('change', async () => {
    const input = $('import-model');
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    if (file.size > MAX_MODEL_FILE_BYTES) {
      showError(t('fileTooLarge', {
        name: file.name,
        size: file.size.toLocaleString(state.lang),
        max: MAX_MODEL_FILE_BYTES.toLocaleString(state.lang),
      }));
      return;
    }
    const bytes = await file.arrayBuffer();
    const requestId = state.nextRequest++;
    state.proposedPreset = 'custom';
    state.pending.set(requestId, {
      resolve: () => { $('status').textContent = t('imported', { name: file.name }); },
      reject: () => {},
    });
    worker.postMessage({ type: 'import', requestId, bytes }, [bytes]);
  });
  $('step').addEventListener('click', () => worker.postMessage({ type: 'step' }));
  $('reset').addEventListener('click', () => {
    worker.postMessage({ type: 'reset', requestId: state.nextRequest++ });
  });

  $('preset').addEventListener('change', () => {
    const preset = state.presets.find((p) => p.id === $('preset').value);
    if (preset) propose(preset.spec, preset.id);
  });

  $('language').addEventListener('change', () => {
    state.lang = $('language').value;
    if (options.url) localStorage.setItem('dfdx-playground-language', state.lang);
    renderStaticText();
    render();
    renderError();
    renderNotice();
  });

  // A link pasted into the address bar of an open page.
  if (options.url) {
    window.addEventListener('hashchange', () => {
      if (state.presets.length && location.hash.length > 1) loadFragment(location.hash);
    });
  }

  $('add-layer').addEventListener('click', () => edit((s) => {
    const lastDense = [...s.layers].reverse().find((layer) => layer.type === 'dense');
    s.layers.push({ type: 'dense', units: lastDense?.units ?? 8, activation: 'relu' });
  }));

  $('data-set').addEventListener('change', () => edit((s) => {
    s.data.set = $('data-set').value;
    s.data.standardize = STANDARDIZED_SETS.includes(s.data.set);
    // The cross-entropy losses need classes, so a regression set starts with MSE.
    if (REGRESSION_SETS.includes(s.data.set) && CLASS_LOSSES.includes(s.loss)) {
      s.loss = 'mean_squared_error';
    }
    // The Worker fills in the file's shape for this label column and task.
    if (s.data.set === 'csv') {
      const { label_column, task } = state.csv.summary;
      s.data.csv = { label_column, task };
    } else {
      delete s.data.csv;
    }
  }));
  // A new label column gets its task detected again; the task select overrides detection.
  $('label-column').addEventListener('change', () => edit((s) => {
    s.data.csv = { label_column: Number($('label-column').value) };
  }));
  $('task').addEventListener('change', () => edit((s) => {
    s.data.csv = { label_column: Number($('label-column').value), task: $('task').value };
  }));
  $('upload-csv').addEventListener('change', async () => {
    const input = $('upload-csv');
    const file = input.files?.[0];
    input.value = '';
    if (!file || !state.spec) return;
    // Checked before reading, so a huge file is never loaded into memory.
    if (file.size > MAX_CSV_BYTES) {
      showError({
        key: 'csvFileTooLarge',
        values: {
          name: file.name,
          size: file.size.toLocaleString(state.lang),
          max: MAX_CSV_BYTES.toLocaleString(state.lang),
        },
      });
      render();
      return;
    }
    const text = await file.text();
    const next = structuredClone(state.spec);
    next.data.set = 'csv';
    next.data.standardize = true;
    // A new file starts with its last column as the label; the Worker fills in the shape.
    delete next.data.csv;
    // Binary cross-entropy fits only 2 classes; cross-entropy fits any number, so a file with
    // more classes is not rejected for the previous loss.
    if (next.loss === 'binary_cross_entropy') next.loss = 'cross_entropy';
    propose(next, 'custom', { name: file.name, text });
  });
  $('train-percent').addEventListener('change', () => {
    const value = readNumber($('train-percent'), 'data.train_percent');
    if (value != null) edit((s) => { s.data.train_percent = value; });
  });
  $('validation-percent').addEventListener('change', () => {
    const value = readNumber($('validation-percent'), 'data.validation_percent');
    if (value != null) edit((s) => { s.data.validation_percent = value; });
  });
  $('noise').addEventListener('change', () => {
    const value = readNumber($('noise'), 'data.noise');
    if (value != null) edit((s) => { s.data.noise = value; });
  });
  $('samples').addEventListener('change', () => {
    const value = readInteger($('samples'), 'data.samples');
    if (value != null) edit((s) => { s.data.samples = value; });
  });
  $('standardize').addEventListener('change', () => edit((s) => {
    s.data.standardize = $('standardize').checked;
  }));
  $('loss').addEventListener('change', () => edit((s) => { s.loss = $('loss').value; }));
  // The training options' inputs propose a spec only when their value differs from the
  // accepted one. Leaving a field fires another change event in Chromium, and a rebuild for it
  // would restart the charts and could overwrite a field being edited next.
  $('huber-delta').addEventListener('change', () => {
    const value = readNumber($('huber-delta'), 'huber_delta');
    if (value == null || value === optionOf(state.spec, 'huber_delta')) return;
    edit((s) => { s.huber_delta = value; });
  });
  $('schedule').addEventListener('change', () => edit((s) => {
    s.schedule = optionOf(s, 'schedule');
    s.schedule.decay = structuredClone(SCHEDULE_DEFAULTS[$('schedule').value]);
  }));
  $('warmup').addEventListener('change', () => {
    const value = readInteger($('warmup'), 'schedule.warmup_epochs');
    if (value == null || value === optionOf(state.spec, 'schedule').warmup_epochs) return;
    edit((s) => {
      s.schedule = optionOf(s, 'schedule');
      s.schedule.warmup_epochs = value;
    });
  });
  for (const name of ['l1', 'l2']) {
    $(name).addEventListener('change', () => {
      const value = readNumber($(name), `kernel_regularizer.${name}`);
      if (value == null || value === optionOf(state.spec, 'kernel_regularizer')[name]) return;
      edit((s) => {
        s.kernel_regularizer = optionOf(s, 'kernel_regularizer');
        s.kernel_regularizer[name] = value;
      });
    });
  }
  $('backend-setting').addEventListener('change', () => {
    state.backendSetting = $('backend-setting').value;
    // The backend is not part of the network, so the preset it came from stays selected.
    const preset = state.pending.size > 0 && state.proposedSpec ? state.proposedPreset : state.presetId;
    edit(() => {}, preset);
  });
  $('optimizer').addEventListener('change', () => edit((s) => {
    const type = $('optimizer').value;
    s.optimizer = { type, learning_rate: s.optimizer.learning_rate, ...OPTIMIZER_DEFAULTS[type] };
  }));
  $('batch-size').addEventListener('change', () => {
    const value = readInteger($('batch-size'), 'batch_size');
    if (value != null) edit((s) => { s.batch_size = value; });
  });
  $('epochs-input').addEventListener('change', () => {
    const value = readInteger($('epochs-input'), 'epochs');
    if (value != null) edit((s) => { s.epochs = value; });
  });
  $('seed').addEventListener('change', () => {
    const value = readInteger($('seed'), 'seed');
    if (value != null) edit((s) => { s.seed = value; });
  });

  $('metrics-toggle').addEventListener('click', () => {
    $('metrics-table').hidden = !$('metrics-table').hidden;
    renderMetrics();
  });

  if (options.panels) {
    for (const panel of root.querySelectorAll('[data-panel]')) {
      panel.hidden = !options.panels.includes(panel.dataset.panel);
    }
    // Without the views panel the Worker skips computing them.
    if (!options.panels.includes('views')) worker.postMessage({ type: 'views', enabled: false });
  }
  renderStaticText();
  $('status').textContent = t('loading');
}
