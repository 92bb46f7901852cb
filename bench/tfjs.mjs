// Measures TensorFlow.js 4.22 training speed in headless Chromium, as a reference for
// bench/page.mjs. measureTfjs() trains a layers model with model.fit in a page of the served
// site and times each epoch with performance.now() in onEpochEnd callbacks.
//
// Run as a script, it prints a Markdown table of every workload and backend:
//   scripts/build.sh && node bench/prepare.mjs && node bench/tfjs.mjs
// --backends=cpu,wasm and --workloads=iris,wide pick a subset. A full run took 24 minutes on a
// shared 2-vCPU machine, 19 of them for the spiral on WebGPU through Chromium's software
// adapter (SwiftShader).
// bench/prepare.mjs copies the TensorFlow.js bundles into dist/bench/tfjs/, because the site's
// CSP allows scripts from its own origin only.
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** Folder of the bundles that bench/prepare.mjs copies, as a path on the served site. */
const TFJS_PATH = '/bench/tfjs/';
const TFJS_SCRIPTS = ['tf.es2017.min.js', 'tf-backend-webgpu.es2017.min.js', 'tf-backend-wasm.es2017.min.js'];

export const BACKENDS = ['cpu', 'wasm', 'webgl', 'webgpu'];

/**
 * Workloads, described as plain data so page.evaluate can pass them into the page. Every layer
 * is Dense with Keras's default initializers (Glorot-uniform kernel, zero bias), fit shuffles
 * the rows every epoch, and the first epoch is a warm-up that the median leaves out.
 */
export const WORKLOADS = [
  {
    name: 'iris',
    title: 'Iris (150 rows standardized, 4-64-64-3, Adam, batch 32)',
    data: { set: 'iris' },
    inputs: 4,
    layers: [
      { units: 64, activation: 'relu' },
      { units: 64, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ],
    loss: 'sparseCategoricalCrossentropy',
    optimizer: { name: 'adam', learningRate: 1e-3 },
    batchSize: 32,
    epochs: 10,
  },
  {
    name: 'digits',
    title: 'Digits (1,797 8×8 images, pixels ÷ 16, 64-128-10, Adam, batch 64)',
    data: { set: 'digits' },
    inputs: 64,
    layers: [
      { units: 128, activation: 'relu' },
      { units: 10, activation: 'softmax' },
    ],
    loss: 'sparseCategoricalCrossentropy',
    optimizer: { name: 'adam', learningRate: 1e-3 },
    batchSize: 64,
    epochs: 20,
  },
  {
    name: 'wide',
    title: 'Wide teacher set (8,192 rows × 784, 784-256-256-10, Adam, batch 128)',
    data: { set: 'teacher', samples: 8192, features: 784, classes: 10, seed: 1 },
    inputs: 784,
    layers: [
      { units: 256, activation: 'relu' },
      { units: 256, activation: 'relu' },
      { units: 10, activation: 'softmax' },
    ],
    loss: 'sparseCategoricalCrossentropy',
    optimizer: { name: 'adam', learningRate: 1e-3 },
    batchSize: 128,
    epochs: 3,
  },
  {
    name: 'spiral',
    title: 'Spiral (500 rows, 2-8-8-1, SGD, batch 10)',
    data: { set: 'spiral', samples: 500 },
    inputs: 2,
    layers: [
      { units: 8, activation: 'tanh' },
      { units: 8, activation: 'tanh' },
      { units: 1, activation: 'sigmoid' },
    ],
    loss: 'binaryCrossentropy',
    optimizer: { name: 'sgd', learningRate: 0.03 },
    batchSize: 10,
    epochs: 200,
  },
];

/**
 * Reads data/iris.csv (a count header `150,4,name,name,name`, then rows of four floats and a
 * class index) and standardizes each feature to mean 0 and population standard deviation 1.
 */
async function readIris() {
  const text = await readFile(new URL('../data/iris.csv', import.meta.url), 'utf8');
  const [header, ...lines] = text.trim().split('\n');
  const [rows, width] = header.split(',').map(Number);
  const features = [];
  const labels = [];
  for (const line of lines) {
    const values = line.split(',').map(Number);
    features.push(values.slice(0, width));
    labels.push(values[width]);
  }
  if (features.length !== rows) {
    throw new Error(`data/iris.csv is invalid: its header gives ${rows} rows, but it has ${features.length}.`);
  }

  for (let column = 0; column < width; column++) {
    const mean = features.reduce((sum, row) => sum + row[column], 0) / rows;
    const variance = features.reduce((sum, row) => sum + (row[column] - mean) ** 2, 0) / rows;
    const scale = variance > 0 ? Math.sqrt(variance) : 1;
    for (const row of features) row[column] = (row[column] - mean) / scale;
  }
  return { features: features.flat(), labels };
}

/**
 * Reads data/digits.csv (scikit-learn's digits without a header: 1,797 rows of 64 pixel values
 * from 0 to 16 and the digit) and divides the pixels by 16, as src/data.rs does.
 */
async function readDigits() {
  const text = await readFile(new URL('../data/digits.csv', import.meta.url), 'utf8');
  const features = [];
  const labels = [];
  for (const [index, line] of text.trim().split('\n').entries()) {
    const values = line.split(',').map(Number);
    if (values.length !== 65 || values.some(Number.isNaN)) {
      throw new Error(`data/digits.csv line ${index + 1} is invalid: expected 64 pixel values and a digit.`);
    }
    features.push(...values.slice(0, 64).map((pixel) => pixel / 16));
    labels.push(values[64]);
  }
  return { features, labels };
}

/** Reads the rows of a workload whose data set is a file in data/, or returns null. */
async function readDataFile(set) {
  if (set === 'iris') return readIris();
  if (set === 'digits') return readDigits();
  return null;
}

/** Adds the TensorFlow.js scripts to the page unless an earlier call did. */
async function loadTfjs(page) {
  if (await page.evaluate(() => typeof globalThis.tf?.wasm?.setWasmPaths === 'function')) return;
  for (const script of TFJS_SCRIPTS) {
    await page.addScriptTag({ url: `${TFJS_PATH}${script}` });
  }
  // The wasm backend reads this path when it initializes, so it must be set before setBackend.
  await page.evaluate((path) => globalThis.tf.wasm.setWasmPaths(`${location.origin}${path}`), TFJS_PATH);
}

/**
 * Trains `workload` with TensorFlow.js on `backend` in `page`, an open page of the served site.
 * Resolves to { backend, msPerEpochMedian, msPerEpochs, finalAccuracy, finalLoss }, where
 * msPerEpochs contains every epoch including the first, and msPerEpochMedian is the median of the
 * epochs after the first. finalAccuracy and finalLoss are the last epoch's training metrics,
 * averaged over its batches as Keras reports them. Resolves to { backend, error } when the
 * scripts do not load, the backend does not initialize or training fails.
 */
export async function measureTfjs(page, workload, backend) {
  try {
    await loadTfjs(page);
  } catch (error) {
    return {
      backend,
      error: `TensorFlow.js failed to load from ${TFJS_PATH}: ${error.message}. Run node bench/prepare.mjs after scripts/build.sh.`,
    };
  }
  const file = await readDataFile(workload.data.set);
  return page.evaluate(trainInPage, { workload, backend, file });
}

/**
 * Runs in the page. Playwright sends only its source text, so it must be self-contained. Every
 * failure becomes { backend, error } rather than a rejected promise.
 */
async function trainInPage({ workload, backend, file }) {
  const tf = globalThis.tf;

  /**
   * SplitMix64 with the same constants, 53-bit floats and Box-Muller transform as src/rng.rs.
   * The seed is used as is, so the rows differ from the playground's own teacher set.
   */
  function splitMix64(seed) {
    const mask = (1n << 64n) - 1n;
    let state = BigInt(seed);
    const nextFloat = () => {
      state = (state + 0x9e3779b97f4a7c15n) & mask;
      let z = state;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
      z ^= z >> 31n;
      return Number(z >> 11n) / 2 ** 53;
    };
    const normal = () => {
      const u = 1 - nextFloat();
      const v = nextFloat();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    };
    return { nextFloat, normal };
  }

  /** Standard-normal rows labelled by the argmax of x·T for a standard-normal teacher T. */
  function teacherData({ samples, features, classes, seed }) {
    const rng = splitMix64(seed);
    const teacher = Float64Array.from({ length: features * classes }, rng.normal);
    const x = new Float32Array(samples * features);
    const labels = new Float32Array(samples);
    const scores = new Float64Array(classes);
    for (let row = 0; row < samples; row++) {
      scores.fill(0);
      for (let i = 0; i < features; i++) {
        const value = rng.normal();
        x[row * features + i] = value;
        for (let c = 0; c < classes; c++) scores[c] += value * teacher[i * classes + c];
      }
      let label = 0;
      for (let c = 1; c < classes; c++) if (scores[c] > scores[label]) label = c;
      labels[row] = label;
    }
    return { x, labels };
  }

  /**
   * Two interleaved spiral arms without noise, generated as src/data.rs does. Point i of an arm
   * of n has radius r = 5·i/n and angle t = 1.75·2π·i/n (plus π for class 0), and lies at
   * (r·sin t, r·cos t).
   */
  function spiralData({ samples }) {
    const arm = samples / 2;
    const x = new Float32Array(samples * 2);
    const labels = new Float32Array(samples);
    for (let row = 0; row < samples; row++) {
      const label = row < arm ? 1 : 0;
      const i = label === 1 ? row : row - arm;
      const r = (i / arm) * 5;
      const t = ((1.75 * i) / arm) * 2 * Math.PI + (label === 1 ? 0 : Math.PI);
      x[row * 2] = r * Math.sin(t);
      x[row * 2 + 1] = r * Math.cos(t);
      labels[row] = label;
    }
    return { x, labels };
  }

  /** Builds the rows once per page and workload, since the teacher set takes seconds. */
  function loadData() {
    globalThis.tfjsBenchData ??= new Map();
    const cache = globalThis.tfjsBenchData;
    if (!cache.has(workload.name)) {
      const spec = workload.data;
      let data;
      if (spec.set === 'iris' || spec.set === 'digits') {
        data = { x: Float32Array.from(file.features), labels: Float32Array.from(file.labels) };
      } else if (spec.set === 'teacher') {
        data = teacherData(spec);
      } else if (spec.set === 'spiral') {
        data = spiralData(spec);
      } else {
        throw new Error(`Invalid data set "${spec.set}" in workload ${workload.name}: expected iris, digits, teacher or spiral.`);
      }
      cache.set(workload.name, data);
    }
    return cache.get(workload.name);
  }

  function buildModel() {
    const model = tf.sequential();
    workload.layers.forEach((layer, index) => {
      model.add(tf.layers.dense({
        units: layer.units,
        activation: layer.activation,
        kernelInitializer: 'glorotUniform',
        biasInitializer: 'zeros',
        ...(index === 0 ? { inputShape: [workload.inputs] } : {}),
      }));
    });
    const { name, learningRate } = workload.optimizer;
    // Keras's Adam defaults. Without an explicit epsilon, TF.js takes the backend's epsilon.
    const optimizer =
      name === 'adam' ? tf.train.adam(learningRate, 0.9, 0.999, 1e-7) : tf.train.sgd(learningRate);
    model.compile({ optimizer, loss: workload.loss, metrics: ['accuracy'] });
    return { model, optimizer };
  }

  function median(values) {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }

  // setBackend resolves to false, rather than rejecting, when the backend's initialization
  // fails, and logs the reason with console.warn, so the warnings are collected here. tf.ready()
  // is skipped after a failure, because it would fall back to another backend.
  const warnings = [];
  const warn = console.warn;
  try {
    console.warn = (...args) => {
      // TF.js logs the error's stack, whose first line is the message.
      warnings.push(args.map(String).join(' ').split('\n')[0]);
      warn.apply(console, args);
    };
    const initialized = await tf.setBackend(backend);
    if (initialized) await tf.ready();
    if (!initialized || tf.getBackend() !== backend) {
      let reason = warnings.join(': ') || 'no reason was logged';
      if (backend === 'webgpu' && !(await navigator.gpu?.requestAdapter())) {
        reason += '. The browser offers no WebGPU adapter: headless Chromium needs --enable-unsafe-webgpu.';
      }
      return { backend, error: `Backend ${backend} failed to initialize: ${reason}` };
    }
  } catch (error) {
    return { backend, error: `Backend ${backend} failed to initialize: ${error.message}` };
  } finally {
    console.warn = warn;
  }

  let model = null;
  let optimizer = null;
  let xs = null;
  let ys = null;
  try {
    const data = loadData();
    const rows = data.labels.length;
    xs = tf.tensor2d(data.x, [rows, workload.inputs]);
    ys = tf.tensor2d(data.labels, [rows, 1]);
    ({ model, optimizer } = buildModel());

    const epochEnds = [];
    let trainStart = 0;
    let lastLogs = null;
    await model.fit(xs, ys, {
      batchSize: workload.batchSize,
      epochs: workload.epochs,
      shuffle: true,
      verbose: 0,
      // The default, 'auto', waits for an animation frame every 125 ms, which would add up to
      // a frame's time to the epochs it falls in.
      yieldEvery: 'never',
      callbacks: {
        onTrainBegin: () => {
          trainStart = performance.now();
        },
        onEpochEnd: (epoch, logs) => {
          epochEnds.push(performance.now());
          lastLogs = logs;
        },
      },
    });

    const msPerEpochs = epochEnds.map((end, i) => end - (i === 0 ? trainStart : epochEnds[i - 1]));
    return {
      backend,
      msPerEpochMedian: median(msPerEpochs.slice(1)),
      msPerEpochs,
      // TF.js names the 'accuracy' metric 'acc' in its logs.
      finalAccuracy: lastLogs.acc ?? lastLogs.accuracy,
      finalLoss: lastLogs.loss,
    };
  } catch (error) {
    return { backend, error: `Training on ${backend} failed: ${error.message}` };
  } finally {
    model?.dispose();
    // A model does not dispose an optimizer object that was passed to compile.
    optimizer?.dispose();
    xs?.dispose();
    ys?.dispose();
  }
}

/** Splits a comma-separated option into names, each of which must be in `known`. */
function parseNames(option, value, known) {
  if (value === undefined) return known;
  const names = value.split(',').filter(Boolean);
  const invalid = names.filter((name) => !known.includes(name));
  if (invalid.length > 0 || names.length === 0) {
    console.error(`Invalid --${option}=${value}: expected a comma-separated subset of ${known.join(',')}.`);
    process.exit(2);
  }
  return names;
}

/**
 * Trains the chosen workloads on the chosen backends, all of them by default, in one fresh page
 * per backend, and prints a Markdown table.
 */
async function main() {
  const { values } = parseArgs({ options: { backends: { type: 'string' }, workloads: { type: 'string' } } });
  const backends = parseNames('backends', values.backends, BACKENDS);
  const workloadNames = parseNames('workloads', values.workloads, WORKLOADS.map((w) => w.name));
  const workloads = WORKLOADS.filter((w) => workloadNames.includes(w.name));

  const { launchBrowser, startServer } = await import('../www/tests/browser.mjs');
  // Other processes on the machine slow every backend, so the load is printed with the table.
  const loadBefore = loadavg()[0];
  const server = await startServer();
  const browser = await launchBrowser({ webgpu: true });
  const rows = [];
  let userAgent = '';
  try {
    for (const backend of backends) {
      const page = await browser.context.newPage();
      await page.goto(`${server.origin}/`);
      userAgent = await page.evaluate(() => navigator.userAgent);
      for (const workload of workloads) {
        const result = await measureTfjs(page, workload, backend);
        const summary = result.error ?? `${result.msPerEpochMedian.toFixed(2)} ms/epoch`;
        console.error(`${workload.name} on ${backend}: ${summary}`);
        rows.push({ workload, result });
      }
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
  }

  console.log(`Machine: ${cpus().length} × ${cpus()[0].model}`);
  console.log(`Browser: ${userAgent}`);
  console.log(`Load average (1 min): ${loadBefore.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end\n`);
  console.log('| workload | backend | epochs measured | median ms/epoch | final accuracy | final loss | error |');
  console.log('|---|---|---|---|---|---|---|');
  for (const { workload, result } of rows) {
    if (result.error) {
      const error = result.error.replaceAll('|', '\\|').replaceAll('\n', ' ');
      console.log(`| ${workload.title} | ${result.backend} | – | – | – | – | ${error} |`);
      continue;
    }
    const measured = result.msPerEpochs.length - 1;
    console.log(
      `| ${workload.title} | ${result.backend} | ${measured} | ${result.msPerEpochMedian.toFixed(2)} | ` +
        `${result.finalAccuracy.toFixed(3)} | ${result.finalLoss.toFixed(4)} | |`,
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
