// Trains one preset in the page's own Worker on the CPU path and on forced WebGPU. It prints
// each backend's median ms per epoch, leaving out the first epoch as a warm-up, with the
// per-epoch training losses, so that speed and agreement can be read side by side. Headless
// Chromium runs with --enable-unsafe-webgpu, which offers SwiftShader where there is no
// hardware GPU.
//
//   scripts/build.sh && node bench/backends.mjs [preset] [epochs]
//
// The defaults are the Digits conv net preset and 6 epochs.
import { launchBrowser, startServer } from '../www/tests/browser.mjs';

const preset = process.argv[2] ?? 'digits-conv';
const epochs = Number(process.argv[3] ?? 6);

/** Trains `preset` for `epochs` in a fresh Worker with the backend setting `backend`. */
async function train(page, backend) {
  return page.evaluate(async ({ preset, epochs, backend }) => {
    const worker = new Worker('/src/worker.js', { type: 'module' });
    const timings = [];
    const losses = [];
    let chosen = null;
    try {
      await new Promise((resolve, reject) => {
        worker.onmessage = ({ data }) => {
          if (data.type === 'ready') {
            const spec = { ...data.presets.find((p) => p.id === preset).spec, epochs };
            worker.postMessage({ type: 'load', requestId: 1, spec, backend });
          } else if (data.type === 'loaded') {
            chosen = data.backend;
            worker.postMessage({ type: 'play' });
          } else if (data.type === 'metrics') {
            for (const epoch of data.epochs) {
              timings.push(epoch.msPerEpoch);
              losses.push(epoch.metrics.train_loss);
            }
          } else if (data.type === 'done') {
            resolve();
          } else if (['error', 'rejected', 'failed'].includes(data.type)) {
            reject(new Error(data.error.message));
          }
        };
      });
    } finally {
      worker.terminate();
    }
    return { timings, losses, chosen };
  }, { preset, epochs, backend });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const server = await startServer();
const browser = await launchBrowser({ webgpu: true });
try {
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/`);
  for (const backend of ['cpu', 'gpu']) {
    const run = await train(page, backend);
    const adapter = run.chosen.adapter ? ` (${run.chosen.adapter.architecture || run.chosen.adapter.vendor})` : '';
    console.log(
      `${preset} on ${run.chosen.kind}${adapter}: ${median(run.timings.slice(1)).toFixed(1)} ms/epoch; ` +
        `training losses ${run.losses.map((loss) => loss.toFixed(6)).join(' ')}`,
    );
  }
} finally {
  await browser.close();
  server.close();
}
