// Gradients of a normalization layer's gamma and beta, y = gamma · x̂ + beta per channel, over
// `groups` rows of `channels` values: gamma_grad[c] = Σ dy · x̂ and beta_grad[c] = Σ dy over the
// rows, added from row 0 upward. Batch and layer normalization both use it.
//
// Workgroup size 64, one channel per thread, dispatched as [ceil(channels / 64), 1, 1], like
// bias.wgsl's `bias_grad`: each thread sums its own channel, so no barriers are needed. A
// layer has at most 1024 channels (spec::MAX_UNITS) and usually far fewer, so larger
// workgroups would leave most threads idle.

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
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> normalized: array<f32>;
@group(0) @binding(3) var<storage, read_write> gamma_grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> beta_grad: array<f32>;

@compute @workgroup_size(64)
fn grad(@builtin(global_invocation_id) id: vec3<u32>) {
    let channel = id.x;
    let channels = params.channels;
    if (channel >= channels) {
        return;
    }
    var gamma_sum = 0.0;
    var beta_sum = 0.0;
    for (var group = 0u; group < params.groups; group++) {
        let index = group * channels + channel;
        gamma_sum = gamma_sum + dy[index] * normalized[index];
        beta_sum = beta_sum + dy[index];
    }
    gamma_grad[channel] = gamma_sum;
    beta_grad[channel] = beta_sum;
}
