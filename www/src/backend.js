// Chooses where training runs. The browser's adapter is probed here, in JavaScript, because
// only the WebGPU API reports whether an adapter is a software fallback and names its vendor
// and architecture.

/**
 * Requests an adapter and describes it, or returns null when the browser offers none.
 * `isFallbackAdapter` is read from `adapter.info` and, for browsers that still report it
 * there, from the adapter itself.
 */
export async function probeAdapter() {
  if (!('gpu' in navigator)) return null;
  let adapter = null;
  try {
    adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    return null;
  }
  if (!adapter) return null;
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor || '',
    architecture: info.architecture || '',
    description: info.description || '',
    fallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
  };
}

/**
 * Picks the backend for a setting ("auto", "gpu" or "cpu"), an adapter probe and the first
 * layer type of the network that WebGPU cannot train (undefined when it can train them all).
 * Auto takes the GPU only for a hardware adapter, because software WebGPU is slower than
 * single-threaded wasm:
 * 7 to 60 times slower on Chromium's SwiftShader in docs/benchmarks.md. "gpu" takes any adapter,
 * software included.
 */
export function chooseBackend(setting, adapter, unsupportedLayer) {
  if (setting === 'cpu') return { kind: 'cpu', reason: 'chosen', adapter };
  if (!adapter) return { kind: 'cpu', reason: 'no-adapter', adapter };
  // The WebGPU kernels cover Dense and Dropout only; other networks train on the CPU whatever
  // the setting, with the layer named in the reason.
  if (unsupportedLayer) return { kind: 'cpu', reason: 'gpu-unsupported', adapter, layer: unsupportedLayer };
  if (setting === 'gpu') return { kind: 'gpu', reason: 'chosen', adapter, allowFallback: true };
  if (adapter.fallback) return { kind: 'cpu', reason: 'fallback-adapter', adapter };
  return { kind: 'gpu', reason: 'hardware-adapter', adapter, allowFallback: false };
}
