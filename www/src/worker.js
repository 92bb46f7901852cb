// Trains off the main thread. The page sends tagged commands and this Worker replies with tagged
// messages. Training runs in slices: about SLICE_MS of CPU batches, or one WebGPU epoch. Between
// slices the Worker yields to its event loop, so `pause`, `load` and `reset` arrive while a run
// is going.
import init, {
  dataFileName, describeCsv, gpuUnsupportedLayer, presets, Session,
} from '../pkg/dfdx_playground.js';
import { chooseBackend, probeAdapter } from './backend.js';

/** Maximum CPU training time between two checks of the message queue, in milliseconds. */
const SLICE_MS = 25;
/** Points per side of the grid the decision-boundary view evaluates the network on. */
const GRID_SIZE = 50;
/**
 * Multiply-adds one grid evaluation may take (points x parameters), about 3 ms at the wasm
 * matmul's 40 GFLOP/s. Larger networks get a coarser grid, down to MIN_GRID_SIZE.
 */
const GRID_BUDGET = 1.25e8;
const MIN_GRID_SIZE = 10;
/** Hidden units per layer whose activations the grid view sends (views.js draws as many). */
const MAX_GRID_UNITS = 16;
/** Minimum milliseconds between two view updates while training. */
const VIEWS_MIN_MS = 200;
/**
 * The views may take at most this share of the time while training: after an update that
 * took c ms, the next comes no sooner than c / VIEWS_TIME_SHARE ms later.
 */
const VIEWS_TIME_SHARE = 0.1;
/** Rows of one confusion-matrix cell sent to the page. */
const MAX_CELL_ROWS = 100;

/** The session in use: a CPU `Session` or a `GpuSession`, as `backend.kind` records. */
let session = null;
let backend = null;
let spec = null;
/** Weights imported from a model file, which Reset returns to; null for seeded weights. */
let initialValues = null;
/** The backend setting ("auto", "gpu" or "cpu") the current session was built for. */
let setting = 'auto';
/** Text of the data file the current session was built from, or undefined for built-in data. */
let dataText;
/**
 * The last accepted CSV upload: `{ name, text, summary }`. It is kept after switching to
 * another data set, so that the CSV set can be picked again; the text never leaves this Worker.
 */
let csv = null;
/** Texts of the shipped data files fetched so far, by file name. */
const fileTexts = new Map();
let running = false;
/** Whether the page shows the views; an embed without them skips their cost. */
let viewsEnabled = true;
/** CPU session that takes a WebGPU session's weights for the views; built on first use. */
let probe = null;
/** When the last views were sent (performance.now()) and how long computing them took. */
let viewsSentAt = -Infinity;
let viewsMs = 0;
/** Whether the current session's 2-D points went to the page already. */
let pointsSent = false;
/** Grid points per side for the current network (see GRID_BUDGET). */
let gridSize = GRID_SIZE;
/**
 * Set by the `simulate-gpu-failure` command, which the end-to-end tests send: the next WebGPU
 * epoch fails as a failed pipeline would, with the device still readable, so the switch to the
 * CPU can be tested without a failing GPU.
 */
let failNextGpuEpoch = false;
/** Set by the `simulate-gpu-loss` command: the next WebGPU epoch first destroys the device. */
let loseNextGpuDevice = false;
/** The wasm module's exports, from init(); the `memory` command reads their memory. */
let wasmExports = null;
/** Promise of the tools module (code export and model files), imported on first use. */
let toolsModule = null;
/** Promise of the WebGPU training module, imported when WebGPU is first picked. */
let gpuModule = null;
/** Set while a slice is queued or a WebGPU epoch is in flight. */
let scheduled = false;
let inFlight = false;
/**
 * Queues the next slice. It posts a MessageChannel message rather than calling setTimeout(0),
 * because browsers clamp nested timeouts to at least 4 ms, longer than a small network's epoch.
 */
const sliceChannel = new MessageChannel();
sliceChannel.port1.onmessage = () => {
  scheduled = false;
  tick();
};
function schedule() {
  if (scheduled) return;
  scheduled = true;
  sliceChannel.port2.postMessage(null);
}
/**
 * Milliseconds spent training during the epoch in progress, for the examples/s readout.
 * Workers without cross-origin isolation see performance.now() in 0.1 ms steps, so a single
 * small epoch reads coarsely.
 */
let epochMs = 0;

function post(type, payload = {}) {
  self.postMessage({ type, ...payload });
}

/** Copies the fields of an engine error, since an Error's own properties do not survive postMessage. */
function errorPayload(error) {
  return { message: String(error?.message ?? error), details: error?.details ?? null };
}

function stop() {
  running = false;
  post('state', { running: false });
}

/**
 * Finished epochs not yet sent. A small network finishes an epoch in under a millisecond, so
 * epochs are sent in one message per slice rather than one each, which would flood the page.
 */
let unsent = [];

function recordEpoch(metrics) {
  const seconds = epochMs / 1000;
  unsent.push({
    metrics,
    msPerEpoch: epochMs,
    examplesPerSecond: seconds > 0 ? metrics.examples / seconds : null,
  });
  epochMs = 0;
}

function sendEpochs() {
  if (unsent.length === 0) return;
  post('metrics', { epochs: unsent });
  unsent = [];
}

function finishIfDone() {
  if (!session.finished) return false;
  if (running) stop();
  post('done', { epochs: session.epoch });
  return true;
}

/**
 * Returns a CPU session holding the current weights: the session itself on the CPU, or the
 * probe with the weights read back from WebGPU.
 */
async function viewSession() {
  if (backend.kind !== 'gpu') return session;
  probe ??= new Session(spec, dataText);
  probe.setParameterValues(await session.parameterValues());
  return probe;
}

function dropProbe() {
  probe?.free();
  probe = null;
}

/**
 * Sends the decision-boundary grid (2-D data), the weights (2-D data), the gradient
 * diagnostics and the confusion matrix (classification) for the current weights. While
 * training, `force` is false and updates are spaced by VIEWS_MIN_MS and VIEWS_TIME_SHARE.
 */
async function sendViews(force) {
  if (!viewsEnabled || !session) return;
  const now = performance.now();
  if (!force && now - viewsSentAt < Math.max(VIEWS_MIN_MS, viewsMs / VIEWS_TIME_SHARE)) return;
  const current = session;
  try {
    const start = performance.now();
    const source = await viewSession();
    // A `load` during the read-back replaced the session: its own views follow.
    if (current !== session) return;
    const grid = source.gridView(gridSize, MAX_GRID_UNITS);
    const payload = { epoch: current.epoch, grid, diagnostics: source.diagnostics() };
    if (grid) {
      payload.weights = source.parameterValues();
      if (!pointsSent) payload.points = source.points();
      pointsSent = true;
    }
    const predictions = source.predictions();
    payload.confusion = {
      split: predictions.split,
      classNames: predictions.class_names,
      counts: predictions.confusion,
      rows: predictions.rows.length,
    };
    viewsMs = performance.now() - start;
    viewsSentAt = performance.now();
    payload.computeMs = viewsMs;
    const buffers = grid ? [grid.output.buffer, ...grid.layers.map((layer) => layer.values.buffer)] : [];
    self.postMessage({ type: 'views', ...payload }, buffers);
  } catch (error) {
    post('views', { error: errorPayload(error) });
  }
}

/** Sends the rows of one confusion-matrix cell with their scores and raw features. */
async function sendCell(actual, predicted) {
  if (!session) return;
  try {
    const source = await viewSession();
    const predictions = source.predictions();
    const matching = predictions.rows
      .filter((row) => row.label === actual && row.predicted === predicted);
    const shown = matching.slice(0, MAX_CELL_ROWS);
    const features = source.rawRows(predictions.split, shown.map((row) => row.id));
    post('cell', {
      actual,
      predicted,
      split: predictions.split,
      scoreKind: predictions.score_kind,
      classNames: predictions.class_names,
      total: matching.length,
      rows: shown.map((row, index) => ({ ...row, features: features[index] })),
    });
  } catch (error) {
    post('error', { error: errorPayload(error) });
  }
}

/** Trains one CPU slice, or one WebGPU epoch, then queues the next while running. */
async function tick() {
  if (!running || !session || inFlight) return;
  try {
    if (backend.kind === 'gpu') {
      await trainGpuEpoch();
    } else {
      trainCpuSlice();
    }
  } catch (error) {
    sendEpochs();
    if (error?.details?.code === 'gpu' && backend.kind === 'gpu') {
      switchToCpu(error);
      if (running) schedule();
      return;
    }
    stop();
    post('error', { error: errorPayload(error) });
    return;
  }
  const done = finishIfDone();
  await sendViews(done);
  if (!done && running) schedule();
}

function trainCpuSlice() {
  const start = performance.now();
  // Start of the training time not yet added to epochMs.
  let mark = start;
  while (performance.now() - start < SLICE_MS && !session.finished) {
    const metrics = session.runBatches(1);
    if (metrics) {
      epochMs += performance.now() - mark;
      recordEpoch(metrics);
      mark = performance.now();
    }
  }
  epochMs += performance.now() - mark;
  sendEpochs();
}

async function trainGpuEpoch() {
  const current = session;
  const start = performance.now();
  if (failNextGpuEpoch) {
    failNextGpuEpoch = false;
    throw pageError('a simulated WebGPU failure', { code: 'gpu', message: 'a simulated WebGPU failure' });
  }
  if (loseNextGpuDevice) {
    loseNextGpuDevice = false;
    current.destroyDevice();
  }
  inFlight = true;
  let metrics;
  try {
    metrics = await current.trainEpoch();
  } finally {
    inFlight = false;
  }
  // A `load` or `reset` that arrived during the epoch replaced the session: drop the result.
  if (current !== session) return;
  epochMs += performance.now() - start;
  if (metrics) recordEpoch(metrics);
  sendEpochs();
}

/**
 * Continues on the CPU after WebGPU failed in the middle of a run, from the weights and optimizer
 * state that the session copied to wasm memory after its last finished epoch. The copy needs no
 * device, so a lost device loses only the epoch it was training. Without a copy (a failure in
 * the first epoch) the run starts again.
 */
function switchToCpu(error) {
  const gpuSession = session;
  let saved = null;
  let next = null;
  try {
    saved = gpuSession.checkpoint();
    if (saved) next = Session.resume(spec, dataText, saved.values, saved.epoch, saved.optimizer);
  } catch (resumeError) {
    // A checkpoint that cannot be read or resumed is a bug. The run then starts again.
    console.error('The WebGPU checkpoint could not be resumed on the CPU:', resumeError);
    saved = null;
  }
  session = next ?? cpuSession(spec, initialValues, dataText);
  gpuSession.free();
  dropProbe();
  backend = { kind: 'cpu', reason: 'gpu-failed', adapter: backend.adapter };
  const notice = { message: error.message, kept: Boolean(saved), resumedFrom: saved?.epoch ?? 0 };
  post('backend', { backend, notice });
}

/** Losses that need class labels, which a regression target cannot train with. */
const CLASS_LOSSES = ['cross_entropy', 'binary_cross_entropy'];

/** Builds a CPU session, from imported weights when `values` is not null. */
function cpuSession(nextSpec, values, text) {
  return values ? Session.resume(nextSpec, text, values, 0) : new Session(nextSpec, text);
}

/** Builds an error shaped like the engine's, so that the page translates it by its code. */
function pageError(message, details) {
  return Object.assign(new Error(message), { details });
}

/**
 * Fetches a shipped data file from the page's own origin (www/build.mjs copies data/*.csv
 * into dist/data/) and keeps its text, because each edit builds a new session.
 */
async function shippedText(file) {
  if (!fileTexts.has(file)) {
    const url = new URL(`../data/${file}`, import.meta.url);
    let response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw pageError(`Could not load ${file} (${error.message}); reload the page.`,
        { code: 'data_fetch', file, message: error.message });
    }
    if (!response.ok) {
      const status = `HTTP ${response.status}`;
      throw pageError(`Could not load ${file} (${status}); reload the page.`,
        { code: 'data_fetch', file, message: status });
    }
    fileTexts.set(file, await response.text());
  }
  return fileTexts.get(file);
}

/**
 * Finds the text `nextSpec`'s data comes from: the shipped file, the uploaded CSV file
 * (`upload`, or the one kept from before) or none. For the CSV set it also parses the file
 * and writes its shape into `nextSpec.data.csv`, which the engine validates the spec with.
 * Throws the engine's error for a bad file.
 */
async function dataFor(nextSpec, upload) {
  if (nextSpec.data.set === 'csv') {
    const file = upload ?? csv;
    if (!file) {
      throw pageError('No CSV file is loaded; upload the file again with Upload CSV.',
        { code: 'data_text_missing', data: 'csv' });
    }
    // Without a task in the spec, the engine detects it from the label column.
    const summary = describeCsv(
      file.text,
      nextSpec.data.csv?.label_column ?? undefined,
      nextSpec.data.csv?.task ?? undefined,
    );
    nextSpec.data.csv = {
      label_column: summary.label_column,
      rows: summary.rows,
      features: summary.features,
      classes: summary.classes,
      task: summary.task,
    };
    // The cross-entropy losses need classes, so a newly uploaded regression file, or a task
    // switched to regression, trains with MSE. A loss the person picks for a regression file
    // already loaded reaches the engine, which rejects it with a message.
    const taskChanged = upload != null || csv?.summary?.task !== summary.task;
    if (taskChanged && summary.task === 'regression' && CLASS_LOSSES.includes(nextSpec.loss)) {
      nextSpec.loss = 'mean_squared_error';
    }
    return { text: file.text, csv: { name: file.name, text: file.text, summary } };
  }
  const file = dataFileName(nextSpec);
  return { text: file ? await shippedText(file) : undefined, csv: null };
}

/** Builds a session for `nextSpec` on the backend the setting picks. */
async function buildSession(nextSpec, nextSetting, values, text) {
  const probe = nextSetting === 'cpu' ? null : await probeAdapter();
  const choice = chooseBackend(nextSetting, probe, gpuUnsupportedLayer(nextSpec));
  if (choice.kind === 'gpu') {
    let createGpuSession;
    try {
      ({ createGpuSession } = await webgpu());
    } catch (error) {
      // Without the module there is no WebGPU path, so training runs on the CPU with the reason.
      const cpu = { kind: 'cpu', reason: 'gpu-failed', adapter: choice.adapter, error: error.message };
      return { session: cpuSession(nextSpec, values, text), backend: cpu };
    }
    try {
      const gpuSession = await createGpuSession(
        nextSpec, choice.allowFallback, values ?? undefined, text,
      );
      return { session: gpuSession, backend: choice };
    } catch (error) {
      // Spec errors are the user's to fix; only WebGPU failures fall back to the CPU.
      if (error?.details?.code !== 'gpu') throw error;
      const cpu = { kind: 'cpu', reason: 'gpu-failed', adapter: choice.adapter, error: error.message };
      return { session: cpuSession(nextSpec, values, text), backend: cpu };
    }
  }
  return { session: cpuSession(nextSpec, values, text), backend: choice };
}

/**
 * Builds a session for a new spec, from `values` when given and from the uploaded CSV file
 * `upload` ({ name, text }) when given; on failure the previous session, data and upload stay
 * as they were.
 */
async function load(requestId, nextSpec, nextSetting = setting, values = null, upload = null) {
  let built;
  let data;
  try {
    data = await dataFor(nextSpec, upload);
    built = await buildSession(nextSpec, nextSetting, values, data.text);
  } catch (error) {
    post('rejected', { requestId, error: errorPayload(error) });
    return;
  }
  dataText = data.text;
  if (data.csv) csv = data.csv;
  initialValues = values;
  if (running) stop();
  session?.free();
  dropProbe();
  pointsSent = false;
  session = built.session;
  const summary = session.summary();
  gridSize = Math.max(MIN_GRID_SIZE,
    Math.min(GRID_SIZE, Math.floor(Math.sqrt(GRID_BUDGET / Math.max(1, summary.parameters)))));
  backend = built.backend;
  setting = nextSetting;
  spec = session.spec();
  epochMs = 0;
  unsent = [];
  const csvShown = csv && { name: csv.name, summary: csv.summary };
  post('loaded', { requestId, spec, summary, backend, csv: csvShown });
  await sendViews(true);
}

async function step() {
  if (!session || running || inFlight) return;
  try {
    if (backend.kind === 'gpu') {
      await trainGpuEpoch();
    } else {
      const start = performance.now();
      const metrics = session.trainEpoch();
      epochMs += performance.now() - start;
      if (metrics) recordEpoch(metrics);
      sendEpochs();
    }
    finishIfDone();
    await sendViews(true);
  } catch (error) {
    sendEpochs();
    if (error?.details?.code === 'gpu' && backend.kind === 'gpu') {
      switchToCpu(error);
      return;
    }
    post('error', { error: errorPayload(error) });
  }
}

/** Imports the wasm module whose glue is `path`; resolves with its exports once instantiated. */
function lazyModule(path) {
  return import(path).then(async (module) => {
    await module.default();
    return module;
  });
}

/**
 * Resolves with the WebGPU module's exports: `createGpuSession` and `GpuSession`. It contains wgpu
 * and the WGSL kernels, which a visit that trains on the CPU never loads. A failed load is not
 * cached, so the next use retries.
 */
function webgpu() {
  gpuModule ??= lazyModule('../pkg/dfdx_playground_gpu.js').catch((error) => {
    gpuModule = null;
    throw error;
  });
  return gpuModule;
}

/**
 * Resolves with the tools module's exports: `encodeModel`, `decodeModel` and `generateCode`.
 * They live in a second wasm module, built from the same crate, so that the training module
 * that every visit loads stays small. A failed load is not cached, so the next use retries.
 */
function tools() {
  toolsModule ??= lazyModule('../pkg/dfdx_playground_tools.js').catch((error) => {
    toolsModule = null;
    throw error;
  });
  return toolsModule;
}

/**
 * Posts the code of `codeSpec` in `framework` once the tools module is loaded, without holding
 * up the command queue while it loads. Replies keep the order of the requests, because each
 * waits on the same promise.
 */
function sendCode(codeSpec, framework) {
  tools()
    .then(({ generateCode }) => post('code', { framework, text: generateCode(codeSpec, framework) }))
    .catch((error) => post('error', { error: errorPayload(error) }));
}

/** Sends the current network as a model file (safetensors layout). */
async function exportModel() {
  if (!session) return;
  try {
    const values = backend.kind === 'gpu'
      ? await session.parameterValues()
      : session.parameterValues();
    const { encodeModel } = await tools();
    const bytes = encodeModel(spec, values);
    self.postMessage({ type: 'exported', bytes }, [bytes.buffer]);
  } catch (error) {
    post('error', { error: errorPayload(error) });
  }
}

/** Loads a model file's spec and weights; a malformed file leaves everything as it was. */
async function importModel(requestId, bytes) {
  let model;
  try {
    const { decodeModel } = await tools();
    model = decodeModel(new Uint8Array(bytes));
  } catch (error) {
    post('rejected', { requestId, error: errorPayload(error) });
    return;
  }
  await load(requestId, model.spec, setting, model.values);
}

/**
 * Measurement hook for bench/page.mjs: sends the wasm module's linear memory size and this
 * Worker's JS heap in bytes, with the epochs trained so far. jsHeapBytes is
 * performance.memory.usedJSHeapSize where the browser offers it; Chromium 156 offers it on the
 * main thread only, so here it is null. When the browser exposes gc() (Chromium's
 * --js-flags=--expose-gc), garbage is collected first.
 */
function postMemory() {
  globalThis.gc?.();
  post('memory', {
    wasmBytes: wasmExports?.memory.buffer.byteLength ?? null,
    jsHeapBytes: performance.memory?.usedJSHeapSize ?? null,
    epoch: session?.epoch ?? null,
  });
}

/** Commands run one at a time, in arrival order, because `load` awaits a device request. */
let queue = Promise.resolve();

self.onmessage = ({ data }) => {
  queue = queue.then(() => handle(data));
};

async function handle(data) {
  switch (data.type) {
    case 'load':
      await load(data.requestId, data.spec, data.backend ?? setting);
      break;
    case 'upload':
      await load(data.requestId, data.spec, data.backend ?? setting, null,
        { name: data.name, text: data.text });
      break;
    case 'play':
      if (session && !running && !session.finished) {
        running = true;
        post('state', { running: true });
        schedule();
      }
      break;
    case 'pause':
      if (running) {
        stop();
        await sendViews(true);
      }
      break;
    case 'views':
      viewsEnabled = data.enabled;
      if (viewsEnabled) await sendViews(true);
      break;
    case 'cell':
      await sendCell(data.actual, data.predicted);
      break;
    case 'step':
      await step();
      break;
    case 'reset':
      if (spec) await load(data.requestId, spec, setting, initialValues);
      break;
    case 'export':
      await exportModel();
      break;
    case 'code':
      if (spec) sendCode(spec, data.framework);
      break;
    case 'import':
      await importModel(data.requestId, data.bytes);
      break;
    case 'memory':
      postMemory();
      break;
    case 'simulate-gpu-failure':
      failNextGpuEpoch = true;
      break;
    case 'simulate-gpu-loss':
      loseNextGpuDevice = true;
      break;
    default:
      post('error', { error: { message: `Unknown command: ${data.type}`, details: null } });
  }
}

init()
  .then((exports) => {
    wasmExports = exports;
    post('ready', { presets: presets(), webgpu: 'gpu' in navigator });
  })
  .catch((error) => post('failed', { error: errorPayload(error) }));
