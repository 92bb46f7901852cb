// Assembles the static site in dist/ from the page sources, the wasm-bindgen output in
// www/pkg/ and the chart library, and shrinks the modules with binaryen's wasm-opt from npm.
// Debian's wasm-opt (binaryen 108) is avoided: the modules it writes fail at load.
import { cp, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const www = fileURLToPath(new URL('.', import.meta.url));
const dist = join(www, '..', 'dist');
const optimize = !process.argv.includes('--no-wasm-opt');

const pkg = join(www, 'pkg');
// The CPU training module, loaded at start, then the WebGPU training module and the code export
// and model-file module, which the Worker imports on first use (see scripts/build.sh).
const modules = ['dfdx_playground_bg.wasm', 'dfdx_playground_gpu_bg.wasm', 'dfdx_playground_tools_bg.wasm'];
for (const module of modules) {
  if (!(await stat(join(pkg, module)).catch(() => null))) {
    console.error(`www/pkg/ has no ${module}: run scripts/build.sh, which runs wasm-bindgen first.`);
    process.exit(1);
  }
}

await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, 'vendor'), { recursive: true });
await cp(join(www, 'index.html'), join(dist, 'index.html'));
await cp(join(www, 'embed.html'), join(dist, 'embed.html'));
// The example docs page that embeds the playground both ways.
await mkdir(join(dist, 'docs'), { recursive: true });
await cp(join(www, '..', 'docs', 'embed.html'), join(dist, 'docs', 'embed.html'));
await cp(join(www, '..', 'docs', 'embed.css'), join(dist, 'docs', 'embed.css'));
await cp(join(www, 'src'), join(dist, 'src'), { recursive: true });
await cp(pkg, join(dist, 'pkg'), { recursive: true });
const uplot = join(www, 'node_modules', 'uplot', 'dist');
await cp(join(uplot, 'uPlot.esm.js'), join(dist, 'vendor', 'uPlot.esm.js'));
await cp(join(uplot, 'uPlot.min.css'), join(dist, 'vendor', 'uPlot.min.css'));
// KaTeX typesets the formulas panel. Its stylesheet lists woff2 first for every font, which
// every browser that runs WebAssembly reads, so only those files are copied.
const katex = join(www, 'node_modules', 'katex', 'dist');
await cp(join(katex, 'katex.mjs'), join(dist, 'vendor', 'katex.mjs'));
await cp(join(katex, 'katex.min.css'), join(dist, 'vendor', 'katex.min.css'));
await mkdir(join(dist, 'vendor', 'fonts'), { recursive: true });
for (const file of await readdir(join(katex, 'fonts'))) {
  if (file.endsWith('.woff2')) await cp(join(katex, 'fonts', file), join(dist, 'vendor', 'fonts', file));
}
await cp(join(www, '..', 'data', 'README.md'), join(dist, 'DATA-LICENSE.md'));
// The Worker fetches the larger data sets from dist/data/ rather than carrying them in the
// wasm module, which stays small for the sets a visitor never opens.
await mkdir(join(dist, 'data'), { recursive: true });
for (const file of await readdir(join(www, '..', 'data'))) {
  if (file.endsWith('.csv')) await cp(join(www, '..', 'data', file), join(dist, 'data', file));
}

const sizes = [];
for (const module of modules) {
  const wasm = join(dist, 'pkg', module);
  const before = (await stat(wasm)).size;
  if (optimize) {
    const wasmOpt = join(www, 'node_modules', '.bin', 'wasm-opt');
    // The features match what rustc emits for wasm32-unknown-unknown by default.
    execFileSync(
      wasmOpt,
      [wasm, '-O3', '--enable-bulk-memory', '--enable-nontrapping-float-to-int',
        '--enable-sign-ext', '--enable-mutable-globals', '--enable-multivalue',
        '--enable-reference-types', '-o', wasm],
      { stdio: 'inherit' },
    );
  }
  const after = (await stat(wasm)).size;
  sizes.push(`${module} is ${after} bytes (${before} before wasm-opt)`);
}
console.log(`dist/ is ready; ${sizes.join(', ')}.`);
