// Layer normalization of `groups` rows of `channels` values, row-major: each row (for images,
// each row and position) is normalized over its channels, as Keras's LayerNormalization does:
// y = gamma · (x - mean) / sqrt(variance + epsilon) + beta, with the row's mean and biased
// variance.
//
// `forward` keeps the normalized values x̂ and each row's deviation sqrt(variance + epsilon)
// for `backward`, which computes, with g = dy · gamma,
// dx = (g - Σg / channels - x̂ · Σ(g · x̂) / channels) / deviation. The gradients of gamma and
// beta come from scale_shift.wgsl.
//
// Both entry points run one row per thread in workgroups of 64, dispatched as
// [ceil(groups / 64), 1, 1]: each thread sums over its own row's channels in order, so no
// barriers are needed (SwiftShader runs barrier-free kernels much faster, see matmul.wgsl).
// A row has at most 1024 channels (spec::MAX_UNITS), which one thread loops over quickly.
//
// The two entry points bind different arrays at the same bindings. WGSL allows two variables
// to share a binding as long as no single entry point uses both.

struct NormParams {
    groups: u32,
    channels: u32,
    training: u32,
    _pad0: u32,
    momentum: f32,
    epsilon: f32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: NormParams;

// Bindings of `forward`.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> forward_gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> normalized: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> deviation: array<f32>;

// Bindings of `backward`.
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> backward_normalized: array<f32>;
@group(0) @binding(4) var<storage, read> backward_deviation: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) id: vec3<u32>) {
    let group = id.x;
    let channels = params.channels;
    if (group >= params.groups) {
        return;
    }
    let base = group * channels;
    let count = f32(channels);
    var sum = 0.0;
    for (var channel = 0u; channel < channels; channel++) {
        sum = sum + x[base + channel];
    }
    let mean = sum / count;
    var squares = 0.0;
    for (var channel = 0u; channel < channels; channel++) {
        let centered = x[base + channel] - mean;
        squares = squares + centered * centered;
    }
    let row_deviation = sqrt(squares / count + params.epsilon);
    deviation[group] = row_deviation;
    for (var channel = 0u; channel < channels; channel++) {
        let value = (x[base + channel] - mean) / row_deviation;
        normalized[base + channel] = value;
        y[base + channel] = value * forward_gamma[channel] + beta[channel];
    }
}

@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) id: vec3<u32>) {
    let group = id.x;
    let channels = params.channels;
    if (group >= params.groups) {
        return;
    }
    let base = group * channels;
    let count = f32(channels);
    var grad_sum = 0.0;
    var product_sum = 0.0;
    for (var channel = 0u; channel < channels; channel++) {
        let g = dy[base + channel] * gamma[channel];
        grad_sum = grad_sum + g;
        product_sum = product_sum + g * backward_normalized[base + channel];
    }
    let grad_mean = grad_sum / count;
    let product_mean = product_sum / count;
    let row_deviation = backward_deviation[group];
    for (var channel = 0u; channel < channels; channel++) {
        let g = dy[base + channel] * gamma[channel];
        dx[base + channel] =
            (g - grad_mean - backward_normalized[base + channel] * product_mean) / row_deviation;
    }
}
