// Measures training speed in headless Chromium: the page's own Worker trains each workload on
// the CPU (wasm) path and on the WebGPU path, and reports milliseconds per epoch. Prints a
// Markdown table and writes bench/results.json. Run `scripts/build.sh` first, then
// `node bench/page.mjs` from the repository root.
import { writeFile, readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { cpus } from 'node:os';
import { launchBrowser, startServer } from '../www/tests/browser.mjs';

/**
 * Workloads: a preset, with some of its fields replaced by `override`. `epochs` includes a first warm-up epoch that
 * is left out. Two numbers are reported: the median of the Worker's per-epoch training time,
 * and the page's wall-clock time between the first and the last message of epochs, divided
 * by the epochs in between, which includes messaging and the Worker's yields.
 */
const WORKLOADS = [
  { name: 'Keras Iris preset (150 rows, 4-64-64-3, batch 32)', preset: 'keras-iris', epochs: 201 },
  { name: 'Spiral preset (250 rows, 2-8-8-8-1, batch 10)', preset: 'spiral', epochs: 201 },
  {
    name: 'Wide MLP (8,192 rows, 784-256-256-10, batch 128)',
    preset: 'keras-iris',
    epochs: 4,
    override: {
      data: { set: 'teacher', samples: 8192, train_percent: 100, noise: 0, standardize: false },
      layers: [
        { type: 'dense', units: 256, activation: 'relu' },
        { type: 'dense', units: 256, activation: 'relu' },
      ],
      batch_size: 128,
    },
  },
];
const BACKENDS = ['cpu', 'gpu'];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Trains one workload in a fresh Worker of the page; returns per-epoch times and wall time. */
async function measure(page, workload, backend) {
  return page.evaluate(async ({ preset, epochs, override, backend }) => {
    const worker = new Worker('/src/worker.js', { type: 'module' });
    const timings = [];
    let firstMessage = 0;
    let lastMessage = 0;
    let firstCount = 0;
    let adapter = null;
    let chosen = null;
    let accuracy = null;
    try {
      await new Promise((resolve, reject) => {
        worker.onmessage = ({ data }) => {
          if (data.type === 'ready') {
            const spec = { ...data.presets.find((p) => p.id === preset).spec, ...override, epochs };
            worker.postMessage({ type: 'load', requestId: 1, spec, backend });
          } else if (data.type === 'loaded') {
            chosen = data.backend.kind;
            adapter = data.backend.adapter;
            worker.postMessage({ type: 'play' });
          } else if (data.type === 'metrics') {
            // The Worker sends the epochs of each slice together.
            if (timings.length === 0) {
              firstMessage = performance.now();
              firstCount = data.epochs.length;
            } else {
              lastMessage = performance.now();
            }
            timings.push(...data.epochs.map((epoch) => epoch.msPerEpoch));
            accuracy = data.epochs.at(-1).metrics.train_accuracy;
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
    return { timings, wallMs: lastMessage - firstMessage, firstCount, chosen, adapter, accuracy };
  }, { ...workload, backend });
}

const server = await startServer();
const browser = await launchBrowser({ webgpu: true });
const results = [];
try {
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/`);
  for (const workload of WORKLOADS) {
    for (const backend of BACKENDS) {
      const run = await measure(page, workload, backend);
      const measured = run.timings.slice(1);
      const wallEpochs = run.timings.length - run.firstCount;
      results.push({
        workload: workload.name,
        backend: run.chosen === 'gpu' ? `WebGPU (${run.adapter?.vendor || 'adapter'} ${run.adapter?.architecture || ''})`.replace(' )', ')') : 'CPU (wasm)',
        epochs: measured.length,
        median_ms_per_epoch: median(measured),
        wall_ms_per_epoch: wallEpochs > 0 ? run.wallMs / wallEpochs : null,
        final_train_accuracy: run.accuracy,
      });
    }
  }
  await page.close();
} finally {
  await browser.close();
  server.close();
}

const wasm = await readFile(new URL('../dist/pkg/dfdx_playground_bg.wasm', import.meta.url));
const sizes = { raw_bytes: wasm.length, gzip_bytes: gzipSync(wasm, { level: 9 }).length };
const machine = `${cpus().length} × ${cpus()[0].model}`;
const report = { date: new Date().toISOString(), machine, wasm: sizes, results };
await writeFile(new URL('./results.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);

const format = (value) => (value == null ? '–' : value.toFixed(3));
console.log(`Machine: ${machine}\n`);
console.log('| workload | backend | epochs measured | median training ms/epoch | wall-clock ms/epoch | final training accuracy |');
console.log('|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.workload} | ${r.backend} | ${r.epochs} | ${format(r.median_ms_per_epoch)} | ${format(r.wall_ms_per_epoch)} | ${format(r.final_train_accuracy)} |`);
}
console.log(`\nwasm module: ${sizes.raw_bytes} bytes, ${sizes.gzip_bytes} bytes gzipped (gzip -9)`);
