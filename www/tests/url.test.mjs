// The URL fragment round-trips every preset and reports bad parameters. The presets come from
// the built wasm module (www/pkg), loaded in Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { initSync, presets } from '../pkg/dfdx_playground.js';
import { fragmentToSpec, specToFragment } from '../src/url.js';

initSync({ module: readFileSync(new URL('../pkg/dfdx_playground_bg.wasm', import.meta.url)) });
const all = presets();
const keras = all.find((p) => p.id === 'keras-iris').spec;

test('every preset round-trips', () => {
  assert.ok(all.length >= 4, `${all.length} presets`);
  for (const { id, spec } of all) {
    for (const backend of ['auto', 'gpu', 'cpu']) {
      const fragment = specToFragment(spec, backend);
      // Read over a different base, so every field must come from the fragment.
      const base = id === 'spiral' ? keras : all.find((p) => p.id === 'spiral').spec;
      const parsed = fragmentToSpec(`#${fragment}`, base);
      assert.deepEqual(parsed.problems, [], `${id}: ${fragment}`);
      assert.deepEqual(parsed.spec, spec, `${id}: ${fragment}`);
      assert.equal(parsed.backend, backend, id);
    }
  }
});

test('unknown parameter keeps defaults', () => {
  const parsed = fragmentToSpec('#colour=blue&seed=7', keras);
  assert.deepEqual(parsed.problems, [{ name: 'colour', value: 'blue' }]);
  assert.equal(parsed.spec.seed, 7);
  assert.deepEqual(parsed.spec.layers, keras.layers);
});

test('malformed values are reported', () => {
  const cases = [
    ['lr=fast', 'lr'],
    ['epochs=', 'epochs'],
    ['data=mnist', 'data'],
    ['layers=dense:64', 'layers'],
    ['layers=dense:x:relu', 'layers'],
    ['layers=conv:3', 'layers'],
    ['loss=hinge', 'loss'],
    ['std=yes', 'std'],
    ['backend=tpu', 'backend'],
    ['optimizer=adam&rho=0.9', 'rho'],
  ];
  for (const [fragment, name] of cases) {
    const parsed = fragmentToSpec(fragment, keras);
    assert.equal(parsed.problems.length, 1, fragment);
    assert.equal(parsed.problems[0].name, name, fragment);
    assert.deepEqual(parsed.spec, keras, `${fragment} changed the spec`);
  }
});

test('optimizer change takes its defaults', () => {
  const parsed = fragmentToSpec('optimizer=rmsprop&lr=0.01', keras);
  assert.deepEqual(parsed.spec.optimizer, {
    type: 'rmsprop', learning_rate: 0.01, rho: 0.9, epsilon: 1e-7, momentum: 0,
  });
});

test('empty layers means no hidden layers', () => {
  const parsed = fragmentToSpec('layers=', keras);
  assert.deepEqual(parsed.problems, []);
  assert.deepEqual(parsed.spec.layers, []);
});

test('shipped data sets round-trip', () => {
  for (const set of ['wine', 'breast_cancer', 'digits']) {
    const spec = structuredClone(keras);
    spec.data.set = set;
    const parsed = fragmentToSpec(specToFragment(spec), keras);
    assert.deepEqual(parsed.problems, [], set);
    assert.equal(parsed.spec.data.set, set);
  }
});

test('csv link keeps base data with notice', () => {
  const spec = structuredClone(keras);
  spec.data.set = 'csv';
  spec.data.csv = { label_column: 2, rows: 40, features: 2, classes: 2 };
  spec.seed = 4;
  const fragment = specToFragment(spec);
  assert.match(fragment, /^data=csv&/);
  const parsed = fragmentToSpec(fragment, keras);
  assert.deepEqual(parsed.problems, [{ name: 'data', value: 'csv', reason: 'csv' }]);
  assert.equal(parsed.spec.data.set, 'iris');
  assert.equal(parsed.spec.data.csv, undefined, 'a link carries no file shape');
  assert.equal(parsed.spec.seed, 4, 'the other parameters still apply');
});

test('image layers parse from a link', () => {
  const fragment = '#data=digits&train=80&layers=conv2d:8:3:2:same:gelu,avg_pool2d:2:1,batch_norm,'
    + 'max_pool2d:3,flatten,layer_norm,dense:16:tanh';
  const { spec, problems } = fragmentToSpec(fragment, keras);
  assert.deepEqual(problems, []);
  assert.deepEqual(spec.layers, [
    { type: 'conv2d', filters: 8, kernel_size: 3, stride: 2, padding: 'same', activation: 'gelu' },
    { type: 'avg_pool2d', pool_size: 2, stride: 1 },
    { type: 'batch_norm' },
    { type: 'max_pool2d', pool_size: 3 },
    { type: 'flatten' },
    { type: 'layer_norm' },
    { type: 'dense', units: 16, activation: 'tanh' },
  ]);
  for (const bad of ['conv2d:8:3:1:full:relu', 'conv2d:8:3:same:relu', 'max_pool2d:', 'flatten:2', 'pool:2']) {
    const parsed = fragmentToSpec(`#layers=${bad}`, keras);
    assert.deepEqual(parsed.problems.map((p) => p.name), ['layers'], bad);
    assert.deepEqual(parsed.spec.layers, keras.layers, `${bad} keeps the base layers`);
  }
});
