// The benchmark: trains the same workloads with the playground (its own page Worker, on the CPU
// path and on the WebGPU path) and with TensorFlow.js 4.22 (cpu, wasm, webgl and webgpu
// backends) in one headless Chromium, and reports milliseconds per epoch and their ratios.
// Writes bench/results.json and prints the Markdown tables that docs/benchmarks.md records.
//
//   scripts/build.sh && node bench/page.mjs
//
// --quick skips the slowest TensorFlow.js runs (webgl and webgpu) for a look in a minute.
import { writeFile, readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { launchBrowser, startServer } from '../www/tests/browser.mjs';
import { measureTfjs, WORKLOADS as TFJS_WORKLOADS } from './tfjs.mjs';

/**
 * Workloads, each the playground's version of a TensorFlow.js workload in bench/tfjs.mjs: a
 * preset with some fields replaced by `override`. `epochs` is how long the playground trains for
 * timing (the first epoch is a warm-up and is left out); its accuracy is read at the epoch
 * count of the TensorFlow.js run, so both are compared after the same training.
 */
const WORKLOADS = [
  { tfjs: 'iris', preset: 'keras-iris', epochs: 201 },
  {
    tfjs: 'wide',
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
  {
    tfjs: 'spiral',
    preset: 'spiral',
    epochs: 201,
    override: {
      data: { set: 'spiral', samples: 500, train_percent: 100, noise: 0, standardize: false },
      layers: [
        { type: 'dense', units: 8, activation: 'tanh' },
        { type: 'dense', units: 8, activation: 'tanh' },
      ],
      loss: 'binary_cross_entropy',
      optimizer: { type: 'sgd', learning_rate: 0.03, momentum: 0 },
      batch_size: 10,
    },
  },
];
const OUR_BACKENDS = ['cpu', 'gpu'];
const TFJS_BACKENDS = ['cpu', 'wasm', 'webgl', 'webgpu'];
/**
 * TensorFlow.js epochs on its slow backends, in place of the workload's full count, so that the
 * whole run stays under 10 minutes: on SwiftShader one spiral epoch takes over 5 s on webgpu.
 */
const TFJS_EPOCH_CAP = { webgl: 21, webgpu: 11 };

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Trains one workload in a fresh Worker of the page; returns per-epoch times and metrics. */
async function measureOurs(page, workload, backend) {
  return page.evaluate(async ({ preset, epochs, override, backend }) => {
    const worker = new Worker('/src/worker.js', { type: 'module' });
    const timings = [];
    const accuracies = [];
    let firstMessage = 0;
    let lastMessage = 0;
    let firstCount = 0;
    let chosen = null;
    try {
      await new Promise((resolve, reject) => {
        worker.onmessage = ({ data }) => {
          if (data.type === 'ready') {
            const spec = { ...data.presets.find((p) => p.id === preset).spec, ...override, epochs };
            worker.postMessage({ type: 'load', requestId: 1, spec, backend });
          } else if (data.type === 'loaded') {
            chosen = data.backend;
            worker.postMessage({ type: 'play' });
          } else if (data.type === 'metrics') {
            // The Worker sends the epochs of each slice together.
            if (timings.length === 0) {
              firstMessage = performance.now();
              firstCount = data.epochs.length;
            } else {
              lastMessage = performance.now();
            }
            for (const epoch of data.epochs) {
              timings.push(epoch.msPerEpoch);
              accuracies.push(epoch.metrics.train_accuracy);
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
    return { timings, accuracies, wallMs: lastMessage - firstMessage, firstCount, chosen };
  }, { ...workload, backend });
}

function backendName(chosen) {
  if (chosen.kind !== 'gpu') return 'CPU (wasm)';
  const adapter = [chosen.adapter?.vendor, chosen.adapter?.architecture].filter(Boolean).join(' ');
  return `WebGPU (${adapter || 'adapter'})`;
}

const quick = process.argv.includes('--quick');
execFileSync(process.execPath, [fileURLToPath(new URL('./prepare.mjs', import.meta.url))], { stdio: 'inherit' });
const loadBefore = loadavg()[0];
const server = await startServer();
const browser = await launchBrowser({ webgpu: true });
const results = [];
let userAgent = '';
try {
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/`);
  userAgent = await page.evaluate(() => navigator.userAgent);
  for (const workload of WORKLOADS) {
    const tfjsWorkload = TFJS_WORKLOADS.find((w) => w.name === workload.tfjs);
    const entry = { workload: tfjsWorkload.title, ours: [], tfjs: [] };
    for (const backend of OUR_BACKENDS) {
      const run = await measureOurs(page, workload, backend);
      const wallEpochs = run.timings.length - run.firstCount;
      entry.ours.push({
        backend: backendName(run.chosen),
        epochs: run.timings.length - 1,
        median_ms_per_epoch: median(run.timings.slice(1)),
        wall_ms_per_epoch: wallEpochs > 0 ? run.wallMs / wallEpochs : null,
        accuracy: run.accuracies[Math.min(tfjsWorkload.epochs, run.accuracies.length) - 1],
      });
      console.error(`playground ${backend} ${workload.tfjs}: ${entry.ours.at(-1).median_ms_per_epoch.toFixed(2)} ms/epoch`);
    }
    for (const backend of TFJS_BACKENDS) {
      if (quick && (backend === 'webgl' || backend === 'webgpu')) continue;
      const epochs = Math.min(tfjsWorkload.epochs, TFJS_EPOCH_CAP[backend] ?? Infinity);
      const tfjsPage = await browser.context.newPage();
      await tfjsPage.goto(`${server.origin}/`);
      const result = await measureTfjs(tfjsPage, { ...tfjsWorkload, epochs }, backend);
      await tfjsPage.close();
      entry.tfjs.push({
        backend,
        epochs: result.error ? 0 : result.msPerEpochs.length - 1,
        median_ms_per_epoch: result.msPerEpochMedian ?? null,
        accuracy: epochs === tfjsWorkload.epochs ? result.finalAccuracy ?? null : null,
        error: result.error,
      });
      console.error(`TF.js ${backend} ${workload.tfjs}: ${result.error ?? `${result.msPerEpochMedian.toFixed(2)} ms/epoch`}`);
    }
    results.push(entry);
  }
  await page.close();
} finally {
  await browser.close();
  server.close();
}

const wasm = await readFile(new URL('../dist/pkg/dfdx_playground_bg.wasm', import.meta.url));
const sizes = { raw_bytes: wasm.length, gzip_bytes: gzipSync(wasm, { level: 9 }).length };
const machine = `${cpus().length} × ${cpus()[0].model}`;
const load = { before: loadBefore, after: loadavg()[0] };
const report = { date: new Date().toISOString(), machine, userAgent, load, wasm: sizes, results };
await writeFile(new URL('./results.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);

const format = (value, digits = 2) => (value == null ? '–' : value.toFixed(digits));
console.log(`Machine: ${machine}; ${userAgent}`);
console.log(`Load average (1 min): ${format(load.before)} at the start, ${format(load.after)} at the end\n`);
console.log('| workload | engine | backend | epochs timed | median ms/epoch | training accuracy |');
console.log('|---|---|---|---|---|---|');
for (const entry of results) {
  for (const r of entry.ours) {
    console.log(`| ${entry.workload} | playground | ${r.backend} | ${r.epochs} | ${format(r.median_ms_per_epoch)} | ${format(r.accuracy, 3)} |`);
  }
  for (const r of entry.tfjs) {
    const time = r.error ? `failed: ${r.error.replaceAll('|', '/')}` : format(r.median_ms_per_epoch);
    console.log(`| ${entry.workload} | TF.js 4.22 | ${r.backend} | ${r.epochs} | ${time} | ${format(r.accuracy, 3)} |`);
  }
}
// Each ratio is TensorFlow.js's ms per epoch divided by the playground's: above 1, the
// playground is faster.
console.log('\n| workload | best TF.js ÷ playground CPU | TF.js webgpu ÷ playground WebGPU |');
console.log('|---|---|---|');
for (const entry of results) {
  const timed = entry.tfjs.filter((r) => r.median_ms_per_epoch != null);
  const best = timed.reduce((a, b) => (b.median_ms_per_epoch < a.median_ms_per_epoch ? b : a), timed[0]);
  const webgpu = timed.find((r) => r.backend === 'webgpu');
  const [cpu, gpu] = entry.ours;
  const ratio = (tfjs, ours) => (tfjs && ours ? `${(tfjs.median_ms_per_epoch / ours.median_ms_per_epoch).toFixed(1)}×` : '–');
  console.log(`| ${entry.workload} | ${ratio(best, cpu)} (TF.js ${best?.backend}) | ${ratio(webgpu, gpu)} |`);
}
console.log(`\nwasm module: ${sizes.raw_bytes} bytes, ${sizes.gzip_bytes} bytes gzipped (gzip -9)`);
