// The benchmark: trains the same workloads with the playground (its own page Worker, on the CPU
// path and on the WebGPU path) and with TensorFlow.js 4.22 (cpu, wasm, webgl and webgpu
// backends) in one headless Chromium. It reports milliseconds per epoch and their ratios. Then
// bench/checks.mjs checks the page itself: time to the first epoch, main-thread long tasks while
// training, and memory over 1,000 digits epochs. Each result is compared with its target
// (SPEED_TARGETS and the MAX_ constants below). Writes bench/results.json and prints the
// Markdown tables that docs/benchmarks.md records.
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
import { runPageChecks } from './checks.mjs';

/**
 * Workloads, each the playground's version of a TensorFlow.js workload in bench/tfjs.mjs: a
 * preset with some fields replaced by `override`. `epochs` is how long the playground trains for
 * timing (the first epoch is a warm-up and is left out); its accuracy is read at the epoch
 * count of the TensorFlow.js run, so both are compared after the same training.
 */
const WORKLOADS = [
  { tfjs: 'iris', preset: 'keras-iris', epochs: 201 },
  {
    tfjs: 'digits',
    preset: 'digits',
    epochs: 101,
    override: {
      data: { set: 'digits', samples: 500, train_percent: 100, noise: 0, standardize: false },
    },
  },
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
/**
 * Minimum ratio of the best TensorFlow.js backend's ms per epoch to the playground CPU's, by
 * bench/tfjs.mjs workload name.
 */
const SPEED_TARGETS = { iris: 10, digits: 5, wide: 5, spiral: 10 };
/** Minimum ratio of TensorFlow.js webgpu's ms per epoch to the playground's WebGPU path's. */
const WEBGPU_SPEED_TARGET = 5;
/** Targets of the page checks: growth in percent, times in ms, size in bytes (300 KB). */
const MAX_MEMORY_GROWTH_PERCENT = 5;
const MAX_MAIN_THREAD_TASK_MS = 50;
const MAX_FIRST_EPOCH_MS = 1000;
const MAX_WASM_GZIP_BYTES = 300_000;
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
            // Training alone is compared with TensorFlow.js, so the page's views are off.
            worker.postMessage({ type: 'views', enabled: false });
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
const results = [];
let userAgent = '';
let checks;
try {
  const browser = await launchBrowser({ webgpu: true });
  try {
    const page = await browser.context.newPage();
    await page.goto(`${server.origin}/`);
    userAgent = await page.evaluate(() => navigator.userAgent);
    for (const workload of WORKLOADS) {
      const tfjsWorkload = TFJS_WORKLOADS.find((w) => w.name === workload.tfjs);
      const entry = { name: workload.tfjs, workload: tfjsWorkload.title, ours: [], tfjs: [] };
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
  }
  console.error('Checking the page: first epoch, long tasks, memory over 1,000 epochs');
  checks = await runPageChecks(server.origin);
} finally {
  server.close();
}

const wasm = await readFile(new URL('../dist/pkg/dfdx_playground_bg.wasm', import.meta.url));
const sizes = { raw_bytes: wasm.length, gzip_bytes: gzipSync(wasm, { level: 9 }).length };
const machine = `${cpus().length} × ${cpus()[0].model}`;
const load = { before: loadBefore, after: loadavg()[0] };

// Each ratio is TensorFlow.js's ms per epoch divided by the playground's: above 1, the
// playground is faster.
for (const entry of results) {
  const timed = entry.tfjs.filter((r) => r.median_ms_per_epoch != null);
  const best = timed.reduce((a, b) => (b.median_ms_per_epoch < a.median_ms_per_epoch ? b : a), timed[0]);
  const webgpu = timed.find((r) => r.backend === 'webgpu');
  const [cpu, gpu] = entry.ours;
  const ratio = (tfjs, ours) => (tfjs && ours ? tfjs.median_ms_per_epoch / ours.median_ms_per_epoch : null);
  entry.ratios = {
    best_tfjs_backend: best?.backend ?? null,
    best_tfjs_over_cpu: ratio(best, cpu),
    tfjs_webgpu_over_webgpu: ratio(webgpu, gpu),
  };
}

const growthPercent = (first, last, field) =>
  first[field] != null && last[field] != null ? ((last[field] - first[field]) / first[field]) * 100 : null;
const firstSample = checks.memory[0];
const lastSample = checks.memory.at(-1);
checks.memory_growth_percent = {
  from_epoch: firstSample.epoch,
  to_epoch: lastSample.epoch,
  wasm: growthPercent(firstSample, lastSample, 'wasm_bytes'),
  page_heap: growthPercent(firstSample, lastSample, 'page_heap_bytes'),
  worker_heap: growthPercent(firstSample, lastSample, 'worker_heap_bytes'),
};

/** Each target with its measured value, as printed in docs/benchmarks.md's Targets table. */
const targets = [];
for (const entry of results) {
  const { best_tfjs_over_cpu: value, best_tfjs_backend: backend } = entry.ratios;
  const minimum = SPEED_TARGETS[entry.name];
  targets.push({
    target: `${entry.name}: best TF.js ÷ playground CPU ≥ ${minimum}×`,
    measured: value == null ? 'not measured' : `${value.toFixed(1)}× (TF.js ${backend})`,
    met: value != null && value >= minimum,
  });
}
for (const entry of results) {
  const value = entry.ratios.tfjs_webgpu_over_webgpu;
  targets.push({
    target: `${entry.name}: TF.js webgpu ÷ playground WebGPU ≥ ${WEBGPU_SPEED_TARGET}×`,
    measured: value == null ? 'not measured' : `${value.toFixed(1)}×`,
    met: value != null && value >= WEBGPU_SPEED_TARGET,
  });
}
const growth = checks.memory_growth_percent;
const growths = [growth.wasm, growth.page_heap, growth.worker_heap].filter((value) => value != null);
targets.push({
  target: `memory growth < ${MAX_MEMORY_GROWTH_PERCENT}% over 1,000 digits epochs`,
  measured: `wasm ${growth.wasm?.toFixed(1)}%, page JS heap ${growth.page_heap?.toFixed(1)}% (epoch ${growth.from_epoch} to ${growth.to_epoch})`,
  met: growths.length > 0 && growths.every((value) => value < MAX_MEMORY_GROWTH_PERCENT),
});
const longestTask = Math.max(...checks.long_tasks.map((run) => run.longest_task_ms));
targets.push({
  target: `longest main-thread task while training ≤ ${MAX_MAIN_THREAD_TASK_MS} ms`,
  measured: longestTask === 0 ? 'no task over 50 ms' : `${longestTask.toFixed(0)} ms`,
  met: longestTask <= MAX_MAIN_THREAD_TASK_MS,
});
const coldFirstEpoch = checks.first_epoch.cold.first_epoch_ms;
targets.push({
  target: `first epoch shown ≤ ${MAX_FIRST_EPOCH_MS} ms after navigation start (empty cache)`,
  measured: `${coldFirstEpoch.toFixed(0)} ms`,
  met: coldFirstEpoch <= MAX_FIRST_EPOCH_MS,
});
targets.push({
  target: `wasm module ≤ ${MAX_WASM_GZIP_BYTES.toLocaleString('en')} bytes gzipped`,
  measured: `${sizes.gzip_bytes.toLocaleString('en')} bytes`,
  met: sizes.gzip_bytes <= MAX_WASM_GZIP_BYTES,
});

const report = { date: new Date().toISOString(), machine, userAgent, load, wasm: sizes, results, checks, targets };
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
console.log('\n| workload | best TF.js ÷ playground CPU | TF.js webgpu ÷ playground WebGPU |');
console.log('|---|---|---|');
for (const entry of results) {
  const { best_tfjs_backend: backend, best_tfjs_over_cpu: cpu, tfjs_webgpu_over_webgpu: gpu } = entry.ratios;
  const times = (value) => (value == null ? '–' : `${value.toFixed(1)}×`);
  console.log(`| ${entry.workload} | ${times(cpu)} (TF.js ${backend}) | ${times(gpu)} |`);
}
console.log(`\nwasm module: ${sizes.raw_bytes} bytes, ${sizes.gzip_bytes} bytes gzipped (gzip -9)`);

const { cold, warm } = checks.first_epoch;
console.log(`\nFirst epoch shown after navigation start: ${format(cold.first_epoch_ms, 0)} ms with an empty cache ` +
  `(load event ${format(cold.load_event_ms, 0)} ms, long tasks ${JSON.stringify(cold.long_tasks_ms)}); ` +
  `then ${warm.map((run) => format(run.first_epoch_ms, 0)).join(', ')} ms`);
console.log('\n| run | epochs | training ms | longest task ms (over 50 ms only) | tasks over 50 ms | longest frame interval ms |');
console.log('|---|---|---|---|---|---|');
for (const run of checks.long_tasks) {
  console.log(`| ${run.run} | ${run.epochs} | ${format(run.training_ms, 0)} | ${format(run.longest_task_ms, 0)} | ${run.tasks_over_50_ms} | ${format(run.longest_frame_interval_ms, 1)} |`);
}
console.log('\n| epoch | wasm memory bytes | page JS heap bytes | Worker JS heap bytes |');
console.log('|---|---|---|---|');
for (const sample of checks.memory) {
  console.log(`| ${sample.epoch} | ${sample.wasm_bytes} | ${sample.page_heap_bytes} | ${sample.worker_heap_bytes ?? '–'} |`);
}
console.log('\n| target | measured | met |');
console.log('|---|---|---|');
for (const target of targets) {
  console.log(`| ${target.target} | ${target.measured} | ${target.met ? 'met' : 'not met'} |`);
}
