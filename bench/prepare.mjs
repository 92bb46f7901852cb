// Copies the TensorFlow.js 4.22 browser bundles from www/node_modules into dist/bench/tfjs/, so
// bench/tfjs.mjs loads them from the served site's own origin (its CSP allows scripts from
// 'self' only). Run it after `scripts/build.sh`, which deletes and rebuilds dist/.
import { cp, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const modules = join(root, 'www', 'node_modules', '@tensorflow');
const dist = join(root, 'dist');
const target = join(dist, 'bench', 'tfjs');

/**
 * Files to copy, relative to www/node_modules/@tensorflow. The ES2017 bundles are UMD scripts
 * that set the global `tf`. The backend bundles extend it, so they must load after
 * tf.es2017.min.js. The wasm backend fetches one of its three modules when it initializes, and
 * picks the threaded one only on a cross-origin isolated page, which the served site is not.
 */
const FILES = [
  'tfjs/dist/tf.es2017.min.js',
  'tfjs-backend-webgpu/dist/tf-backend-webgpu.es2017.min.js',
  'tfjs-backend-wasm/dist/tf-backend-wasm.es2017.min.js',
  'tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm',
];

if (!(await stat(join(dist, 'index.html')).catch(() => null))) {
  console.error('dist/ has no site: run scripts/build.sh first, then this script.');
  process.exit(1);
}

await mkdir(target, { recursive: true });
for (const file of FILES) {
  const source = join(modules, file);
  if (!(await stat(source).catch(() => null))) {
    console.error(`Missing ${source}: run \`npm install\` in www/ to install the TensorFlow.js devDependencies.`);
    process.exit(1);
  }
  await cp(source, join(target, file.split('/').pop()));
}
console.log(`Copied ${FILES.length} TensorFlow.js files to ${target}.`);
