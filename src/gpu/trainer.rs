//! Training on WebGPU. Every step of a batch (gathering rows, forward, loss, backward, optimizer
//! update) runs as compute dispatches on the device; only two sums per epoch come back. The
//! initial weights, the data split and the shuffle order come from the same seeded code as the
//! CPU path, so without dropout both paths compute the same epochs.

use crate::data::{Dataset, Split, STREAM_DROPOUT, STREAM_SHUFFLE};
use crate::error::{PlaygroundError, Result};
use crate::gpu::context::{groups, Gpu, Kernel};
use crate::gpu::kernels::{
    self, activation_kind, loss_kind, target_kind, ActivationParams, DropoutParams, GatherParams,
    LossParams, MatmulParams, MatmulVariant, OptimizerParams, PenaltyParams, ReduceParams,
    ShapeParams, MATMUL_TILE, MATMUL_TILED_TILE, MATMUL_VEC4_TILE, TRANSPOSE_A, TRANSPOSE_B,
};
use crate::network::Network;
use crate::optimizer::{self, OptimizerState};
use crate::rng::SplitMix64;
use crate::schedule;
use crate::spec::{
    Activation, LayerPlan, LayerSpec, Loss, NetworkSpec, OptimizerSpec, Task, ValidSpec,
    LEAKY_RELU_SLOPE,
};
use crate::train::{summarize, EpochMetrics, Evaluation, NetworkSummary};
use bytemuck::Zeroable;
use dfdx::prelude::Cpu;
use std::future::Future;
use std::sync::{Arc, Mutex};

mod image;
mod norm;

use image::{ConvLayer, ImageKernels, LayerInput, PoolLayer};
use norm::{NormKernels, NormKind, NormLayer};

struct Kernels {
    matmul: MatmulKernels,
    add_bias: Kernel,
    bias_grad: Kernel,
    activation_forward: Kernel,
    activation_backward: Kernel,
    dropout_forward: Kernel,
    dropout_backward: Kernel,
    loss: Kernel,
    reduce: Kernel,
    update: Kernel,
    gather: Kernel,
    penalty: Kernel,
}

impl Kernels {
    fn new(gpu: &Gpu, optimizer: &OptimizerSpec) -> Self {
        let update_entry = match optimizer {
            OptimizerSpec::Sgd { .. } => "sgd",
            OptimizerSpec::Adam { .. } | OptimizerSpec::Adamw { .. } => "adam",
            OptimizerSpec::Rmsprop { .. } => "rmsprop",
        };
        Self {
            matmul: MatmulKernels::new(gpu),
            add_bias: gpu.kernel("add_bias", kernels::BIAS, "add_bias"),
            bias_grad: gpu.kernel("bias_grad", kernels::BIAS, "bias_grad"),
            activation_forward: gpu.kernel("activation_forward", kernels::ACTIVATION, "forward"),
            activation_backward: gpu.kernel("activation_backward", kernels::ACTIVATION, "backward"),
            dropout_forward: gpu.kernel("dropout_forward", kernels::DROPOUT, "forward"),
            dropout_backward: gpu.kernel("dropout_backward", kernels::DROPOUT, "backward"),
            loss: gpu.kernel("loss", kernels::LOSS, "main"),
            reduce: gpu.kernel("reduce", kernels::REDUCE, "main"),
            update: gpu.kernel("update", kernels::OPTIMIZER, update_entry),
            gather: gpu.kernel("gather", kernels::GATHER, "main"),
            penalty: gpu.kernel("penalty", kernels::PENALTY, "main"),
        }
    }
}

/// A dispatch whose uniform is rewritten before each batch.
struct Dispatch {
    uniform: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
}

impl Dispatch {
    fn new<T: bytemuck::Pod>(
        gpu: &Gpu,
        kernel: &Kernel,
        params: &T,
        buffers: &[&wgpu::Buffer],
    ) -> Self {
        let uniform = gpu.uniform(&kernel.label, params);
        let mut all = vec![&uniform];
        all.extend_from_slice(buffers);
        let bind_group = kernel.bind(gpu, &all);
        Self {
            uniform,
            bind_group,
        }
    }

    fn run<T: bytemuck::Pod>(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        kernel: &Kernel,
        params: &T,
        workgroups: [u32; 3],
    ) {
        gpu.queue
            .write_buffer(&self.uniform, 0, bytemuck::bytes_of(params));
        kernel.dispatch(encoder, &self.bind_group, workgroups);
    }
}

/// The matmul pipelines of the device's [`MatmulVariant`].
enum MatmulKernels {
    /// `matmul.wgsl` for any shape and the `matmul_vec4.wgsl` entry points.
    Registers {
        any: Kernel,
        nn: Kernel,
        tn: Kernel,
        nt: Kernel,
    },
    Tiled(Kernel),
}

impl MatmulKernels {
    fn new(gpu: &Gpu) -> Self {
        match gpu.matmul {
            MatmulVariant::Registers => {
                let vec4 =
                    |entry| gpu.kernel(&format!("matmul_{entry}"), kernels::MATMUL_VEC4, entry);
                Self::Registers {
                    any: gpu.kernel("matmul", kernels::MATMUL, "main"),
                    nn: vec4("nn"),
                    tn: vec4("tn"),
                    nt: vec4("nt"),
                }
            }
            MatmulVariant::Tiled => {
                Self::Tiled(gpu.kernel("matmul_tiled", kernels::MATMUL_TILED, "main"))
            }
        }
    }

    /// Returns the pipeline for products shaped like `shape` and its outputs per workgroup
    /// along each axis of C.
    fn pick(&self, shape: &MatmulParams) -> (&Kernel, usize) {
        match self {
            Self::Tiled(tiled) => (tiled, MATMUL_TILED_TILE),
            Self::Registers { any, nn, tn, nt } => match kernels::matmul_vec4_entry(shape) {
                Some("nn") => (nn, MATMUL_VEC4_TILE),
                Some("tn") => (tn, MATMUL_VEC4_TILE),
                Some("nt") => (nt, MATMUL_VEC4_TILE),
                _ => (any, MATMUL_TILE),
            },
        }
    }
}

/// One matrix product of the training step, bound to the pipeline that suits its shape.
struct MatmulDispatch {
    dispatch: Dispatch,
    kernel: Kernel,
    tile: usize,
    /// The product at the largest batch; `run` replaces its batch dimension.
    shape: MatmulParams,
}

impl MatmulDispatch {
    /// `m`, `n` and `k` are C's rows and columns and the inner dimension at the largest batch,
    /// and `flags` contains [`TRANSPOSE_A`] and [`TRANSPOSE_B`]. `buffers` are A, B and C.
    fn new(
        gpu: &Gpu,
        kernels: &MatmulKernels,
        [m, n, k]: [usize; 3],
        flags: u32,
        buffers: &[&wgpu::Buffer],
    ) -> Self {
        let shape = MatmulParams {
            m: m as u32,
            n: n as u32,
            k: k as u32,
            flags,
        };
        let (kernel, tile) = kernels.pick(&shape);
        Self {
            dispatch: Dispatch::new(gpu, kernel, &shape, buffers),
            kernel: kernel.clone(),
            tile,
            shape,
        }
    }

    /// Records the product for a batch whose row count gives `batch` rows of the product: C's
    /// rows, or with [`TRANSPOSE_A`] (a weight gradient, xᵀ · dz) the inner dimension. The
    /// pipeline chosen in `new` suits every value, because `matmul_vec4_entry` never looks at
    /// that dimension.
    fn run(&self, gpu: &Gpu, encoder: &mut wgpu::CommandEncoder, batch: usize) {
        let mut params = self.shape;
        if params.flags & TRANSPOSE_A != 0 {
            params.k = batch as u32;
        } else {
            params.m = batch as u32;
        }
        let workgroups = [
            groups(params.n as usize, self.tile),
            groups(params.m as usize, self.tile),
            1,
        ];
        self.dispatch
            .run(gpu, encoder, &self.kernel, &params, workgroups);
    }
}

/// One trainable tensor with its gradient, optimizer state and update dispatch.
struct Parameter {
    value: wgpu::Buffer,
    /// The gradient that the backward pass writes and the update reads.
    grad: wgpu::Buffer,
    len: usize,
    /// The optimizer kernel's state1 and state2 (see kernels/optimizer.wgsl).
    state: [wgpu::Buffer; 2],
    update: Dispatch,
    /// The kernel penalty and its gradient, for a Dense or Conv2D kernel of a spec with a
    /// kernel regularizer; None otherwise.
    penalty: Option<Dispatch>,
}

// Few layers exist per network, so the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
enum GpuLayer {
    Dense {
        units: usize,
        activation: Activation,
        weight: Parameter,
        bias: Parameter,
        forward_matmul: MatmulDispatch,
        add_bias: Dispatch,
        activation_forward: Dispatch,
        activation_backward: Dispatch,
        weight_grad: MatmulDispatch,
        bias_grad: Dispatch,
        /// None for the first layer, whose input needs no gradient.
        input_grad: Option<MatmulDispatch>,
    },
    Dropout {
        units: usize,
        rate: f32,
        forward: Dispatch,
        backward: Dispatch,
    },
    Conv2d(ConvLayer),
    Pool2d(PoolLayer),
    Norm(NormLayer),
}

impl GpuLayer {
    /// Returns the kernel of a Dense or Conv2D layer, the tensor the kernel penalty covers.
    fn kernel(&self) -> Option<&Parameter> {
        match self {
            Self::Dense { weight, .. } => Some(weight),
            Self::Conv2d(conv) => Some(&conv.kernel),
            Self::Dropout { .. } | Self::Pool2d(_) | Self::Norm(_) => None,
        }
    }

    fn kernel_mut(&mut self) -> Option<&mut Parameter> {
        match self {
            Self::Dense { weight, .. } => Some(weight),
            Self::Conv2d(conv) => Some(&mut conv.kernel),
            Self::Dropout { .. } | Self::Pool2d(_) | Self::Norm(_) => None,
        }
    }

    /// Returns the trainable tensors in the order of `Network::parameters_mut`.
    fn parameters(&self) -> Vec<&Parameter> {
        match self {
            Self::Dense { weight, bias, .. } => vec![weight, bias],
            Self::Conv2d(conv) => vec![&conv.kernel, &conv.bias],
            Self::Norm(norm) => vec![&norm.gamma, &norm.beta],
            Self::Dropout { .. } | Self::Pool2d(_) => Vec::new(),
        }
    }

    /// Returns every stored tensor with its length, in the order of
    /// `Network::parameter_values`: the trainable ones, then BatchNormalization's moving mean
    /// and variance.
    fn stored_tensors(&self) -> Vec<(wgpu::Buffer, usize)> {
        let mut tensors: Vec<(wgpu::Buffer, usize)> = self
            .parameters()
            .into_iter()
            .map(|parameter| (parameter.value.clone(), parameter.len))
            .collect();
        if let Self::Norm(NormLayer {
            moving: Some(moving),
            gamma,
            ..
        }) = self
        {
            tensors.extend(moving.iter().map(|buffer| (buffer.clone(), gamma.len)));
        }
        tensors
    }
}

/// Training state on the device. Create it with [`GpuTrainer::new`]; each
/// [`GpuTrainer::train_epoch`] submits one epoch and returns a future of its metrics.
pub struct GpuTrainer {
    gpu: Gpu,
    valid: ValidSpec,
    data: Dataset,
    kernels: Kernels,
    /// Present when the network has Conv2D or pooling layers.
    image_kernels: Option<ImageKernels>,
    /// Present when the network has normalization layers.
    norm_kernels: Option<NormKernels>,
    layers: Vec<GpuLayer>,
    gather_train: Dispatch,
    gather_validation: Dispatch,
    gather_test: Dispatch,
    order: wgpu::Buffer,
    loss: Dispatch,
    reduce_train: Dispatch,
    reduce_validation: Dispatch,
    reduce_test: Dispatch,
    /// Sums of row losses and of the metric (correct rows, or absolute errors for regression)
    /// over the epoch's training batches.
    train_totals: wgpu::Buffer,
    /// The same sums over the validation split, evaluated after the epoch.
    validation_totals: wgpu::Buffer,
    /// The same sums over the test split, evaluated after the epoch.
    test_totals: wgpu::Buffer,
    /// Sum over the epoch's batches of rows times the kernel penalty.
    penalty_total: wgpu::Buffer,
    shuffle: SplitMix64,
    /// Seed of the dropout masks; each batch adds its step number.
    dropout_seed: u32,
    epoch: usize,
    step: u32,
    history: Vec<EpochMetrics>,
    failure: Option<PlaygroundError>,
    /// The buffers that each epoch copies into `snapshot`, in order: every stored tensor, then
    /// each trainable tensor's optimizer state buffers.
    checkpoint_sources: Vec<(wgpu::Buffer, usize)>,
    /// The layout that splits `snapshot` into a [`Checkpoint`], shared with the epochs' futures.
    checkpoint_layout: Arc<CheckpointLayout>,
    /// Device copy of `checkpoint_sources` at the end of the last submitted epoch.
    snapshot: wgpu::Buffer,
    /// The last epoch's snapshot on the host, which an epoch's future stores after its metrics.
    checkpoint: Arc<Mutex<Option<Checkpoint>>>,
}

/// The weights and optimizer state after an epoch, read back with the epoch's metrics. It lives
/// on the host, so a CPU session can continue from it after the device is lost.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Checkpoint {
    /// Epochs finished.
    pub epoch: usize,
    /// Every stored tensor, as [`ParameterReader::read`] returns them.
    pub values: Vec<Vec<f32>>,
    /// The optimizer state after the epoch's last batch, as [`OptimizerReader::read`] returns it.
    pub optimizer: OptimizerState,
}

/// The order and lengths of the buffers in a trainer's snapshot.
struct CheckpointLayout {
    /// Lengths of the copied buffers, in the order of `GpuTrainer::checkpoint_sources`.
    lengths: Vec<usize>,
    /// The number of stored tensors among them. The rest are optimizer state buffers.
    stored_tensors: usize,
    /// Optimizer state buffers per trainable tensor: 1 for SGD, 2 otherwise.
    state_buffers: usize,
}

impl CheckpointLayout {
    /// Splits the snapshot `data` read back after epoch `epoch`, whose last update was optimizer
    /// step `step`, into a checkpoint.
    fn split(&self, data: &[f32], epoch: usize, step: u32) -> Checkpoint {
        let mut parts = Vec::with_capacity(self.lengths.len());
        let mut start = 0;
        for len in &self.lengths {
            parts.push(data[start..start + len].to_vec());
            start += len;
        }
        let state = parts.split_off(self.stored_tensors);
        Checkpoint {
            epoch,
            values: parts,
            optimizer: OptimizerState {
                step,
                buffers: state
                    .chunks(self.state_buffers)
                    .map(|buffers| buffers.to_vec())
                    .collect(),
            },
        }
    }
}

/// Names the first layer type (as Keras names it) that the WebGPU path cannot train, so that
/// the page trains the network on the CPU instead and states the reason. The WebGPU kernels
/// cover every layer type, so this returns None. The match names each type, so a layer type
/// added later does not compile until it is either given kernels or returned here.
pub fn unsupported_layer(valid: &ValidSpec) -> Option<&'static str> {
    valid.spec.layers.iter().find_map(|layer| match layer {
        LayerSpec::Dense { .. }
        | LayerSpec::Dropout { .. }
        | LayerSpec::Conv2d { .. }
        | LayerSpec::MaxPool2d { .. }
        | LayerSpec::AvgPool2d { .. }
        | LayerSpec::Flatten
        | LayerSpec::BatchNorm
        | LayerSpec::LayerNorm => None,
    })
}

impl GpuTrainer {
    /// Validates the spec, builds the same initial weights as the CPU path and uploads them
    /// with the data.
    pub fn new(spec: &NetworkSpec, gpu: Gpu) -> Result<Self> {
        Self::with_parameters(spec, None, gpu, None)
    }

    /// Builds the trainer like [`GpuTrainer::new`], but starts from `values` (layer by layer,
    /// weight then bias, as a model file holds them) when given. `text` is the data file's
    /// content, as for [`crate::Trainer::with_text`].
    pub fn with_parameters(
        spec: &NetworkSpec,
        text: Option<&str>,
        gpu: Gpu,
        values: Option<&[Vec<f32>]>,
    ) -> Result<Self> {
        let valid = spec.validate()?;
        if let Some(layer) = unsupported_layer(&valid) {
            return Err(PlaygroundError::Gpu {
                message: format!("the WebGPU path does not run {layer} layers yet"),
            });
        }
        check_supported(&valid)?;
        let data = Dataset::load(&valid, text)?;
        let mut network = Network::build(&valid, &Cpu::default())?;
        if let Some(values) = values {
            // Checks every tensor's size against the spec before anything is uploaded.
            network.set_parameter_values(values)?;
        }
        let initial = network.parameter_values();
        let kernels = Kernels::new(&gpu, &valid.spec.optimizer);
        let has_images = valid
            .layers
            .iter()
            .any(|plan| matches!(plan, LayerPlan::Conv2d { .. } | LayerPlan::Pool2d { .. }));
        let image_kernels = has_images.then(|| ImageKernels::new(&gpu));
        let has_norms = valid.layers.iter().any(|plan| {
            matches!(
                plan,
                LayerPlan::BatchNorm { .. } | LayerPlan::LayerNorm { .. }
            )
        });
        let norm_kernels = has_norms.then(|| NormKernels::new(&gpu));

        let rows = valid.batch_size;
        let features = data.features;
        let train_x = gpu.buffer_from("train features", &data.train.features);
        let train_labels = gpu.buffer_from("train labels", &label_words(&data.train));
        let validation_x = gpu.buffer_from("validation features", &data.validation.features);
        let validation_labels =
            gpu.buffer_from("validation labels", &label_words(&data.validation));
        let test_x = gpu.buffer_from("test features", &data.test.features);
        let test_labels = gpu.buffer_from("test labels", &label_words(&data.test));
        // Validation and test rows are evaluated in their stored order.
        let identity: Vec<u32> = (0..data.test.rows().max(data.validation.rows()) as u32).collect();
        let identity_order = gpu.buffer_from("identity order", &identity);
        let order = gpu.zeros("order", data.train.rows());
        let batch_x = gpu.zeros("batch features", rows * features);
        let batch_labels = gpu.zeros("batch labels", rows);

        let gather = GatherParams::zeroed();
        let gather_train = Dispatch::new(
            &gpu,
            &kernels.gather,
            &gather,
            &[&train_x, &train_labels, &order, &batch_x, &batch_labels],
        );
        let gather_validation = Dispatch::new(
            &gpu,
            &kernels.gather,
            &gather,
            &[
                &validation_x,
                &validation_labels,
                &identity_order,
                &batch_x,
                &batch_labels,
            ],
        );
        let gather_test = Dispatch::new(
            &gpu,
            &kernels.gather,
            &gather,
            &[
                &test_x,
                &test_labels,
                &identity_order,
                &batch_x,
                &batch_labels,
            ],
        );

        // Layer outputs and their gradients; the batch input has no gradient.
        let mut input = batch_x.clone();
        let mut input_grad: Option<wgpu::Buffer> = None;
        let mut layers = Vec::new();
        let mut values = initial.into_iter();
        let optimizer = optimizer_params(&valid.spec.optimizer, 0.0, 0, 0);
        let penalty_total = gpu.zeros("penalty total", 1);
        let parameter = |value: wgpu::Buffer, grad: &wgpu::Buffer, len: usize| {
            let first = gpu.zeros("optimizer state", len);
            let second = gpu.zeros("optimizer state", len);
            let update = Dispatch::new(
                &gpu,
                &kernels.update,
                &optimizer,
                &[&value, grad, &first, &second],
            );
            Parameter {
                value,
                grad: grad.clone(),
                len,
                state: [first, second],
                update,
                penalty: None,
            }
        };
        for plan in &valid.layers {
            let layer = match *plan {
                LayerPlan::Dense {
                    inputs,
                    units,
                    activation,
                } => {
                    let weight_value = gpu.buffer_from("weight", &values.next().expect("weight"));
                    let bias_value = gpu.buffer_from("bias", &values.next().expect("bias"));
                    let weight_grad = gpu.zeros("weight grad", inputs * units);
                    let bias_grad = gpu.zeros("bias grad", units);
                    let z = gpu.zeros("pre-activation", rows * units);
                    let y = gpu.zeros("activation", rows * units);
                    let dy = gpu.zeros("activation grad", rows * units);
                    let dz = gpu.zeros("pre-activation grad", rows * units);
                    let layer = GpuLayer::Dense {
                        units,
                        activation,
                        // z (rows × units) = x · W.
                        forward_matmul: MatmulDispatch::new(
                            &gpu,
                            &kernels.matmul,
                            [rows, units, inputs],
                            0,
                            &[&input, &weight_value, &z],
                        ),
                        add_bias: Dispatch::new(
                            &gpu,
                            &kernels.add_bias,
                            &ShapeParams::zeroed(),
                            &[&bias_value, &z],
                        ),
                        activation_forward: Dispatch::new(
                            &gpu,
                            &kernels.activation_forward,
                            &ActivationParams::zeroed(),
                            &[&z, &y],
                        ),
                        activation_backward: Dispatch::new(
                            &gpu,
                            &kernels.activation_backward,
                            &ActivationParams::zeroed(),
                            &[&z, &dy, &dz],
                        ),
                        // dW (inputs × units) = xᵀ · dz, with x stored rows × inputs.
                        weight_grad: MatmulDispatch::new(
                            &gpu,
                            &kernels.matmul,
                            [inputs, units, rows],
                            TRANSPOSE_A,
                            &[&input, &dz, &weight_grad],
                        ),
                        bias_grad: Dispatch::new(
                            &gpu,
                            &kernels.bias_grad,
                            &ShapeParams::zeroed(),
                            &[&dz, &bias_grad],
                        ),
                        input_grad: input_grad.as_ref().map(|input_grad| {
                            // dx (rows × inputs) = dz · Wᵀ, with W stored inputs × units.
                            MatmulDispatch::new(
                                &gpu,
                                &kernels.matmul,
                                [rows, inputs, units],
                                TRANSPOSE_B,
                                &[&dz, &weight_value, input_grad],
                            )
                        }),
                        weight: parameter(weight_value.clone(), &weight_grad, inputs * units),
                        bias: parameter(bias_value.clone(), &bias_grad, units),
                    };
                    input = y;
                    input_grad = Some(dy);
                    layer
                }
                LayerPlan::Dropout { shape, rate } => {
                    let units = shape.len();
                    let y = gpu.zeros("dropout output", rows * units);
                    let mask = gpu.zeros("dropout mask", rows * units);
                    let dy = gpu.zeros("dropout output grad", rows * units);
                    let forward = Dispatch::new(
                        &gpu,
                        &kernels.dropout_forward,
                        &DropoutParams::zeroed(),
                        &[&input, &y, &mask],
                    );
                    // The first layer's input needs no gradient, so a leading dropout writes
                    // its input gradient to a scratch buffer.
                    let dx = input_grad
                        .clone()
                        .unwrap_or_else(|| gpu.zeros("unused input grad", rows * units));
                    let backward = Dispatch::new(
                        &gpu,
                        &kernels.dropout_backward,
                        &DropoutParams::zeroed(),
                        &[&dy, &mask, &dx],
                    );
                    input = y;
                    input_grad = Some(dy);
                    GpuLayer::Dropout {
                        units,
                        rate: rate as f32,
                        forward,
                        backward,
                    }
                }
                LayerPlan::Conv2d {
                    window,
                    filters,
                    activation,
                } => {
                    let builder = image::Builder {
                        gpu: &gpu,
                        kernels: &kernels,
                        image: image_kernels.as_ref().expect("image kernels"),
                        rows,
                    };
                    let kernel_value =
                        gpu.buffer_from("conv kernel", &values.next().expect("kernel"));
                    let bias_value = gpu.buffer_from("conv bias", &values.next().expect("bias"));
                    let (layer, outputs) = builder.conv(
                        (window, filters, activation),
                        LayerInput {
                            value: &input,
                            grad: input_grad.as_ref(),
                        },
                        [kernel_value, bias_value],
                        parameter,
                    );
                    input = outputs.value;
                    input_grad = Some(outputs.grad);
                    GpuLayer::Conv2d(layer)
                }
                LayerPlan::Pool2d { window, kind } => {
                    let builder = image::Builder {
                        gpu: &gpu,
                        kernels: &kernels,
                        image: image_kernels.as_ref().expect("image kernels"),
                        rows,
                    };
                    let (layer, outputs) = builder.pool(
                        window,
                        kind,
                        LayerInput {
                            value: &input,
                            grad: input_grad.as_ref(),
                        },
                    );
                    input = outputs.value;
                    input_grad = Some(outputs.grad);
                    GpuLayer::Pool2d(layer)
                }
                // Rows are stored flat already, so Flatten passes the buffers on.
                LayerPlan::Flatten { .. } => continue,
                LayerPlan::BatchNorm { shape } | LayerPlan::LayerNorm { shape } => {
                    let kind = if matches!(plan, LayerPlan::BatchNorm { .. }) {
                        NormKind::Batch
                    } else {
                        NormKind::Layer
                    };
                    let (layer, y, dy) = NormLayer::build(
                        &gpu,
                        norm_kernels.as_ref().expect("normalization kernels"),
                        kind,
                        shape,
                        rows,
                        (&input, input_grad.as_ref()),
                        &mut values,
                        parameter,
                    );
                    input = y;
                    input_grad = Some(dy);
                    GpuLayer::Norm(layer)
                }
            };
            layers.push(layer);
        }

        if valid.spec.kernel_regularizer.is_active() {
            for kernel in layers.iter_mut().filter_map(GpuLayer::kernel_mut) {
                kernel.penalty = Some(Dispatch::new(
                    &gpu,
                    &kernels.penalty,
                    &PenaltyParams::zeroed(),
                    &[&kernel.value, &kernel.grad, &penalty_total],
                ));
            }
        }

        // The output layer is linear, so the last activation buffer holds the logits.
        let logits_grad = input_grad.expect("the output layer has a gradient buffer");
        let row_stats = gpu.zeros("row stats", 2 * rows);
        let train_totals = gpu.zeros("training totals", 2);
        let validation_totals = gpu.zeros("validation totals", 2);
        let test_totals = gpu.zeros("test totals", 2);
        let loss = Dispatch::new(
            &gpu,
            &kernels.loss,
            &LossParams::zeroed(),
            &[&input, &batch_labels, &logits_grad, &row_stats],
        );
        let reduce = ReduceParams::zeroed();
        let reduce_train =
            Dispatch::new(&gpu, &kernels.reduce, &reduce, &[&row_stats, &train_totals]);
        let reduce_validation = Dispatch::new(
            &gpu,
            &kernels.reduce,
            &reduce,
            &[&row_stats, &validation_totals],
        );
        let reduce_test =
            Dispatch::new(&gpu, &kernels.reduce, &reduce, &[&row_stats, &test_totals]);

        let dropout_seed = SplitMix64::stream(valid.seed, STREAM_DROPOUT).next_u64() as u32;
        let state_buffers = optimizer::state_buffer_names(&valid.spec.optimizer).len();
        let mut checkpoint_sources: Vec<(wgpu::Buffer, usize)> =
            layers.iter().flat_map(GpuLayer::stored_tensors).collect();
        let stored_tensors = checkpoint_sources.len();
        for parameter in layers.iter().flat_map(GpuLayer::parameters) {
            for buffer in &parameter.state[..state_buffers] {
                checkpoint_sources.push((buffer.clone(), parameter.len));
            }
        }
        let checkpoint_layout = Arc::new(CheckpointLayout {
            lengths: checkpoint_sources.iter().map(|(_, len)| *len).collect(),
            stored_tensors,
            state_buffers,
        });
        let snapshot = gpu.zeros("checkpoint", checkpoint_layout.lengths.iter().sum());
        Ok(Self {
            shuffle: SplitMix64::stream(valid.seed, STREAM_SHUFFLE),
            gpu,
            valid,
            data,
            kernels,
            image_kernels,
            norm_kernels,
            layers,
            gather_train,
            gather_validation,
            gather_test,
            order,
            loss,
            reduce_train,
            reduce_validation,
            reduce_test,
            train_totals,
            validation_totals,
            test_totals,
            penalty_total,
            dropout_seed,
            epoch: 0,
            step: 0,
            history: Vec::new(),
            failure: None,
            checkpoint_sources,
            checkpoint_layout,
            snapshot,
            checkpoint: Arc::new(Mutex::new(None)),
        })
    }

    pub fn spec(&self) -> &NetworkSpec {
        &self.valid.spec
    }

    pub fn adapter(&self) -> &crate::gpu::context::AdapterSummary {
        &self.gpu.adapter
    }

    /// Destroys the device, which loses it as a driver reset or a removed GPU would: every later
    /// epoch and read-back fails with a GPU error. Tests use it to check the switch to the CPU.
    pub fn destroy_device(&self) {
        self.gpu.device.destroy();
    }

    /// Epochs finished so far.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    pub fn history(&self) -> &[EpochMetrics] {
        &self.history
    }

    pub fn is_finished(&self) -> bool {
        self.epoch >= self.valid.epochs
    }

    pub fn summary(&self) -> NetworkSummary {
        summarize(&self.valid, self.data.summary())
    }

    /// Submits the next epoch (every batch, then the validation and test evaluations) and
    /// returns a future of
    /// its metrics, or None after the last epoch. The future borrows nothing from the trainer,
    /// so the web layer can await it without holding a borrow; it then passes the result to
    /// [`GpuTrainer::record`].
    pub fn train_epoch(&mut self) -> Result<Option<impl Future<Output = Result<EpochMetrics>>>> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }
        if self.is_finished() {
            return Ok(None);
        }
        let train_rows = self.data.train.rows();
        let mut order: Vec<usize> = (0..train_rows).collect();
        self.shuffle.shuffle(&mut order);
        self.gpu
            .queue
            .write_buffer(&self.order, 0, bytemuck::cast_slice(&to_u32(&order)));

        let mut encoder = self.encoder();
        encoder.clear_buffer(&self.train_totals, 0, None);
        encoder.clear_buffer(&self.validation_totals, 0, None);
        encoder.clear_buffer(&self.test_totals, 0, None);
        encoder.clear_buffer(&self.penalty_total, 0, None);
        self.gpu.queue.submit([encoder.finish()]);

        let learning_rate = schedule::learning_rate(&self.valid, self.epoch);
        let batch_size = self.valid.batch_size;
        for offset in (0..train_rows).step_by(batch_size) {
            let rows = batch_size.min(train_rows - offset);
            self.step += 1;
            let mut encoder = self.encoder();
            self.encode_gather(&mut encoder, &self.gather_train, rows, offset);
            self.encode_forward(&mut encoder, rows, true);
            self.encode_loss(&mut encoder, rows, &self.reduce_train);
            self.encode_backward(&mut encoder, rows);
            self.encode_penalty(&mut encoder, rows);
            self.encode_update(&mut encoder, learning_rate);
            // Uniforms are rewritten per batch, so each batch is its own submission.
            self.gpu.queue.submit([encoder.finish()]);
        }
        let mut encoder = self.encoder();
        let mut offset = 0;
        for (buffer, len) in &self.checkpoint_sources {
            encoder.copy_buffer_to_buffer(buffer, 0, &self.snapshot, offset * 4, *len as u64 * 4);
            offset += *len as u64;
        }
        self.gpu.queue.submit([encoder.finish()]);

        let validation_rows = self.data.validation.rows();
        self.encode_evaluation(
            &self.gather_validation,
            &self.reduce_validation,
            validation_rows,
        );
        let test_rows = self.data.test.rows();
        self.encode_evaluation(&self.gather_test, &self.reduce_test, test_rows);

        self.epoch += 1;
        let epoch = self.epoch;
        let task = self.valid.task;
        let gpu = self.gpu.clone();
        let train_totals = self.train_totals.clone();
        let validation_totals = self.validation_totals.clone();
        let test_totals = self.test_totals.clone();
        let penalty_total = self.penalty_total.clone();
        let snapshot = self.snapshot.clone();
        let layout = self.checkpoint_layout.clone();
        let step = self.step;
        let slot = self.checkpoint.clone();
        Ok(Some(async move {
            let read = |totals: wgpu::Buffer, rows: usize| {
                let gpu = gpu.clone();
                async move {
                    if rows == 0 {
                        return Ok(None);
                    }
                    let sums = gpu.read_f32(&totals, 2).await?;
                    Ok::<_, PlaygroundError>(Some(Evaluation {
                        loss: sums[0] as f64 / rows as f64,
                        metric: sums[1] as f64 / rows as f64,
                    }))
                }
            };
            let train = read(train_totals, train_rows)
                .await?
                .expect("validation leaves training rows");
            let penalty = gpu.read_f32(&penalty_total, 1).await?[0];
            let train_penalty = penalty as f64 / train_rows as f64;
            let validation = read(validation_totals, validation_rows).await?;
            let test = read(test_totals, test_rows).await?;
            if !train.loss.is_finite() || !train_penalty.is_finite() {
                return Err(PlaygroundError::Diverged {
                    epoch,
                    loss: (train.loss + train_penalty) as f32,
                    learning_rate,
                });
            }

            let data = gpu.read_f32(&snapshot, layout.lengths.iter().sum()).await?;
            *slot.lock().expect("checkpoint lock") = Some(layout.split(&data, epoch, step));

            Ok(EpochMetrics {
                train_penalty,
                learning_rate,
                ..EpochMetrics::new(task, epoch, train, validation, test, train_rows)
            })
        }))
    }

    /// Returns the weights and optimizer state after the last epoch whose metrics came back, or
    /// None before the first. The copy is on the host, so it outlives a lost device.
    pub fn checkpoint(&self) -> Option<Checkpoint> {
        self.checkpoint.lock().expect("checkpoint lock").clone()
    }

    /// Stores an epoch's metrics, or the error that ended training, once its future resolved.
    pub fn record(&mut self, result: &Result<EpochMetrics>) {
        match result {
            Ok(metrics) => self.history.push(metrics.clone()),
            Err(error) => self.failure = Some(error.clone()),
        }
    }

    /// Returns a reader of the current weights and biases that holds no borrow of the trainer.
    pub fn reader(&self) -> ParameterReader {
        let stored_tensors = self.checkpoint_layout.stored_tensors;
        ParameterReader {
            gpu: self.gpu.clone(),
            tensors: self.checkpoint_sources[..stored_tensors].to_vec(),
        }
    }

    /// Returns a reader of the optimizer's step count and state buffers that holds no borrow
    /// of the trainer. The step count is that of the batches submitted so far.
    pub fn optimizer_reader(&self) -> OptimizerReader {
        let tensors = self
            .layers
            .iter()
            .flat_map(GpuLayer::parameters)
            .map(|parameter| (parameter.state.clone(), parameter.len))
            .collect();
        OptimizerReader {
            gpu: self.gpu.clone(),
            buffers: optimizer::state_buffer_names(&self.valid.spec.optimizer).len(),
            step: self.step,
            tensors,
        }
    }

    /// Returns the image kernels, which `with_parameters` compiles for networks with image
    /// layers.
    fn image_kernels(&self) -> &ImageKernels {
        self.image_kernels
            .as_ref()
            .expect("image kernels are compiled for networks with image layers")
    }

    /// Returns the normalization kernels, which `with_parameters` compiles for networks with
    /// normalization layers.
    fn norm_kernels(&self) -> &NormKernels {
        self.norm_kernels
            .as_ref()
            .expect("normalization kernels are compiled for networks with normalization layers")
    }

    /// Submits the forward pass and loss of `rows` stored rows, batch by batch, adding their
    /// sums to the totals that `reduce` writes.
    fn encode_evaluation(&self, gather: &Dispatch, reduce: &Dispatch, rows: usize) {
        let batch_size = self.valid.batch_size;
        for offset in (0..rows).step_by(batch_size) {
            let batch = batch_size.min(rows - offset);
            let mut encoder = self.encoder();
            self.encode_gather(&mut encoder, gather, batch, offset);
            self.encode_forward(&mut encoder, batch, false);
            self.encode_loss(&mut encoder, batch, reduce);
            self.gpu.queue.submit([encoder.finish()]);
        }
    }

    fn encoder(&self) -> wgpu::CommandEncoder {
        self.gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None })
    }

    fn encode_gather(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        dispatch: &Dispatch,
        rows: usize,
        offset: usize,
    ) {
        let cols = self.data.features;
        let params = GatherParams {
            rows: rows as u32,
            cols: cols as u32,
            offset: offset as u32,
            ..Zeroable::zeroed()
        };
        dispatch.run(
            &self.gpu,
            encoder,
            &self.kernels.gather,
            &params,
            [groups(rows * cols, 256), 1, 1],
        );
    }

    fn encode_forward(&self, encoder: &mut wgpu::CommandEncoder, rows: usize, train: bool) {
        let gpu = &self.gpu;
        let kernels = &self.kernels;
        for layer in &self.layers {
            match layer {
                GpuLayer::Dense {
                    units,
                    activation,
                    forward_matmul,
                    add_bias,
                    activation_forward,
                    ..
                } => {
                    forward_matmul.run(gpu, encoder, rows);
                    let shape = shape_params(rows, *units);
                    add_bias.run(
                        gpu,
                        encoder,
                        &kernels.add_bias,
                        &shape,
                        [groups(rows * units, 256), 1, 1],
                    );
                    let params = activation_params(rows * units, *activation);
                    activation_forward.run(
                        gpu,
                        encoder,
                        &kernels.activation_forward,
                        &params,
                        [groups(rows * units, 256), 1, 1],
                    );
                }
                GpuLayer::Dropout {
                    units,
                    rate,
                    forward,
                    ..
                } => {
                    // Evaluation keeps every unit: a rate of 0 makes the mask all ones.
                    let params = DropoutParams {
                        len: (rows * units) as u32,
                        seed: self.dropout_seed,
                        step: self.step,
                        rate: if train { *rate } else { 0.0 },
                    };
                    forward.run(
                        gpu,
                        encoder,
                        &kernels.dropout_forward,
                        &params,
                        [groups(rows * units, 256), 1, 1],
                    );
                }
                GpuLayer::Conv2d(conv) => {
                    conv.encode_forward(gpu, encoder, kernels, self.image_kernels(), rows)
                }
                GpuLayer::Pool2d(pool) => {
                    pool.encode_forward(gpu, encoder, self.image_kernels(), rows)
                }
                GpuLayer::Norm(norm) => {
                    norm.encode_forward(gpu, encoder, self.norm_kernels(), rows, train)
                }
            }
        }
    }

    fn encode_loss(&self, encoder: &mut wgpu::CommandEncoder, rows: usize, reduce: &Dispatch) {
        let outputs = self
            .valid
            .layers
            .last()
            .expect("an output layer")
            .output_units();
        let kind = match self.valid.spec.loss {
            Loss::CrossEntropy => loss_kind::CROSS_ENTROPY,
            Loss::BinaryCrossEntropy => loss_kind::BINARY_CROSS_ENTROPY,
            Loss::MeanSquaredError => loss_kind::MEAN_SQUARED_ERROR,
            Loss::Huber => loss_kind::HUBER,
        };
        let targets = match self.valid.task {
            Task::Classification => target_kind::CLASSES,
            Task::Regression => target_kind::VALUES,
        };
        let params = LossParams {
            rows: rows as u32,
            cols: outputs as u32,
            kind,
            targets,
            delta: self.valid.spec.huber_delta as f32,
            ..Zeroable::zeroed()
        };
        self.loss.run(
            &self.gpu,
            encoder,
            &self.kernels.loss,
            &params,
            [groups(rows, 64), 1, 1],
        );
        let params = ReduceParams {
            rows: rows as u32,
            ..Zeroable::zeroed()
        };
        reduce.run(&self.gpu, encoder, &self.kernels.reduce, &params, [1, 1, 1]);
    }

    fn encode_backward(&self, encoder: &mut wgpu::CommandEncoder, rows: usize) {
        let gpu = &self.gpu;
        let kernels = &self.kernels;
        for layer in self.layers.iter().rev() {
            match layer {
                GpuLayer::Dense {
                    units,
                    activation,
                    activation_backward,
                    weight_grad,
                    bias_grad,
                    input_grad,
                    ..
                } => {
                    let params = activation_params(rows * units, *activation);
                    activation_backward.run(
                        gpu,
                        encoder,
                        &kernels.activation_backward,
                        &params,
                        [groups(rows * units, 256), 1, 1],
                    );
                    weight_grad.run(gpu, encoder, rows);
                    let shape = shape_params(rows, *units);
                    bias_grad.run(
                        gpu,
                        encoder,
                        &kernels.bias_grad,
                        &shape,
                        [groups(*units, 64), 1, 1],
                    );
                    if let Some(input_grad) = input_grad {
                        input_grad.run(gpu, encoder, rows);
                    }
                }
                GpuLayer::Dropout {
                    units,
                    rate,
                    backward,
                    ..
                } => {
                    let params = DropoutParams {
                        len: (rows * units) as u32,
                        seed: self.dropout_seed,
                        step: self.step,
                        rate: *rate,
                    };
                    backward.run(
                        gpu,
                        encoder,
                        &kernels.dropout_backward,
                        &params,
                        [groups(rows * units, 256), 1, 1],
                    );
                }
                GpuLayer::Conv2d(conv) => {
                    conv.encode_backward(gpu, encoder, kernels, self.image_kernels(), rows)
                }
                GpuLayer::Pool2d(pool) => {
                    pool.encode_backward(gpu, encoder, self.image_kernels(), rows)
                }
                GpuLayer::Norm(norm) => {
                    norm.encode_backward(gpu, encoder, self.norm_kernels(), rows)
                }
            }
        }
    }

    /// Adds each kernel's penalty gradient to its data-loss gradient and the batch's penalty
    /// to the epoch total; nothing without a regularizer.
    fn encode_penalty(&self, encoder: &mut wgpu::CommandEncoder, rows: usize) {
        let regularizer = self.valid.spec.kernel_regularizer;
        for kernel in self.layers.iter().filter_map(GpuLayer::kernel) {
            let Some(penalty) = &kernel.penalty else {
                continue;
            };
            let params = PenaltyParams {
                len: kernel.len as u32,
                rows: rows as u32,
                l1: regularizer.l1 as f32,
                l2: regularizer.l2 as f32,
            };
            penalty.run(
                &self.gpu,
                encoder,
                &self.kernels.penalty,
                &params,
                [1, 1, 1],
            );
        }
    }

    fn encode_update(&self, encoder: &mut wgpu::CommandEncoder, learning_rate: f64) {
        for parameter in self.layers.iter().flat_map(GpuLayer::parameters) {
            let params = optimizer_params(
                &self.valid.spec.optimizer,
                learning_rate,
                parameter.len,
                self.step,
            );
            parameter.update.run(
                &self.gpu,
                encoder,
                &self.kernels.update,
                &params,
                [groups(parameter.len, 256), 1, 1],
            );
        }
    }
}

/// Reads the trainable tensors back from the device.
pub struct ParameterReader {
    gpu: Gpu,
    tensors: Vec<(wgpu::Buffer, usize)>,
}

impl ParameterReader {
    /// Copies the weights and biases back, layer by layer (weight then bias), in the order of
    /// `Network::parameter_values`.
    pub async fn read(&self) -> Result<Vec<Vec<f32>>> {
        let mut values = Vec::with_capacity(self.tensors.len());
        for (buffer, len) in &self.tensors {
            values.push(self.gpu.read_f32(buffer, *len).await?);
        }
        Ok(values)
    }
}

/// Reads the optimizer state back from the device.
pub struct OptimizerReader {
    gpu: Gpu,
    /// Buffers that the rule keeps per tensor: 1 for SGD, 2 otherwise.
    buffers: usize,
    step: u32,
    tensors: Vec<([wgpu::Buffer; 2], usize)>,
}

impl OptimizerReader {
    /// Copies every trainable tensor's state buffers back, in the order of
    /// [`OptimizerState::buffers`]. The kernels' state1 and state2 hold SGD's velocity (state2
    /// unused), Adam's first and second moments, and RMSprop's mean square and momentum buffer,
    /// which is the order of [`optimizer::state_buffer_names`].
    pub async fn read(&self) -> Result<OptimizerState> {
        let mut buffers = Vec::with_capacity(self.tensors.len());
        for (state, len) in &self.tensors {
            let mut tensor = Vec::with_capacity(self.buffers);
            for buffer in &state[..self.buffers] {
                tensor.push(self.gpu.read_f32(buffer, *len).await?);
            }
            buffers.push(tensor);
        }
        Ok(OptimizerState {
            step: self.step,
            buffers,
        })
    }
}

fn to_u32(labels: &[usize]) -> Vec<u32> {
    labels.iter().map(|&label| label as u32).collect()
}

/// The loss kernel's labels of `split`: class indices, or the f32 bits of regression targets.
fn label_words(split: &Split) -> Vec<u32> {
    if split.targets.is_empty() {
        to_u32(&split.labels)
    } else {
        split.targets.iter().map(|value| value.to_bits()).collect()
    }
}

/// Rejects, as a WebGPU error that sends the page to the CPU path, what the loss kernel does not
/// compute: regression with a loss other than the mean squared error or Huber.
fn check_supported(valid: &ValidSpec) -> Result<()> {
    let supported = match (valid.task, valid.spec.loss) {
        (Task::Classification, _) => true,
        (Task::Regression, Loss::MeanSquaredError | Loss::Huber) => true,
        (Task::Regression, Loss::CrossEntropy | Loss::BinaryCrossEntropy) => false,
    };
    if supported {
        Ok(())
    } else {
        Err(PlaygroundError::Gpu {
            message: format!(
                "the WebGPU path trains regression with mean squared error or Huber only, not \
                 {}; training runs on the CPU",
                valid.spec.loss.name()
            ),
        })
    }
}

fn shape_params(rows: usize, cols: usize) -> ShapeParams {
    ShapeParams {
        rows: rows as u32,
        cols: cols as u32,
        ..Zeroable::zeroed()
    }
}

fn activation_params(len: usize, activation: Activation) -> ActivationParams {
    let kind = match activation {
        Activation::Linear => activation_kind::LINEAR,
        Activation::Relu => activation_kind::RELU,
        Activation::Sigmoid => activation_kind::SIGMOID,
        Activation::Tanh => activation_kind::TANH,
        Activation::LeakyRelu => activation_kind::LEAKY_RELU,
        Activation::Gelu => activation_kind::GELU,
    };
    ActivationParams {
        len: len as u32,
        kind,
        slope: LEAKY_RELU_SLOPE,
        ..Zeroable::zeroed()
    }
}

/// Uniforms of an optimizer update at 1-based `step` with the epoch's scheduled
/// `learning_rate`. Adam's bias corrections are computed in f32 with `powi`, and AdamW's
/// decoupled decay as weight_decay * lr in f64 rounded to f32, as dfdx 0.13's CPU kernel
/// computes them.
fn optimizer_params(
    spec: &OptimizerSpec,
    learning_rate: f64,
    len: usize,
    step: u32,
) -> OptimizerParams {
    let mut params = OptimizerParams {
        len: len as u32,
        lr: learning_rate as f32,
        ..Zeroable::zeroed()
    };
    let t = step.max(1) as i32;
    let mut adam = |beta1: f64, beta2: f64, epsilon: f64| {
        let (beta1, beta2) = (beta1 as f32, beta2 as f32);
        params.beta1 = beta1;
        params.beta2 = beta2;
        params.eps = epsilon as f32;
        params.bias_correction1 = (1.0 - beta1.powi(t)).recip();
        params.bias_correction2 = (1.0 - beta2.powi(t)).recip();
    };
    match *spec {
        OptimizerSpec::Sgd { momentum, .. } => {
            params.momentum = momentum as f32;
        }
        OptimizerSpec::Adam {
            beta1,
            beta2,
            epsilon,
            ..
        } => adam(beta1, beta2, epsilon),
        OptimizerSpec::Adamw {
            beta1,
            beta2,
            epsilon,
            weight_decay,
            ..
        } => {
            adam(beta1, beta2, epsilon);
            params.decoupled_decay = (weight_decay * learning_rate) as f32;
        }
        OptimizerSpec::Rmsprop {
            rho,
            epsilon,
            momentum,
            ..
        } => {
            params.rho = rho as f32;
            params.eps = epsilon as f32;
            params.momentum = momentum as f32;
        }
    }
    params
}
