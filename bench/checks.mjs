// Checks of the page as a user loads it, for bench/page.mjs: how soon the first epoch shows after
// navigation, how long the main thread is blocked while training, and whether memory stays flat
// over a long run. Each runs the real page (embed.html) in headless Chromium, on the CPU path.
//
// It launches its own Chromium, with the root flags of www/tests/browser.mjs plus two that only
// these checks need: --enable-precise-memory-info, without which performance.memory rounds and
// caches its sizes, and --js-flags=--expose-gc, so that heap sizes are read after a garbage
// collection. It has no --enable-unsafe-webgpu, so the page offers no WebGPU adapter and Auto
// trains on the CPU.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../www/package.json', import.meta.url));
const { chromium } = require('playwright-core');

/** The digits workload of bench/page.mjs (every row trains), over the Digits MLP preset. */
const DIGITS_FRAGMENT = 'train=100&std=0&backend=cpu';
/** The wide MLP of bench/page.mjs, over the Keras Iris preset (Adam 0.001). */
const WIDE_FRAGMENT =
  'data=teacher&train=100&rows=8192&noise=0&std=0&layers=dense:256:relu,dense:256:relu&batch=128&epochs=4&backend=cpu';

async function launchMeasuringBrowser() {
  const userDataDir = await mkdtemp(join(tmpdir(), 'dfdx-playground-bench-'));
  const args = [
    // The flags www/tests/browser.mjs launches with, as root on a machine without network.
    '--no-sandbox',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--enable-precise-memory-info',
    '--js-flags=--expose-gc',
  ];
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args,
    viewport: { width: 1400, height: 1000 },
  });
  // Runs in every page before its own scripts.
  await context.addInitScript(() => {
    const bench = { workers: [], longTasks: [], firstEpochMs: null };
    window.benchProbe = bench;

    // Keeps each Worker the page creates, so the checks can send it the `memory` command.
    const NativeWorker = window.Worker;
    window.Worker = class extends NativeWorker {
      constructor(...args) {
        super(...args);
        bench.workers.push(this);
      }
    };

    // Chromium reports every main-thread task longer than 50 ms as a 'longtask' entry.
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        bench.longTasks.push({ startTime: entry.startTime, duration: entry.duration });
      }
    }).observe({ type: 'longtask' });

    // performance.now() counts from the navigation start (performance.timeOrigin).
    new MutationObserver((_, observer) => {
      const epoch = Number(document.querySelector('[data-testid=epoch]')?.textContent);
      if (epoch >= 1) {
        bench.firstEpochMs = performance.now();
        observer.disconnect();
      }
    }).observe(document, { childList: true, subtree: true, characterData: true });
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Opens embed.html with autoplay and returns the milliseconds from navigation start until the
 * epoch readout first shows a finished epoch, the page's load event time and the long tasks
 * until then. The Keras Iris
 * preset finishes several epochs in its first 25 ms training slice, so the readout may jump from
 * 0 past 1.
 */
async function measureFirstEpoch(context, origin) {
  const page = await context.newPage();
  try {
    await page.goto(`${origin}/embed.html?preset=keras-iris&autoplay=1`);
    await page.waitForFunction(() => window.benchProbe.firstEpochMs !== null, null, { timeout: 30_000 });
    return page.evaluate(() => ({
      first_epoch_ms: window.benchProbe.firstEpochMs,
      load_event_ms: performance.getEntriesByType('navigation')[0]?.loadEventEnd ?? null,
      // Main-thread tasks over 50 ms from navigation start until the first epoch showed.
      long_tasks_ms: window.benchProbe.longTasks.map((task) => task.duration),
    }));
  } finally {
    await page.close();
  }
}

/**
 * Presses Play and waits in the page until the page's Worker reports `done`, or rejects on its
 * errors. Returns the page's performance.now() at the click and at `done`, and the longest
 * interval between two animation frames in between (about 16.7 ms when no frame is late).
 */
function untilDone(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const worker = window.benchProbe.workers[0];
    const startTime = performance.now();
    let training = true;
    let lastFrame = startTime;
    let longestFrame = 0;
    const onFrame = (time) => {
      longestFrame = Math.max(longestFrame, time - lastFrame);
      lastFrame = time;
      if (training) requestAnimationFrame(onFrame);
    };
    requestAnimationFrame(onFrame);
    worker.addEventListener('message', ({ data }) => {
      if (data.type === 'done') {
        training = false;
        resolve({ startTime, endTime: performance.now(), epochs: data.epochs, longestFrame });
      } else if (['error', 'rejected', 'failed'].includes(data.type)) {
        reject(new Error(data.error.message));
      }
    });
    document.querySelector('[data-testid=play]').click();
  }));
}

/** Opens embed.html on `query`, waits until Play is enabled. */
async function openReady(context, origin, query) {
  const page = await context.newPage();
  await page.goto(`${origin}/embed.html?${query}`);
  await page.waitForFunction(() => !document.querySelector('[data-testid=play]')?.disabled, null, { timeout: 120_000 });
  return page;
}

/**
 * Trains `query`'s network through the page's Play button and returns the main thread's long
 * tasks from the click until the Worker reports `done` plus 200 ms for the last draw.
 */
async function measureLongTasks(context, origin, query) {
  const page = await openReady(context, origin, query);
  try {
    const run = await untilDone(page);
    await page.waitForTimeout(200);
    const tasks = await page.evaluate(
      (start) => window.benchProbe.longTasks.filter((task) => task.startTime >= start),
      run.startTime,
    );
    const durations = tasks.map((task) => task.duration);
    return {
      epochs: run.epochs,
      training_ms: run.endTime - run.startTime,
      longest_frame_interval_ms: run.longestFrame,
      longest_task_ms: durations.length ? Math.max(...durations) : 0,
      tasks_over_50_ms: durations.filter((duration) => duration > 50).length,
    };
  } finally {
    await page.close();
  }
}

/**
 * Trains the digits workload for `epochs` epochs through the page's Play button. Samples memory
 * once the page has seen each epoch count of `marks`, and at the end. A sample contains the
 * Worker's wasm memory and JS heap (its `memory` command) and the page's JS heap, each read after
 * a garbage collection. The Worker replies between training slices, so a sample's epoch can be
 * a few past its mark.
 */
async function measureMemory(context, origin, marks, epochs) {
  const page = await openReady(context, origin, `preset=digits#${DIGITS_FRAGMENT}&epochs=${epochs}`);
  try {
    return await page.evaluate((marks) => new Promise((resolve, reject) => {
      const worker = window.benchProbe.workers[0];
      const samples = [];
      let seen = 0;
      let nextMark = 0;
      worker.addEventListener('message', ({ data }) => {
        if (data.type === 'metrics') {
          seen += data.epochs.length;
          if (nextMark < marks.length && seen >= marks[nextMark]) {
            nextMark += 1;
            worker.postMessage({ type: 'memory' });
          }
        } else if (data.type === 'memory') {
          globalThis.gc?.();
          samples.push({
            epoch: data.epoch,
            wasm_bytes: data.wasmBytes,
            worker_heap_bytes: data.jsHeapBytes,
            page_heap_bytes: performance.memory?.usedJSHeapSize ?? null,
          });
          if (samples.length === marks.length + 1) resolve(samples);
        } else if (data.type === 'done') {
          worker.postMessage({ type: 'memory' });
        } else if (['error', 'rejected', 'failed'].includes(data.type)) {
          reject(new Error(data.error.message));
        }
      });
      document.querySelector('[data-testid=play]').click();
    }), marks);
  } finally {
    await page.close();
  }
}

/** Runs every check in a fresh browser; the first page it opens finds an empty HTTP cache. */
export async function runPageChecks(origin) {
  const browser = await launchMeasuringBrowser();
  try {
    const cold = await measureFirstEpoch(browser.context, origin);
    const warm = [];
    for (let i = 0; i < 3; i++) warm.push(await measureFirstEpoch(browser.context, origin));
    const longTasks = [
      {
        run: 'Keras Iris preset, 1,000 epochs',
        ...(await measureLongTasks(browser.context, origin, 'preset=keras-iris#epochs=1000&backend=cpu')),
      },
      {
        run: 'Wide MLP, 4 epochs',
        ...(await measureLongTasks(browser.context, origin, `preset=keras-iris#${WIDE_FRAGMENT}`)),
      },
    ];
    const memory = await measureMemory(browser.context, origin, [100, 250, 500, 750], 1000);
    return { first_epoch: { cold, warm }, long_tasks: longTasks, memory };
  } finally {
    await browser.close();
  }
}
