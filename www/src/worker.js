// Trains off the main thread. The page sends tagged commands and this Worker answers with tagged
// messages; training runs in slices of about SLICE_MS, and a zero-delay timeout between slices
// lets `pause`, `load` and `reset` arrive while an epoch is running.
import init, { presets, Session } from '../pkg/dfdx_playground.js';

/** Longest stretch of training between two looks at the message queue, in milliseconds. */
const SLICE_MS = 25;

let session = null;
let spec = null;
let running = false;
let timer = null;
/** Training time (ms) and examples of the epoch in progress, for the examples/s readout. */
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
  clearTimeout(timer);
  timer = null;
  post('state', { running: false });
}

function sendMetrics(metrics) {
  const seconds = epochMs / 1000;
  post('metrics', {
    metrics,
    msPerEpoch: epochMs,
    examplesPerSecond: seconds > 0 ? metrics.examples / seconds : null,
  });
  epochMs = 0;
}

/** Trains one slice, reports a finished epoch, and schedules the next slice while running. */
function tick() {
  timer = null;
  if (!running || !session) return;
  const start = performance.now();
  try {
    while (performance.now() - start < SLICE_MS) {
      const sliceStart = performance.now();
      const metrics = session.runBatches(1);
      epochMs += performance.now() - sliceStart;
      if (metrics) {
        sendMetrics(metrics);
        break;
      }
      if (session.finished) break;
    }
  } catch (error) {
    stop();
    post('error', { error: errorPayload(error) });
    return;
  }
  if (session.finished) {
    stop();
    post('done', { epochs: session.epoch });
    return;
  }
  timer = setTimeout(tick, 0);
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
  post('loaded', { requestId, spec, summary: session.summary() });
}

function step() {
  if (!session || running) return;
  try {
    const start = performance.now();
    const metrics = session.trainEpoch();
    epochMs += performance.now() - start;
    if (metrics) sendMetrics(metrics);
    if (session.finished) post('done', { epochs: session.epoch });
  } catch (error) {
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
