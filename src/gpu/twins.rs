//! CPU twins of the WGSL kernels in `kernels/`: one function per entry point, with the same
//! formulas in the same order of operations, the same tie rules and the same random draws.
//! Each twin takes the kernel's uniform and its bound arrays in binding order. Like the kernel,
//! it writes only the logical elements that the uniform describes and leaves the rest of a
//! longer output untouched. All matrices are row-major.
//!
//! GPU results can still differ from a twin in the last bits, because WGSL lets exp, log, sqrt
//! and division be a few ULP off and lets compilers fuse a multiply and an add.

use crate::gpu::kernels::{
    ActivationParams, DropoutParams, GatherParams, LossParams, MatmulParams, NormParams,
    OptimizerParams, ReduceParams, ShapeParams, WindowParams, TRANSPOSE_A, TRANSPOSE_B,
};

/// Defines the scalar formulas of the activation and loss kernels for one float type, so that
/// the f32 twins and the f64 finite-difference checks evaluate the same expressions.
macro_rules! scalar_formulas {
    ($float:ty) => {
        use crate::gpu::kernels::{activation_kind, loss_kind};

        const FRAC_1_SQRT_2: $float = std::f64::consts::FRAC_1_SQRT_2 as $float;
        /// 1 / sqrt(2π), the standard normal density at 0.
        const FRAC_1_SQRT_2PI: $float = 0.398_942_280_401_432_7_f64 as $float;

        /// Computes the logistic sigmoid from exp(-|x|) only, so no input overflows exp.
        pub fn sigmoid(x: $float) -> $float {
            let e = (-x.abs()).exp();
            if x >= 0.0 {
                1.0 / (1.0 + e)
            } else {
                e / (1.0 + e)
            }
        }

        /// Computes tanh with its input clamped to [-10, 10], as the kernel does so that a driver
        /// that computes tanh from exp(2x) cannot overflow into NaN. In f32, tanh rounds to ±1
        /// beyond the clamp anyway.
        pub fn stable_tanh(x: $float) -> $float {
            x.clamp(-10.0, 10.0).tanh()
        }

        /// Approximates erfc(u) for u >= 0 by Abramowitz and Stegun, Handbook of Mathematical
        /// Functions, formula 7.1.26, whose erf has an absolute error of at most 1.5e-7.
        // The coefficients are written as published and serve the f64 version too.
        #[allow(clippy::excessive_precision)]
        fn erfc_nonnegative(u: $float) -> $float {
            let t = 1.0 / (1.0 + 0.3275911 * u);
            let poly = t
                * (0.254829592
                    + t * (-0.284496736
                        + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
            poly * (-u * u).exp()
        }

        /// Computes the standard normal CDF Φ(x) = erfc(-x / √2) / 2 from the tail, so that Φ
        /// keeps its precision for large negative x.
        pub fn normal_cdf(x: $float) -> $float {
            let tail = 0.5 * erfc_nonnegative(x.abs() * FRAC_1_SQRT_2);
            if x >= 0.0 {
                1.0 - tail
            } else {
                tail
            }
        }

        /// Applies activation `kind`, one of [`activation_kind`]. Any other value acts as linear.
        pub fn activate(kind: u32, slope: $float, x: $float) -> $float {
            match kind {
                activation_kind::RELU => {
                    if x > 0.0 {
                        x
                    } else {
                        0.0
                    }
                }
                activation_kind::SIGMOID => sigmoid(x),
                activation_kind::TANH => stable_tanh(x),
                activation_kind::LEAKY_RELU => {
                    if x > 0.0 {
                        x
                    } else {
                        slope * x
                    }
                }
                activation_kind::GELU => x * normal_cdf(x),
                _ => x,
            }
        }

        /// Computes the derivative of activation `kind` at `x`. Relu and leaky relu take
        /// derivative 1 only for x > 0, so relu'(0) = 0 and leaky relu'(0) = slope.
        pub fn activation_derivative(kind: u32, slope: $float, x: $float) -> $float {
            match kind {
                activation_kind::RELU => {
                    if x > 0.0 {
                        1.0
                    } else {
                        0.0
                    }
                }
                // sigmoid' = e / (1 + e)² with e = exp(-|x|), and tanh' = 4e / (1 + e)² with
                // e = exp(-2|x|), which avoid the cancellation where sigmoid or tanh is near 1.
                activation_kind::SIGMOID => {
                    let e = (-x.abs()).exp();
                    let denominator = 1.0 + e;
                    e / (denominator * denominator)
                }
                activation_kind::TANH => {
                    let e = (-2.0 * x.abs()).exp();
                    let denominator = 1.0 + e;
                    4.0 * e / (denominator * denominator)
                }
                activation_kind::LEAKY_RELU => {
                    if x >= 0.0 {
                        1.0
                    } else {
                        slope
                    }
                }
                // d/dx x·Φ(x) = Φ(x) + x·φ(x), where φ is the standard normal density.
                activation_kind::GELU => {
                    normal_cdf(x) + x * (FRAC_1_SQRT_2PI * (-0.5 * x * x).exp())
                }
                _ => 1.0,
            }
        }

        /// Returns the index of the largest value, the first one on ties.
        pub fn argmax(row: &[$float]) -> usize {
            let mut best = 0;
            for col in 1..row.len() {
                if row[col] > row[best] {
                    best = col;
                }
            }
            best
        }

        /// Computes the loss of one row of `logits` (at least one value) against `label`, scaled
        /// so that the batch loss is the mean over rows. `kind` is one of [`loss_kind`], and
        /// any other value acts as cross-entropy.
        pub fn row_loss(kind: u32, logits: &[$float], label: u32) -> $float {
            let cols = logits.len() as $float;
            match kind {
                loss_kind::BINARY_CROSS_ENTROPY => {
                    let y = label as $float;
                    let mut sum: $float = 0.0;
                    for &x in logits {
                        sum += x.max(0.0) - x * y + (1.0 + (-x.abs()).exp()).ln();
                    }
                    sum / cols
                }
                loss_kind::MEAN_SQUARED_ERROR => {
                    let mut sum: $float = 0.0;
                    for (col, &x) in logits.iter().enumerate() {
                        let difference = x - if col as u32 == label { 1.0 } else { 0.0 };
                        sum += difference * difference;
                    }
                    sum / cols
                }
                _ => {
                    // The loss is log(Σ exp(x - max)) - (x[label] - max), so no exp overflows
                    // and large logits do not cancel. An invalid label has an all-zero target.
                    let max_value = logits[argmax(logits)];
                    let mut sum: $float = 0.0;
                    for &x in logits {
                        sum += (x - max_value).exp();
                    }
                    let valid = (label as usize) < logits.len();
                    let target_sum = if valid { 1.0 } else { 0.0 };
                    let label_logit = logits[(label as usize).min(logits.len() - 1)];
                    target_sum * (sum.ln() - (label_logit - max_value))
                }
            }
        }
    };
}

/// Scalar formulas of the activation and loss kernels in f32, as the twins use them.
pub mod scalar {
    scalar_formulas!(f32);
}

/// The same scalar formulas in f64, for finite-difference checks of the kernels' gradients.
pub mod scalar_f64 {
    scalar_formulas!(f64);
}

/// Twin of `matmul.wgsl`: c (m×n) = op(a)·op(b). `a` is m×k, or k×m with [`TRANSPOSE_A`];
/// `b` is k×n, or n×k with [`TRANSPOSE_B`]. Each output sums its products for p = 0, 1, …,
/// k - 1 in order.
pub fn matmul(params: &MatmulParams, a: &[f32], b: &[f32], c: &mut [f32]) {
    let (m, n, k) = (params.m as usize, params.n as usize, params.k as usize);
    let a_transposed = params.flags & TRANSPOSE_A != 0;
    let b_transposed = params.flags & TRANSPOSE_B != 0;
    for row in 0..m {
        for col in 0..n {
            let mut sum = 0.0f32;
            for p in 0..k {
                let a_value = if a_transposed {
                    a[p * m + row]
                } else {
                    a[row * k + p]
                };
                let b_value = if b_transposed {
                    b[col * k + p]
                } else {
                    b[p * n + col]
                };
                sum += a_value * b_value;
            }
            c[row * n + col] = sum;
        }
    }
}

/// Twin of `bias.wgsl`'s `add_bias`: z[r, c] += bias[c] for z of shape rows×cols.
pub fn add_bias(params: &ShapeParams, bias: &[f32], z: &mut [f32]) {
    let cols = params.cols as usize;
    for index in 0..params.rows as usize * cols {
        z[index] += bias[index % cols];
    }
}

/// Twin of `bias.wgsl`'s `bias_grad`: db[c] = the sum of dz[r, c] over r from 0 upward, for dz
/// of shape rows×cols.
pub fn bias_grad(params: &ShapeParams, dz: &[f32], db: &mut [f32]) {
    let (rows, cols) = (params.rows as usize, params.cols as usize);
    for col in 0..cols {
        let mut sum = 0.0f32;
        for row in 0..rows {
            sum += dz[row * cols + col];
        }
        db[col] = sum;
    }
}

/// Twin of `activation.wgsl`'s `forward`: y = f(z) for the first `len` elements.
pub fn activation_forward(params: &ActivationParams, z: &[f32], y: &mut [f32]) {
    for index in 0..params.len as usize {
        y[index] = scalar::activate(params.kind, params.slope, z[index]);
    }
}

/// Twin of `activation.wgsl`'s `backward`: dz = dy · f'(z) for the first `len` elements.
pub fn activation_backward(params: &ActivationParams, z: &[f32], dy: &[f32], dz: &mut [f32]) {
    for index in 0..params.len as usize {
        dz[index] = dy[index] * scalar::activation_derivative(params.kind, params.slope, z[index]);
    }
}

/// Computes the 32-bit PCG hash as published in Jarzynski and Olano, "Hash Functions for GPU
/// Rendering", JCGT 9(3), 2020: one step of PCG's 32-bit LCG (multiplier 747796405, increment
/// 2891336453) followed by PCG's RXS-M-XS output permutation (multiplier 277803737).
pub fn pcg_hash(value: u32) -> u32 {
    let state = value.wrapping_mul(747796405).wrapping_add(2891336453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277803737);
    (word >> 22) ^ word
}

/// Returns dropout's uniform draw in [0, 1) for element `index`, from the top 24 bits of a
/// chained hash of the seed, the step and the index.
pub fn dropout_draw(seed: u32, step: u32, index: u32) -> f32 {
    let hash = pcg_hash(index.wrapping_add(pcg_hash(step.wrapping_add(pcg_hash(seed)))));
    (hash >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Twin of `dropout.wgsl`'s `forward`: mask[i] = 0 when element i's draw is below `rate` and
/// 1 / (1 - rate) otherwise, and y = x · mask.
pub fn dropout_forward(params: &DropoutParams, x: &[f32], y: &mut [f32], mask: &mut [f32]) {
    let scale = 1.0 / (1.0 - params.rate);
    for index in 0..params.len as usize {
        let draw = dropout_draw(params.seed, params.step, index as u32);
        let factor = if draw < params.rate { 0.0 } else { scale };
        mask[index] = factor;
        y[index] = x[index] * factor;
    }
}

/// Twin of `dropout.wgsl`'s `backward`: dx = dy · mask.
pub fn dropout_backward(params: &DropoutParams, dy: &[f32], mask: &[f32], dx: &mut [f32]) {
    for index in 0..params.len as usize {
        dx[index] = dy[index] * mask[index];
    }
}

/// Twin of `loss.wgsl`: for logits of shape rows×cols, writes grad = d(batch loss)/d(logits),
/// row_stats[2r] = the loss of row r (see [`scalar::row_loss`]) and row_stats[2r + 1] = 1.0
/// when row r's prediction equals its label, else 0.0. The batch loss is the mean over rows of
/// the row losses. Predictions are the argmax (first index on ties), or for binary
/// cross-entropy, 1 when the logit is above 0. With `targets` = [`target_kind::VALUES`] and the
/// mean squared error, `labels` holds the f32 bits of real targets, and row_stats[2r + 1] is
/// the absolute error of column 0.
///
/// [`target_kind::VALUES`]: crate::gpu::kernels::target_kind::VALUES
pub fn loss(
    params: &LossParams,
    logits: &[f32],
    labels: &[u32],
    grad: &mut [f32],
    row_stats: &mut [f32],
) {
    use crate::gpu::kernels::{loss_kind, target_kind};

    let (rows, cols) = (params.rows as usize, params.cols as usize);
    if cols == 0 {
        return;
    }
    if params.targets == target_kind::VALUES && params.kind == loss_kind::MEAN_SQUARED_ERROR {
        let count = params.rows as f32 * params.cols as f32;
        for row in 0..rows {
            let base = row * cols;
            let target = f32::from_bits(labels[row]);
            let mut sum = 0.0f32;
            for col in 0..cols {
                let difference = logits[base + col] - target;
                sum += difference * difference;
                grad[base + col] = 2.0 * difference / count;
            }
            row_stats[2 * row] = sum / cols as f32;
            row_stats[2 * row + 1] = (logits[base] - target).abs();
        }
        return;
    }
    let rows_f32 = params.rows as f32;
    let count = rows_f32 * params.cols as f32;
    for row in 0..rows {
        let base = row * cols;
        let x = &logits[base..base + cols];
        let label = labels[row];
        let one_hot = |col: usize| if col as u32 == label { 1.0f32 } else { 0.0 };
        let predicted = match params.kind {
            loss_kind::BINARY_CROSS_ENTROPY => {
                let y = label as f32;
                for col in 0..cols {
                    grad[base + col] = (scalar::sigmoid(x[col]) - y) / count;
                }
                u32::from(x[0] > 0.0)
            }
            loss_kind::MEAN_SQUARED_ERROR => {
                for col in 0..cols {
                    grad[base + col] = 2.0 * (x[col] - one_hot(col)) / count;
                }
                scalar::argmax(x) as u32
            }
            _ => {
                let best = scalar::argmax(x);
                let max_value = x[best];
                let mut sum = 0.0f32;
                for &value in x {
                    sum += (value - max_value).exp();
                }
                let target_sum = if (label as usize) < cols { 1.0 } else { 0.0 };
                for col in 0..cols {
                    let probability = (x[col] - max_value).exp() / sum;
                    grad[base + col] = (target_sum * probability - one_hot(col)) / rows_f32;
                }
                best as u32
            }
        };
        row_stats[2 * row] = scalar::row_loss(params.kind, x, label);
        row_stats[2 * row + 1] = if predicted == label { 1.0 } else { 0.0 };
    }
}

/// Twin of `reduce.wgsl`: adds the sums of the row losses and of the correct flags, each formed
/// from row 0 upward, to totals[0] and totals[1].
pub fn reduce(params: &ReduceParams, row_stats: &[f32], totals: &mut [f32]) {
    let mut loss_sum = 0.0f32;
    let mut correct_sum = 0.0f32;
    for row in 0..params.rows as usize {
        loss_sum += row_stats[2 * row];
        correct_sum += row_stats[2 * row + 1];
    }
    totals[0] += loss_sum;
    totals[1] += correct_sum;
}

/// Twin of `optimizer.wgsl`'s `sgd`: v = g + momentum·v (state1 = v), p -= v·lr, as dfdx 0.13's
/// SGD with classic momentum computes it. `state2` is not used.
pub fn sgd(
    params: &OptimizerParams,
    param: &mut [f32],
    grad: &[f32],
    state1: &mut [f32],
    _state2: &mut [f32],
) {
    for index in 0..params.len as usize {
        let velocity = grad[index] + params.momentum * state1[index];
        state1[index] = velocity;
        param[index] -= velocity * params.lr;
    }
}

/// Twin of `optimizer.wgsl`'s `adam`, as dfdx 0.13's Adam computes it: m = β1·m + (1 - β1)·g
/// (state1), v = β2·v + (1 - β2)·g² (state2), p -= lr·m̂ / (sqrt(v̂) + eps) with
/// m̂ = m·bias_correction1 and v̂ = v·bias_correction2.
pub fn adam(
    params: &OptimizerParams,
    param: &mut [f32],
    grad: &[f32],
    state1: &mut [f32],
    state2: &mut [f32],
) {
    for index in 0..params.len as usize {
        let g = grad[index];
        let m = state1[index] * params.beta1 + g * (1.0 - params.beta1);
        let v = state2[index] * params.beta2 + (g * g) * (1.0 - params.beta2);
        state1[index] = m;
        state2[index] = v;
        let m_hat = m * params.bias_correction1;
        let v_hat = v * params.bias_correction2;
        param[index] -= params.lr * m_hat / (v_hat.sqrt() + params.eps);
    }
}

/// Twin of `optimizer.wgsl`'s `rmsprop`, as dfdx 0.13's RMSprop computes it when not centred:
/// s += (1 - rho)·(g² - s) (state1), g' = g / sqrt(s + eps) with eps inside the square root.
/// With momentum > 0, b = momentum·b + g' (state2) and p -= b·lr. Otherwise p -= g'·lr and
/// state2 is left alone.
pub fn rmsprop(
    params: &OptimizerParams,
    param: &mut [f32],
    grad: &[f32],
    state1: &mut [f32],
    state2: &mut [f32],
) {
    for index in 0..params.len as usize {
        let g = grad[index];
        let s = state1[index] + (1.0 - params.rho) * (g * g - state1[index]);
        state1[index] = s;
        let scaled = g / (s + params.eps).sqrt();
        if params.momentum > 0.0 {
            let b = state2[index] * params.momentum + scaled;
            state2[index] = b;
            param[index] -= b * params.lr;
        } else {
            param[index] -= scaled * params.lr;
        }
    }
}

/// Twin of `gather.wgsl`: batch row r (of `rows`, each `cols` wide) is row order[offset + r] of
/// `features`, and batch_labels[r] is that row's label.
pub fn gather(
    params: &GatherParams,
    features: &[f32],
    labels: &[u32],
    order: &[u32],
    batch_x: &mut [f32],
    batch_labels: &mut [u32],
) {
    let cols = params.cols as usize;
    if cols == 0 {
        return;
    }
    for row in 0..params.rows as usize {
        let source = order[params.offset as usize + row] as usize;
        batch_x[row * cols..(row + 1) * cols]
            .copy_from_slice(&features[source * cols..(source + 1) * cols]);
        batch_labels[row] = labels[source];
    }
}

/// Twin of `unfold.wgsl`'s `unfold`: unfolded[(row · positions + position) · patch + offset],
/// with offset = (ky · size + kx) · channels + channel, is the image value under that kernel
/// entry at that output position, or 0 where the window covers padding.
pub fn unfold(params: &WindowParams, images: &[f32], unfolded: &mut [f32]) {
    let (image_len, positions, patch) = (params.image_len(), params.positions(), params.patch());
    let (size, channels) = (params.size as usize, params.channels as usize);
    let (width, output_width) = (params.input_width as usize, params.output_width as usize);
    let len = params.rows as usize * positions * patch;
    for (index, entry) in unfolded[..len].iter_mut().enumerate() {
        let offset = index % patch;
        let position = (index / patch) % positions;
        let row = index / (patch * positions);
        let channel = offset % channels;
        let kx = (offset / channels) % size;
        let ky = offset / (channels * size);
        let y = ((position / output_width) * params.stride as usize + ky) as i64
            - params.pad_top as i64;
        let x = ((position % output_width) * params.stride as usize + kx) as i64
            - params.pad_left as i64;
        let inside =
            y >= 0 && y < params.input_height as i64 && x >= 0 && x < params.input_width as i64;
        *entry = if inside {
            images[row * image_len + (y as usize * width + x as usize) * channels + channel]
        } else {
            0.0
        };
    }
}

/// Returns the output indices along one axis whose windows cover padded coordinate `padded`,
/// as the kernels' `covering` does. The range is empty when no window covers it.
fn covering(params: &WindowParams, padded: usize, output_len: usize) -> std::ops::Range<usize> {
    let (size, stride) = (params.size as usize, params.stride as usize);
    let first = if padded + 1 > size {
        (padded + 1 - size).div_ceil(stride)
    } else {
        0
    };
    let last = (padded / stride).min(output_len - 1);
    first..last + 1
}

/// Position of value `value` within its image: (y, x, channel).
fn image_coordinates(params: &WindowParams, value: usize) -> (usize, usize, usize) {
    let (width, channels) = (params.input_width as usize, params.channels as usize);
    (
        value / (channels * width),
        (value / channels) % width,
        value % channels,
    )
}

/// Twin of `unfold.wgsl`'s `fold`: each image value's gradient is the sum of the unfolded
/// entries that copied it, added over output positions in row-major order.
pub fn fold(params: &WindowParams, unfolded_grad: &[f32], images_grad: &mut [f32]) {
    let (image_len, positions, patch) = (params.image_len(), params.positions(), params.patch());
    let (size, stride) = (params.size as usize, params.stride as usize);
    let (channels, output_width) = (params.channels as usize, params.output_width as usize);
    let len = params.rows as usize * image_len;
    for (index, grad) in images_grad[..len].iter_mut().enumerate() {
        let row = index / image_len;
        let (y, x, channel) = image_coordinates(params, index % image_len);
        let padded_y = y + params.pad_top as usize;
        let padded_x = x + params.pad_left as usize;
        let mut sum = 0.0f32;
        for out_y in covering(params, padded_y, params.output_height as usize) {
            let ky = padded_y - out_y * stride;
            for out_x in covering(params, padded_x, output_width) {
                let kx = padded_x - out_x * stride;
                let position = out_y * output_width + out_x;
                let offset = (ky * size + kx) * channels + channel;
                sum += unfolded_grad[(row * positions + position) * patch + offset];
            }
        }
        *grad = sum;
    }
}

/// Index within the image of window entry (ky, kx) of output value `out` (position and
/// channel), for pooling, which has no padding.
fn pool_source(params: &WindowParams, out: usize, ky: usize, kx: usize) -> usize {
    let channels = params.channels as usize;
    let output_width = params.output_width as usize;
    let stride = params.stride as usize;
    let position = out / channels;
    let top = (position / output_width) * stride;
    let left = (position % output_width) * stride;
    ((top + ky) * params.input_width as usize + left + kx) * channels + out % channels
}

/// Twin of `max_pool.wgsl`'s `forward`: each window's largest value, the first one on ties,
/// and its index within the image in `argmax`.
pub fn max_pool_forward(params: &WindowParams, x: &[f32], y: &mut [f32], argmax: &mut [u32]) {
    let image_len = params.image_len();
    let output_len = params.positions() * params.channels as usize;
    let size = params.size as usize;
    for index in 0..params.rows as usize * output_len {
        let base = (index / output_len) * image_len;
        let out = index % output_len;
        let mut best_index = pool_source(params, out, 0, 0);
        let mut best = x[base + best_index];
        for ky in 0..size {
            for kx in 0..size {
                let source = pool_source(params, out, ky, kx);
                if x[base + source] > best {
                    best = x[base + source];
                    best_index = source;
                }
            }
        }
        y[index] = best;
        argmax[index] = best_index as u32;
    }
}

/// Visits, for every input value of the batch, the output values whose windows cover it, in
/// row-major order of output positions, and stores `visit`'s sum over them.
fn pool_backward(
    params: &WindowParams,
    dx: &mut [f32],
    visit: impl Fn(usize, usize) -> Option<f32>,
) {
    let image_len = params.image_len();
    let channels = params.channels as usize;
    let output_width = params.output_width as usize;
    let output_len = params.positions() * channels;
    let len = params.rows as usize * image_len;
    for (index, grad) in dx[..len].iter_mut().enumerate() {
        let row = index / image_len;
        let value = index % image_len;
        let (y, x, channel) = image_coordinates(params, value);
        let mut sum = 0.0f32;
        for out_y in covering(params, y, params.output_height as usize) {
            for out_x in covering(params, x, output_width) {
                let out = row * output_len + (out_y * output_width + out_x) * channels + channel;
                if let Some(term) = visit(out, value) {
                    sum += term;
                }
            }
        }
        *grad = sum;
    }
}

/// Twin of `max_pool.wgsl`'s `backward`: each input value's gradient is the sum of the output
/// gradients of the covering windows whose `chosen` index is that value.
pub fn max_pool_backward(params: &WindowParams, dy: &[f32], chosen: &[u32], dx: &mut [f32]) {
    pool_backward(params, dx, |out, value| {
        (chosen[out] as usize == value).then_some(dy[out])
    });
}

/// Twin of `average_pool.wgsl`'s `forward`: each window's sum in kernel-height, kernel-width
/// order, divided by size².
pub fn average_pool_forward(params: &WindowParams, x: &[f32], y: &mut [f32]) {
    let image_len = params.image_len();
    let output_len = params.positions() * params.channels as usize;
    let size = params.size as usize;
    let area = (params.size * params.size) as f32;
    let len = params.rows as usize * output_len;
    for (index, mean) in y[..len].iter_mut().enumerate() {
        let base = (index / output_len) * image_len;
        let out = index % output_len;
        let mut sum = 0.0f32;
        for ky in 0..size {
            for kx in 0..size {
                sum += x[base + pool_source(params, out, ky, kx)];
            }
        }
        *mean = sum / area;
    }
}

/// Twin of `average_pool.wgsl`'s `backward`: each input value's gradient is the sum of
/// dy / size² over the covering windows.
pub fn average_pool_backward(params: &WindowParams, dy: &[f32], dx: &mut [f32]) {
    let area = (params.size * params.size) as f32;
    pool_backward(params, dx, |out, _| Some(dy[out] / area));
}

/// Twin of `batch_norm.wgsl`'s `statistics`: each channel's mean and deviation
/// sqrt(variance + epsilon) in `stats` (means first), from the batch in training, where the
/// batch mean and variance are also blended into the moving statistics, or from the moving
/// statistics in evaluation.
pub fn batch_norm_statistics(
    params: &NormParams,
    x: &[f32],
    stats: &mut [f32],
    moving_mean: &mut [f32],
    moving_variance: &mut [f32],
) {
    let (groups, channels) = (params.groups as usize, params.channels as usize);
    for channel in 0..channels {
        let (mean, variance) = if params.training == 1 {
            let count = params.groups as f32;
            let mut sum = 0.0f32;
            for group in 0..groups {
                sum += x[group * channels + channel];
            }
            let mean = sum / count;
            let mut squares = 0.0f32;
            for group in 0..groups {
                let centered = x[group * channels + channel] - mean;
                squares += centered * centered;
            }
            let variance = squares / count;
            let momentum = params.momentum;
            moving_mean[channel] = moving_mean[channel] * momentum + mean * (1.0 - momentum);
            moving_variance[channel] =
                moving_variance[channel] * momentum + variance * (1.0 - momentum);
            (mean, variance)
        } else {
            (moving_mean[channel], moving_variance[channel])
        };
        stats[channel] = mean;
        stats[channels + channel] = (variance + params.epsilon).sqrt();
    }
}

/// Twin of `batch_norm.wgsl`'s `forward`: x̂ = (x - mean) / deviation per channel, and
/// y = x̂ · gamma + beta.
pub fn batch_norm_forward(
    params: &NormParams,
    x: &[f32],
    stats: &[f32],
    gamma: &[f32],
    beta: &[f32],
    normalized: &mut [f32],
    y: &mut [f32],
) {
    let channels = params.channels as usize;
    for index in 0..params.groups as usize * channels {
        let channel = index % channels;
        let value = (x[index] - stats[channel]) / stats[channels + channel];
        normalized[index] = value;
        y[index] = value * gamma[channel] + beta[channel];
    }
}

/// Twin of `batch_norm.wgsl`'s `backward`:
/// dx = gamma / deviation · (dy - Σdy / groups - x̂ · Σ(dy · x̂) / groups), with the sums in
/// `beta_grad` and `gamma_grad`.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_backward(
    params: &NormParams,
    dy: &[f32],
    normalized: &[f32],
    stats: &[f32],
    gamma: &[f32],
    gamma_grad: &[f32],
    beta_grad: &[f32],
    dx: &mut [f32],
) {
    let channels = params.channels as usize;
    let count = params.groups as f32;
    for index in 0..params.groups as usize * channels {
        let channel = index % channels;
        let scale = gamma[channel] / stats[channels + channel];
        let centered_grad = dy[index]
            - beta_grad[channel] / count
            - normalized[index] * gamma_grad[channel] / count;
        dx[index] = scale * centered_grad;
    }
}

/// Twin of `scale_shift.wgsl`'s `grad`: per channel, gamma_grad = Σ dy · x̂ and beta_grad = Σ dy
/// over the rows from row 0 upward.
pub fn scale_shift_grad(
    params: &NormParams,
    dy: &[f32],
    normalized: &[f32],
    gamma_grad: &mut [f32],
    beta_grad: &mut [f32],
) {
    let (groups, channels) = (params.groups as usize, params.channels as usize);
    for channel in 0..channels {
        let mut gamma_sum = 0.0f32;
        let mut beta_sum = 0.0f32;
        for group in 0..groups {
            let index = group * channels + channel;
            gamma_sum += dy[index] * normalized[index];
            beta_sum += dy[index];
        }
        gamma_grad[channel] = gamma_sum;
        beta_grad[channel] = beta_sum;
    }
}

/// Twin of `layer_norm.wgsl`'s `forward`: each row normalized over its channels, with x̂ and the
/// row's deviation sqrt(variance + epsilon) kept for the backward pass.
pub fn layer_norm_forward(
    params: &NormParams,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    normalized: &mut [f32],
    y: &mut [f32],
    deviation: &mut [f32],
) {
    let channels = params.channels as usize;
    let count = params.channels as f32;
    for (group, stored_deviation) in deviation[..params.groups as usize].iter_mut().enumerate() {
        let base = group * channels;
        let row = &x[base..base + channels];
        let mut sum = 0.0f32;
        for value in row {
            sum += value;
        }
        let mean = sum / count;
        let mut squares = 0.0f32;
        for value in row {
            let centered = value - mean;
            squares += centered * centered;
        }
        let row_deviation = (squares / count + params.epsilon).sqrt();
        *stored_deviation = row_deviation;
        for channel in 0..channels {
            let value = (row[channel] - mean) / row_deviation;
            normalized[base + channel] = value;
            y[base + channel] = value * gamma[channel] + beta[channel];
        }
    }
}

/// Twin of `layer_norm.wgsl`'s `backward`: with g = dy · gamma,
/// dx = (g - Σg / channels - x̂ · Σ(g · x̂) / channels) / deviation per row.
pub fn layer_norm_backward(
    params: &NormParams,
    dy: &[f32],
    gamma: &[f32],
    normalized: &[f32],
    deviation: &[f32],
    dx: &mut [f32],
) {
    let channels = params.channels as usize;
    let count = params.channels as f32;
    for (group, &row_deviation) in deviation[..params.groups as usize].iter().enumerate() {
        let base = group * channels;
        let mut grad_sum = 0.0f32;
        let mut product_sum = 0.0f32;
        for channel in 0..channels {
            let g = dy[base + channel] * gamma[channel];
            grad_sum += g;
            product_sum += g * normalized[base + channel];
        }
        let grad_mean = grad_sum / count;
        let product_mean = product_sum / count;
        for channel in 0..channels {
            let g = dy[base + channel] * gamma[channel];
            dx[base + channel] =
                (g - grad_mean - normalized[base + channel] * product_mean) / row_deviation;
        }
    }
}
