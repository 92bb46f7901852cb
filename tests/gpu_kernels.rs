//! The WGSL kernels against their CPU twins, against central differences of the twins' formulas
//! in f64, and the optimizer twins against dfdx's own updates. Natively the kernels run on
//! Vulkan, on Mesa's lavapipe where scripts/setup.sh installed it, and every test fails when no
//! adapter is found.
//!
//! Every buffer has PADDING elements set to SENTINEL after its logical elements, as the
//! trainer's buffers are sized for the largest batch. Each check asserts that a kernel left that
//! padding untouched, and a kernel that read it would miss the twin's results by far.
#![cfg(not(target_arch = "wasm32"))]

use dfdx::prelude::*;
use dfdx::tensor_ops::{AdamConfig, Momentum, RMSpropConfig, SgdConfig, WeightDecay};
use dfdx_playground::gpu::context::{block_on, groups};
use dfdx_playground::gpu::kernels::{
    self, activation_kind, loss_kind, target_kind, ActivationParams, DropoutParams, GatherParams,
    LossParams, MatmulParams, NormParams, OptimizerParams, PenaltyParams, ReduceParams,
    ShapeParams, WindowParams, TRANSPOSE_A, TRANSPOSE_B,
};
use dfdx_playground::gpu::twins::{self, scalar_f64};
use dfdx_playground::gpu::{Gpu, Kernel};
use dfdx_playground::image_ops;
use dfdx_playground::rng::SplitMix64;
use dfdx_playground::spec::{Padding, PoolKind, Window};
use std::sync::OnceLock;

/// Logical sizes of the parity checks: odd sizes that leave partial workgroups and 4×4 blocks.
const SIZES: [usize; 4] = [1, 7, 100, 257];
/// Sizes for the dimensions that `matmul_vec4.wgsl` reads as vec4s: 4 is one vec4, 12 and 260
/// hold an odd number of vec4s (a thread's second column block falls past the edge), and 260
/// spans more than one 64-wide workgroup.
const VEC4_SIZES: [usize; 4] = [4, 12, 100, 260];
/// Elements after the logical ones in every buffer.
const PADDING: usize = 37;
/// Value of every padding element. A kernel that read it would produce results far from the
/// twin's, and one that wrote it would change it.
const SENTINEL: f32 = -12345.0;
/// Padding of u32 buffers: an invalid label and an out-of-range row index.
const SENTINEL_U32: u32 = u32::MAX;

/// Matmul tolerance on the difference of an output divided by max(1, Σ_p |a·b|), the magnitude of
/// its products. `matmul.wgsl` and the twin add the same products in the same order, so only a
/// fused multiply-add in the GPU compiler can make them differ. `matmul_vec4.wgsl` sums each
/// group of four products before adding it. Either way they differ by about sqrt(k) roundings
/// of 2^-24 relative to that magnitude, or 1e-6 at k = 257. Against exact f64 sums, the f32
/// rounding of the sums is of that size too.
const MATMUL_TOLERANCE: f32 = 1e-5;
/// Elementwise parity tolerance on `difference`, about 8 f32 ULP, because WGSL lets exp, log,
/// sqrt and division be a few ULP from the correctly rounded result that Rust returns.
const ELEMENTWISE_TOLERANCE: f32 = 1e-6;
/// Tolerance of an analytic derivative from the GPU (f32) against a central difference of the
/// f64 formulas, absolute below magnitude 1 and relative above. The difference step of 1e-5
/// leaves a truncation and rounding error near 1e-10, so the f32 rounding of the GPU result
/// dominates. GELU adds more, because its derivative uses the exact normal density. That
/// differs from the derivative of the erf approximation by up to 5.3e-7 on [-6, 6] (evaluated
/// in f64 on a grid of step 1e-4).
const DERIVATIVE_TOLERANCE: f64 = 2e-6;
/// Central-difference step in f64.
const STEP: f64 = 1e-5;
/// Huber delta of the loss checks, below 1 so that the one-hot targets leave differences in
/// both the quadratic and the linear part; the other loss kinds ignore it.
const HUBER_DELTA: f32 = 0.75;
/// AdamW's weight decay and learning rate in the optimizer checks, Keras 3's default decay.
const ADAMW_WEIGHT_DECAY: f64 = 0.004;
const ADAM_LEARNING_RATE: f64 = 0.01;

fn gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    GPU.get_or_init(|| {
        block_on(Gpu::new(true)).expect(
            "no WebGPU adapter found: the kernel tests need a Vulkan driver, such as Mesa's \
             lavapipe (package mesa-vulkan-drivers)",
        )
    })
}

fn kernel(source: &str, entry_point: &str) -> Kernel {
    gpu().kernel(entry_point, source, entry_point)
}

/// Runs one dispatch of `kernel` with `params` at binding 0 and `buffers` at bindings 1, 2, ….
fn dispatch<P: bytemuck::Pod>(
    kernel: &Kernel,
    params: &P,
    buffers: &[&wgpu::Buffer],
    workgroups: [u32; 3],
) {
    let gpu = gpu();
    let uniform = gpu.uniform("params", params);
    let mut bound = vec![&uniform];
    bound.extend_from_slice(buffers);
    let bind_group = kernel.bind(gpu, &bound);
    let mut encoder = gpu
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
    kernel.dispatch(&mut encoder, &bind_group, workgroups);
    gpu.queue.submit([encoder.finish()]);
}

fn read(buffer: &wgpu::Buffer, len: usize) -> Vec<f32> {
    block_on(gpu().read_f32(buffer, len)).expect("read-back of a storage buffer")
}

fn padded(values: &[f32]) -> Vec<f32> {
    let mut result = values.to_vec();
    result.resize(values.len() + PADDING, SENTINEL);
    result
}

fn padded_u32(values: &[u32]) -> Vec<u32> {
    let mut result = values.to_vec();
    result.resize(values.len() + PADDING, SENTINEL_U32);
    result
}

fn absolute(values: &[f32]) -> Vec<f32> {
    values.iter().map(|value| value.abs()).collect()
}

fn random_values(rng: &mut SplitMix64, len: usize, low: f64, high: f64) -> Vec<f32> {
    (0..len).map(|_| rng.uniform(low, high) as f32).collect()
}

/// Difference divided by max(1, `magnitude`): absolute below magnitude 1, relative above it.
fn difference(gpu: f32, twin: f32, magnitude: f32) -> f32 {
    if gpu == twin {
        return 0.0;
    }
    (gpu - twin).abs() / magnitude.max(1.0)
}

/// One output array of a kernel, as the GPU and the twin left it: `len` logical elements
/// followed by PADDING elements that started as SENTINEL.
struct Output {
    name: String,
    gpu: Vec<f32>,
    twin: Vec<f32>,
    len: usize,
    /// Magnitude of each logical element for `difference`, or None for |twin|.
    magnitude: Option<Vec<f32>>,
}

/// Asserts that the GPU left the padding untouched and that every logical element is within
/// `tolerance` of the twin's. Returns the largest difference.
fn check(output: &Output, tolerance: f32) -> f32 {
    let Output {
        name,
        gpu,
        twin,
        len,
        magnitude,
    } = output;
    assert_eq!(gpu.len(), len + PADDING, "{name}: GPU output length");
    assert_eq!(twin.len(), len + PADDING, "{name}: twin output length");
    for (index, &value) in gpu.iter().enumerate().skip(*len) {
        assert!(
            value.to_bits() == SENTINEL.to_bits(),
            "{name}: padding element {index} changed from {SENTINEL} to {value}"
        );
    }
    let mut max_difference = 0.0f32;
    for index in 0..*len {
        let (gpu_value, twin_value) = (gpu[index], twin[index]);
        let scale = magnitude
            .as_ref()
            .map_or(twin_value.abs(), |values| values[index]);
        let difference = difference(gpu_value, twin_value, scale);
        assert!(
            difference <= tolerance,
            "{name}: element {index}: GPU {gpu_value:e}, twin {twin_value:e}, difference \
             {difference:e} above {tolerance:e}"
        );
        max_difference = max_difference.max(difference);
    }
    max_difference
}

fn check_all(outputs: &[Output], tolerance: f32) -> f32 {
    outputs
        .iter()
        .map(|output| check(output, tolerance))
        .fold(0.0, f32::max)
}

// Cases: each runs one entry point on the GPU and its twin on equal copies of the same inputs.
// `extra_groups` adds workgroups beyond what the host dispatches, to test the bounds checks.

/// Runs one product on `kernel`, which computes `tile` × `tile` outputs per workgroup.
fn matmul_case(
    (kernel, tile): (&Kernel, usize),
    rng: &mut SplitMix64,
    [m, n, k]: [usize; 3],
    flags: u32,
    extra_groups: u32,
) -> Output {
    let a = padded(&random_values(rng, m * k, -1.0, 1.0));
    let b = padded(&random_values(rng, k * n, -1.0, 1.0));
    let params = MatmulParams {
        m: m as u32,
        n: n as u32,
        k: k as u32,
        flags,
    };
    let c_buffer = gpu().buffer_from("c", &padded(&vec![SENTINEL; m * n]));
    let workgroups = [
        groups(n, tile) + extra_groups,
        groups(m, tile) + extra_groups,
        1,
    ];
    dispatch(
        kernel,
        &params,
        &[
            &gpu().buffer_from("a", &a),
            &gpu().buffer_from("b", &b),
            &c_buffer,
        ],
        workgroups,
    );

    let mut twin = padded(&vec![SENTINEL; m * n]);
    twins::matmul(&params, &a, &b, &mut twin);
    let mut magnitude = vec![0.0; m * n];
    twins::matmul(&params, &absolute(&a), &absolute(&b), &mut magnitude);
    Output {
        name: format!("matmul m={m} n={n} k={k} flags={flags}"),
        gpu: read(&c_buffer, m * n + PADDING),
        twin,
        len: m * n,
        magnitude: Some(magnitude),
    }
}

/// Runs `add_bias` and then `bias_grad` on a rows×cols matrix.
fn bias_cases(rng: &mut SplitMix64, rows: usize, cols: usize, extra_groups: u32) -> [Output; 2] {
    let params = ShapeParams {
        rows: rows as u32,
        cols: cols as u32,
        ..Default::default()
    };
    let bias = padded(&random_values(rng, cols, -1.0, 1.0));
    let z = padded(&random_values(rng, rows * cols, -1.0, 1.0));
    let z_buffer = gpu().buffer_from("z", &z);
    dispatch(
        &kernel(kernels::BIAS, "add_bias"),
        &params,
        &[&gpu().buffer_from("bias", &bias), &z_buffer],
        [groups(rows * cols, 256) + extra_groups, 1, 1],
    );
    let mut z_twin = z.clone();
    twins::add_bias(&params, &bias, &mut z_twin);

    let dz = padded(&random_values(rng, rows * cols, -1.0, 1.0));
    let db_buffer = gpu().buffer_from("db", &padded(&vec![SENTINEL; cols]));
    dispatch(
        &kernel(kernels::BIAS, "bias_grad"),
        &params,
        &[&gpu().buffer_from("dz", &dz), &db_buffer],
        [groups(cols, 64) + extra_groups, 1, 1],
    );
    let mut db_twin = padded(&vec![SENTINEL; cols]);
    twins::bias_grad(&params, &dz, &mut db_twin);

    [
        Output {
            name: format!("add_bias rows={rows} cols={cols}"),
            gpu: read(&z_buffer, rows * cols + PADDING),
            twin: z_twin,
            len: rows * cols,
            magnitude: None,
        },
        Output {
            name: format!("bias_grad rows={rows} cols={cols}"),
            gpu: read(&db_buffer, cols + PADDING),
            twin: db_twin,
            len: cols,
            magnitude: None,
        },
    ]
}

const ACTIVATION_KINDS: [u32; 6] = [
    activation_kind::LINEAR,
    activation_kind::RELU,
    activation_kind::SIGMOID,
    activation_kind::TANH,
    activation_kind::LEAKY_RELU,
    activation_kind::GELU,
];

/// Activation inputs: first the edge cases (0, -0, tiny, near the tanh clamp, beyond any exp
/// range), then uniform values in [-6, 6].
fn activation_inputs(rng: &mut SplitMix64, len: usize) -> Vec<f32> {
    let edges = [
        0.0, -0.0, 1e-4, -1e-4, 9.5, -9.5, 10.5, -10.5, 100.0, -100.0, 1e4, -1e4,
    ];
    (0..len)
        .map(|index| match edges.get(index) {
            Some(&edge) => edge,
            None => rng.uniform(-6.0, 6.0) as f32,
        })
        .collect()
}

/// Runs the activation's `forward` and `backward` on the same inputs.
fn activation_cases(rng: &mut SplitMix64, kind: u32, len: usize, extra_groups: u32) -> [Output; 2] {
    let params = ActivationParams {
        len: len as u32,
        kind,
        slope: 0.01,
        ..Default::default()
    };
    let z = padded(&activation_inputs(rng, len));
    let dy = padded(&random_values(rng, len, -2.0, 2.0));
    let z_buffer = gpu().buffer_from("z", &z);
    let workgroups = [groups(len, 256) + extra_groups, 1, 1];

    let y_buffer = gpu().buffer_from("y", &padded(&vec![SENTINEL; len]));
    dispatch(
        &kernel(kernels::ACTIVATION, "forward"),
        &params,
        &[&z_buffer, &y_buffer],
        workgroups,
    );
    let mut y_twin = padded(&vec![SENTINEL; len]);
    twins::activation_forward(&params, &z, &mut y_twin);

    let dz_buffer = gpu().buffer_from("dz", &padded(&vec![SENTINEL; len]));
    dispatch(
        &kernel(kernels::ACTIVATION, "backward"),
        &params,
        &[&z_buffer, &gpu().buffer_from("dy", &dy), &dz_buffer],
        workgroups,
    );
    let mut dz_twin = padded(&vec![SENTINEL; len]);
    twins::activation_backward(&params, &z, &dy, &mut dz_twin);

    [
        Output {
            name: format!("activation forward kind={kind} len={len}"),
            gpu: read(&y_buffer, len + PADDING),
            twin: y_twin,
            len,
            magnitude: None,
        },
        Output {
            name: format!("activation backward kind={kind} len={len}"),
            gpu: read(&dz_buffer, len + PADDING),
            twin: dz_twin,
            len,
            magnitude: None,
        },
    ]
}

/// Runs dropout's `forward` and then `backward` with the mask that `forward` stored. Returns
/// the outputs y, mask and dx.
fn dropout_cases(params: DropoutParams, extra_groups: u32) -> [Output; 3] {
    let len = params.len as usize;
    let mut rng = SplitMix64::new(u64::from(params.seed) ^ 0xd0);
    let x = padded(&random_values(&mut rng, len, -1.0, 1.0));
    let dy = padded(&random_values(&mut rng, len, -1.0, 1.0));
    let workgroups = [groups(len, 256) + extra_groups, 1, 1];

    let y_buffer = gpu().buffer_from("y", &padded(&vec![SENTINEL; len]));
    let mask_buffer = gpu().buffer_from("mask", &padded(&vec![SENTINEL; len]));
    dispatch(
        &kernel(kernels::DROPOUT, "forward"),
        &params,
        &[&gpu().buffer_from("x", &x), &y_buffer, &mask_buffer],
        workgroups,
    );
    let mut y_twin = padded(&vec![SENTINEL; len]);
    let mut mask_twin = padded(&vec![SENTINEL; len]);
    twins::dropout_forward(&params, &x, &mut y_twin, &mut mask_twin);

    let dx_buffer = gpu().buffer_from("dx", &padded(&vec![SENTINEL; len]));
    dispatch(
        &kernel(kernels::DROPOUT, "backward"),
        &params,
        &[&gpu().buffer_from("dy", &dy), &mask_buffer, &dx_buffer],
        workgroups,
    );
    let mut dx_twin = padded(&vec![SENTINEL; len]);
    twins::dropout_backward(&params, &dy, &mask_twin, &mut dx_twin);

    let name = format!(
        "dropout len={len} seed={} step={} rate={}",
        params.seed, params.step, params.rate
    );
    [
        Output {
            name: format!("{name} y"),
            gpu: read(&y_buffer, len + PADDING),
            twin: y_twin,
            len,
            magnitude: None,
        },
        Output {
            name: format!("{name} mask"),
            gpu: read(&mask_buffer, len + PADDING),
            twin: mask_twin,
            len,
            magnitude: None,
        },
        Output {
            name: format!("{name} dx"),
            gpu: read(&dx_buffer, len + PADDING),
            twin: dx_twin,
            len,
            magnitude: None,
        },
    ]
}

fn random_labels(rng: &mut SplitMix64, kind: u32, rows: usize, cols: usize) -> Vec<u32> {
    let classes = if kind == loss_kind::BINARY_CROSS_ENTROPY {
        2
    } else {
        cols
    };
    (0..rows).map(|_| rng.below(classes) as u32).collect()
}

/// Logits in [-5, 5], except that row 0 ties all its columns (when there are other rows to
/// compare) and row 1 has values up to ±1e4.
fn loss_logits(rng: &mut SplitMix64, rows: usize, cols: usize) -> Vec<f32> {
    let mut logits = random_values(rng, rows * cols, -5.0, 5.0);
    if rows > 1 {
        logits[..cols].fill(0.5);
    }
    if rows > 2 {
        for value in &mut logits[cols..2 * cols] {
            *value *= 2e3;
        }
    }
    logits
}

/// Runs the loss kernel against class labels, or with `targets` = [`target_kind::VALUES`]
/// against real targets in [-3, 3]. Returns the outputs grad and row_stats.
fn loss_cases(
    rng: &mut SplitMix64,
    kind: u32,
    rows: usize,
    cols: usize,
    extra_groups: u32,
    targets: u32,
) -> [Output; 2] {
    let params = LossParams {
        rows: rows as u32,
        cols: cols as u32,
        kind,
        targets,
        delta: HUBER_DELTA,
        ..Default::default()
    };
    let logits = padded(&loss_logits(rng, rows, cols));
    let labels = if targets == target_kind::VALUES {
        let values = random_values(rng, rows, -3.0, 3.0);
        padded_u32(
            &values
                .iter()
                .map(|value| value.to_bits())
                .collect::<Vec<_>>(),
        )
    } else {
        padded_u32(&random_labels(rng, kind, rows, cols))
    };
    let grad_buffer = gpu().buffer_from("grad", &padded(&vec![SENTINEL; rows * cols]));
    let stats_buffer = gpu().buffer_from("row_stats", &padded(&vec![SENTINEL; 2 * rows]));
    dispatch(
        &kernel(kernels::LOSS, "main"),
        &params,
        &[
            &gpu().buffer_from("logits", &logits),
            &gpu().buffer_from("labels", &labels),
            &grad_buffer,
            &stats_buffer,
        ],
        [groups(rows, 64) + extra_groups, 1, 1],
    );
    let mut grad_twin = padded(&vec![SENTINEL; rows * cols]);
    let mut stats_twin = padded(&vec![SENTINEL; 2 * rows]);
    twins::loss(&params, &logits, &labels, &mut grad_twin, &mut stats_twin);

    [
        Output {
            name: format!("loss grad kind={kind} targets={targets} rows={rows} cols={cols}"),
            gpu: read(&grad_buffer, rows * cols + PADDING),
            twin: grad_twin,
            len: rows * cols,
            magnitude: None,
        },
        Output {
            name: format!("loss row_stats kind={kind} targets={targets} rows={rows} cols={cols}"),
            gpu: read(&stats_buffer, 2 * rows + PADDING),
            twin: stats_twin,
            len: 2 * rows,
            magnitude: None,
        },
    ]
}

fn reduce_case(rng: &mut SplitMix64, rows: usize, extra_groups: u32) -> Output {
    let params = ReduceParams {
        rows: rows as u32,
        ..Default::default()
    };
    let row_stats: Vec<f32> = (0..rows)
        .flat_map(|_| [rng.uniform(0.0, 3.0) as f32, rng.below(2) as f32])
        .collect();
    let row_stats = padded(&row_stats);
    // The totals start non-zero because the kernel adds to them.
    let totals = padded(&[1.5, 2.0]);
    let totals_buffer = gpu().buffer_from("totals", &totals);
    dispatch(
        &kernel(kernels::REDUCE, "main"),
        &params,
        &[&gpu().buffer_from("row_stats", &row_stats), &totals_buffer],
        [1 + extra_groups, 1, 1],
    );
    let mut twin = totals.clone();
    twins::reduce(&params, &row_stats, &mut twin);
    Output {
        name: format!("reduce rows={rows}"),
        gpu: read(&totals_buffer, 2 + PADDING),
        twin,
        len: 2,
        magnitude: None,
    }
}

type OptimizerTwin = fn(&OptimizerParams, &mut [f32], &[f32], &mut [f32], &mut [f32]);

/// Optimizer uniforms for the 1-based `step`. Adam's bias corrections are computed in f32 with
/// powi, as dfdx 0.13 computes them.
/// `rule` is an entry point of `optimizer.wgsl`, or "adamw" for `adam` with the decoupled
/// decay ADAMW_WEIGHT_DECAY * ADAM_LEARNING_RATE, rounded to f32 as dfdx 0.13 rounds it.
fn optimizer_params(rule: &str, momentum: f32, len: usize, step: i32) -> OptimizerParams {
    let (beta1, beta2) = (0.9f32, 0.999f32);
    let lr = if rule == "sgd" {
        0.1
    } else {
        ADAM_LEARNING_RATE as f32
    };
    let decoupled_decay = if rule == "adamw" {
        (ADAMW_WEIGHT_DECAY * ADAM_LEARNING_RATE) as f32
    } else {
        0.0
    };
    OptimizerParams {
        decoupled_decay,
        len: len as u32,
        lr,
        momentum,
        beta1,
        beta2,
        eps: 1e-7,
        rho: 0.9,
        bias_correction1: 1.0 / (1.0 - beta1.powi(step)),
        bias_correction2: 1.0 / (1.0 - beta2.powi(step)),
        ..Default::default()
    }
}

/// Runs three updates of one optimizer rule on the GPU and with the twin. Returns param, state1
/// and state2 after each step. State2 starts non-zero, so a rule that must leave it alone is
/// seen to do so.
fn optimizer_cases(
    rule: &str,
    twin_update: OptimizerTwin,
    momentum: f32,
    len: usize,
    extra_groups: u32,
) -> Vec<Output> {
    let mut rng = SplitMix64::new(len as u64 + 11);
    let entry_point = if rule == "adamw" { "adam" } else { rule };
    let optimizer_kernel = kernel(kernels::OPTIMIZER, entry_point);
    let mut param = padded(&random_values(&mut rng, len, -1.0, 1.0));
    let mut state1 = padded(&vec![0.0; len]);
    let mut state2 = padded(&random_values(&mut rng, len, 0.0, 1.0));
    let param_buffer = gpu().buffer_from("param", &param);
    let state1_buffer = gpu().buffer_from("state1", &state1);
    let state2_buffer = gpu().buffer_from("state2", &state2);

    let mut outputs = Vec::new();
    for step in 1..=3 {
        let params = optimizer_params(rule, momentum, len, step);
        let grad = padded(&random_values(&mut rng, len, -1.0, 1.0));
        dispatch(
            &optimizer_kernel,
            &params,
            &[
                &param_buffer,
                &gpu().buffer_from("grad", &grad),
                &state1_buffer,
                &state2_buffer,
            ],
            [groups(len, 256) + extra_groups, 1, 1],
        );
        twin_update(&params, &mut param, &grad, &mut state1, &mut state2);

        let name = format!("{rule} momentum={momentum} len={len} step={step}");
        for (buffer, twin, label) in [
            (&param_buffer, &param, "param"),
            (&state1_buffer, &state1, "state1"),
            (&state2_buffer, &state2, "state2"),
        ] {
            outputs.push(Output {
                name: format!("{name} {label}"),
                gpu: read(buffer, len + PADDING),
                twin: twin.clone(),
                len,
                magnitude: None,
            });
        }
    }
    outputs
}

/// Runs the penalty kernel on a kernel of `len` weights with the rates `[l1, l2]` for a batch
/// of 5 rows. Returns the outputs grad and totals. The gradient and the total start non-zero,
/// because the kernel adds to them.
fn penalty_cases(
    rng: &mut SplitMix64,
    len: usize,
    [l1, l2]: [f32; 2],
    extra_groups: u32,
) -> [Output; 2] {
    let params = PenaltyParams {
        len: len as u32,
        rows: 5,
        l1,
        l2,
    };
    let mut weight = random_values(rng, len, -1.0, 1.0);
    // An exact zero, where the L1 gradient's sign is 0.
    weight[len / 2] = 0.0;
    let weight = padded(&weight);
    let grad = padded(&random_values(rng, len, -1.0, 1.0));
    let totals = padded(&[0.25]);
    let grad_buffer = gpu().buffer_from("grad", &grad);
    let totals_buffer = gpu().buffer_from("totals", &totals);
    dispatch(
        &kernel(kernels::PENALTY, "main"),
        &params,
        &[
            &gpu().buffer_from("weight", &weight),
            &grad_buffer,
            &totals_buffer,
        ],
        [1 + extra_groups, 1, 1],
    );
    let mut grad_twin = grad.clone();
    let mut totals_twin = totals.clone();
    twins::penalty(&params, &weight, &mut grad_twin, &mut totals_twin);
    let name = format!("penalty len={len} l1={l1} l2={l2}");
    [
        Output {
            name: format!("{name} grad"),
            gpu: read(&grad_buffer, len + PADDING),
            twin: grad_twin,
            len,
            magnitude: None,
        },
        Output {
            name: format!("{name} totals"),
            gpu: read(&totals_buffer, 1 + PADDING),
            twin: totals_twin,
            len: 1,
            magnitude: None,
        },
    ]
}

/// Gathers a batch of `rows` rows at `offset` of a shuffled order over 300 training rows with
/// `cols` features. Returns batch_x, and batch_labels as f32 bit patterns.
fn gather_cases(rng: &mut SplitMix64, rows: usize, cols: usize, extra_groups: u32) -> [Output; 2] {
    let training_rows = 300;
    let offset = 17;
    let features = padded(&random_values(rng, training_rows * cols, -1.0, 1.0));
    let labels: Vec<u32> = (0..training_rows).map(|_| rng.below(10) as u32).collect();
    let labels = padded_u32(&labels);
    let mut order: Vec<u32> = (0..training_rows as u32).collect();
    rng.shuffle(&mut order);
    let order = padded_u32(&order);
    let params = GatherParams {
        rows: rows as u32,
        cols: cols as u32,
        offset: offset as u32,
        ..Default::default()
    };
    let sentinel_labels = vec![SENTINEL.to_bits(); rows + PADDING];

    let batch_x_buffer = gpu().buffer_from("batch_x", &padded(&vec![SENTINEL; rows * cols]));
    let batch_labels_buffer = gpu().buffer_from("batch_labels", &sentinel_labels);
    dispatch(
        &kernel(kernels::GATHER, "main"),
        &params,
        &[
            &gpu().buffer_from("features", &features),
            &gpu().buffer_from("labels", &labels),
            &gpu().buffer_from("order", &order),
            &batch_x_buffer,
            &batch_labels_buffer,
        ],
        [groups(rows * cols, 256) + extra_groups, 1, 1],
    );
    let mut batch_x_twin = padded(&vec![SENTINEL; rows * cols]);
    let mut batch_labels_twin = sentinel_labels.clone();
    twins::gather(
        &params,
        &features,
        &labels,
        &order,
        &mut batch_x_twin,
        &mut batch_labels_twin,
    );

    // Labels are compared as f32 values of their bit patterns. Small labels are subnormal f32
    // values, which compare exactly, and the sentinel's bits decode to SENTINEL.
    let name = format!("gather rows={rows} cols={cols}");
    [
        Output {
            name: format!("{name} batch_x"),
            gpu: read(&batch_x_buffer, rows * cols + PADDING),
            twin: batch_x_twin,
            len: rows * cols,
            magnitude: None,
        },
        Output {
            name: format!("{name} batch_labels"),
            gpu: read(&batch_labels_buffer, rows + PADDING),
            twin: batch_labels_twin.into_iter().map(f32::from_bits).collect(),
            len: rows,
            magnitude: None,
        },
    ]
}

// Parity of every entry point with its twin.

/// Checks a kernel that takes every shape against the twin, for all four flag combinations.
fn check_matmul_shapes(kernel: &Kernel, tile: usize, seed: u64) -> f32 {
    let mut rng = SplitMix64::new(seed);
    let mut max_difference = 0.0f32;
    for flags in [0, TRANSPOSE_A, TRANSPOSE_B, TRANSPOSE_A | TRANSPOSE_B] {
        for m in SIZES {
            for n in SIZES {
                for k in SIZES {
                    let output = matmul_case((kernel, tile), &mut rng, [m, n, k], flags, 0);
                    max_difference = max_difference.max(check(&output, MATMUL_TOLERANCE));
                }
            }
        }
    }
    max_difference
}

#[test]
fn matmul_matches_twin() {
    let matmul = kernel(kernels::MATMUL, "main");
    let max_difference = check_matmul_shapes(&matmul, kernels::MATMUL_TILE, 1);
    eprintln!("matmul: max difference {max_difference:e}");
}

#[test]
fn matmul_tiled_matches_twin() {
    let matmul = kernel(kernels::MATMUL_TILED, "main");
    let max_difference = check_matmul_shapes(&matmul, kernels::MATMUL_TILED_TILE, 22);
    eprintln!("matmul tiled: max difference {max_difference:e}");
}

#[test]
fn matmul_vec4_matches_twin() {
    let mut rng = SplitMix64::new(21);
    let mut max_difference = 0.0f32;
    // The batch dimension takes any size; the others are the ones each entry reads as vec4s.
    for (entry, flags) in [("nn", 0), ("tn", TRANSPOSE_A), ("nt", TRANSPOSE_B)] {
        let matmul = kernel(kernels::MATMUL_VEC4, entry);
        for batch in SIZES {
            for first in VEC4_SIZES {
                for n in VEC4_SIZES {
                    let [m, k] = if flags == TRANSPOSE_A {
                        [first, batch]
                    } else {
                        [batch, first]
                    };
                    let params = MatmulParams {
                        m: m as u32,
                        n: n as u32,
                        k: k as u32,
                        flags,
                    };
                    assert_eq!(kernels::matmul_vec4_entry(&params), Some(entry));
                    let output = matmul_case(
                        (&matmul, kernels::MATMUL_VEC4_TILE),
                        &mut rng,
                        [m, n, k],
                        flags,
                        0,
                    );
                    max_difference = max_difference.max(check(&output, MATMUL_TOLERANCE));
                }
            }
        }
    }
    eprintln!("matmul vec4: max difference {max_difference:e}");
}

#[test]
fn matmul_vec4_declines_other_shapes() {
    let shape = |m, n, k, flags| MatmulParams { m, n, k, flags };
    for params in [
        // A row length the kernels read whole is not divisible by 4.
        shape(8, 10, 8, 0),
        shape(8, 8, 10, 0),
        shape(10, 8, 8, TRANSPOSE_A),
        shape(8, 8, 10, TRANSPOSE_B),
        shape(8, 10, 8, TRANSPOSE_B),
        // No entry point reads both operands transposed.
        shape(8, 8, 8, TRANSPOSE_A | TRANSPOSE_B),
    ] {
        assert_eq!(kernels::matmul_vec4_entry(&params), None, "{params:?}");
    }
}

#[test]
fn bias_matches_twin() {
    let mut rng = SplitMix64::new(2);
    let mut max_difference = 0.0f32;
    for rows in SIZES {
        for cols in SIZES {
            let outputs = bias_cases(&mut rng, rows, cols, 0);
            max_difference = max_difference.max(check_all(&outputs, ELEMENTWISE_TOLERANCE));
        }
    }
    eprintln!("bias: max difference {max_difference:e}");
}

#[test]
fn activations_match_twin() {
    let mut rng = SplitMix64::new(3);
    for kind in ACTIVATION_KINDS {
        let mut max_difference = 0.0f32;
        for len in SIZES {
            let outputs = activation_cases(&mut rng, kind, len, 0);
            max_difference = max_difference.max(check_all(&outputs, ELEMENTWISE_TOLERANCE));
        }
        eprintln!("activation kind {kind}: max difference {max_difference:e}");
    }
}

#[test]
fn dropout_matches_twin() {
    let mut max_difference = 0.0f32;
    for len in SIZES.into_iter().chain([10_000]) {
        for (seed, step, rate) in [(1, 1, 0.3), (2, 5, 0.5), (3, 9, 0.95)] {
            let params = DropoutParams {
                len: len as u32,
                seed,
                step,
                rate,
            };
            let outputs = dropout_cases(params, 0);
            max_difference = max_difference.max(check_all(&outputs, ELEMENTWISE_TOLERANCE));
        }
    }
    eprintln!("dropout: max difference {max_difference:e}");
}

#[test]
fn loss_matches_twin() {
    let mut rng = SplitMix64::new(4);
    let mut max_difference = 0.0f32;
    for kind in [
        loss_kind::CROSS_ENTROPY,
        loss_kind::BINARY_CROSS_ENTROPY,
        loss_kind::MEAN_SQUARED_ERROR,
        loss_kind::HUBER,
    ] {
        // Binary cross-entropy takes one column, but with more, each column is compared with
        // the same label.
        let widths: &[usize] = if kind == loss_kind::BINARY_CROSS_ENTROPY {
            &[1, 7]
        } else {
            &SIZES
        };
        for rows in SIZES {
            for &cols in widths {
                let outputs = loss_cases(&mut rng, kind, rows, cols, 0, target_kind::CLASSES);
                max_difference = max_difference.max(check_all(&outputs, ELEMENTWISE_TOLERANCE));
            }
        }
    }
    eprintln!("loss: max difference {max_difference:e}");
}

#[test]
fn regression_loss_matches_twin() {
    // Mean squared error and Huber loss against real targets, with the absolute error of
    // column 0 as the row statistic; a regression network has one column, but every column is
    // compared.
    let mut rng = SplitMix64::new(14);
    let mut max_difference = 0.0f32;
    for kind in [loss_kind::MEAN_SQUARED_ERROR, loss_kind::HUBER] {
        for rows in SIZES {
            for cols in [1, 3] {
                for extra in [0, 2] {
                    let outputs =
                        loss_cases(&mut rng, kind, rows, cols, extra, target_kind::VALUES);
                    let difference = check_all(&outputs, ELEMENTWISE_TOLERANCE);
                    max_difference = max_difference.max(difference);
                }
            }
        }
    }
    eprintln!("regression loss: max difference {max_difference:e}");
}

#[test]
fn reduce_matches_twin() {
    let mut rng = SplitMix64::new(5);
    let mut max_difference = 0.0f32;
    for rows in SIZES.into_iter().chain([4096]) {
        let output = reduce_case(&mut rng, rows, 0);
        max_difference = max_difference.max(check(&output, ELEMENTWISE_TOLERANCE));
    }
    eprintln!("reduce: max difference {max_difference:e}");
}

#[test]
fn optimizers_match_twin() {
    let rules: [(&str, OptimizerTwin, f32); 6] = [
        ("sgd", twins::sgd, 0.9),
        ("sgd", twins::sgd, 0.0),
        ("adam", twins::adam, 0.0),
        ("adamw", twins::adam, 0.0),
        ("rmsprop", twins::rmsprop, 0.9),
        ("rmsprop", twins::rmsprop, 0.0),
    ];
    for (entry_point, twin_update, momentum) in rules {
        let mut max_difference = 0.0f32;
        for len in SIZES {
            let outputs = optimizer_cases(entry_point, twin_update, momentum, len, 0);
            max_difference = max_difference.max(check_all(&outputs, ELEMENTWISE_TOLERANCE));
        }
        eprintln!("{entry_point} momentum {momentum}: max difference {max_difference:e}");
    }
}

#[test]
fn penalty_matches_twin() {
    let mut rng = SplitMix64::new(16);
    let mut max_difference = 0.0f32;
    // 4099 elements leave threads with 16 and 17 elements each.
    for len in SIZES.into_iter().chain([4099]) {
        for rates in [[0.01, 0.0], [0.0, 0.02], [0.01, 0.02]] {
            let outputs = penalty_cases(&mut rng, len, rates, 0);
            max_difference = max_difference.max(check_all(&outputs, ELEMENTWISE_TOLERANCE));
        }
    }
    eprintln!("penalty: max difference {max_difference:e}");
}

#[test]
fn penalty_gradient_matches_differences() {
    // The penalty is l1 * sum(|w|) + l2 * sum(w^2); the kernel's gradient of it is what it adds
    // to a zero gradient. Weights stay 1e-3 away from 0, where |w| has a kink.
    let mut rng = SplitMix64::new(17);
    let (l1, l2) = (0.03f32, 0.05f32);
    let len = 300;
    let weight: Vec<f32> = random_values(&mut rng, len, -2.0, 2.0)
        .into_iter()
        .map(|w| if w.abs() < 1e-3 { 0.5 } else { w })
        .collect();
    let grad_buffer = gpu().zeros("grad", len);
    dispatch(
        &kernel(kernels::PENALTY, "main"),
        &PenaltyParams {
            len: len as u32,
            rows: 1,
            l1,
            l2,
        },
        &[
            &gpu().buffer_from("weight", &weight),
            &grad_buffer,
            &gpu().zeros("totals", 1),
        ],
        [1, 1, 1],
    );
    let grad = read(&grad_buffer, len);
    let (l1, l2) = (f64::from(l1), f64::from(l2));
    for (index, &w) in weight.iter().enumerate() {
        let penalty = |x: f64| l1 * x.abs() + l2 * x * x;
        let expected = central_difference(penalty, f64::from(w));
        assert_derivative(
            &format!("penalty weight {index}"),
            grad[index],
            expected,
            expected.abs(),
            DERIVATIVE_TOLERANCE,
        );
    }
}

#[test]
fn gather_matches_twin() {
    let mut rng = SplitMix64::new(6);
    for rows in SIZES {
        for cols in [1, 7] {
            let outputs = gather_cases(&mut rng, rows, cols, 0);
            // A copy must be exact.
            check_all(&outputs, 0.0);
        }
    }
}

#[test]
fn overdispatch_leaves_padding_untouched() {
    // Two workgroups more than the host dispatches along each axis, so that whole workgroups
    // fall past the logical size. `check` asserts that the padding kept its sentinel.
    let extra = 2;
    let mut rng = SplitMix64::new(7);

    let matmul = kernel(kernels::MATMUL, "main");
    for flags in [0, TRANSPOSE_A | TRANSPOSE_B] {
        check(
            &matmul_case(
                (&matmul, kernels::MATMUL_TILE),
                &mut rng,
                [7, 5, 3],
                flags,
                extra,
            ),
            MATMUL_TOLERANCE,
        );
    }
    let tiled = kernel(kernels::MATMUL_TILED, "main");
    for flags in [0, TRANSPOSE_A | TRANSPOSE_B] {
        check(
            &matmul_case(
                (&tiled, kernels::MATMUL_TILED_TILE),
                &mut rng,
                [7, 5, 3],
                flags,
                extra,
            ),
            MATMUL_TOLERANCE,
        );
    }
    for (entry, flags) in [("nn", 0), ("tn", TRANSPOSE_A), ("nt", TRANSPOSE_B)] {
        check(
            &matmul_case(
                (
                    &kernel(kernels::MATMUL_VEC4, entry),
                    kernels::MATMUL_VEC4_TILE,
                ),
                &mut rng,
                [12, 12, 12],
                flags,
                extra,
            ),
            MATMUL_TOLERANCE,
        );
    }
    check_all(&bias_cases(&mut rng, 7, 5, extra), ELEMENTWISE_TOLERANCE);
    for kind in ACTIVATION_KINDS {
        check_all(
            &activation_cases(&mut rng, kind, 7, extra),
            ELEMENTWISE_TOLERANCE,
        );
    }

    let dropout = DropoutParams {
        len: 7,
        seed: 1,
        step: 1,
        rate: 0.5,
    };
    check_all(&dropout_cases(dropout, extra), ELEMENTWISE_TOLERANCE);

    for kind in [
        loss_kind::CROSS_ENTROPY,
        loss_kind::BINARY_CROSS_ENTROPY,
        loss_kind::MEAN_SQUARED_ERROR,
        loss_kind::HUBER,
    ] {
        let cols = if kind == loss_kind::BINARY_CROSS_ENTROPY {
            1
        } else {
            3
        };
        check_all(
            &loss_cases(&mut rng, kind, 7, cols, extra, target_kind::CLASSES),
            ELEMENTWISE_TOLERANCE,
        );
    }
    check(&reduce_case(&mut rng, 7, extra), ELEMENTWISE_TOLERANCE);

    check_all(
        &optimizer_cases("sgd", twins::sgd, 0.9, 7, extra),
        ELEMENTWISE_TOLERANCE,
    );
    check_all(
        &optimizer_cases("adam", twins::adam, 0.0, 7, extra),
        ELEMENTWISE_TOLERANCE,
    );
    check_all(
        &optimizer_cases("adamw", twins::adam, 0.0, 7, extra),
        ELEMENTWISE_TOLERANCE,
    );
    check_all(
        &optimizer_cases("rmsprop", twins::rmsprop, 0.9, 7, extra),
        ELEMENTWISE_TOLERANCE,
    );
    check_all(&gather_cases(&mut rng, 7, 3, extra), 0.0);
    check_all(
        &penalty_cases(&mut rng, 7, [0.01, 0.02], extra),
        ELEMENTWISE_TOLERANCE,
    );
}

// Edge cases of the activation and loss formulas.

#[test]
fn activations_finite_at_extremes() {
    let inputs = [1e4f32, -1e4];
    let expected: [(u32, [f32; 2], [f32; 2]); 4] = [
        // (kind, f at ±1e4, f' at ±1e4)
        (activation_kind::SIGMOID, [1.0, 0.0], [0.0, 0.0]),
        (activation_kind::TANH, [1.0, -1.0], [0.0, 0.0]),
        (activation_kind::GELU, [1e4, 0.0], [1.0, 0.0]),
        (activation_kind::LEAKY_RELU, [1e4, -100.0], [1.0, 0.01]),
    ];
    for (kind, values, derivatives) in expected {
        let params = ActivationParams {
            len: 2,
            kind,
            slope: 0.01,
            ..Default::default()
        };
        let z_buffer = gpu().buffer_from("z", &inputs);
        let y_buffer = gpu().zeros("y", 2);
        let dz_buffer = gpu().zeros("dz", 2);
        dispatch(
            &kernel(kernels::ACTIVATION, "forward"),
            &params,
            &[&z_buffer, &y_buffer],
            [1, 1, 1],
        );
        dispatch(
            &kernel(kernels::ACTIVATION, "backward"),
            &params,
            &[
                &z_buffer,
                &gpu().buffer_from("dy", &[1.0f32, 1.0]),
                &dz_buffer,
            ],
            [1, 1, 1],
        );
        let y = read(&y_buffer, 2);
        let dz = read(&dz_buffer, 2);
        for index in 0..2 {
            let x = inputs[index];
            assert!(
                y[index] == values[index],
                "kind {kind}: f({x}) = {}, expected {}",
                y[index],
                values[index]
            );
            assert!(
                dz[index] == derivatives[index],
                "kind {kind}: f'({x}) = {}, expected {}",
                dz[index],
                derivatives[index]
            );
        }
    }
}

#[test]
fn relu_derivatives_at_zero() {
    // dfdx 0.13 takes the positive branch of leaky relu for x = ±0, since -0.0 < 0 is false.
    for (kind, expected) in [
        (activation_kind::RELU, 0.0f32),
        (activation_kind::LEAKY_RELU, 1.0),
    ] {
        let params = ActivationParams {
            len: 2,
            kind,
            slope: 0.01,
            ..Default::default()
        };
        let dz_buffer = gpu().zeros("dz", 2);
        dispatch(
            &kernel(kernels::ACTIVATION, "backward"),
            &params,
            &[
                &gpu().buffer_from("z", &[0.0f32, -0.0]),
                &gpu().buffer_from("dy", &[1.0f32, 1.0]),
                &dz_buffer,
            ],
            [1, 1, 1],
        );
        for (index, derivative) in read(&dz_buffer, 2).into_iter().enumerate() {
            assert!(
                derivative == expected,
                "kind {kind}: derivative at input {index} (±0) is {derivative}, expected {expected}"
            );
        }
    }
}

#[test]
fn loss_finite_at_extremes() {
    // One row of logits far beyond exp's range, for each loss.
    for (kind, logits, label) in [
        (loss_kind::CROSS_ENTROPY, vec![1e4f32, -1e4, 0.0], 1u32),
        (loss_kind::BINARY_CROSS_ENTROPY, vec![-1e4], 1),
        (loss_kind::MEAN_SQUARED_ERROR, vec![1e4, -1e4, 0.0], 0),
        (loss_kind::HUBER, vec![1e4, -1e4, 0.0], 0),
    ] {
        let cols = logits.len();
        let params = LossParams {
            rows: 1,
            cols: cols as u32,
            kind,
            delta: HUBER_DELTA,
            ..Default::default()
        };
        let grad_buffer = gpu().zeros("grad", cols);
        let stats_buffer = gpu().zeros("row_stats", 2);
        dispatch(
            &kernel(kernels::LOSS, "main"),
            &params,
            &[
                &gpu().buffer_from("logits", &logits),
                &gpu().buffer_from("labels", &[label]),
                &grad_buffer,
                &stats_buffer,
            ],
            [1, 1, 1],
        );
        let stats = read(&stats_buffer, 2);
        let grad = read(&grad_buffer, cols);
        // The losses are 2e4 (cross-entropy), 1e4 (binary cross-entropy), about 6.7e7 (MSE)
        // and about 5e3 (Huber with delta 0.75).
        assert!(
            stats[0].is_finite() && stats[0] > 1e3,
            "kind {kind}: loss {} of logits {logits:?}",
            stats[0]
        );
        for (col, value) in grad.iter().enumerate() {
            assert!(
                value.is_finite(),
                "kind {kind}: gradient {value} at column {col} of logits {logits:?}"
            );
        }
    }
}

#[test]
fn gelu_twin_matches_dfdx() {
    // The twin's erf approximation (Abramowitz and Stegun 7.1.26, error at most 1.5e-7) against
    // dfdx 0.13's accurate_gelu, which calls libm's erff.
    let device = Cpu::default();
    let inputs: Vec<f32> = (-600..=600).map(|step| step as f32 * 0.01).collect();
    let expected = device
        .tensor_from_vec(inputs.clone(), (inputs.len(),))
        .accurate_gelu()
        .as_vec();
    let mut max_difference = 0.0f32;
    for (&x, &dfdx_value) in inputs.iter().zip(&expected) {
        let twin_value = twins::scalar::activate(activation_kind::GELU, 0.0, x);
        let difference = (twin_value - dfdx_value).abs();
        assert!(
            difference <= 1e-6,
            "gelu({x}): twin {twin_value:e}, dfdx {dfdx_value:e}, difference {difference:e}"
        );
        max_difference = max_difference.max(difference);
    }
    eprintln!("gelu twin against dfdx: max difference {max_difference:e}");
}

// GPU gradients against central differences of the twins' formulas in f64.

fn central_difference(function: impl Fn(f64) -> f64, x: f64) -> f64 {
    (function(x + STEP) - function(x - STEP)) / (2.0 * STEP)
}

/// Asserts that `gpu_value` is within `tolerance` of `expected`, after dividing the difference
/// by max(1, `magnitude`). Returns that scaled difference.
fn assert_derivative(
    name: &str,
    gpu_value: f32,
    expected: f64,
    magnitude: f64,
    tolerance: f64,
) -> f64 {
    let difference = (f64::from(gpu_value) - expected).abs() / magnitude.max(1.0);
    assert!(
        difference <= tolerance,
        "{name}: GPU {gpu_value:e}, central difference {expected:e}, difference {difference:e} \
         above {tolerance:e}"
    );
    difference
}

#[test]
fn activation_backward_matches_differences() {
    let mut rng = SplitMix64::new(8);
    // Inputs in [-6, 6] but at least 1e-3 from 0, where relu and leaky relu have a kink.
    let z: Vec<f32> = (0..257)
        .map(|_| {
            let magnitude = rng.uniform(1e-3, 6.0) as f32;
            if rng.below(2) == 0 {
                magnitude
            } else {
                -magnitude
            }
        })
        .collect();
    let dy = random_values(&mut rng, z.len(), -2.0, 2.0);
    let slope = 0.01f32;
    for kind in ACTIVATION_KINDS {
        let params = ActivationParams {
            len: z.len() as u32,
            kind,
            slope,
            ..Default::default()
        };
        let dz_buffer = gpu().zeros("dz", z.len());
        dispatch(
            &kernel(kernels::ACTIVATION, "backward"),
            &params,
            &[
                &gpu().buffer_from("z", &z),
                &gpu().buffer_from("dy", &dy),
                &dz_buffer,
            ],
            [groups(z.len(), 256), 1, 1],
        );
        let dz = read(&dz_buffer, z.len());
        let mut max_difference = 0.0f64;
        for index in 0..z.len() {
            let activate = |x: f64| scalar_f64::activate(kind, f64::from(slope), x);
            let expected = f64::from(dy[index]) * central_difference(activate, f64::from(z[index]));
            let name = format!("activation kind {kind} at z = {}", z[index]);
            max_difference = max_difference.max(assert_derivative(
                &name,
                dz[index],
                expected,
                expected.abs(),
                DERIVATIVE_TOLERANCE,
            ));
        }
        eprintln!("activation kind {kind} against differences: max difference {max_difference:e}");
    }
}

#[test]
fn loss_grad_matches_differences() {
    let mut rng = SplitMix64::new(9);
    for (kind, rows, cols) in [
        (loss_kind::CROSS_ENTROPY, 7, 5),
        (loss_kind::CROSS_ENTROPY, 100, 3),
        (loss_kind::BINARY_CROSS_ENTROPY, 7, 1),
        (loss_kind::BINARY_CROSS_ENTROPY, 100, 1),
        (loss_kind::MEAN_SQUARED_ERROR, 7, 5),
        (loss_kind::MEAN_SQUARED_ERROR, 100, 3),
        (loss_kind::HUBER, 7, 5),
        (loss_kind::HUBER, 100, 3),
    ] {
        let params = LossParams {
            rows: rows as u32,
            cols: cols as u32,
            kind,
            delta: HUBER_DELTA,
            ..Default::default()
        };
        let logits = random_values(&mut rng, rows * cols, -3.0, 3.0);
        let labels = random_labels(&mut rng, kind, rows, cols);
        let grad_buffer = gpu().zeros("grad", rows * cols);
        dispatch(
            &kernel(kernels::LOSS, "main"),
            &params,
            &[
                &gpu().buffer_from("logits", &logits),
                &gpu().buffer_from("labels", &labels),
                &grad_buffer,
                &gpu().zeros("row_stats", 2 * rows),
            ],
            [groups(rows, 64), 1, 1],
        );
        let grad = read(&grad_buffer, rows * cols);

        // The batch loss is the mean of the row losses. A logit changes only its own row.
        let logits_f64: Vec<f64> = logits.iter().map(|&x| f64::from(x)).collect();
        let mut max_difference = 0.0f64;
        for index in 0..rows * cols {
            let row = index / cols;
            let row_loss = |x: f64| {
                let mut values = logits_f64[row * cols..(row + 1) * cols].to_vec();
                values[index % cols] = x;
                let delta = f64::from(HUBER_DELTA);
                scalar_f64::row_loss(kind, delta, &values, labels[row]) / rows as f64
            };
            let expected = central_difference(row_loss, logits_f64[index]);
            let name = format!("loss kind {kind} rows {rows} cols {cols}, logit {index}");
            max_difference = max_difference.max(assert_derivative(
                &name,
                grad[index],
                expected,
                expected.abs(),
                DERIVATIVE_TOLERANCE,
            ));
        }
        eprintln!(
            "loss kind {kind} rows {rows} against differences: max difference {max_difference:e}"
        );
    }
}

#[test]
fn matmul_gradients_match_differences() {
    // For Z = X·W (X rows×inputs, W inputs×units) and L = Σ dZ ⊙ Z with a fixed dZ, the dense
    // layer's backward products are dL/dW = Xᵀ·dZ and dL/dX = dZ·Wᵀ. L is linear in each
    // entry, so its central differences are exact up to rounding.
    let matmul = kernel(kernels::MATMUL, "main");
    let mut rng = SplitMix64::new(10);
    for [rows, inputs, units] in [[7, 5, 3], [100, 7, 1], [1, 7, 100]] {
        let x = random_values(&mut rng, rows * inputs, -1.0, 1.0);
        let w = random_values(&mut rng, inputs * units, -1.0, 1.0);
        let dz = random_values(&mut rng, rows * units, -1.0, 1.0);
        let as_f64 = |values: &[f32]| values.iter().map(|&v| f64::from(v)).collect::<Vec<_>>();
        let (x64, w64, dz64) = (as_f64(&x), as_f64(&w), as_f64(&dz));
        let objective = |x: &[f64], w: &[f64]| {
            let mut sum = 0.0;
            for r in 0..rows {
                for u in 0..units {
                    let z: f64 = (0..inputs)
                        .map(|i| x[r * inputs + i] * w[i * units + u])
                        .sum();
                    sum += dz64[r * units + u] * z;
                }
            }
            sum
        };

        // dW (inputs×units) = Xᵀ·dZ. A is X, stored rows×inputs and so transposed, and B is dZ.
        let dw_buffer = gpu().zeros("dw", inputs * units);
        let params = MatmulParams {
            m: inputs as u32,
            n: units as u32,
            k: rows as u32,
            flags: TRANSPOSE_A,
        };
        dispatch(
            &matmul,
            &params,
            &[
                &gpu().buffer_from("x", &x),
                &gpu().buffer_from("dz", &dz),
                &dw_buffer,
            ],
            [groups(units, 32), groups(inputs, 32), 1],
        );
        let dw = read(&dw_buffer, inputs * units);
        let mut dw_magnitude = vec![0.0; inputs * units];
        twins::matmul(&params, &absolute(&x), &absolute(&dz), &mut dw_magnitude);
        let mut max_difference = 0.0f64;
        for index in 0..inputs * units {
            let loss = |value: f64| {
                let mut w = w64.clone();
                w[index] = value;
                objective(&x64, &w)
            };
            let expected = central_difference(loss, w64[index]);
            let name = format!("dW shape {rows}×{inputs}×{units}, entry {index}");
            let magnitude = f64::from(dw_magnitude[index]);
            let tolerance = f64::from(MATMUL_TOLERANCE);
            let difference = assert_derivative(&name, dw[index], expected, magnitude, tolerance);
            max_difference = max_difference.max(difference);
        }

        // dX (rows×inputs) = dZ·Wᵀ. A is dZ, and B is W, stored inputs×units and so transposed.
        let dx_buffer = gpu().zeros("dx", rows * inputs);
        let params = MatmulParams {
            m: rows as u32,
            n: inputs as u32,
            k: units as u32,
            flags: TRANSPOSE_B,
        };
        dispatch(
            &matmul,
            &params,
            &[
                &gpu().buffer_from("dz", &dz),
                &gpu().buffer_from("w", &w),
                &dx_buffer,
            ],
            [groups(inputs, 32), groups(rows, 32), 1],
        );
        let dx = read(&dx_buffer, rows * inputs);
        let mut dx_magnitude = vec![0.0; rows * inputs];
        twins::matmul(&params, &absolute(&dz), &absolute(&w), &mut dx_magnitude);
        for index in 0..rows * inputs {
            let loss = |value: f64| {
                let mut x = x64.clone();
                x[index] = value;
                objective(&x, &w64)
            };
            let expected = central_difference(loss, x64[index]);
            let name = format!("dX shape {rows}×{inputs}×{units}, entry {index}");
            let magnitude = f64::from(dx_magnitude[index]);
            let tolerance = f64::from(MATMUL_TOLERANCE);
            let difference = assert_derivative(&name, dx[index], expected, magnitude, tolerance);
            max_difference = max_difference.max(difference);
        }
        eprintln!(
            "matmul products {rows}×{inputs}×{units} against differences: max difference \
             {max_difference:e}"
        );
    }
}

// Dropout statistics.

#[test]
fn dropout_keeps_expected_fraction() {
    let len = 10_000;
    for rate in [0.1f32, 0.5, 0.9] {
        let params = DropoutParams {
            len: len as u32,
            seed: 42,
            step: 3,
            rate,
        };
        let [_, mask, _] = dropout_cases(params, 0);
        let kept_count = mask.gpu[..len]
            .iter()
            .filter(|&&factor| factor > 0.0)
            .count();
        let fraction = kept_count as f64 / len as f64;
        // The kept count is binomial with a standard deviation of at most 0.005 of len, so a
        // bound of 0.02 is 4 standard deviations.
        let expected = 1.0 - f64::from(rate);
        assert!(
            (fraction - expected).abs() < 0.02,
            "rate {rate}: kept fraction {fraction}, expected about {expected}"
        );
        let scale = 1.0 / (1.0 - rate);
        for (index, &factor) in mask.gpu[..len].iter().enumerate() {
            assert!(
                factor == 0.0 || difference(factor, scale, scale) <= ELEMENTWISE_TOLERANCE,
                "rate {rate}: mask element {index} is {factor}, expected 0 or {scale}"
            );
        }
    }
}

#[test]
fn dropout_masks_differ_across_steps() {
    let len = 10_000;
    let mask_for = |seed: u32, step: u32| {
        let params = DropoutParams {
            len: len as u32,
            seed,
            step,
            rate: 0.5,
        };
        let [_, mask, _] = dropout_cases(params, 0);
        mask.gpu[..len].to_vec()
    };
    let first = mask_for(1, 1);
    // Two independent masks at rate 0.5 differ in half the elements on average.
    for (seed, step) in [(1, 2), (2, 1)] {
        let other = mask_for(seed, step);
        let differing = first.iter().zip(&other).filter(|(a, b)| a != b).count();
        let fraction = differing as f64 / len as f64;
        assert!(
            (fraction - 0.5).abs() < 0.03,
            "seed {seed} step {step}: {fraction} of elements differ from seed 1 step 1, \
             expected about 0.5"
        );
    }
}

// The optimizer twins against dfdx 0.13's own updates on a Tensor.

type Buffer = <Cpu as Storage<f32>>::Vec;

fn dfdx_buffer(device: &Cpu, values: &[f32]) -> Buffer {
    let mut buffer = device.try_alloc_len(values.len()).expect("allocation");
    buffer.copy_from_slice(values);
    buffer
}

/// Asserts bitwise equality: the twins and dfdx run the same f32 operations on the CPU.
fn assert_same(name: &str, twin: &[f32], dfdx: &[f32]) {
    assert_eq!(twin.len(), dfdx.len(), "{name}: lengths");
    for (index, (&twin_value, &dfdx_value)) in twin.iter().zip(dfdx).enumerate() {
        assert!(
            twin_value.to_bits() == dfdx_value.to_bits(),
            "{name}: element {index}: twin {twin_value:e}, dfdx {dfdx_value:e}"
        );
    }
}

/// Three steps of random gradients for `len` parameters.
fn gradients(len: usize) -> Vec<Vec<f32>> {
    let mut rng = SplitMix64::new(12);
    (0..3)
        .map(|_| random_values(&mut rng, len, -1.0, 1.0))
        .collect()
}

const DFDX_LEN: usize = 100;

#[test]
fn sgd_twin_matches_dfdx() {
    let device = Cpu::default();
    for momentum in [0.9, 0.0] {
        let config = SgdConfig {
            lr: 0.1,
            momentum: (momentum > 0.0).then_some(Momentum::Classic(momentum)),
            weight_decay: None,
        };
        let initial = random_values(&mut SplitMix64::new(13), DFDX_LEN, -1.0, 1.0);
        let mut tensor = device.tensor_from_vec(initial.clone(), (DFDX_LEN,));
        let mut velocity = device.try_alloc_len(DFDX_LEN).expect("allocation");
        let (mut param, mut state1, mut state2) =
            (initial, vec![0.0; DFDX_LEN], vec![0.0; DFDX_LEN]);
        for (step, grad) in gradients(DFDX_LEN).iter().enumerate() {
            let params = optimizer_params("sgd", momentum as f32, DFDX_LEN, step as i32 + 1);
            config
                .try_update(&mut tensor, &mut velocity, &dfdx_buffer(&device, grad))
                .expect("dfdx SGD update");
            twins::sgd(&params, &mut param, grad, &mut state1, &mut state2);
            let name = format!("sgd momentum {momentum} step {}", step + 1);
            assert_same(&format!("{name} param"), &param, &tensor.as_vec());
            if momentum > 0.0 {
                assert_same(&format!("{name} velocity"), &state1, &velocity);
            }
        }
    }
}

#[test]
fn adam_twin_matches_dfdx() {
    let device = Cpu::default();
    let config = AdamConfig {
        lr: 0.01,
        betas: [0.9, 0.999],
        eps: 1e-7,
        weight_decay: None,
    };
    let initial = random_values(&mut SplitMix64::new(14), DFDX_LEN, -1.0, 1.0);
    let mut tensor = device.tensor_from_vec(initial.clone(), (DFDX_LEN,));
    let mut moment1 = device.try_alloc_len(DFDX_LEN).expect("allocation");
    let mut moment2 = device.try_alloc_len(DFDX_LEN).expect("allocation");
    let (mut param, mut state1, mut state2) = (initial, vec![0.0; DFDX_LEN], vec![0.0; DFDX_LEN]);
    for (step, grad) in gradients(DFDX_LEN).iter().enumerate() {
        let t = step as i32 + 1;
        let params = optimizer_params("adam", 0.0, DFDX_LEN, t);
        config
            .try_update(
                t,
                &mut tensor,
                &mut moment1,
                &mut moment2,
                &dfdx_buffer(&device, grad),
            )
            .expect("dfdx Adam update");
        twins::adam(&params, &mut param, grad, &mut state1, &mut state2);
        assert_same(&format!("adam t {t} param"), &param, &tensor.as_vec());
        assert_same(&format!("adam t {t} moment1"), &state1, &moment1);
        assert_same(&format!("adam t {t} moment2"), &state2, &moment2);
    }
}

#[test]
fn adamw_twin_matches_dfdx() {
    let device = Cpu::default();
    let config = AdamConfig {
        lr: ADAM_LEARNING_RATE,
        betas: [0.9, 0.999],
        eps: 1e-7,
        weight_decay: Some(WeightDecay::Decoupled(ADAMW_WEIGHT_DECAY)),
    };
    let initial = random_values(&mut SplitMix64::new(18), DFDX_LEN, -1.0, 1.0);
    let mut tensor = device.tensor_from_vec(initial.clone(), (DFDX_LEN,));
    let mut moment1 = device.try_alloc_len(DFDX_LEN).expect("allocation");
    let mut moment2 = device.try_alloc_len(DFDX_LEN).expect("allocation");
    let (mut param, mut state1, mut state2) = (initial, vec![0.0; DFDX_LEN], vec![0.0; DFDX_LEN]);
    for (step, grad) in gradients(DFDX_LEN).iter().enumerate() {
        let t = step as i32 + 1;
        let params = optimizer_params("adamw", 0.0, DFDX_LEN, t);
        config
            .try_update(
                t,
                &mut tensor,
                &mut moment1,
                &mut moment2,
                &dfdx_buffer(&device, grad),
            )
            .expect("dfdx AdamW update");
        twins::adam(&params, &mut param, grad, &mut state1, &mut state2);
        assert_same(&format!("adamw t {t} param"), &param, &tensor.as_vec());
        assert_same(&format!("adamw t {t} moment1"), &state1, &moment1);
        assert_same(&format!("adamw t {t} moment2"), &state2, &moment2);
    }
}

#[test]
fn rmsprop_twin_matches_dfdx() {
    let device = Cpu::default();
    for momentum in [0.9, 0.0] {
        let config = RMSpropConfig {
            lr: 0.01,
            alpha: 0.9,
            eps: 1e-7,
            momentum: (momentum > 0.0).then_some(momentum),
            centered: false,
            weight_decay: None,
        };
        let initial = random_values(&mut SplitMix64::new(15), DFDX_LEN, -1.0, 1.0);
        let mut tensor = device.tensor_from_vec(initial.clone(), (DFDX_LEN,));
        let mut momentum_buffer = device.try_alloc_len(DFDX_LEN).expect("allocation");
        let mut square_avg = device.try_alloc_len(DFDX_LEN).expect("allocation");
        let mut grad_avg = device.try_alloc_len(DFDX_LEN).expect("allocation");
        let (mut param, mut state1, mut state2) =
            (initial, vec![0.0; DFDX_LEN], vec![0.0; DFDX_LEN]);
        for (step, grad) in gradients(DFDX_LEN).iter().enumerate() {
            let params = optimizer_params("rmsprop", momentum as f32, DFDX_LEN, step as i32 + 1);
            config
                .try_update(
                    &mut tensor,
                    &mut momentum_buffer,
                    &mut square_avg,
                    &mut grad_avg,
                    &dfdx_buffer(&device, grad),
                )
                .expect("dfdx RMSprop update");
            twins::rmsprop(&params, &mut param, grad, &mut state1, &mut state2);
            let name = format!("rmsprop momentum {momentum} step {}", step + 1);
            assert_same(&format!("{name} param"), &param, &tensor.as_vec());
            assert_same(&format!("{name} square_avg"), &state1, &square_avg);
            if momentum > 0.0 {
                assert_same(&format!("{name} momentum"), &state2, &momentum_buffer);
            }
        }
    }
}

// Convolution unfolding and pooling.

/// Batches and windows of the unfolding checks: (rows, height, width, channels, size, stride,
/// padding). They cover single values, odd and non-square images, and odd and even "same"
/// kernels, where an even one pads one more row and column after the image than before. They
/// also cover stride 2 and strides larger than the window, which leave values that no window
/// reads.
const CONV_WINDOWS: [(usize, usize, usize, usize, usize, usize, Padding); 9] = [
    (1, 1, 1, 1, 1, 1, Padding::Valid),
    (7, 7, 5, 3, 3, 2, Padding::Same),
    (3, 8, 8, 1, 2, 1, Padding::Same),
    (2, 5, 7, 2, 4, 3, Padding::Same),
    (7, 7, 7, 1, 3, 1, Padding::Valid),
    (1, 6, 9, 4, 2, 2, Padding::Valid),
    (2, 1, 7, 7, 3, 1, Padding::Same),
    (3, 9, 4, 1, 1, 3, Padding::Same),
    (5, 8, 8, 16, 3, 1, Padding::Same),
];

/// Batches and windows of the pooling checks, which have no padding: a single value, windows
/// that tile the image, overlap (stride below the size), leave gaps (stride above it), or
/// cover the whole image.
const POOL_WINDOWS: [(usize, usize, usize, usize, usize, usize); 7] = [
    (1, 1, 1, 1, 1, 1),
    (7, 7, 5, 3, 2, 2),
    (3, 8, 8, 1, 3, 2),
    (2, 7, 7, 2, 2, 3),
    (7, 5, 9, 1, 3, 1),
    (1, 6, 6, 4, 6, 1),
    (4, 8, 8, 16, 2, 2),
];

fn conv_window(case: (usize, usize, usize, usize, usize, usize, Padding)) -> (usize, Window) {
    let (rows, height, width, channels, size, stride, padding) = case;
    let window = Window::resolve(height, width, channels, size, stride, padding)
        .expect("the case's window fits its image");
    (rows, window)
}

fn pool_window(case: (usize, usize, usize, usize, usize, usize)) -> (usize, Window) {
    let (rows, height, width, channels, size, stride) = case;
    conv_window((rows, height, width, channels, size, stride, Padding::Valid))
}

fn window_name(rows: usize, window: &Window) -> String {
    format!(
        "rows={rows} image={}x{}x{} size={} stride={} pad=({}, {})",
        window.input_height,
        window.input_width,
        window.channels,
        window.size,
        window.stride,
        window.pad_top,
        window.pad_left
    )
}

/// Runs `unfold`, and `fold` on an independent random gradient, on a batch of `rows` images.
fn unfold_cases(
    rng: &mut SplitMix64,
    rows: usize,
    window: &Window,
    extra_groups: u32,
) -> [Output; 2] {
    let params = WindowParams::new(window, rows);
    let image_values = rows * params.image_len();
    let unfolded_values = rows * params.positions() * params.patch();
    let name = window_name(rows, window);

    let images = padded(&random_values(rng, image_values, -1.0, 1.0));
    let unfolded_buffer = gpu().buffer_from("unfolded", &padded(&vec![SENTINEL; unfolded_values]));
    dispatch(
        &kernel(kernels::UNFOLD, "unfold"),
        &params,
        &[&gpu().buffer_from("images", &images), &unfolded_buffer],
        [groups(unfolded_values, 256) + extra_groups, 1, 1],
    );
    let mut unfolded_twin = padded(&vec![SENTINEL; unfolded_values]);
    twins::unfold(&params, &images, &mut unfolded_twin);

    let unfolded_grad = padded(&random_values(rng, unfolded_values, -1.0, 1.0));
    let images_grad_buffer =
        gpu().buffer_from("images_grad", &padded(&vec![SENTINEL; image_values]));
    dispatch(
        &kernel(kernels::UNFOLD, "fold"),
        &params,
        &[
            &gpu().buffer_from("unfolded_grad", &unfolded_grad),
            &images_grad_buffer,
        ],
        [groups(image_values, 256) + extra_groups, 1, 1],
    );
    let mut images_grad_twin = padded(&vec![SENTINEL; image_values]);
    twins::fold(&params, &unfolded_grad, &mut images_grad_twin);

    [
        Output {
            name: format!("unfold {name}"),
            gpu: read(&unfolded_buffer, unfolded_values + PADDING),
            twin: unfolded_twin,
            len: unfolded_values,
            magnitude: None,
        },
        Output {
            name: format!("fold {name}"),
            gpu: read(&images_grad_buffer, image_values + PADDING),
            twin: images_grad_twin,
            len: image_values,
            magnitude: None,
        },
    ]
}

/// Pooling inputs with many equal values, so that max pooling's tie rule decides: multiples of
/// 0.5 in [-1, 1].
fn tied_values(rng: &mut SplitMix64, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.below(5) as f32 * 0.5 - 1.0).collect()
}

/// Reads an index buffer that a kernel wrote as u32 into f32 values that `check` compares,
/// keeping the padding's bits.
fn indices_as_values(bits: &[f32], len: usize) -> Vec<f32> {
    bits.iter()
        .enumerate()
        .map(|(index, value)| {
            if index < len {
                value.to_bits() as f32
            } else {
                *value
            }
        })
        .collect()
}

/// Runs pooling forward and backward on a batch of `rows` images with tied values. Max pooling
/// also returns the chosen indices.
fn pool_cases(
    rng: &mut SplitMix64,
    kind: PoolKind,
    rows: usize,
    window: &Window,
    extra_groups: u32,
) -> Vec<Output> {
    let params = WindowParams::new(window, rows);
    let image_values = rows * params.image_len();
    let output_values = rows * params.positions() * window.channels;
    let name = format!("{kind:?} pool {}", window_name(rows, window));
    let source = match kind {
        PoolKind::Max => kernels::MAX_POOL,
        PoolKind::Average => kernels::AVERAGE_POOL,
    };

    let x = padded(&tied_values(rng, image_values));
    let y_buffer = gpu().buffer_from("y", &padded(&vec![SENTINEL; output_values]));
    let argmax_buffer = gpu().buffer_from("argmax", &padded(&vec![SENTINEL; output_values]));
    let mut forward_buffers = vec![gpu().buffer_from("x", &x), y_buffer.clone()];
    if kind == PoolKind::Max {
        forward_buffers.push(argmax_buffer.clone());
    }
    dispatch(
        &kernel(source, "forward"),
        &params,
        &forward_buffers.iter().collect::<Vec<_>>(),
        [groups(output_values, 256) + extra_groups, 1, 1],
    );
    let mut y_twin = padded(&vec![SENTINEL; output_values]);
    let mut argmax_twin = vec![SENTINEL.to_bits(); output_values + PADDING];
    match kind {
        PoolKind::Max => twins::max_pool_forward(&params, &x, &mut y_twin, &mut argmax_twin),
        PoolKind::Average => twins::average_pool_forward(&params, &x, &mut y_twin),
    }

    let dy = padded(&random_values(rng, output_values, -1.0, 1.0));
    let dx_buffer = gpu().buffer_from("dx", &padded(&vec![SENTINEL; image_values]));
    let dy_buffer = gpu().buffer_from("dy", &dy);
    let backward_buffers = match kind {
        PoolKind::Max => vec![&dy_buffer, &argmax_buffer, &dx_buffer],
        PoolKind::Average => vec![&dy_buffer, &dx_buffer],
    };
    dispatch(
        &kernel(source, "backward"),
        &params,
        &backward_buffers,
        [groups(image_values, 256) + extra_groups, 1, 1],
    );
    let mut dx_twin = padded(&vec![SENTINEL; image_values]);
    match kind {
        PoolKind::Max => twins::max_pool_backward(&params, &dy, &argmax_twin, &mut dx_twin),
        PoolKind::Average => twins::average_pool_backward(&params, &dy, &mut dx_twin),
    }

    let mut outputs = vec![
        Output {
            name: format!("{name} forward"),
            gpu: read(&y_buffer, output_values + PADDING),
            twin: y_twin,
            len: output_values,
            magnitude: None,
        },
        Output {
            name: format!("{name} backward"),
            gpu: read(&dx_buffer, image_values + PADDING),
            twin: dx_twin,
            len: image_values,
            magnitude: None,
        },
    ];
    if kind == PoolKind::Max {
        let argmax_twin: Vec<f32> = argmax_twin.into_iter().map(f32::from_bits).collect();
        outputs.push(Output {
            name: format!("{name} argmax"),
            gpu: indices_as_values(
                &read(&argmax_buffer, output_values + PADDING),
                output_values,
            ),
            twin: indices_as_values(&argmax_twin, output_values),
            len: output_values,
            magnitude: None,
        });
    }
    outputs
}

#[test]
fn unfold_matches_twin() {
    let mut rng = SplitMix64::new(11);
    for case in CONV_WINDOWS {
        let (rows, window) = conv_window(case);
        // Unfolding copies values, and folding adds the same values in the same order.
        check_all(&unfold_cases(&mut rng, rows, &window, 0), 0.0);
    }
}

#[test]
fn max_pool_matches_twin() {
    let mut rng = SplitMix64::new(12);
    for case in POOL_WINDOWS {
        let (rows, window) = pool_window(case);
        // Max pooling selects values and adds the same gradients in the same order.
        check_all(&pool_cases(&mut rng, PoolKind::Max, rows, &window, 0), 0.0);
    }
}

#[test]
fn average_pool_matches_twin() {
    let mut rng = SplitMix64::new(13);
    let mut max_difference = 0.0f32;
    for case in POOL_WINDOWS {
        let (rows, window) = pool_window(case);
        let outputs = pool_cases(&mut rng, PoolKind::Average, rows, &window, 0);
        max_difference = max_difference.max(check_all(&outputs, ELEMENTWISE_TOLERANCE));
    }
    eprintln!("average pool: max difference {max_difference:e}");
}

#[test]
fn image_overdispatch_leaves_padding_untouched() {
    let extra = 2;
    let mut rng = SplitMix64::new(14);
    let (rows, window) = conv_window(CONV_WINDOWS[1]);
    check_all(&unfold_cases(&mut rng, rows, &window, extra), 0.0);
    let (rows, window) = pool_window(POOL_WINDOWS[2]);
    check_all(
        &pool_cases(&mut rng, PoolKind::Max, rows, &window, extra),
        0.0,
    );
    check_all(
        &pool_cases(&mut rng, PoolKind::Average, rows, &window, extra),
        ELEMENTWISE_TOLERANCE,
    );
}

/// Gradient of `x` from the CPU path's `operation` when the gradient reaching its output is
/// `output_grad`: the backward pass of sum(operation(x) ⊙ output_grad).
fn cpu_backward(
    x: &[f32],
    shape: (usize, usize),
    output_grad: &[f32],
    operation: impl Fn(
        Tensor<(usize, usize), f32, Cpu, OwnedTape<f32, Cpu>>,
    ) -> Tensor<(usize, usize), f32, Cpu, OwnedTape<f32, Cpu>>,
) -> (Vec<f32>, Vec<f32>) {
    let device = Cpu::default();
    let x = device.tensor_from_vec(x.to_vec(), shape);
    let output = operation(x.leaky_trace());
    let output_shape = *output.shape();
    let values = output.retaped::<NoneTape>().as_vec();
    let weights = device.tensor_from_vec(output_grad.to_vec(), output_shape);
    let grads = (output * weights).sum::<Rank0, _>().backward();
    (values, grads.get(&x).as_vec())
}

#[test]
fn image_twins_match_cpu_path() {
    // The twins against image_ops, whose forward values and gradients the CPU path trains
    // with. Both add the same values in the same order, so they agree exactly.
    let mut rng = SplitMix64::new(15);
    for case in CONV_WINDOWS {
        let (rows, window) = conv_window(case);
        let params = WindowParams::new(&window, rows);
        let name = window_name(rows, &window);
        let unfolded_values = rows * params.positions() * params.patch();
        let images = random_values(&mut rng, rows * params.image_len(), -1.0, 1.0);
        let unfolded_grad = random_values(&mut rng, unfolded_values, -1.0, 1.0);
        let (cpu_unfolded, cpu_grad) =
            cpu_backward(&images, (rows, params.image_len()), &unfolded_grad, |x| {
                image_ops::unfold(x, &window).expect("unfold")
            });
        let mut unfolded = vec![0.0; unfolded_values];
        twins::unfold(&params, &images, &mut unfolded);
        assert_eq!(unfolded, cpu_unfolded, "unfold {name}");
        let mut images_grad = vec![0.0; images.len()];
        twins::fold(&params, &unfolded_grad, &mut images_grad);
        assert_eq!(images_grad, cpu_grad, "fold {name}");
    }
    for kind in [PoolKind::Max, PoolKind::Average] {
        for case in POOL_WINDOWS {
            let (rows, window) = pool_window(case);
            let params = WindowParams::new(&window, rows);
            let name = format!("{kind:?} pool {}", window_name(rows, &window));
            let output_values = rows * params.positions() * window.channels;
            let x = tied_values(&mut rng, rows * params.image_len());
            let dy = random_values(&mut rng, output_values, -1.0, 1.0);
            let (cpu_y, cpu_dx) = cpu_backward(&x, (rows, params.image_len()), &dy, |x| {
                image_ops::pool(x, &window, kind).expect("pool")
            });
            let mut y = vec![0.0; output_values];
            let mut dx = vec![0.0; x.len()];
            match kind {
                PoolKind::Max => {
                    let mut argmax = vec![0; output_values];
                    twins::max_pool_forward(&params, &x, &mut y, &mut argmax);
                    twins::max_pool_backward(&params, &dy, &argmax, &mut dx);
                }
                PoolKind::Average => {
                    twins::average_pool_forward(&params, &x, &mut y);
                    twins::average_pool_backward(&params, &dy, &mut dx);
                }
            }
            assert_eq!(y, cpu_y, "{name} forward");
            assert_eq!(dx, cpu_dx, "{name} backward");
        }
    }
}

/// Unfolds or pools one f64 image batch directly from the definitions. Each output value of
/// window position (out_y, out_x), kernel entry (ky, kx) and channel reads input
/// (out_y · stride + ky - pad_top, out_x · stride + kx - pad_left), or 0 outside the image.
/// `combine` turns a window's values into the outputs of that position and channel.
fn windows_f64(
    x: &[f64],
    rows: usize,
    window: &Window,
    combine: impl Fn(&[f64]) -> Vec<f64>,
) -> Vec<f64> {
    let image_len = window.input_height * window.input_width * window.channels;
    let mut outputs = Vec::new();
    for row in 0..rows {
        for out_y in 0..window.output_height {
            for out_x in 0..window.output_width {
                let mut by_channel = vec![Vec::new(); window.channels];
                for ky in 0..window.size {
                    for kx in 0..window.size {
                        let y = (out_y * window.stride + ky) as i64 - window.pad_top as i64;
                        let x_position =
                            (out_x * window.stride + kx) as i64 - window.pad_left as i64;
                        let inside = y >= 0
                            && y < window.input_height as i64
                            && x_position >= 0
                            && x_position < window.input_width as i64;
                        for (channel, values) in by_channel.iter_mut().enumerate() {
                            values.push(if inside {
                                let index = (y as usize * window.input_width + x_position as usize)
                                    * window.channels
                                    + channel;
                                x[row * image_len + index]
                            } else {
                                0.0
                            });
                        }
                    }
                }
                outputs.extend(combine_channels(&by_channel, &combine));
            }
        }
    }
    outputs
}

/// Lays out a window position's outputs: unfolding interleaves channels within each kernel
/// entry, pooling emits one value per channel.
fn combine_channels(by_channel: &[Vec<f64>], combine: &impl Fn(&[f64]) -> Vec<f64>) -> Vec<f64> {
    let per_channel: Vec<Vec<f64>> = by_channel.iter().map(|values| combine(values)).collect();
    let len = per_channel[0].len();
    (0..len)
        .flat_map(|entry| per_channel.iter().map(move |values| values[entry]))
        .collect()
}

#[test]
fn image_backward_matches_differences() {
    // For L = Σ dY ⊙ f(X) with a fixed dY, the backward kernels compute dL/dX. Unfolding and
    // average pooling are linear, so their central differences are exact up to rounding. Max
    // pooling is piecewise linear, and distinct inputs at least 1e-3 apart keep every window's
    // largest value in place under a step of 1e-5.
    let mut rng = SplitMix64::new(16);
    let cases = [
        (None, conv_window(CONV_WINDOWS[1])),
        (None, conv_window(CONV_WINDOWS[3])),
        (Some(PoolKind::Max), pool_window(POOL_WINDOWS[2])),
        (Some(PoolKind::Max), pool_window(POOL_WINDOWS[3])),
        (Some(PoolKind::Average), pool_window(POOL_WINDOWS[2])),
        (Some(PoolKind::Average), pool_window(POOL_WINDOWS[4])),
    ];
    for (kind, (rows, window)) in cases {
        let params = WindowParams::new(&window, rows);
        let image_values = rows * params.image_len();
        // Distinct multiples of 1e-3, shuffled.
        let mut order: Vec<usize> = (0..image_values).collect();
        rng.shuffle(&mut order);
        let x: Vec<f32> = order.iter().map(|&i| i as f32 * 1e-3 - 0.5).collect();
        let output_values = match kind {
            None => rows * params.positions() * params.patch(),
            Some(_) => rows * params.positions() * window.channels,
        };
        let dy = random_values(&mut rng, output_values, -1.0, 1.0);

        let dx_buffer = gpu().zeros("dx", image_values);
        let dy_buffer = gpu().buffer_from("dy", &dy);
        match kind {
            None => dispatch(
                &kernel(kernels::UNFOLD, "fold"),
                &params,
                &[&dy_buffer, &dx_buffer],
                [groups(image_values, 256), 1, 1],
            ),
            Some(kind) => {
                let source = match kind {
                    PoolKind::Max => kernels::MAX_POOL,
                    PoolKind::Average => kernels::AVERAGE_POOL,
                };
                let y_buffer = gpu().zeros("y", output_values);
                let argmax_buffer = gpu().zeros("argmax", output_values);
                let x_buffer = gpu().buffer_from("x", &x);
                let mut forward = vec![&x_buffer, &y_buffer];
                let mut backward = vec![&dy_buffer, &dx_buffer];
                if kind == PoolKind::Max {
                    forward.push(&argmax_buffer);
                    backward.insert(1, &argmax_buffer);
                }
                dispatch(
                    &kernel(source, "forward"),
                    &params,
                    &forward,
                    [groups(output_values, 256), 1, 1],
                );
                dispatch(
                    &kernel(source, "backward"),
                    &params,
                    &backward,
                    [groups(image_values, 256), 1, 1],
                );
            }
        }
        let dx = read(&dx_buffer, image_values);

        let combine = |values: &[f64]| -> Vec<f64> {
            match kind {
                None => values.to_vec(),
                Some(PoolKind::Max) => vec![values.iter().copied().fold(f64::MIN, f64::max)],
                Some(PoolKind::Average) => {
                    vec![values.iter().sum::<f64>() / values.len() as f64]
                }
            }
        };
        let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let objective = |x: &[f64]| -> f64 {
            windows_f64(x, rows, &window, combine)
                .iter()
                .zip(&dy)
                .map(|(value, weight)| value * f64::from(*weight))
                .sum()
        };
        let name = format!("{kind:?} {}", window_name(rows, &window));
        let mut max_difference = 0.0f64;
        for index in 0..image_values {
            let loss = |value: f64| {
                let mut x = x64.clone();
                x[index] = value;
                objective(&x)
            };
            let expected = central_difference(loss, x64[index]);
            let difference = assert_derivative(
                &format!("{name}, input {index}"),
                dx[index],
                expected,
                expected.abs(),
                DERIVATIVE_TOLERANCE,
            );
            max_difference = max_difference.max(difference);
        }
        eprintln!("{name} against differences: max difference {max_difference:e}");
    }
}

// Batch and layer normalization.

/// Shapes (rows, channels) of the normalization checks: single values, one row or one
/// channel, odd sizes and partial workgroups.
const NORM_SHAPES: [(usize, usize); 7] = [
    (1, 1),
    (7, 1),
    (1, 7),
    (7, 5),
    (100, 7),
    (257, 16),
    (3, 257),
];

/// Normalization parity tolerance on `difference`. Each output divides by a deviation of at
/// least sqrt(epsilon) ≈ 0.032 and the backward passes subtract nearly equal terms, so the few
/// ULP by which WGSL's division and sqrt may differ grow by up to about 30.
const NORM_TOLERANCE: f32 = 1e-5;

/// Tolerance of the normalization gradients against central differences: the f32 backward
/// subtracts nearly equal terms and divides by deviations down to sqrt(epsilon), as for
/// NORM_TOLERANCE, on top of DERIVATIVE_TOLERANCE's truncation and rounding.
const NORM_DERIVATIVE_TOLERANCE: f64 = 2e-5;

fn norm_params(rows: usize, channels: usize, training: bool) -> NormParams {
    NormParams {
        groups: rows as u32,
        channels: channels as u32,
        training: u32::from(training),
        momentum: 0.99,
        epsilon: 1e-3,
        ..Default::default()
    }
}

/// Runs one dispatch whose outputs start as padded copies of `outputs`, and returns them as the
/// GPU left them.
fn run_norm_kernel(
    source: &str,
    entry_point: &str,
    params: &NormParams,
    inputs: &[&[f32]],
    outputs: &[&[f32]],
    workgroups: [u32; 3],
) -> Vec<Vec<f32>> {
    let mut buffers: Vec<wgpu::Buffer> = inputs
        .iter()
        .map(|values| gpu().buffer_from("input", &padded(values)))
        .collect();
    let first_output = buffers.len();
    buffers.extend(
        outputs
            .iter()
            .map(|values| gpu().buffer_from("output", &padded(values))),
    );
    dispatch(
        &kernel(source, entry_point),
        params,
        &buffers.iter().collect::<Vec<_>>(),
        workgroups,
    );
    buffers[first_output..]
        .iter()
        .zip(outputs)
        .map(|(buffer, values)| read(buffer, values.len() + PADDING))
        .collect()
}

/// Runs every normalization entry point on one shape, each on the twin's results of the steps
/// before it, so that each check isolates one kernel.
fn norm_cases(
    rng: &mut SplitMix64,
    rows: usize,
    channels: usize,
    extra_groups: u32,
) -> Vec<Output> {
    let len = rows * channels;
    let name = format!("rows={rows} channels={channels}");
    let per_channel = [groups(channels, 64) + extra_groups, 1, 1];
    let per_value = [groups(len, 256) + extra_groups, 1, 1];
    let per_group = [groups(rows, 64) + extra_groups, 1, 1];
    let output = |label: &str, gpu: Vec<f32>, twin: &[f32], len: usize| Output {
        name: format!("{label} {name}"),
        gpu,
        twin: padded(twin),
        len,
        magnitude: None,
    };

    // Values with a common offset, as activations have, so that centering matters.
    let x = random_values(rng, len, 0.5, 3.0);
    let gamma = random_values(rng, channels, 0.5, 1.5);
    let beta = random_values(rng, channels, -1.0, 1.0);
    let moving_mean = random_values(rng, channels, -1.0, 1.0);
    let moving_variance = random_values(rng, channels, 0.5, 2.0);
    let dy = random_values(rng, len, -1.0, 1.0);
    let sentinels = |len: usize| vec![SENTINEL; len];
    let mut outputs = Vec::new();

    for training in [true, false] {
        let params = norm_params(rows, channels, training);
        let mut stats = sentinels(2 * channels);
        let (mut mean_twin, mut variance_twin) = (moving_mean.clone(), moving_variance.clone());
        twins::batch_norm_statistics(&params, &x, &mut stats, &mut mean_twin, &mut variance_twin);
        let gpu_outputs = run_norm_kernel(
            kernels::BATCH_NORM,
            "statistics",
            &params,
            &[&x],
            &[&sentinels(2 * channels), &moving_mean, &moving_variance],
            per_channel,
        );
        let label = if training { "training" } else { "evaluation" };
        outputs.push(output(
            &format!("batch_norm statistics {label}"),
            gpu_outputs[0].clone(),
            &stats,
            2 * channels,
        ));
        outputs.push(output(
            &format!("batch_norm moving mean {label}"),
            gpu_outputs[1].clone(),
            &mean_twin,
            channels,
        ));
        outputs.push(output(
            &format!("batch_norm moving variance {label}"),
            gpu_outputs[2].clone(),
            &variance_twin,
            channels,
        ));
    }

    let params = norm_params(rows, channels, true);
    let mut stats = vec![0.0; 2 * channels];
    twins::batch_norm_statistics(
        &params,
        &x,
        &mut stats,
        &mut moving_mean.clone(),
        &mut moving_variance.clone(),
    );
    let (mut normalized, mut y) = (sentinels(len), sentinels(len));
    twins::batch_norm_forward(&params, &x, &stats, &gamma, &beta, &mut normalized, &mut y);
    let gpu_outputs = run_norm_kernel(
        kernels::BATCH_NORM,
        "forward",
        &params,
        &[&x, &stats, &gamma, &beta],
        &[&sentinels(len), &sentinels(len)],
        per_value,
    );
    outputs.push(output(
        "batch_norm forward normalized",
        gpu_outputs[0].clone(),
        &normalized,
        len,
    ));
    outputs.push(output(
        "batch_norm forward y",
        gpu_outputs[1].clone(),
        &y,
        len,
    ));

    let (mut gamma_grad, mut beta_grad) = (sentinels(channels), sentinels(channels));
    twins::scale_shift_grad(&params, &dy, &normalized, &mut gamma_grad, &mut beta_grad);
    let gpu_outputs = run_norm_kernel(
        kernels::SCALE_SHIFT,
        "grad",
        &params,
        &[&dy, &normalized],
        &[&sentinels(channels), &sentinels(channels)],
        per_channel,
    );
    outputs.push(output(
        "scale_shift gamma grad",
        gpu_outputs[0].clone(),
        &gamma_grad,
        channels,
    ));
    outputs.push(output(
        "scale_shift beta grad",
        gpu_outputs[1].clone(),
        &beta_grad,
        channels,
    ));

    let mut dx = sentinels(len);
    twins::batch_norm_backward(
        &params,
        &dy,
        &normalized,
        &stats,
        &gamma,
        &gamma_grad,
        &beta_grad,
        &mut dx,
    );
    let gpu_outputs = run_norm_kernel(
        kernels::BATCH_NORM,
        "backward",
        &params,
        &[&dy, &normalized, &stats, &gamma, &gamma_grad, &beta_grad],
        &[&sentinels(len)],
        per_value,
    );
    outputs.push(output(
        "batch_norm backward",
        gpu_outputs[0].clone(),
        &dx,
        len,
    ));

    let (mut normalized, mut y, mut deviation) = (sentinels(len), sentinels(len), sentinels(rows));
    twins::layer_norm_forward(
        &params,
        &x,
        &gamma,
        &beta,
        &mut normalized,
        &mut y,
        &mut deviation,
    );
    let gpu_outputs = run_norm_kernel(
        kernels::LAYER_NORM,
        "forward",
        &params,
        &[&x, &gamma, &beta],
        &[&sentinels(len), &sentinels(len), &sentinels(rows)],
        per_group,
    );
    outputs.push(output(
        "layer_norm forward normalized",
        gpu_outputs[0].clone(),
        &normalized,
        len,
    ));
    outputs.push(output(
        "layer_norm forward y",
        gpu_outputs[1].clone(),
        &y,
        len,
    ));
    outputs.push(output(
        "layer_norm forward deviation",
        gpu_outputs[2].clone(),
        &deviation,
        rows,
    ));

    let mut dx = sentinels(len);
    twins::layer_norm_backward(&params, &dy, &gamma, &normalized, &deviation, &mut dx);
    let gpu_outputs = run_norm_kernel(
        kernels::LAYER_NORM,
        "backward",
        &params,
        &[&dy, &gamma, &normalized, &deviation],
        &[&sentinels(len)],
        per_group,
    );
    outputs.push(output(
        "layer_norm backward",
        gpu_outputs[0].clone(),
        &dx,
        len,
    ));
    outputs
}

#[test]
fn normalization_matches_twin() {
    let mut rng = SplitMix64::new(17);
    let mut max_difference = 0.0f32;
    for (rows, channels) in NORM_SHAPES {
        let outputs = norm_cases(&mut rng, rows, channels, 0);
        max_difference = max_difference.max(check_all(&outputs, NORM_TOLERANCE));
    }
    eprintln!("normalization: max difference {max_difference:e}");
}

#[test]
fn normalization_overdispatch_leaves_padding_untouched() {
    let mut rng = SplitMix64::new(18);
    check_all(&norm_cases(&mut rng, 7, 5, 2), NORM_TOLERANCE);
}

#[test]
fn batch_norm_twin_follows_keras_momentum() {
    // moving = moving · 0.99 + batch · (1 - 0.99), with the batch's biased variance.
    let params = norm_params(4, 1, true);
    let x = [1.0f32, 2.0, 3.0, 6.0];
    let mut stats = [0.0; 2];
    let (mut moving_mean, mut moving_variance) = ([0.0f32], [1.0f32]);
    twins::batch_norm_statistics(
        &params,
        &x,
        &mut stats,
        &mut moving_mean,
        &mut moving_variance,
    );
    // Mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5.
    assert_eq!(stats[0], 3.0);
    assert_eq!(stats[1], (3.5f32 + 1e-3).sqrt());
    assert_eq!(moving_mean[0], 3.0 * (1.0 - 0.99f32));
    assert_eq!(moving_variance[0], 0.99f32 + 3.5 * (1.0 - 0.99f32));
}

/// Normalizes `x` (rows × channels) in f64 over each channel's rows (batch) or each row's
/// channels (layer), then scales and shifts per channel.
fn normalize_f64(
    x: &[f64],
    rows: usize,
    channels: usize,
    over_rows: bool,
    gamma: &[f64],
    beta: &[f64],
) -> Vec<f64> {
    let (sets, members) = if over_rows {
        (channels, rows)
    } else {
        (rows, channels)
    };
    let index = |set: usize, member: usize| {
        if over_rows {
            member * channels + set
        } else {
            set * channels + member
        }
    };
    let mut y = vec![0.0; x.len()];
    for set in 0..sets {
        let mean = (0..members).map(|m| x[index(set, m)]).sum::<f64>() / members as f64;
        let variance = (0..members)
            .map(|m| (x[index(set, m)] - mean).powi(2))
            .sum::<f64>()
            / members as f64;
        let deviation = (variance + 1e-3).sqrt();
        for member in 0..members {
            let i = index(set, member);
            let channel = i % channels;
            y[i] = (x[i] - mean) / deviation * gamma[channel] + beta[channel];
        }
    }
    y
}

#[test]
fn normalization_backward_matches_differences() {
    // For L = Σ dY ⊙ norm(X) with a fixed dY, the GPU's input, gamma and beta gradients, each
    // from kernels run on the GPU's own forward results, against central differences in f64.
    let mut rng = SplitMix64::new(19);
    for (rows, channels) in [(7, 5), (100, 3), (3, 16)] {
        let len = rows * channels;
        let params = norm_params(rows, channels, true);
        let x = random_values(&mut rng, len, 0.5, 3.0);
        let gamma = random_values(&mut rng, channels, 0.5, 1.5);
        let beta = random_values(&mut rng, channels, -1.0, 1.0);
        let dy = random_values(&mut rng, len, -1.0, 1.0);
        let buffer = |label: &str, values: &[f32]| gpu().buffer_from(label, values);
        let (x_buffer, gamma_buffer, beta_buffer, dy_buffer) = (
            buffer("x", &x),
            buffer("gamma", &gamma),
            buffer("beta", &beta),
            buffer("dy", &dy),
        );
        let normalized = gpu().zeros("normalized", len);
        let y = gpu().zeros("y", len);
        let dx = gpu().zeros("dx", len);
        let gamma_grad = gpu().zeros("gamma_grad", channels);
        let beta_grad = gpu().zeros("beta_grad", channels);
        let per_channel = [groups(channels, 64), 1, 1];

        for over_rows in [true, false] {
            if over_rows {
                let stats = gpu().zeros("stats", 2 * channels);
                let (moving_mean, moving_variance) = (
                    gpu().zeros("moving_mean", channels),
                    gpu().zeros("moving_variance", channels),
                );
                dispatch(
                    &kernel(kernels::BATCH_NORM, "statistics"),
                    &params,
                    &[&x_buffer, &stats, &moving_mean, &moving_variance],
                    per_channel,
                );
                let per_value = [groups(len, 256), 1, 1];
                dispatch(
                    &kernel(kernels::BATCH_NORM, "forward"),
                    &params,
                    &[
                        &x_buffer,
                        &stats,
                        &gamma_buffer,
                        &beta_buffer,
                        &normalized,
                        &y,
                    ],
                    per_value,
                );
                dispatch(
                    &kernel(kernels::SCALE_SHIFT, "grad"),
                    &params,
                    &[&dy_buffer, &normalized, &gamma_grad, &beta_grad],
                    per_channel,
                );
                dispatch(
                    &kernel(kernels::BATCH_NORM, "backward"),
                    &params,
                    &[
                        &dy_buffer,
                        &normalized,
                        &stats,
                        &gamma_buffer,
                        &gamma_grad,
                        &beta_grad,
                        &dx,
                    ],
                    per_value,
                );
            } else {
                let deviation = gpu().zeros("deviation", rows);
                let per_group = [groups(rows, 64), 1, 1];
                dispatch(
                    &kernel(kernels::LAYER_NORM, "forward"),
                    &params,
                    &[
                        &x_buffer,
                        &gamma_buffer,
                        &beta_buffer,
                        &normalized,
                        &y,
                        &deviation,
                    ],
                    per_group,
                );
                dispatch(
                    &kernel(kernels::SCALE_SHIFT, "grad"),
                    &params,
                    &[&dy_buffer, &normalized, &gamma_grad, &beta_grad],
                    per_channel,
                );
                dispatch(
                    &kernel(kernels::LAYER_NORM, "backward"),
                    &params,
                    &[&dy_buffer, &gamma_buffer, &normalized, &deviation, &dx],
                    per_group,
                );
            }
            let gpu_grads = [
                read(&dx, len),
                read(&gamma_grad, channels),
                read(&beta_grad, channels),
            ];

            let as_f64 = |values: &[f32]| values.iter().map(|&v| f64::from(v)).collect::<Vec<_>>();
            let inputs = [as_f64(&x), as_f64(&gamma), as_f64(&beta)];
            let dy64 = as_f64(&dy);
            let objective = |inputs: &[Vec<f64>; 3]| -> f64 {
                normalize_f64(
                    &inputs[0], rows, channels, over_rows, &inputs[1], &inputs[2],
                )
                .iter()
                .zip(&dy64)
                .map(|(value, weight)| value * weight)
                .sum()
            };
            let kind = if over_rows {
                "batch_norm"
            } else {
                "layer_norm"
            };
            let mut max_difference = 0.0f64;
            for (tensor, tensor_name) in ["x", "gamma", "beta"].iter().enumerate() {
                for index in 0..inputs[tensor].len() {
                    let loss = |value: f64| {
                        let mut changed = inputs.clone();
                        changed[tensor][index] = value;
                        objective(&changed)
                    };
                    let expected = central_difference(loss, inputs[tensor][index]);
                    let name = format!("{kind} {rows}×{channels} d{tensor_name}[{index}]");
                    let difference = assert_derivative(
                        &name,
                        gpu_grads[tensor][index],
                        expected,
                        expected.abs(),
                        NORM_DERIVATIVE_TOLERANCE,
                    );
                    max_difference = max_difference.max(difference);
                }
            }
            eprintln!(
                "{kind} {rows}×{channels} against differences: max difference {max_difference:e}"
            );
        }
    }
}
