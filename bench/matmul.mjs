// Times the three matmul kernels (src/gpu/kernels/matmul*.wgsl) on the browser's WebGPU adapter,
// for the products of one training step of the wide 784-256-256-10 network at batch 128. The
// trainer picks the vec4 kernels on software adapters and the workgroup-memory kernel on
// hardware ones (MatmulVariant in src/gpu/kernels.rs), and this shows which is faster on the
// adapter at hand. Each kernel's output is checked against a JavaScript product first.
//
//   scripts/build.sh && node bench/matmul.mjs
//
// Prints one Markdown row per product: the median of 3 rounds, each the mean of 5 dispatches.
import { readFile } from 'node:fs/promises';
import { launchBrowser, startServer } from '../www/tests/browser.mjs';

const kernelFile = (name) => readFile(new URL(`../src/gpu/kernels/${name}`, import.meta.url), 'utf8');
const TRANSPOSE_A = 1;
const TRANSPOSE_B = 2;

/** The products of a training step: C (m×n) = op(A)·op(B) with inner dimension k. */
const PRODUCTS = [
  { name: 'x·W₁, 128×784 · 784×256', m: 128, n: 256, k: 784, flags: 0, entry: 'nn' },
  { name: 'xᵀ·dz₁, 784×128 · 128×256', m: 784, n: 256, k: 128, flags: TRANSPOSE_A, entry: 'tn' },
  { name: 'h₁·W₂, 128×256 · 256×256', m: 128, n: 256, k: 256, flags: 0, entry: 'nn' },
  { name: 'dz₂·W₂ᵀ, 128×256 · 256×256', m: 128, n: 256, k: 256, flags: TRANSPOSE_B, entry: 'nt' },
];

const sources = {
  scalar: await kernelFile('matmul.wgsl'),
  vec4: await kernelFile('matmul_vec4.wgsl'),
  tiled: await kernelFile('matmul_tiled.wgsl'),
};
/** Each kernel with its entry point for a product and its outputs per workgroup along each axis. */
const KERNELS = [
  { name: 'matmul.wgsl', source: 'scalar', entry: () => 'main', tile: 32 },
  { name: 'matmul_vec4.wgsl', source: 'vec4', entry: (product) => product.entry, tile: 64 },
  { name: 'matmul_tiled.wgsl', source: 'tiled', entry: () => 'main', tile: 64 },
];

const server = await startServer();
const browser = await launchBrowser({ webgpu: true });
try {
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/`);
  const results = await page.evaluate(async ({ sources, kernels, products }) => {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter was found; Chromium offers one only with --enable-unsafe-webgpu');
    const device = await adapter.requestDevice();
    const info = adapter.info ?? {};
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const buffer = (data, usage) => {
      const created = device.createBuffer({ size: Math.max(16, data.byteLength), usage });
      device.queue.writeBuffer(created, 0, data);
      return created;
    };
    const rows = [];
    for (const [index, product] of products.entries()) {
      const { m, n, k, flags } = product;
      const a = new Float32Array(m * k).map(() => Math.random() - 0.5);
      const b = new Float32Array(k * n).map(() => Math.random() - 0.5);
      const row = { product: product.name, ms: {} };
      for (const kernel of kernels) {
        const module = device.createShaderModule({ code: sources[kernel.source] });
        const pipeline = device.createComputePipeline({
          layout: 'auto',
          compute: { module, entryPoint: kernel.entries[index] },
        });
        const c = buffer(new Float32Array(m * n), storage);
        const bindGroup = device.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: [
            buffer(new Uint32Array([m, n, k, flags]), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST),
            buffer(a, storage),
            buffer(b, storage),
            c,
          ].map((resource, binding) => ({ binding, resource: { buffer: resource } })),
        });
        const run = async (dispatches) => {
          const encoder = device.createCommandEncoder();
          for (let i = 0; i < dispatches; i++) {
            const pass = encoder.beginComputePass();
            pass.setPipeline(pipeline);
            pass.setBindGroup(0, bindGroup);
            pass.dispatchWorkgroups(Math.ceil(n / kernel.tile), Math.ceil(m / kernel.tile));
            pass.end();
          }
          device.queue.submit([encoder.finish()]);
          await device.queue.onSubmittedWorkDone();
        };
        await run(1);

        const readBack = device.createBuffer({ size: m * n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        const copy = device.createCommandEncoder();
        copy.copyBufferToBuffer(c, 0, readBack, 0, m * n * 4);
        device.queue.submit([copy.finish()]);
        await readBack.mapAsync(GPUMapMode.READ);
        const output = new Float32Array(readBack.getMappedRange().slice(0));
        readBack.unmap();
        // 200 spread-out elements against a float64 product.
        for (let t = 0; t < 200; t++) {
          const i = (t * 7919) % m;
          const j = (t * 104729) % n;
          let sum = 0;
          for (let p = 0; p < k; p++) {
            const left = flags & 1 ? a[p * m + i] : a[i * k + p];
            const right = flags & 2 ? b[j * k + p] : b[p * n + j];
            sum += left * right;
          }
          if (Math.abs(sum - output[i * n + j]) > 1e-4 * Math.max(1, Math.abs(sum))) {
            throw new Error(`${kernel.name} ${product.name}: C[${i}][${j}] is ${output[i * n + j]}, expected ${sum}`);
          }
        }

        const rounds = [];
        for (let round = 0; round < 3; round++) {
          const start = performance.now();
          await run(5);
          rounds.push((performance.now() - start) / 5);
        }
        rounds.sort((x, y) => x - y);
        row.ms[kernel.name] = rounds[1];
      }
      rows.push(row);
    }
    device.destroy();
    return { adapter: [info.vendor, info.architecture, info.description].filter(Boolean).join(' '), rows };
  }, {
    sources,
    // Functions do not cross into the page, so each kernel's entry points go as an array.
    kernels: KERNELS.map(({ name, source, tile, entry }) => ({ name, source, tile, entries: PRODUCTS.map(entry) })),
    products: PRODUCTS,
  });
  console.log(`Adapter: ${results.adapter || 'unnamed'}\n`);
  console.log(`| product | ${KERNELS.map((kernel) => kernel.name).join(' | ')} |`);
  console.log(`|---|${KERNELS.map(() => '---').join('|')}|`);
  for (const row of results.rows) {
    console.log(`| ${row.product} | ${KERNELS.map((kernel) => row.ms[kernel.name].toFixed(2)).join(' | ')} |`);
  }
} finally {
  await browser.close();
  server.close();
}
