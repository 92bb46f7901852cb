// Trains off the main thread. The page sends tagged commands and this Worker replies with tagged
// messages. Training runs in slices of about SLICE_MS; between slices the Worker yields to its
// event loop, so `pause`, `load` and `reset` arrive while an epoch is running.
import init, { presets, Session } from '../pkg/dfdx_playground.js';

/** Maximum training time between two checks of the message queue, in milliseconds. */
const SLICE_MS = 25;

let session = null;
let spec = null;
let running = false;
/** Set while a slice is queued. */
let scheduled = false;
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
 * Milliseconds spent in training calls during the epoch in progress, for the examples/s
 * readout. Workers without cross-origin isolation see performance.now() in 0.1 ms steps, so
 * a single small epoch reads coarsely.
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

/** Trains one slice, reports a finished epoch, and schedules the next slice while running. */
function tick() {
  if (!running || !session) return;
  const start = performance.now();
  // Start of the training time not yet added to epochMs.
  let mark = start;
  try {
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
  } catch (error) {
    sendEpochs();
    stop();
    post('error', { error: errorPayload(error) });
    return;
  }
  if (session.finished) {
    stop();
    post('done', { epochs: session.epoch });
    return;
  }
  schedule();
}

/** Builds a session for a new spec; on failure the previous session stays as it was. */
function load(requestId, nextSpec) {
  let next;
  try {
    next = new Session(nextSpec);
  } catch (error) {
    post('rejected', { requestId, error: errorPayload(error) });
    return;
  }
  if (running) stop();
  session?.free();
  session = next;
  spec = session.spec();
  epochMs = 0;
  unsent = [];
  post('loaded', { requestId, spec, summary: session.summary() });
}

function step() {
  if (!session || running) return;
  try {
    const start = performance.now();
    const metrics = session.trainEpoch();
    epochMs += performance.now() - start;
    if (metrics) recordEpoch(metrics);
    sendEpochs();
    if (session.finished) post('done', { epochs: session.epoch });
  } catch (error) {
    sendEpochs();
    post('error', { error: errorPayload(error) });
  }
}

self.onmessage = ({ data }) => {
  switch (data.type) {
    case 'load':
      load(data.requestId, data.spec);
      break;
    case 'play':
      if (session && !running && !session.finished) {
        running = true;
        post('state', { running: true });
        tick();
      }
      break;
    case 'pause':
      if (running) stop();
      break;
    case 'step':
      step();
      break;
    case 'reset':
      if (spec) load(data.requestId, spec);
      break;
    default:
      post('error', { error: { message: `Unknown command: ${data.type}`, details: null } });
  }
};

init()
  .then(() => post('ready', { presets: presets() }))
  .catch((error) => post('failed', { error: errorPayload(error) }));
