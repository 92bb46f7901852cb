// End-to-end tests: the built page in headless Chromium, driven as a person would use it.
// Run by scripts/test.sh after the build; `node --test www/tests/` runs them alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launchBrowser, startServer } from './browser.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.close();
});

const byTestId = (id) => `[data-testid="${id}"]`;

/** Opens the page and waits until the engine has loaded the first preset. */
/** Tells the request for the WebGPU training module's wasm file. */
const gpuModule = (url) => url.endsWith('/pkg/dfdx_playground_gpu_bg.wasm');

async function openPage(path = '/') {
  const page = await browser.context.newPage();
  const requests = [];
  const failures = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => failures.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') failures.push(message.text());
  });
  await page.goto(`${server.origin}${path}`);
  await page.waitForSelector(`${byTestId('play')}:not([disabled])`, { timeout: 30_000 });
  return { page, requests, failures };
}

async function readNumber(page, testId) {
  return Number(await page.textContent(byTestId(testId)));
}

async function waitForEpoch(page, epoch, timeout = 60_000) {
  await page.waitForFunction(
    ({ selector, epoch }) => Number(document.querySelector(selector).textContent) >= epoch,
    { selector: byTestId('epoch'), epoch },
    { timeout },
  );
}

async function chartPoints(page, testId) {
  return Number(await page.getAttribute(byTestId(testId), 'data-points'));
}

/**
 * Changes a number input the way typing and leaving the field does: the blur fires one
 * `change` event. A synthetic `change` would leave the field dirty, so that focusing the next
 * field fired a second one, whose reload could overwrite that field while it is being typed in.
 */
async function setNumber(page, testId, value) {
  await page.fill(byTestId(testId), String(value));
  await page.locator(byTestId(testId)).blur();
}

describe('playground page', () => {
  test('Keras preset trains to Keras accuracy', async () => {
    const { page, requests, failures } = await openPage();
    assert.equal(await page.inputValue(byTestId('preset')), 'keras-iris');
    assert.equal(await page.textContent(byTestId('total-params')), 'Total parameters: 4,675');

    await page.click(byTestId('step'));
    await waitForEpoch(page, 1);
    const firstLoss = await readNumber(page, 'train-loss');
    const firstAccuracy = await readNumber(page, 'train-metric');

    await page.click(byTestId('play'));
    await waitForEpoch(page, 10);
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`);
    assert.equal(await chartPoints(page, 'loss-chart'), 10);
    assert.equal(await chartPoints(page, 'accuracy-chart'), 10);
    const loss = await readNumber(page, 'train-loss');
    const accuracy = await readNumber(page, 'train-metric');
    assert.ok(loss < firstLoss, `loss ${loss} after 10 epochs, ${firstLoss} after 1`);
    assert.ok(accuracy > firstAccuracy, `accuracy ${accuracy}, first ${firstAccuracy}`);
    assert.ok(accuracy >= 0.8, `training accuracy ${accuracy}`);
    assert.match(await page.textContent(byTestId('backend')), /CPU/);
    // This browser runs without --enable-unsafe-webgpu, so it offers no adapter.
    assert.match(await page.textContent(byTestId('backend-reason')), /no WebGPU adapter/);

    const origin = new URL(server.origin).origin;
    const foreign = requests.filter((url) => !url.startsWith(origin) && !url.startsWith('data:'));
    assert.deepEqual(foreign, [], 'requests outside the page origin');
    // WebGPU training is a module of its own, which training on the CPU never loads.
    assert.equal(requests.filter(gpuModule).length, 0, 'WebGPU module loaded for CPU training');
    assert.deepEqual(failures, [], 'console errors');
    await page.close();
  });

  test('test-split preset passes 0.9 test accuracy', async () => {
    const { page } = await openPage();
    await page.selectOption(byTestId('preset'), 'iris-test-split');
    await page.waitForFunction((s) => document.querySelector(s).textContent === '100', '#epochs');
    assert.match(await page.textContent('#data-rows'), /120 training rows, 30 test rows/);
    await page.click(byTestId('play'));
    await waitForEpoch(page, 100);
    const testAccuracy = await readNumber(page, 'test-metric');
    assert.ok(testAccuracy > 0.9, `test accuracy ${testAccuracy}`);
    assert.equal(await chartPoints(page, 'loss-chart'), 100);
    await page.close();
  });

  test('layer edit rebuilds and retrains', async () => {
    const { page } = await openPage();
    await page.click(byTestId('play'));
    await waitForEpoch(page, 10);

    await setNumber(page, 'layer-0-units', 32);
    await page.waitForFunction((s) => document.querySelector(s).textContent === '160', byTestId('layer-0-params'));
    assert.equal(await page.textContent(byTestId('layer-1-params')), '2,112');
    assert.equal(await chartPoints(page, 'loss-chart'), 0, 'charts restart for the new network');
    assert.equal(await page.textContent(byTestId('epoch')), '0');

    await page.click(byTestId('add-layer'));
    await page.waitForSelector(byTestId('layer-2-units'));
    await page.selectOption(byTestId('layer-2-activation'), 'tanh');
    await page.waitForFunction((s) => document.querySelector(s)?.value === 'tanh', byTestId('layer-2-activation'));
    await page.click(byTestId('layer-2-up'));
    await page.waitForFunction((s) => document.querySelector(s)?.value === 'tanh', byTestId('layer-1-activation'));
    await page.click(byTestId('layer-0-remove'));
    await page.waitForFunction(() => !document.querySelector('[data-testid="layer-2-units"]'));
    assert.equal(await page.inputValue(byTestId('layer-0-activation')), 'tanh');

    await page.click(byTestId('play'));
    await waitForEpoch(page, 10);
    assert.equal(await chartPoints(page, 'loss-chart'), 10);
    await page.close();
  });

  test('zero units is rejected and nothing changes', async () => {
    const { page, failures } = await openPage();
    await page.click(byTestId('play'));
    await waitForEpoch(page, 10);
    const accuracy = await page.textContent(byTestId('train-metric'));

    await setNumber(page, 'layer-0-units', 0);
    await page.waitForSelector(`${byTestId('error')}:not([hidden])`);
    const message = await page.textContent(byTestId('error'));
    assert.match(message, /Layer 1 units is 0/);
    assert.match(message, /from 1 to 1024/);
    assert.equal(await page.inputValue(byTestId('layer-0-units')), '64', 'editor shows the previous network');
    assert.equal(await page.textContent(byTestId('layer-0-params')), '320');
    assert.equal(await chartPoints(page, 'loss-chart'), 10, 'chart keeps its points');
    assert.equal(await page.textContent(byTestId('train-metric')), accuracy);
    assert.deepEqual(failures, [], 'no panic or console error');

    // The previous network still trains after the rejected edit.
    await page.click(byTestId('reset'));
    await page.click(byTestId('play'));
    await waitForEpoch(page, 10);
    await page.close();
  });

  test('pause stops training until play', async () => {
    const { page } = await openPage();
    await page.selectOption(byTestId('preset'), 'spiral');
    await page.waitForFunction((s) => document.querySelector(s).textContent === '200', '#epochs');
    // 10,000 epochs take several seconds, long enough to pause in the middle.
    await setNumber(page, 'epochs', 10000);
    await page.waitForFunction((s) => document.querySelector(s).textContent === '10000', '#epochs');
    await page.click(byTestId('play'));
    await waitForEpoch(page, 2);
    await page.click(byTestId('pause'));
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`);
    const paused = await readNumber(page, 'epoch');
    await page.waitForTimeout(500);
    assert.equal(await readNumber(page, 'epoch'), paused, 'no epoch passes while paused');
    assert.ok(paused < 10000, `paused at epoch ${paused}`);
    await page.click(byTestId('play'));
    await waitForEpoch(page, paused + 1);
    await page.click(byTestId('pause'));
    await page.close();
  });

  test('diverging run stops with a message', async () => {
    const { page } = await openPage();
    await page.selectOption(byTestId('optimizer'), 'sgd');
    await page.waitForSelector(byTestId('momentum'));
    await page.selectOption(byTestId('loss'), 'mean_squared_error');
    await page.waitForFunction((s) => document.querySelector(s).value === 'mean_squared_error', byTestId('loss'));
    await setNumber(page, 'learning-rate', 10);
    await page.waitForFunction((s) => document.querySelector(s).value === '10', byTestId('learning-rate'));
    await page.click(byTestId('play'));
    await page.waitForSelector(`${byTestId('error')}:not([hidden])`, { timeout: 30_000 });
    assert.match(await page.textContent(byTestId('error')), /lower the learning rate \(now 10\)/);
    assert.equal(await page.isDisabled(byTestId('pause')), true, 'training stopped');
    await page.close();
  });
});

describe('links', () => {
  test('link reproduces a run', async () => {
    const first = await openPage();
    await first.page.selectOption(byTestId('preset'), 'iris-test-split');
    await first.page.waitForFunction((s) => document.querySelector(s).textContent === '100', '#epochs');
    await setNumber(first.page, 'seed', 3);
    await first.page.waitForFunction(() => location.hash.includes('seed=3'));
    await first.page.click(byTestId('step'));
    await waitForEpoch(first.page, 1);
    const loss = await first.page.textContent(byTestId('test-loss'));
    const link = first.page.url();
    assert.match(link, /#data=iris&train=80&/);
    await first.page.close();

    const second = await openPage(new URL(link).hash.replace(/^/, '/'));
    assert.equal(await second.page.inputValue(byTestId('seed')), '3');
    assert.equal(await second.page.textContent('#data-rows'), '120 training rows, 30 test rows');
    await second.page.click(byTestId('step'));
    await waitForEpoch(second.page, 1);
    assert.equal(await second.page.textContent(byTestId('test-loss')), loss);
    assert.equal(await second.page.isHidden(byTestId('notice')), true);
    await second.page.close();
  });

  test('bad link parameters get a notice', async () => {
    const { page, failures } = await openPage('/#colour=blue&layers=dense:x:relu&seed=5');
    const notice = await page.textContent(byTestId('notice'));
    assert.match(notice, /colour=blue is unknown or malformed/);
    assert.match(notice, /layers=dense:x:relu is unknown or malformed/);
    assert.equal(await page.inputValue(byTestId('seed')), '5');
    assert.equal(await page.inputValue(byTestId('layer-0-units')), '64', 'default layers kept');
    await page.click(byTestId('play'));
    await waitForEpoch(page, 10);
    assert.deepEqual(failures, []);
    await page.close();
  });

  test('rejected link falls back to preset', async () => {
    const { page } = await openPage('/#layers=dense:0:relu');
    assert.match(await page.textContent(byTestId('error')), /Layer 1 units is 0/);
    assert.equal(await page.inputValue(byTestId('preset')), 'keras-iris');
    assert.equal(await page.inputValue(byTestId('layer-0-units')), '64');
    await page.close();
  });
});

describe('WebGPU backend', () => {
  let gpuBrowser;

  before(async () => {
    gpuBrowser = await launchBrowser({ webgpu: true });
  });

  after(async () => {
    await gpuBrowser?.close();
  });

  /** Opens the page in the browser with WebGPU; `requests` collects the URLs it requests. */
  async function openGpuPage(requests = []) {
    const page = await gpuBrowser.context.newPage();
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`${server.origin}/`);
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`, { timeout: 30_000 });
    return page;
  }

  test('auto skips the software adapter', async () => {
    const page = await openGpuPage();
    assert.equal(await page.textContent(byTestId('backend')), 'CPU (wasm)');
    assert.match(await page.textContent(byTestId('backend-reason')), /Auto chose the CPU: .* software fallback/);
    await page.close();
  });

  /**
   * Opens the page with a handle on its Worker, so that the test can send it simulated
   * failures, and sets it to train `epochs` epochs on WebGPU.
   */
  async function openWorkerPage(epochs) {
    const page = await gpuBrowser.context.newPage();
    await page.addInitScript(() => {
      const PageWorker = globalThis.Worker;
      globalThis.Worker = class extends PageWorker {
        constructor(...args) {
          super(...args);
          globalThis.playgroundWorker = this;
        }
      };
    });
    await page.goto(`${server.origin}/`);
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`, { timeout: 30_000 });
    await page.selectOption(byTestId('backend-setting'), 'gpu');
    await page.waitForFunction((s) => document.querySelector(s).textContent.startsWith('WebGPU'), byTestId('backend'));
    await setNumber(page, 'epochs', epochs);
    await page.waitForFunction(
      ({ selector, epochs }) => document.querySelector(selector).textContent === String(epochs),
      { selector: byTestId('epochs-total'), epochs },
    );
    return page;
  }

  test('GPU failure continues on the CPU', async () => {
    const page = await openWorkerPage(30);

    await page.click(byTestId('play'));
    await waitForEpoch(page, 3);
    await page.evaluate(() => globalThis.playgroundWorker.postMessage({ type: 'simulate-gpu-failure' }));
    await page.waitForFunction((s) => document.querySelector(s).textContent === 'CPU (wasm)', byTestId('backend'));
    assert.match(
      await page.textContent(byTestId('backend-reason')),
      /WebGPU failed in the middle of training \(a simulated WebGPU failure\); training continues on the CPU from the weights and the optimizer's state after epoch \d+\./,
    );
    await waitForEpoch(page, 30);
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`);
    // Every epoch appears once: the CPU resumed after the last epoch WebGPU finished.
    assert.equal(await chartPoints(page, 'loss-chart'), 30);
    const accuracy = await readNumber(page, 'train-metric');
    assert.ok(accuracy >= 0.85, `training accuracy after the switch ${accuracy}`);
    await page.close();
  });

  test('lost GPU device continues on the CPU', async () => {
    const page = await openWorkerPage(30);
    await page.click(byTestId('play'));
    await waitForEpoch(page, 3);
    const lostAt = await readNumber(page, 'epoch');
    // The Worker destroys the WebGPU device before its next epoch, and nothing can be read back.
    await page.evaluate(() => globalThis.playgroundWorker.postMessage({ type: 'simulate-gpu-loss' }));
    await page.waitForFunction((s) => document.querySelector(s).textContent === 'CPU (wasm)', byTestId('backend'));
    const reason = await page.textContent(byTestId('backend-reason'));
    const resumed = /training continues on the CPU from the weights and the optimizer's state after epoch (\d+)\./.exec(reason);
    assert.ok(resumed, reason);
    // Epochs may finish between the readout and the command, never fewer.
    assert.ok(Number(resumed[1]) >= lostAt, `resumed after epoch ${resumed[1]}, lost after ${lostAt}`);

    await waitForEpoch(page, 30);
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`);
    // Every epoch appears once: the CPU resumed after the last epoch WebGPU finished.
    assert.equal(await chartPoints(page, 'loss-chart'), 30);
    assert.equal(await chartPoints(page, 'accuracy-chart'), 30);
    const accuracy = await readNumber(page, 'train-metric');
    assert.ok(accuracy >= 0.85, `training accuracy after the switch ${accuracy}`);
    await page.close();
  });

  test('forced GPU trains the conv net like the CPU', async () => {
    const page = await openGpuPage();
    await page.selectOption(byTestId('preset'), 'digits-conv');
    await page.waitForFunction((s) => document.querySelector(s).textContent === '15', byTestId('epochs-total'));
    await setNumber(page, 'epochs', 2);
    await page.waitForFunction((s) => document.querySelector(s).textContent === '2', byTestId('epochs-total'));
    await page.click(byTestId('play'));
    await waitForEpoch(page, 2, 120_000);
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`);
    const cpuLoss = await page.textContent(byTestId('train-loss'));
    const cpuTestLoss = await page.textContent(byTestId('test-loss'));

    await page.selectOption(byTestId('backend-setting'), 'gpu');
    await page.waitForFunction((s) => document.querySelector(s).textContent.startsWith('WebGPU'), byTestId('backend'));
    assert.match(await page.textContent(byTestId('backend-reason')), /Training runs on WebGPU \(.+\), as chosen/);
    await page.click(byTestId('play'));
    await waitForEpoch(page, 2, 300_000);
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`);
    assert.ok(
      (await page.textContent(byTestId('backend'))).startsWith('WebGPU'),
      'the conv net stayed on WebGPU',
    );
    assert.equal(await chartPoints(page, 'loss-chart'), 2);
    // Readouts show 4 decimals; the two paths agree far more closely than that.
    assert.equal(await page.textContent(byTestId('train-loss')), cpuLoss);
    assert.equal(await page.textContent(byTestId('test-loss')), cpuTestLoss);
    await page.close();
  });

  test('normalization layers train on WebGPU like the CPU', async () => {
    const page = await openGpuPage();
    await page.selectOption(byTestId('preset'), 'digits-conv');
    await page.waitForFunction((s) => document.querySelector(s).textContent === '(None, 4, 4, 16)', byTestId('layer-1-shape'));
    await page.selectOption(byTestId('layer-1-type'), 'batch_norm');
    await page.waitForFunction((s) => document.querySelector(s).textContent === '(None, 8, 8, 16)', byTestId('layer-1-shape'));
    await page.selectOption(byTestId('layer-3-type'), 'layer_norm');
    await page.waitForFunction((s) => document.querySelector(s).textContent === '(None, 8, 8, 32)', byTestId('layer-3-shape'));
    await setNumber(page, 'epochs', 1);
    await page.waitForFunction((s) => document.querySelector(s).textContent === '1', byTestId('epochs-total'));
    await page.click(byTestId('play'));
    await waitForEpoch(page, 1, 120_000);
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`);
    const cpuLoss = await page.textContent(byTestId('train-loss'));
    const cpuTestLoss = await page.textContent(byTestId('test-loss'));

    await page.selectOption(byTestId('backend-setting'), 'gpu');
    await page.waitForFunction((s) => document.querySelector(s).textContent.startsWith('WebGPU'), byTestId('backend'));
    assert.match(await page.textContent(byTestId('backend-reason')), /Training runs on WebGPU \(.+\), as chosen/);
    await page.click(byTestId('play'));
    await waitForEpoch(page, 1, 300_000);
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`);
    assert.ok((await page.textContent(byTestId('backend'))).startsWith('WebGPU'), 'the network stayed on WebGPU');
    assert.equal(await page.textContent(byTestId('train-loss')), cpuLoss);
    // The test loss comes from BatchNormalization's moving statistics.
    assert.equal(await page.textContent(byTestId('test-loss')), cpuTestLoss);
    await page.close();
  });

  test('forced GPU trains like the CPU', async () => {
    const requests = [];
    const page = await openGpuPage(requests);
    await page.click(byTestId('play'));
    await waitForEpoch(page, 10);
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`);
    const cpuLoss = await page.textContent(byTestId('train-loss'));
    const viewNumbers = async () => {
      await waitForViews(page, 10);
      return {
        diagnostics: await page.textContent('#diagnostics-caption'),
        weightNorms: await page.locator(`${byTestId('diagnostics')} tbody td:nth-child(4)`).allTextContents(),
        confusion: await page.locator(`${byTestId('confusion')} button`).allTextContents(),
      };
    };
    const cpuViews = await viewNumbers();

    // Auto chose the CPU, so the WebGPU module has not loaded yet.
    assert.equal(requests.filter(gpuModule).length, 0);
    await page.selectOption(byTestId('backend-setting'), 'gpu');
    await page.waitForFunction((s) => document.querySelector(s).textContent.startsWith('WebGPU'), byTestId('backend'));
    assert.match(await page.textContent(byTestId('backend-reason')), /Training runs on WebGPU \(.+\), as chosen/);
    assert.equal(requests.filter(gpuModule).length, 1);
    // The backend is no part of the network, so the preset stays selected.
    assert.equal(await page.inputValue(byTestId('preset')), 'keras-iris');
    await page.click(byTestId('play'));
    await waitForEpoch(page, 10);
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`);
    assert.equal(await chartPoints(page, 'loss-chart'), 10);
    // Readouts show 4 decimals; the two paths agree far more closely than that.
    assert.equal(await page.textContent(byTestId('train-loss')), cpuLoss);
    const accuracy = await readNumber(page, 'train-metric');
    assert.ok(accuracy >= 0.8, `training accuracy on WebGPU ${accuracy}`);
    // The views read the weights back from the device and show the same numbers.
    assert.deepEqual(await viewNumbers(), cpuViews);
    await page.close();
  });
});

describe('Chinese UI', () => {
  test('follows the browser language', async () => {
    const page = await browser.context.newPage();
    // The persistent context fixes the browser locale, so the page sees Chinese preferences
    // through navigator.languages, which is what it reads.
    await page.addInitScript(() => {
      Object.defineProperty(navigator, 'languages', { get: () => ['zh-CN', 'zh'] });
    });
    await page.goto(`${server.origin}/`);
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`, { timeout: 30_000 });
    assert.equal(await page.textContent(byTestId('play')), '开始');
    assert.equal(await page.inputValue(byTestId('language')), 'zh-CN');

    await setNumber(page, 'layer-0-units', 0);
    await page.waitForSelector(`${byTestId('error')}:not([hidden])`);
    assert.equal(
      await page.textContent(byTestId('error')),
      '第 1 层的神经元数为 0，超出范围；请使用 1 到 1024 之间的值。',
    );

    await page.selectOption(byTestId('language'), 'en');
    assert.equal(await page.textContent(byTestId('play')), 'Play');
    await page.selectOption(byTestId('language'), 'zh-CN');
    await page.evaluate(() => localStorage.clear());
    await page.close();
  });
});

describe('model files', () => {
  test('export then import restores weights', async () => {
    const { page, failures } = await openPage();
    await page.selectOption(byTestId('preset'), 'iris-test-split');
    await page.waitForFunction((s) => document.querySelector(s).textContent === '100', '#epochs');
    for (let epoch = 1; epoch <= 5; epoch += 1) {
      await page.click(byTestId('step'));
      await waitForEpoch(page, epoch);
    }
    const exportFile = async (from) => {
      const [download] = await Promise.all([
        from.waitForEvent('download'),
        from.click(byTestId('export-model')),
      ]);
      assert.equal(download.suggestedFilename(), 'model.safetensors');
      return { path: await download.path(), bytes: await readFile(await download.path()) };
    };
    const first = await exportFile(page);

    // A fresh page, changed away from the exported network, then the import.
    const other = await openPage();
    await setNumber(other.page, 'layer-0-units', 8);
    await other.page.waitForFunction((s) => document.querySelector(s).textContent === '40', byTestId('layer-0-params'));
    await other.page.setInputFiles(byTestId('import-model'), first.path);
    await other.page.waitForFunction((s) => document.querySelector(s).textContent.startsWith('Imported'), byTestId('status'));
    assert.equal(await other.page.inputValue(byTestId('layer-0-units')), '64');
    assert.equal(await other.page.textContent('#data-rows'), '120 training rows, 30 test rows');

    // Exporting the imported network gives the same bytes: the same spec and exactly the
    // same weights.
    const second = await exportFile(other.page);
    assert.ok(second.bytes.equals(first.bytes), 'the re-exported file differs');

    // Training goes on from the imported weights, well below an untrained network's loss.
    await other.page.click(byTestId('step'));
    await waitForEpoch(other.page, 1);
    const importedLoss = await readNumber(other.page, 'train-loss');
    await page.click(byTestId('reset'));
    await page.waitForFunction((s) => document.querySelector(s).textContent === '0', byTestId('epoch'));
    await page.click(byTestId('step'));
    await waitForEpoch(page, 1);
    const freshLoss = await readNumber(page, 'train-loss');
    assert.ok(importedLoss < freshLoss, `imported ${importedLoss} vs fresh ${freshLoss}`);
    assert.deepEqual(failures, []);
    assert.deepEqual(other.failures, []);
    await page.close();
    await other.page.close();
  });

  test('malformed model file is rejected', async () => {
    const { page } = await openPage();
    await page.setInputFiles(byTestId('import-model'), {
      name: 'broken.safetensors',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from([1, 2, 3]),
    });
    await page.waitForSelector(`${byTestId('error')}:not([hidden])`);
    assert.match(await page.textContent(byTestId('error')), /only 3 bytes, too few for a model file/);
    assert.equal(await page.inputValue(byTestId('preset')), 'keras-iris');
    assert.equal(await page.inputValue(byTestId('layer-0-units')), '64');
    await page.close();
  });
});

/**
 * A CSV file as a European spreadsheet saves it: semicolons, CRLF and decimal commas, with
 * text labels. "wide" rows have a larger width than "narrow" ones.
 */
function uploadCsv(rows = 60) {
  const lines = ['width;height;shape'];
  for (let row = 0; row < rows; row += 1) {
    const wide = row % 2 === 0;
    const width = wide ? 4 + (row % 5) * 0.5 : (row % 5) * 0.5;
    lines.push(`${String(width).replace('.', ',')};${row % 3};${wide ? 'wide' : 'narrow'}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

function csvFile(name, text) {
  return { name, mimeType: 'text/csv', buffer: Buffer.from(text) };
}

describe('regression and validation', () => {
  test('plane trains and reports MAE', async () => {
    const { page, failures } = await openPage();
    await page.selectOption(byTestId('data-set'), 'plane');
    await page.waitForFunction((s) => document.querySelector(s).textContent === 'Dense 1, linear', byTestId('layer-output-detail'));
    assert.equal(await page.inputValue(byTestId('loss')), 'mean_squared_error');
    assert.match(await page.textContent(byTestId('data-description')), /\(x \+ y\) \/ 10/);
    assert.equal(await page.textContent(byTestId('metric-chart-caption')), 'Mean absolute error per epoch');
    assert.equal(await page.getAttribute(byTestId('accuracy-chart'), 'data-metric'), 'mae');

    await setNumber(page, 'train-percent', 80);
    await page.waitForFunction((s) => document.querySelector(s).textContent.includes('test rows'), '#data-rows');
    await setNumber(page, 'validation-percent', 25);
    await page.waitForFunction((s) => document.querySelector(s).textContent.includes('validation rows'), '#data-rows');
    // The Keras preset's data has 150 rows: 120 for training, of which 30 validate.
    assert.equal(await page.textContent('#data-rows'), '90 training rows, 30 validation rows, 30 test rows');
    assert.match(page.url(), /[#&]data=plane&train=80&val=25&/);
    assert.equal(await page.getAttribute(byTestId('loss-chart'), 'data-series'), 'training,validation,test');
    assert.ok(await page.isVisible(byTestId('validation-metric')));

    await page.click(byTestId('step'));
    await waitForEpoch(page, 1);
    const firstLoss = await readNumber(page, 'train-loss');
    const firstMae = await readNumber(page, 'validation-metric');
    await page.click(byTestId('play'));
    await waitForEpoch(page, 10);
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`);
    const loss = await readNumber(page, 'train-loss');
    const mae = await readNumber(page, 'validation-metric');
    assert.ok(loss < firstLoss, `loss ${loss} after 10 epochs, ${firstLoss} after 1`);
    assert.ok(mae < firstMae, `validation MAE ${mae} after 10 epochs, ${firstMae} after 1`);
    assert.ok(await readNumber(page, 'test-metric') > 0, 'test MAE shown');
    assert.equal(await chartPoints(page, 'accuracy-chart'), 10);
    assert.equal(await page.textContent(byTestId('train-metric-label')), 'Training MAE');

    await page.selectOption(byTestId('language'), 'zh-CN');
    assert.equal(await page.textContent(byTestId('validation-metric-label')), '验证 MAE');
    assert.equal(await page.textContent(byTestId('metric-chart-caption')), '每个 epoch 的平均绝对误差（MAE）');
    assert.equal(await page.getAttribute(byTestId('loss-chart'), 'data-series'), '训练,验证,测试');

    // Cross-entropy cannot train a real-valued target; the message names the fix.
    await page.selectOption(byTestId('language'), 'en');
    await page.selectOption(byTestId('loss'), 'cross_entropy');
    await page.waitForSelector(`${byTestId('error')}:not([hidden])`);
    assert.equal(
      await page.textContent(byTestId('error')),
      'Cross-entropy (softmax) needs class labels, but the plane set is a regression data set with a real-valued target; pick MSE.',
    );
    assert.equal(await page.inputValue(byTestId('loss')), 'mean_squared_error');
    assert.deepEqual(failures, []);
    await page.close();
  });
});

describe('data sets', () => {
  test('uploaded CSV trains; bad file changes nothing', async () => {
    const { page, requests, failures } = await openPage();
    await page.setInputFiles(byTestId('upload-csv'), csvFile('shapes.csv', uploadCsv()));
    await page.waitForSelector(`${byTestId('label-column')}:visible`);
    assert.equal(await page.inputValue(byTestId('data-set')), 'csv');
    assert.equal(
      await page.textContent(byTestId('csv-summary')),
      'shapes.csv: 60 rows, 3 columns, semicolon-separated, header row; label: shape.',
    );
    assert.equal(await page.textContent(byTestId('data-shape')), '2 features, 2 classes: narrow, wide');
    assert.equal(await page.inputValue(byTestId('label-column')), '2');
    assert.equal(await page.textContent(byTestId('layer-input-shape')), '(None, 2)');

    await setNumber(page, 'learning-rate', 0.01);
    await page.waitForFunction((s) => document.querySelector(s).value === '0.01', byTestId('learning-rate'));
    await setNumber(page, 'epochs', 20);
    await page.waitForFunction((s) => document.querySelector(s).textContent === '20', '#epochs');
    await page.click(byTestId('step'));
    await waitForEpoch(page, 1);
    const firstAccuracy = await readNumber(page, 'train-metric');
    await page.click(byTestId('play'));
    await waitForEpoch(page, 20);
    const accuracy = await readNumber(page, 'train-metric');
    assert.ok(accuracy > firstAccuracy, `accuracy ${accuracy}, first ${firstAccuracy}`);
    assert.ok(accuracy >= 0.9, `training accuracy ${accuracy}`);

    // Row 4 (the header is row 1) gets text in the height column.
    const bad = uploadCsv().split('\r\n');
    bad[3] = '1;tall;narrow';
    await page.setInputFiles(byTestId('upload-csv'), csvFile('bad.csv', bad.join('\r\n')));
    await page.waitForSelector(`${byTestId('error')}:not([hidden])`);
    assert.equal(
      await page.textContent(byTestId('error')),
      'Row 4, column 2 ("height") of the CSV file is "tall", which is not a number; features must be numbers, so fix the cell or pick this column as the label.',
    );
    assert.match(await page.textContent(byTestId('csv-summary')), /^shapes\.csv: 60 rows/);
    assert.equal(await chartPoints(page, 'loss-chart'), 20, 'chart keeps its points');
    assert.equal(await readNumber(page, 'train-metric'), accuracy);
    assert.equal(await page.textContent(byTestId('epochs-total')), '20');

    // With the width column as the label, the shape column becomes a feature of text.
    await page.selectOption(byTestId('label-column'), '0');
    await page.waitForFunction((s) => document.querySelector(s).textContent.includes('"wide"'), byTestId('error'));
    assert.match(await page.textContent(byTestId('error')), /^Row 2, column 3 \("shape"\) of the CSV file is "wide"/);
    assert.equal(await page.inputValue(byTestId('label-column')), '2', 'label column stays');

    // A regression file whose target never changes has nothing to learn.
    const flat = ['size,price', ...Array.from({ length: 12 }, (_, i) => `${i},4.5`)];
    await page.setInputFiles(byTestId('upload-csv'), csvFile('flat.csv', flat.join('\n')));
    await page.waitForFunction((s) => document.querySelector(s).textContent.includes('4.5 in every row'), byTestId('error'));
    assert.equal(
      await page.textContent(byTestId('error')),
      'The target column (column 2 ("price")) holds 4.5 in every row, so there is nothing to learn; pick a target column whose values vary.',
    );
    assert.match(await page.textContent(byTestId('csv-summary')), /^shapes\.csv: 60 rows/);

    // The link names the uploaded file, which it cannot carry.
    assert.match(page.url(), /#data=csv&/);
    const origin = new URL(server.origin).origin;
    assert.deepEqual(requests.filter((url) => !url.startsWith(origin) && !url.startsWith('data:')), []);
    assert.deepEqual(failures, []);
    await page.close();
  });

  test('regression CSV trains; task can be overridden', async () => {
    const { page, failures } = await openPage();
    // price = 3 + 1.25 size - 0.5 rooms, a linear target with 48 distinct values.
    const rows = ['size,rooms,price'];
    for (let i = 0; i < 48; i += 1) rows.push(`${i % 12},${i % 5},${3 + 1.25 * (i % 12) - 0.5 * (i % 5) + i * 0.01}`);
    await page.setInputFiles(byTestId('upload-csv'), csvFile('prices.csv', rows.join('\n')));
    await page.waitForSelector(`${byTestId('task')}:visible`);
    assert.equal(await page.inputValue(byTestId('task')), 'regression');
    assert.equal(await page.inputValue(byTestId('loss')), 'mean_squared_error', 'cross-entropy gave way to MSE');
    assert.equal(await page.textContent(byTestId('data-shape')), '2 features, one real-valued target (regression)');
    assert.match(await page.textContent(byTestId('csv-summary')), /label: price\. Target from 1\.24 to 17\.1\.$/);
    assert.equal(await page.textContent(byTestId('layer-output-detail')), 'Dense 1, linear');
    assert.equal(await page.textContent(byTestId('train-metric-label')), 'Training MAE');

    await setNumber(page, 'learning-rate', 0.01);
    await page.waitForFunction((s) => document.querySelector(s).value === '0.01', byTestId('learning-rate'));
    await page.click(byTestId('step'));
    await waitForEpoch(page, 1);
    const firstMae = await readNumber(page, 'train-metric');
    await page.click(byTestId('play'));
    await waitForEpoch(page, 10);
    const mae = await readNumber(page, 'train-metric');
    assert.ok(mae < firstMae * 0.8, `MAE ${mae} after 10 epochs, ${firstMae} after 1`);

    // Overriding the task reads the 48 prices as classes.
    await page.selectOption(byTestId('task'), 'classification');
    await page.waitForFunction((s) => document.querySelector(s).textContent.startsWith('2 features, 48 classes'), byTestId('data-shape'));
    assert.equal(await page.textContent(byTestId('train-metric-label')), 'Training accuracy');
    assert.equal(await page.textContent(byTestId('layer-output-detail')), 'Dense 48, linear');
    assert.deepEqual(failures, []);
    await page.close();
  });

  test('CSV link falls back to Iris', async () => {
    const { page } = await openPage('/#data=csv&seed=2');
    assert.match(await page.textContent(byTestId('notice')), /link cannot carry, so Iris is shown/);
    assert.equal(await page.inputValue(byTestId('data-set')), 'iris');
    assert.equal(await page.inputValue(byTestId('seed')), '2');
    await page.close();
  });

  test('digits preset trains from fetched file', async () => {
    const { page, requests, failures } = await openPage();
    await page.selectOption(byTestId('preset'), 'digits');
    await page.waitForFunction((s) => document.querySelector(s).textContent === '20', '#epochs');
    assert.equal(await page.textContent('#data-rows'), '1438 training rows, 359 test rows');
    assert.equal(await page.textContent(byTestId('layer-input-shape')), '(None, 64)');
    await setNumber(page, 'epochs', 3);
    await page.waitForFunction((s) => document.querySelector(s).textContent === '3', '#epochs');
    await page.click(byTestId('play'));
    await waitForEpoch(page, 3);
    const accuracy = await readNumber(page, 'test-metric');
    assert.ok(accuracy > 0.8, `test accuracy after 3 epochs ${accuracy}`);
    assert.ok(requests.some((url) => url === `${server.origin}/data/digits.csv`), 'digits.csv fetched');
    const origin = new URL(server.origin).origin;
    assert.deepEqual(requests.filter((url) => !url.startsWith(origin) && !url.startsWith('data:')), []);
    assert.deepEqual(failures, []);
    await page.close();
  });
});

describe('image layers', () => {
  test('conv net learns the digits', async () => {
    const { page, failures } = await openPage();
    await page.selectOption(byTestId('preset'), 'digits-conv');
    await page.waitForFunction((s) => document.querySelector(s).textContent === '15', '#epochs');
    assert.equal(await page.textContent(byTestId('layer-input-shape')), '(None, 8, 8, 1)');
    assert.equal(await page.textContent(byTestId('layer-0-shape')), '(None, 8, 8, 16)');
    assert.equal(await page.textContent(byTestId('layer-3-shape')), '(None, 2, 2, 32)');
    assert.equal(await page.textContent(byTestId('layer-4-shape')), '(None, 128)');
    assert.equal(await page.inputValue(byTestId('layer-0-type')), 'conv2d');
    assert.equal(await page.inputValue(byTestId('layer-0-padding')), 'same');
    assert.equal(await page.inputValue(byTestId('layer-1-pool-size')), '2');

    await page.click(byTestId('play'));
    await waitForEpoch(page, 15, 120_000);
    const accuracy = await readNumber(page, 'test-metric');
    assert.ok(accuracy >= 0.95, `test accuracy after 15 epochs ${accuracy}`);
    assert.deepEqual(failures, []);
    await page.close();
  });

  test('conv layer on flat data is rejected', async () => {
    const { page, failures } = await openPage();
    await page.selectOption(byTestId('layer-0-type'), 'conv2d');
    await page.waitForSelector(`${byTestId('error')}:not([hidden])`);
    assert.match(
      await page.textContent(byTestId('error')),
      /Layer 1 \(Conv2D\) needs an image \(height x width x channels\) but receives 4 flat values/,
    );
    assert.equal(await page.inputValue(byTestId('layer-0-type')), 'dense', 'editor keeps the network');
    assert.equal(await page.textContent(byTestId('total-params')), 'Total parameters: 4,675');

    // A kernel larger than the image is rejected before training, naming both sizes.
    await page.selectOption(byTestId('preset'), 'digits-conv');
    await page.waitForSelector(byTestId('layer-0-kernel-size'));
    await page.selectOption(byTestId('layer-0-padding'), 'valid');
    await page.waitForFunction((s) => document.querySelector(s).textContent === '(None, 6, 6, 16)', byTestId('layer-0-shape'));
    await setNumber(page, 'layer-0-kernel-size', 9);
    await page.waitForSelector(`${byTestId('error')}:not([hidden])`);
    assert.match(await page.textContent(byTestId('error')), /Layer 1 \(Conv2D\) has a 9x9 kernel, larger than its 8x8 input/);
    assert.equal(await page.inputValue(byTestId('layer-0-kernel-size')), '3');
    assert.deepEqual(failures, []);
    await page.close();
  });
});

describe('generated code', () => {
  test('code follows the network', async () => {
    const { page, requests } = await openPage();
    // The code panel starts below the fold, and its wasm module loads when it is first shown.
    const toolsModule = (url) => url.endsWith('/pkg/dfdx_playground_tools_bg.wasm');
    const panelTop = await page.evaluate((s) => document.querySelector(s).getBoundingClientRect().top, byTestId('code-text'));
    assert.ok(panelTop > 1000, `code panel at ${panelTop}px, inside the 1000px viewport`);
    assert.equal(requests.filter(toolsModule).length, 0, 'tools module loaded before the panel showed');
    await page.locator(byTestId('code-text')).scrollIntoViewIfNeeded();
    await page.waitForFunction((s) => document.querySelector(s).textContent.includes('keras.Sequential'), byTestId('code-text'));
    const keras = await page.textContent(byTestId('code-text'));
    assert.match(keras, /keras\.layers\.Dense\(64, activation="relu"\)/);
    assert.match(keras, /batch_size=32, epochs=10/);

    await page.click(byTestId('code-pytorch'));
    await page.waitForFunction((s) => document.querySelector(s).textContent.includes('nn.Sequential'), byTestId('code-text'));
    assert.match(await page.textContent(byTestId('code-text')), /nn\.Linear\(4, 64\)/);

    await setNumber(page, 'layer-0-units', 32);
    await page.waitForFunction((s) => document.querySelector(s).textContent.includes('nn.Linear(4, 32)'), byTestId('code-text'));

    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
    await page.click(byTestId('code-copy'));
    await page.waitForFunction((s) => document.querySelector(s).textContent === 'Copied the code.', byTestId('status'));
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, await page.textContent(byTestId('code-text')));
    assert.equal(requests.filter(toolsModule).length, 1, 'tools module loads once');
    await page.close();
  });
});

describe('embedding', () => {
  test('docs page embeds two components and an iframe', async () => {
    const page = await browser.context.newPage();
    const failures = [];
    page.on('pageerror', (error) => failures.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') failures.push(message.text());
    });
    await page.goto(`${server.origin}/docs/embed.html`);
    const spiral = (id) => `#spiral >> ${byTestId(id)}`;
    const logistic = (id) => `#logistic >> ${byTestId(id)}`;
    await page.waitForSelector(`${spiral('play')}:not([disabled])`, { timeout: 30_000 });
    await page.waitForSelector(`${logistic('play')}:not([disabled])`, { timeout: 30_000 });

    // Attributes: the preset, the spec, the panels and the language.
    assert.equal(await page.textContent(spiral('epochs-total')), '200');
    assert.equal(await page.textContent(logistic('epochs-total')), '30');
    assert.equal(await page.textContent(logistic('play')), '开始');
    assert.equal(await page.isVisible(logistic('layers')), false, 'network panel hidden');
    assert.equal(await page.isVisible(spiral('layers')), true);

    // The two instances train independently.
    await page.click(spiral('play'));
    await page.waitForFunction(
      (s) => Number(document.querySelector('#spiral').shadowRoot.querySelector(s).textContent) >= 5,
      byTestId('epoch'),
    );
    assert.equal(await page.textContent(logistic('epoch')), '0');
    await page.click(logistic('play'));
    await page.waitForFunction(
      (s) => document.querySelector('#logistic').shadowRoot.querySelector(s).textContent === '30',
      byTestId('epoch'),
      { timeout: 60_000 },
    );
    assert.ok(Number(await page.textContent(logistic('train-metric'))) > 0.8);

    // The iframe starts on load and shows only controls and charts.
    const frame = page.frameLocator(byTestId('embed-frame'));
    await frame.locator(byTestId('epoch')).filter({ hasText: '10' }).waitFor({ timeout: 60_000 });
    assert.equal(await frame.locator(byTestId('layers')).isVisible(), false);
    assert.equal(await frame.locator(byTestId('loss-chart')).isVisible(), true);

    assert.deepEqual(failures, [], 'console errors, CSP violations included');
    await page.close();
  });
});

/** Waits until the views show epoch `epoch` or later. */
async function waitForViews(page, epoch = 0, timeout = 60_000) {
  await page.waitForFunction(
    ({ selector, epoch }) => {
      const value = document.querySelector(selector)?.dataset.epoch;
      return value !== undefined && Number(value) >= epoch;
    },
    { selector: byTestId('views'), epoch },
    { timeout },
  );
}

/** Reads a canvas's pixels and counts its distinct colors. */
async function canvasPixels(page, selector) {
  return page.$$eval(selector, (canvases) => canvases.map((canvas) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const colors = new Set();
    for (let i = 0; i < data.length; i += 4) {
      colors.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
    return { colors: colors.size, alpha: data[3], pixels: Array.from(data) };
  }));
}

describe('views', () => {
  test('circle heatmap and units change with training', async () => {
    const { page, failures } = await openPage();
    await page.selectOption(byTestId('preset'), 'circle');
    await page.waitForSelector(`${byTestId('boundary-view')}:not([hidden])`);
    await waitForViews(page, 0);
    const [before] = await canvasPixels(page, byTestId('boundary'));
    const unitsBefore = await canvasPixels(page, '.network-graph canvas.unit');
    // Two inputs and the preset's 8 hidden units.
    assert.equal(unitsBefore.length, 10);
    assert.ok(before.colors > 20, `boundary has ${before.colors} colors`);
    assert.equal(before.alpha, 255, 'boundary is painted');
    for (const [index, unit] of unitsBefore.entries()) {
      assert.ok(unit.colors > 5, `unit thumbnail ${index} has ${unit.colors} colors`);
    }
    // A line per weight: 2 x 8 into the hidden layer and 8 into the output.
    assert.equal(await page.locator('#links path').count(), 24);

    for (let epoch = 1; epoch <= 3; epoch += 1) {
      await page.click(byTestId('step'));
      await waitForViews(page, epoch);
    }
    const [after] = await canvasPixels(page, byTestId('boundary'));
    const unitsAfter = await canvasPixels(page, '.network-graph canvas.unit');
    const changed = (a, b) => a.pixels.some((value, index) => value !== b.pixels[index]);
    assert.ok(changed(before, after), 'boundary changed after training');
    assert.ok(changed(unitsBefore[2], unitsAfter[2]), 'first hidden unit changed after training');
    assert.ok(!changed(unitsBefore[0], unitsAfter[0]), 'input x1 thumbnail stays');

    // The weights table lists W1 (2 inputs x 8 units) and W2 (8 x 1).
    await page.click(byTestId('weights-toggle'));
    const kernels = page.locator(`${byTestId('weights-table')} table`);
    assert.equal(await kernels.count(), 2);
    assert.equal(await kernels.nth(0).locator('tbody tr').count(), 2);
    assert.equal(await kernels.nth(0).locator('tbody tr').first().locator('td').count(), 8);
    assert.equal(await kernels.nth(1).locator('tbody tr').count(), 8);

    // The confusion matrix counts the 250 test rows of the circle preset.
    const counts = await page.$$eval(`${byTestId('confusion')} button`, (buttons) =>
      buttons.map((button) => Number(button.textContent)));
    assert.equal(counts.reduce((sum, count) => sum + count, 0), 250);
    await page.screenshot({ path: '/tmp/views-circle.png', fullPage: true });
    assert.deepEqual(failures, []);
    await page.close();
  });

  test('iris confusion cell lists its rows', async () => {
    const { page, failures } = await openPage();
    await page.selectOption(byTestId('preset'), 'iris-test-split');
    await page.waitForSelector(byTestId('boundary-view'), { state: 'hidden' });
    await page.click(byTestId('play'));
    await waitForEpoch(page, 100);
    await waitForViews(page, 100);
    const caption = await page.textContent('#confusion-caption');
    assert.match(caption, /test split \(30 rows\)/);
    const counts = await page.$$eval(`${byTestId('confusion')} button`, (buttons) =>
      buttons.map((button) => Number(button.textContent)));
    assert.equal(counts.length, 9);
    assert.equal(counts.reduce((sum, count) => sum + count, 0), 30);
    const diagonal = counts[0] + counts[4] + counts[8];
    const accuracy = await readNumber(page, 'test-metric');
    assert.equal((diagonal / 30).toFixed(4), accuracy.toFixed(4));

    // Enter on a focused cell opens it, as a click does.
    await page.focus(byTestId('cell-1-1'));
    await page.keyboard.press('Enter');
    const table = page.locator(`${byTestId('cell-rows')} table`);
    await table.waitFor();
    const rows = await table.locator('tbody tr').count();
    assert.equal(rows, counts[4]);
    const scores = await table.locator('tbody tr').first().locator('td').allTextContents();
    // Actual, predicted, three probabilities and the four raw features.
    assert.equal(scores[0], 'versicolor');
    assert.equal(scores[1], 'versicolor');
    const probabilities = scores.slice(2, 5).map(Number);
    const total = probabilities.reduce((sum, p) => sum + p, 0);
    assert.ok(Math.abs(total - 1) < 0.003, `probabilities ${probabilities} sum to 1`);
    assert.ok(probabilities[1] > 0.5, `versicolor row predicted versicolor: ${probabilities}`);
    const features = scores[5].split(', ').map(Number);
    assert.equal(features.length, 4);
    assert.ok(features.every((value) => value > 0 && value < 8), `raw centimetres: ${features}`);

    // Space on another cell switches to it.
    await page.focus(byTestId('cell-0-0'));
    await page.keyboard.press('Space');
    await page.waitForFunction((s) => document.querySelector(s).textContent.includes('Actual setosa'),
      `${byTestId('cell-rows')} caption`);
    assert.equal(await page.getAttribute(byTestId('cell-0-0'), 'aria-pressed'), 'true');
    assert.equal(await page.getAttribute(byTestId('cell-1-1'), 'aria-pressed'), 'false');

    // Diagnostics: one row per dense layer, with a dead share for the ReLU layers.
    const diagnostics = await page.locator(`${byTestId('diagnostics')} tbody tr`).allTextContents();
    assert.equal(diagnostics.length, 3);
    assert.match(diagnostics[0], /ReLU.*%/);
    await page.screenshot({ path: '/tmp/views-iris.png', fullPage: true });
    assert.deepEqual(failures, []);
    await page.close();
  });

  test('uploaded CSV shows where it errs', async () => {
    const { page, failures } = await openPage();
    // The separable rows of uploadCsv plus 20 rows at width 3 whose labels alternate, so
    // that no network classifies every test row right.
    const ambiguous = Array.from({ length: 20 }, (_, row) => `3;${row % 3};${row % 2 ? 'wide' : 'narrow'}`);
    await page.setInputFiles(byTestId('upload-csv'), csvFile('mixed.csv', `${uploadCsv()}${ambiguous.join('\r\n')}\r\n`));
    await page.waitForSelector(`${byTestId('label-column')}:visible`);
    await setNumber(page, 'train-percent', 80);
    await page.waitForFunction((s) => /64 training rows, 16 test rows/.test(document.querySelector(s).textContent), '#data-rows');
    await setNumber(page, 'learning-rate', 0.01);
    await page.waitForFunction((s) => document.querySelector(s).value === '0.01', byTestId('learning-rate'));
    await setNumber(page, 'epochs', 30);
    await page.waitForFunction((s) => document.querySelector(s).textContent === '30', '#epochs');
    await page.click(byTestId('play'));
    await waitForEpoch(page, 30);
    await waitForViews(page, 30);
    assert.match(await page.textContent('#confusion-caption'), /test split \(16 rows\)/);

    const cells = await page.$$eval(`${byTestId('confusion')} button`, (buttons) =>
      buttons.map((button) => ({ id: button.dataset.testid, count: Number(button.textContent) })));
    assert.equal(cells.reduce((sum, cell) => sum + cell.count, 0), 16);
    const classes = ['narrow', 'wide'];
    const errors = cells.filter(({ id, count }) => {
      const [, actual, predicted] = id.split('-');
      return actual !== predicted && count > 0;
    });
    assert.ok(errors.length > 0, `no misclassified test row in ${JSON.stringify(cells)}`);

    const [{ id, count }] = errors;
    const [, actual, predicted] = id.split('-').map(Number);
    await page.click(byTestId(id));
    const rows = page.locator(`${byTestId('cell-rows')} table tbody tr`);
    await rows.first().waitFor();
    assert.equal(await rows.count(), count);
    for (const row of await rows.all()) {
      const cellsText = await row.locator('td').allTextContents();
      assert.equal(cellsText[0], classes[actual]);
      assert.equal(cellsText[1], classes[predicted]);
      // The misclassified rows are the ambiguous ones, at width 3.
      assert.match(cellsText[cellsText.length - 1], /^3, /);
    }
    assert.deepEqual(failures, []);
    await page.close();
  });

  test('digits drill-down shows images', async () => {
    const { page, failures } = await openPage();
    await page.selectOption(byTestId('preset'), 'digits');
    await waitForViews(page, 0);
    await page.click(byTestId('step'));
    await waitForViews(page, 1);
    const caption = await page.textContent('#confusion-caption');
    assert.match(caption, /test split \(359 rows\)/);
    await page.click(byTestId('cell-3-3'));
    const images = page.locator(`${byTestId('cell-rows')} canvas.digit`);
    await images.first().waitFor();
    const count = Number(await page.textContent(byTestId('cell-3-3')));
    assert.equal(await images.count(), Math.min(count, 100));
    const [image] = await canvasPixels(page, `${byTestId('cell-rows')} canvas.digit`);
    assert.equal(image.pixels.length, 8 * 8 * 4);
    // Raw pixels run from white (0) to black (16/16), and a digit uses both ends.
    const levels = new Set(image.pixels.filter((_, index) => index % 4 === 0));
    assert.ok(levels.has(255), 'white background');
    assert.ok(levels.has(0) || Math.min(...levels) < 40, `dark strokes: ${[...levels]}`);
    await page.screenshot({ path: '/tmp/views-digits.png', fullPage: true });
    assert.deepEqual(failures, []);
    await page.close();
  });

  test('formulas typeset in Chinese', async () => {
    const { page, requests, failures } = await openPage();
    await page.selectOption(byTestId('language'), 'zh-CN');
    const formulas = page.locator(byTestId('formulas'));
    await formulas.locator('.katex').first().waitFor();
    assert.equal(await page.textContent('#formulas-heading'), '公式');
    const headings = await formulas.locator('h3').allTextContents();
    assert.deepEqual(headings, ['前向传播', '损失', '反向传播', '参数更新']);
    // The Keras preset: 4 inputs, Dense 64, Dense 64, Dense 3, batch 32, Adam.
    const math = await formulas.locator('annotation').allTextContents();
    assert.ok(math.some((tex) => tex.includes('W_{1} \\in \\mathbb{R}^{4 \\times 64}')), math.join('\n'));
    assert.ok(math.some((tex) => tex.includes('\\operatorname{softmax}(z_{3})')));
    assert.ok(math.some((tex) => tex.includes('\\frac{\\partial L}{\\partial W_{1}} = x^{\\top} \\delta_{1}')));
    assert.ok(math.some((tex) => tex.includes('0.001')), 'Adam learning rate');
    assert.equal(await formulas.locator('.formula').filter({ hasText: '无法排版' }).count(), 0);
    assert.ok(await page.evaluate(() => document.fonts.check('16px KaTeX_Main')), 'KaTeX font loaded');

    // Editing the network rewrites the formulas.
    await page.selectOption(byTestId('layer-0-activation'), 'tanh');
    await page.waitForFunction(() => [...document.querySelectorAll('#formulas annotation')]
      .some((node) => node.textContent.includes('\\tanh(z_{1})')));
    await page.screenshot({ path: '/tmp/views-formulas-zh.png', fullPage: true });
    const origin = new URL(page.url()).origin;
    assert.deepEqual(requests.filter((url) => !url.startsWith(origin) && !url.startsWith('blob:')), []);
    assert.deepEqual(failures, []);
    // The language choice persists in the browser profile; the other tests read English.
    await page.selectOption(byTestId('language'), 'en');
    await page.close();
  });

  test('formulas cover conv backward pass', async () => {
    const { page, failures } = await openPage();
    await page.selectOption(byTestId('preset'), 'digits-conv');
    const formulas = page.locator(byTestId('formulas'));
    // The preset: Conv2D 16 (3×3, same) on 8×8×1 digits, MaxPool 2, Conv2D 32, MaxPool 2,
    // Flatten, Dense 64, Dense 10, batch 32.
    await page.waitForFunction(() => [...document.querySelectorAll('#formulas annotation')]
      .some((node) => node.textContent.includes('U_{1}^{\\top} \\delta_{1}')));
    const math = await formulas.locator('annotation').allTextContents();
    const has = (tex) => assert.ok(math.some((line) => line.includes(tex)), `${tex} in\n${math.join('\n')}`);
    has('\\frac{\\partial L}{\\partial K_{1}} = U_{1}^{\\top} \\delta_{1} \\in \\mathbb{R}^{(3 \\cdot 3 \\cdot 1) \\times 16}');
    has('\\frac{\\partial L}{\\partial K_{3}} = U_{3}^{\\top} \\delta_{3} \\in \\mathbb{R}^{(3 \\cdot 3 \\cdot 16) \\times 32}');
    has('\\delta_{2} = \\operatorname{col2im}(\\delta_{3} K_{3}^{\\top})');
    has('\\delta_{1} = \\operatorname{unpool}_{\\max}(\\delta_{2}) \\odot \\mathbf{1}[z_{1} > 0]');
    has('\\delta_{4} = \\operatorname{reshape}(\\delta_{5})');
    const text = await formulas.textContent();
    assert.doesNotMatch(text, /backward pass is not written out/);
    assert.match(text, /first maximum/);
    assert.equal(await formulas.locator('.katex-error').count(), 0);
    assert.equal(await formulas.locator('.formula').filter({ hasText: 'could not be typeset' }).count(), 0);

    // Normalization layers continue the chain with their own input gradient.
    await page.selectOption(byTestId('layer-1-type'), 'batch_norm');
    await page.waitForFunction(() => [...document.querySelectorAll('#formulas annotation')]
      .some((node) => node.textContent.includes('\\partial \\gamma_{2}')));
    const norm = await formulas.locator('annotation').allTextContents();
    assert.ok(norm.some((line) => line.includes('\\delta_{1} = \\frac{1}{2048\\, s_{2}}')), norm.join('\n'));
    assert.match(await formulas.textContent(), /moving mean and variance/);
    assert.equal(await formulas.locator('.katex-error').count(), 0);
    assert.deepEqual(failures, []);
    await page.close();
  });

  test('metrics table is reachable by keyboard', async () => {
    const { page, failures } = await openPage();
    await page.selectOption(byTestId('language'), 'en');
    await page.click(byTestId('step'));
    await waitForEpoch(page, 1);
    await page.click(byTestId('step'));
    await waitForEpoch(page, 2);
    // Tab from the top of the page to the loss chart and then to the table toggle.
    await page.focus(byTestId('play'));
    const reached = [];
    for (let presses = 0; presses < 200; presses += 1) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate(() => document.activeElement?.dataset.testid);
      reached.push(id);
      if (id === 'metrics-toggle') break;
    }
    assert.ok(reached.includes('loss-chart'), `focus passed ${reached.join(', ')}`);
    assert.ok(reached.includes('accuracy-chart'));
    assert.equal(reached[reached.length - 1], 'metrics-toggle');
    assert.match(await page.getAttribute(byTestId('loss-chart'), 'aria-label'), /2 epochs/);
    await page.keyboard.press('Enter');
    const rows = page.locator(`${byTestId('metrics-table')} tbody tr`);
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    const first = await rows.first().locator('th, td').allTextContents();
    assert.equal(first[0], '1');
    assert.equal(Number(first[1]).toFixed(4), first[1]);
    assert.equal(await page.getAttribute(byTestId('metrics-toggle'), 'aria-expanded'), 'true');
    // A later epoch joins the open table.
    await page.click(byTestId('step'));
    await waitForEpoch(page, 3);
    await page.waitForFunction((s) => document.querySelectorAll(s).length === 3,
      `${byTestId('metrics-table')} tbody tr`);
    assert.equal(await rows.last().locator('th').textContent(), '3');
    assert.equal(Number(await rows.last().locator('td').first().textContent()).toFixed(4),
      (await readNumber(page, 'train-loss')).toFixed(4));
    assert.deepEqual(failures, []);
    await page.close();
  });
});

describe('training options', () => {
  test('schedule and L2 penalty train and show', async () => {
    const { page, failures } = await openPage();
    const chart = byTestId('schedule-chart');
    assert.equal(await page.getAttribute(chart, 'data-points'), '10');

    await page.selectOption(byTestId('schedule'), 'cosine');
    await page.waitForSelector(byTestId('schedule-alpha'));
    await setNumber(page, 'warmup', 2);
    await page.waitForFunction((s) => /schedule=cosine/.test(location.hash) && /warmup=2/.test(location.hash), chart);
    // Adam's 0.001 times 1/3 in the first warm-up epoch, decaying to alpha 0 in epoch 10.
    const label = await page.getAttribute(chart, 'aria-label');
    assert.match(label, /0\.000333 in epoch 1, at most 0\.00100, 0\.00 in epoch 10/);

    await setNumber(page, 'l2', 0.01);
    await page.waitForFunction(() => /l2=0\.01/.test(location.hash));
    assert.equal(
      await page.getAttribute(byTestId('loss-chart'), 'data-series'),
      'training data loss,L1/L2 penalty',
    );
    assert.equal(await page.isVisible(byTestId('loss-note')), true);
    assert.equal(await page.isVisible(byTestId('train-penalty')), true);
    // The legend that uPlot draws names the series too.
    const legend = await page.textContent('#loss-chart .u-legend');
    assert.match(legend, /training data loss/);
    assert.match(legend, /L1\/L2 penalty/);
    // The penalty has its own y axis, besides the epoch axis and the loss axis.
    assert.equal(await page.locator('#loss-chart .u-axis').count(), 3);

    await page.click(byTestId('step'));
    await waitForEpoch(page, 1);
    assert.equal(await page.getAttribute(chart, 'data-marked'), '1', 'the next epoch is marked');
    await page.click(byTestId('play'));
    await waitForEpoch(page, 10);
    await page.waitForSelector(`${byTestId('play')}:not([disabled])`);
    assert.equal(await chartPoints(page, 'loss-chart'), 10);
    assert.equal(await page.getAttribute(chart, 'data-marked'), '9');
    assert.match(await page.getAttribute(chart, 'aria-label'), /epoch 10 uses 0\.00\./);
    const penalty = await readNumber(page, 'train-penalty');
    assert.ok(penalty > 0, `penalty readout ${penalty}`);
    // The curve is drawn: some pixels of the canvas are not transparent.
    const drawn = await page.$eval(chart, (canvas) => {
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let count = 0;
      for (let index = 3; index < data.length; index += 4) if (data[index] > 0) count += 1;
      return count;
    });
    assert.ok(drawn > 50, `${drawn} drawn pixels`);

    // The legend follows the language.
    await page.selectOption(byTestId('language'), 'zh-CN');
    assert.equal(
      await page.getAttribute(byTestId('loss-chart'), 'data-series'),
      '训练数据损失,L1/L2 惩罚项',
    );
    assert.deepEqual(failures, [], 'console errors');
    // The page keeps the language for the next visit, and the next tests read English.
    await page.selectOption(byTestId('language'), 'en');
    await page.close();
  });

  test('out-of-range penalty names the field', async () => {
    const { page } = await openPage();
    await setNumber(page, 'l1', 5);
    await page.waitForSelector(`${byTestId('error')}:not([hidden])`);
    assert.equal(
      await page.textContent(byTestId('error')),
      'L1 penalty on kernels is 5, which is out of range; use a value from 0 to 1.',
    );
    assert.equal(await page.inputValue(byTestId('l1')), '0', 'the accepted spec stays');
    await page.close();
  });

  test('Huber and AdamW train on the page', async () => {
    const { page } = await openPage();
    await page.selectOption(byTestId('loss'), 'huber');
    await page.waitForSelector(`${byTestId('huber-delta')}:visible`);
    await page.selectOption(byTestId('optimizer'), 'adamw');
    await page.waitForSelector(byTestId('weight-decay'));
    assert.equal(await page.inputValue(byTestId('weight-decay')), '0.004');
    await setNumber(page, 'huber-delta', 0.5);
    await page.waitForFunction(() => /loss=huber/.test(location.hash) && /delta=0\.5/.test(location.hash));
    await page.click(byTestId('play'));
    await waitForEpoch(page, 10);
    const accuracy = await readNumber(page, 'train-metric');
    assert.ok(accuracy > 0.6, `training accuracy ${accuracy}`);

    // The update formula typesets AdamW's decoupled weight decay rather than its name.
    const update = await page.locator(`${byTestId('formulas')} .katex`).last().textContent();
    assert.match(update, /0\.004/);
    assert.doesNotMatch(await page.textContent(byTestId('formulas')), /adamw/);
    await page.close();
  });
});
