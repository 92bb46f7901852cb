// Activation functions, elementwise: `forward` computes y = f(z) and `backward` computes
// dz = dy · f'(z). Workgroup size 256, one element per thread, dispatched as
// [ceil(len / 256), 1, 1]: elementwise work needs no cooperation between threads, and 256 is the
// largest workgroup WebGPU guarantees.
//
// Kinds: 0 linear, 1 relu, 2 sigmoid, 3 tanh, 4 leaky relu with slope `params.slope`, 5 exact
// GELU. Any other kind acts as linear.
//
// The two entry points bind different arrays at binding 2. WGSL allows two variables to share a
// binding as long as no single entry point uses both.

struct ActivationParams {
    len: u32,
    kind: u32,
    slope: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: ActivationParams;
@group(0) @binding(1) var<storage, read> z: array<f32>;

// Bindings of `forward`.
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// Bindings of `backward`.
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dz: array<f32>;

const FRAC_1_SQRT_2: f32 = 0.70710678118654752;
// 1 / sqrt(2π), the standard normal density at 0.
const FRAC_1_SQRT_2PI: f32 = 0.39894228040143268;

// Logistic sigmoid. Only exp(-|x|) is computed, so no input overflows exp.
fn sigmoid(x: f32) -> f32 {
    let e = exp(-abs(x));
    if (x >= 0.0) {
        return 1.0 / (1.0 + e);
    }
    return e / (1.0 + e);
}

// tanh with its input clamped to [-10, 10], so that a driver that computes tanh from exp(2x)
// cannot overflow into NaN. In f32, tanh(x) rounds to ±1 for |x| > 9.02, so the clamp changes no
// result.
fn stable_tanh(x: f32) -> f32 {
    return tanh(clamp(x, -10.0, 10.0));
}

// erfc(u) for u >= 0 by Abramowitz and Stegun, Handbook of Mathematical Functions, formula
// 7.1.26, which approximates erf with an absolute error of at most 1.5e-7. WGSL has no erf.
fn erfc_nonnegative(u: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.3275911 * u);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    return poly * exp(-u * u);
}

// Standard normal CDF Φ(x) = erfc(-x / √2) / 2. The tail is computed directly rather than as
// 1 - erf, so Φ keeps its precision for large negative x.
fn normal_cdf(x: f32) -> f32 {
    let tail = 0.5 * erfc_nonnegative(abs(x) * FRAC_1_SQRT_2);
    if (x >= 0.0) {
        return 1.0 - tail;
    }
    return tail;
}

fn activate(x: f32) -> f32 {
    switch params.kind {
        case 1u: {
            return select(0.0, x, x > 0.0);
        }
        case 2u: {
            return sigmoid(x);
        }
        case 3u: {
            return stable_tanh(x);
        }
        case 4u: {
            return select(params.slope * x, x, x > 0.0);
        }
        case 5u: {
            return x * normal_cdf(x);
        }
        default: {
            return x;
        }
    }
}

// f'(x). At exactly 0 both follow dfdx 0.13: relu'(0) = 0, and leaky relu'(0) = 1 because
// dfdx's prelu computes choose(x < 0, slope·x, x).
fn activation_derivative(x: f32) -> f32 {
    switch params.kind {
        case 1u: {
            return select(0.0, 1.0, x > 0.0);
        }
        case 2u: {
            // sigmoid(x)·(1 - sigmoid(x)) = e / (1 + e)² with e = exp(-|x|), which avoids the
            // cancellation in 1 - sigmoid(x) for large x.
            let e = exp(-abs(x));
            let denominator = 1.0 + e;
            return e / (denominator * denominator);
        }
        case 3u: {
            // 1 - tanh²(x) = 4e / (1 + e)² with e = exp(-2|x|), which avoids the cancellation
            // in 1 - tanh² where tanh is near ±1.
            let e = exp(-2.0 * abs(x));
            let denominator = 1.0 + e;
            return 4.0 * e / (denominator * denominator);
        }
        case 4u: {
            return select(params.slope, 1.0, x >= 0.0);
        }
        case 5u: {
            // d/dx x·Φ(x) = Φ(x) + x·φ(x), where φ is the standard normal density.
            return normal_cdf(x) + x * (FRAC_1_SQRT_2PI * exp(-0.5 * x * x));
        }
        default: {
            return 1.0;
        }
    }
}

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) id: vec3<u32>) {
    let index = id.x;
    if (index >= params.len) {
        return;
    }
    y[index] = activate(z[index]);
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) id: vec3<u32>) {
    let index = id.x;
    if (index >= params.len) {
        return;
    }
    dz[index] = dy[index] * activation_derivative(z[index]);
}
