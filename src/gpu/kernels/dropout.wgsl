// Inverted dropout. `forward` zeroes each element with probability `rate` and scales the rest
// by 1 / (1 - rate), storing the factor of each element in `mask`. `backward` applies the same
// factors to the gradient. Workgroup size 256, one element per thread, dispatched as
// [ceil(len / 256), 1, 1]: elementwise work needs no cooperation between threads, and 256 is the
// largest workgroup WebGPU guarantees.
//
// The random draw of element i is a hash of (seed, step, i), so it needs no RNG state on the
// device and the CPU twin reproduces every mask exactly.
//
// The two entry points bind different arrays at bindings 1 to 3. WGSL allows two variables to
// share a binding as long as no single entry point uses both.

struct DropoutParams {
    len: u32,
    seed: u32,
    step: u32,
    rate: f32,
}

@group(0) @binding(0) var<uniform> params: DropoutParams;

// Bindings of `forward`.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> mask: array<f32>;

// Bindings of `backward`.
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> saved_mask: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

// The 32-bit PCG hash as published in Jarzynski and Olano, "Hash Functions for GPU Rendering",
// JCGT 9(3), 2020: one step of PCG's 32-bit LCG (multiplier 747796405, increment 2891336453)
// followed by PCG's RXS-M-XS output permutation (multiplier 277803737). WGSL's u32 arithmetic
// wraps, as the twin's wrapping_mul and wrapping_add do.
fn pcg_hash(value: u32) -> u32 {
    let state = value * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

// Uniform draw in [0, 1) for element `index`. The seed, the step and the index pass through the
// hash in a chain, so the draw depends on all three. The top 24 bits of the hash convert
// to f32 exactly.
fn uniform_draw(index: u32) -> f32 {
    let hash = pcg_hash(index + pcg_hash(params.step + pcg_hash(params.seed)));
    return f32(hash >> 8u) * (1.0 / 16777216.0);
}

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) id: vec3<u32>) {
    let index = id.x;
    if (index >= params.len) {
        return;
    }
    let scale = 1.0 / (1.0 - params.rate);
    let factor = select(scale, 0.0, uniform_draw(index) < params.rate);
    mask[index] = factor;
    y[index] = x[index] * factor;
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) id: vec3<u32>) {
    let index = id.x;
    if (index >= params.len) {
        return;
    }
    dx[index] = dy[index] * saved_mask[index];
}
