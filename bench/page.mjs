// Measures training speed in headless Chromium: the page's own Worker trains presets and
// reports the milliseconds each epoch spent in wasm. Prints a Markdown table and writes
// bench/results.json. Run `scripts/build.sh` first, then `node bench/page.mjs` from the repo
// root (www/node_modules provides playwright-core).
import { writeFile, readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { cpus } from 'node:os';
import { launchBrowser, startServer } from '../www/tests/browser.mjs';

/**
 * Epochs per workload; the first is a warm-up and is left out. Two numbers are reported: the
 * median of the Worker's per-epoch training time, and the page's wall-clock time between the
 * first and the last message of epochs, divided by the epochs in between, which includes
 * messaging and the Worker's yields.
 */
const WORKLOADS = [
  { name: 'Keras Iris preset (150 rows, 4-64-64-3, batch 32)', preset: 'keras-iris', epochs: 1001 },
  { name: 'Spiral preset (250 rows, 2-8-8-8-1, batch 10)', preset: 'spiral', epochs: 2001 },
];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const server = await startServer();
const browser = await launchBrowser();
const results = [];
try {
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/`);
  for (const workload of WORKLOADS) {
    const timings = await page.evaluate(async ({ preset, epochs }) => {
      const worker = new Worker('/src/worker.js', { type: 'module' });
      const timings = [];
      let firstEpochEnd = 0;
      let lastEpochEnd = 0;
      let firstBatchSize = 0;
      await new Promise((resolve, reject) => {
        worker.onmessage = ({ data }) => {
          if (data.type === 'ready') {
            const spec = data.presets.find((p) => p.id === preset).spec;
            worker.postMessage({ type: 'load', requestId: 1, spec: { ...spec, epochs } });
          } else if (data.type === 'loaded') {
            worker.postMessage({ type: 'play' });
          } else if (data.type === 'metrics') {
            // The Worker sends the epochs of each 25 ms slice together.
            if (timings.length === 0) {
              firstEpochEnd = performance.now();
              firstBatchSize = data.epochs.length;
            }
            else lastEpochEnd = performance.now();
            timings.push(...data.epochs.map((epoch) => epoch.msPerEpoch));
          } else if (data.type === 'done') {
            resolve();
          } else if (['error', 'rejected', 'failed'].includes(data.type)) {
            reject(new Error(data.error.message));
          }
        };
      });
      worker.terminate();
      return { timings, wallMs: lastEpochEnd - firstEpochEnd, firstBatch: firstBatchSize };
    }, workload);
    const measured = timings.timings.slice(1);
    results.push({
      workload: workload.name,
      epochs: measured.length,
      median_ms_per_epoch: median(measured),
      // Wall-clock time covers the epochs after the first message.
      wall_ms_per_epoch: timings.wallMs / (timings.timings.length - timings.firstBatch),
    });
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

console.log(`Machine: ${machine}\n`);
console.log('| workload | epochs measured | median training ms/epoch | wall-clock ms/epoch |');
console.log('|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.workload} | ${r.epochs} | ${r.median_ms_per_epoch.toFixed(3)} | ${r.wall_ms_per_epoch.toFixed(3)} |`);
}
console.log(`\nwasm module: ${sizes.raw_bytes} bytes, ${sizes.gzip_bytes} bytes gzipped (gzip -9)`);
