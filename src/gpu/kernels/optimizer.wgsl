// One optimizer update of a parameter tensor, elementwise, with the formulas of dfdx 0.13's CPU
// kernels (tensor_ops/{sgd,adam,rmsprop}/cpu_kernel.rs) in the same order of operations. Only
// Adam takes weight decay, the decoupled form of AdamW. Workgroup size 256, one element per thread, dispatched as [ceil(len / 256), 1, 1]:
// elementwise work needs no cooperation between threads, and 256 is the largest workgroup WebGPU
// guarantees.
//
// All three entry points take the same five bindings, so the host binds every update alike.
// State per rule: SGD keeps its velocity in state1 and leaves state2 alone. Adam keeps its first
// and second moments in state1 and state2. RMSprop keeps its mean square in state1 and its
// momentum buffer in state2.

struct OptimizerParams {
    len: u32,
    _pad: u32,
    lr: f32,
    momentum: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    rho: f32,
    // 1 / (1 - beta1^t) and 1 / (1 - beta2^t) at the 1-based step t, which the host computes in
    // f32 with powi, as dfdx 0.13's Adam does.
    bias_correction1: f32,
    bias_correction2: f32,
    // AdamW's weight_decay · lr, which the host computes in f64 and rounds to f32 as dfdx 0.13
    // does; 0 for Adam.
    decoupled_decay: f32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: OptimizerParams;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> state1: array<f32>;
@group(0) @binding(4) var<storage, read_write> state2: array<f32>;

// SGD with classic momentum: v = g + momentum·v, p -= v·lr. With momentum 0 this is plain SGD,
// p -= g·lr, as dfdx computes it without momentum.
@compute @workgroup_size(256)
fn sgd(@builtin(global_invocation_id) id: vec3<u32>) {
    // WebGPU's inferred bind group layout lists only the bindings that an entry point uses, so
    // this phony assignment keeps state2 in SGD's layout without touching its contents.
    _ = &state2;
    let index = id.x;
    if (index >= params.len) {
        return;
    }
    let velocity = grad[index] + params.momentum * state1[index];
    state1[index] = velocity;
    param[index] = param[index] - velocity * params.lr;
}

// Adam: m = β1·m + (1 - β1)·g, v = β2·v + (1 - β2)·g², p -= lr·m̂ / (sqrt(v̂) + eps) + decay·p
// with the bias-corrected m̂ = m·bias_correction1 and v̂ = v·bias_correction2, and the
// decoupled decay of AdamW (0 for Adam, which leaves the step unchanged).
@compute @workgroup_size(256)
fn adam(@builtin(global_invocation_id) id: vec3<u32>) {
    let index = id.x;
    if (index >= params.len) {
        return;
    }
    let g = grad[index];
    let m = state1[index] * params.beta1 + g * (1.0 - params.beta1);
    let v = state2[index] * params.beta2 + (g * g) * (1.0 - params.beta2);
    state1[index] = m;
    state2[index] = v;
    let m_hat = m * params.bias_correction1;
    let v_hat = v * params.bias_correction2;
    let decay = params.decoupled_decay * param[index];
    let step = params.lr * m_hat / (sqrt(v_hat) + params.eps) + decay;
    param[index] = param[index] - step;
}

// RMSprop, not centred: s += (1 - rho)·(g² - s), g' = g / sqrt(s + eps). Like dfdx 0.13, eps is
// added inside the square root. With momentum > 0: b = momentum·b + g', p -= b·lr. Otherwise
// p -= g'·lr and state2 is left alone.
@compute @workgroup_size(256)
fn rmsprop(@builtin(global_invocation_id) id: vec3<u32>) {
    let index = id.x;
    if (index >= params.len) {
        return;
    }
    let g = grad[index];
    let s = state1[index] + (1.0 - params.rho) * (g * g - state1[index]);
    state1[index] = s;
    let scaled = g / sqrt(s + params.eps);
    if (params.momentum > 0.0) {
        let b = state2[index] * params.momentum + scaled;
        state2[index] = b;
        param[index] = param[index] - b * params.lr;
    } else {
        param[index] = param[index] - scaled * params.lr;
    }
}
