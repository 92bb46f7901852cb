// Batch normalization over `groups` rows of `channels` values, row-major: a convolution's
// (rows · positions) × filters output, or a dense layer's rows × units. Each channel is
// normalized with its mean and biased variance over the rows, as Keras's BatchNormalization
// does in training: y = gamma · (x - mean) / sqrt(variance + epsilon) + beta.
//
// `statistics` writes each channel's mean and deviation sqrt(variance + epsilon) to `stats`
// (means first, then deviations). In training it takes them from the batch and blends the
// batch mean and variance into the moving statistics with `momentum`; in evaluation it takes
// them from the moving statistics and changes nothing else. `forward` normalizes, keeping the
// normalized values x̂ for the backward pass. `backward` computes
// dx = gamma / deviation · (dy - Σdy / groups - x̂ · Σ(dy · x̂) / groups), with the two sums,
// which are also the gradients of beta and gamma, from scale_shift.wgsl.
//
// `statistics` runs one thread per channel in workgroups of 64, dispatched as
// [ceil(channels / 64), 1, 1]: each thread sums its channel over the rows in order, so the sums
// need no cooperation between threads. A layer has at most 1024 channels (spec::MAX_UNITS)
// and usually far fewer, so larger workgroups would leave most threads idle. `forward` and
// `backward` run one value per thread in workgroups of 256, dispatched as
// [ceil(groups · channels / 256), 1, 1]: elementwise work needs no barriers, which SwiftShader
// runs much faster (see matmul.wgsl), and 256 is the largest workgroup WebGPU guarantees.
//
// The entry points bind different arrays at the same bindings. WGSL allows two variables to
// share a binding as long as no single entry point uses both.

struct NormParams {
    groups: u32,
    channels: u32,
    // 1 in training, 0 in evaluation.
    training: u32,
    _pad0: u32,
    momentum: f32,
    epsilon: f32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: NormParams;

// Bindings of `statistics`.
@group(0) @binding(1) var<storage, read> statistics_x: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> moving_mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> moving_variance: array<f32>;

// Bindings of `forward`.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> forward_stats: array<f32>;
@group(0) @binding(3) var<storage, read> forward_gamma: array<f32>;
@group(0) @binding(4) var<storage, read> beta: array<f32>;
@group(0) @binding(5) var<storage, read_write> normalized: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

// Bindings of `backward`.
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> backward_normalized: array<f32>;
@group(0) @binding(3) var<storage, read> backward_stats: array<f32>;
@group(0) @binding(4) var<storage, read> gamma: array<f32>;
@group(0) @binding(5) var<storage, read> gamma_grad: array<f32>;
@group(0) @binding(6) var<storage, read> beta_grad: array<f32>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn statistics(@builtin(global_invocation_id) id: vec3<u32>) {
    let channel = id.x;
    let channels = params.channels;
    if (channel >= channels) {
        return;
    }
    var mean: f32;
    var variance: f32;
    if (params.training == 1u) {
        let count = f32(params.groups);
        var sum = 0.0;
        for (var group = 0u; group < params.groups; group++) {
            sum = sum + statistics_x[group * channels + channel];
        }
        mean = sum / count;
        var squares = 0.0;
        for (var group = 0u; group < params.groups; group++) {
            let centered = statistics_x[group * channels + channel] - mean;
            squares = squares + centered * centered;
        }
        variance = squares / count;
        let momentum = params.momentum;
        moving_mean[channel] = moving_mean[channel] * momentum + mean * (1.0 - momentum);
        moving_variance[channel] =
            moving_variance[channel] * momentum + variance * (1.0 - momentum);
    } else {
        mean = moving_mean[channel];
        variance = moving_variance[channel];
    }
    stats[channel] = mean;
    stats[channels + channel] = sqrt(variance + params.epsilon);
}

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) id: vec3<u32>) {
    let index = id.x;
    let channels = params.channels;
    if (index >= params.groups * channels) {
        return;
    }
    let channel = index % channels;
    let value = (x[index] - forward_stats[channel]) / forward_stats[channels + channel];
    normalized[index] = value;
    y[index] = value * forward_gamma[channel] + beta[channel];
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) id: vec3<u32>) {
    let index = id.x;
    let channels = params.channels;
    if (index >= params.groups * channels) {
        return;
    }
    let channel = index % channels;
    let count = f32(params.groups);
    let scale = gamma[channel] / backward_stats[channels + channel];
    let centered_grad = dy[index] - beta_grad[channel] / count
        - backward_normalized[index] * gamma_grad[channel] / count;
    dx[index] = scale * centered_grad;
}
