//! Conv2D and pooling layers on WebGPU. A convolution unfolds its input images into one row per
//! image and output position (im2col), multiplies that matrix with the (patch, filters) kernel
//! through the dense layer's matmul and bias kernels, and folds the unfolded gradient back
//! (col2im). Its (rows · positions, filters) output is already each image's height, width,
//! channel order, so the next layer reads it as (rows, positions · filters).

use super::{activation_params, shape_params, Dispatch, Kernels, MatmulDispatch, Parameter};
use crate::gpu::context::{groups, Gpu, Kernel};
use crate::gpu::kernels::{
    self, ActivationParams, ShapeParams, WindowParams, TRANSPOSE_A, TRANSPOSE_B,
};
use crate::spec::{Activation, PoolKind, Window};
use bytemuck::Zeroable;

/// Pipelines of the image layers, compiled only for networks that have such layers.
pub(super) struct ImageKernels {
    unfold: Kernel,
    fold: Kernel,
    max_pool_forward: Kernel,
    max_pool_backward: Kernel,
    average_pool_forward: Kernel,
    average_pool_backward: Kernel,
}

impl ImageKernels {
    pub(super) fn new(gpu: &Gpu) -> Self {
        Self {
            unfold: gpu.kernel("unfold", kernels::UNFOLD, "unfold"),
            fold: gpu.kernel("fold", kernels::UNFOLD, "fold"),
            max_pool_forward: gpu.kernel("max_pool_forward", kernels::MAX_POOL, "forward"),
            max_pool_backward: gpu.kernel("max_pool_backward", kernels::MAX_POOL, "backward"),
            average_pool_forward: gpu.kernel(
                "average_pool_forward",
                kernels::AVERAGE_POOL,
                "forward",
            ),
            average_pool_backward: gpu.kernel(
                "average_pool_backward",
                kernels::AVERAGE_POOL,
                "backward",
            ),
        }
    }
}

/// The dispatches that pass a convolution's gradient on to its input.
struct ConvInputGrad {
    /// d_unfolded (rows · positions × patch) = dz · kernelᵀ.
    matmul: MatmulDispatch,
    fold: Dispatch,
}

pub(super) struct ConvLayer {
    window: Window,
    filters: usize,
    activation: Activation,
    pub(super) kernel: Parameter,
    pub(super) bias: Parameter,
    unfold: Dispatch,
    forward_matmul: MatmulDispatch,
    add_bias: Dispatch,
    activation_forward: Dispatch,
    activation_backward: Dispatch,
    kernel_grad: MatmulDispatch,
    bias_grad: Dispatch,
    /// None for the first layer, whose input needs no gradient.
    input_grad: Option<ConvInputGrad>,
}

/// The buffers a layer reads: the previous layer's output and, except for the first layer,
/// the buffer its gradient goes to.
pub(super) struct LayerInput<'a> {
    pub(super) value: &'a wgpu::Buffer,
    pub(super) grad: Option<&'a wgpu::Buffer>,
}

/// A layer's output buffer and the buffer of its gradient.
pub(super) struct Outputs {
    pub(super) value: wgpu::Buffer,
    pub(super) grad: wgpu::Buffer,
}

/// Buffers and uniforms of one training step's shapes, shared by the builders below.
pub(super) struct Builder<'a> {
    pub(super) gpu: &'a Gpu,
    pub(super) kernels: &'a Kernels,
    pub(super) image: &'a ImageKernels,
    /// The largest batch, which every buffer is sized for.
    pub(super) rows: usize,
}

impl Builder<'_> {
    /// Builds a convolution with the given kernel and bias buffers. `parameter` creates a
    /// trainable tensor from its value and gradient buffers.
    pub(super) fn conv(
        &self,
        (window, filters, activation): (Window, usize, Activation),
        input: LayerInput,
        [kernel_value, bias_value]: [wgpu::Buffer; 2],
        parameter: impl Fn(wgpu::Buffer, &wgpu::Buffer, usize) -> Parameter,
    ) -> (ConvLayer, Outputs) {
        let gpu = self.gpu;
        let kernels = self.kernels;
        let shape = WindowParams::new(&window, self.rows);
        let patch = shape.patch();
        let unfolded_rows = self.rows * shape.positions();
        let unfolded = gpu.zeros("unfolded", unfolded_rows * patch);
        let kernel_grad = gpu.zeros("kernel grad", patch * filters);
        let bias_grad = gpu.zeros("bias grad", filters);
        let z = gpu.zeros("conv pre-activation", unfolded_rows * filters);
        let y = gpu.zeros("conv activation", unfolded_rows * filters);
        let dy = gpu.zeros("conv activation grad", unfolded_rows * filters);
        let dz = gpu.zeros("conv pre-activation grad", unfolded_rows * filters);
        let matmul = |shape, flags, buffers: &[&wgpu::Buffer]| {
            MatmulDispatch::new(gpu, &kernels.matmul, shape, flags, buffers)
        };
        let input_grad = input.grad.map(|input_grad| {
            let unfolded_grad = gpu.zeros("unfolded grad", unfolded_rows * patch);
            ConvInputGrad {
                // d_unfolded ((rows · positions) × patch) = dz · kernelᵀ, with the kernel
                // stored patch × filters.
                matmul: matmul(
                    [unfolded_rows, patch, filters],
                    TRANSPOSE_B,
                    &[&dz, &kernel_value, &unfolded_grad],
                ),
                fold: Dispatch::new(
                    gpu,
                    &self.image.fold,
                    &WindowParams::zeroed(),
                    &[&unfolded_grad, input_grad],
                ),
            }
        });
        let layer = ConvLayer {
            window,
            filters,
            activation,
            unfold: Dispatch::new(
                gpu,
                &self.image.unfold,
                &WindowParams::zeroed(),
                &[input.value, &unfolded],
            ),
            // z (rows · positions × filters) = unfolded · kernel.
            forward_matmul: matmul(
                [unfolded_rows, filters, patch],
                0,
                &[&unfolded, &kernel_value, &z],
            ),
            add_bias: Dispatch::new(
                gpu,
                &kernels.add_bias,
                &ShapeParams::zeroed(),
                &[&bias_value, &z],
            ),
            activation_forward: Dispatch::new(
                gpu,
                &kernels.activation_forward,
                &ActivationParams::zeroed(),
                &[&z, &y],
            ),
            activation_backward: Dispatch::new(
                gpu,
                &kernels.activation_backward,
                &ActivationParams::zeroed(),
                &[&z, &dy, &dz],
            ),
            // d_kernel (patch × filters) = unfoldedᵀ · dz, with unfolded stored
            // (rows · positions) × patch.
            kernel_grad: matmul(
                [patch, filters, unfolded_rows],
                TRANSPOSE_A,
                &[&unfolded, &dz, &kernel_grad],
            ),
            bias_grad: Dispatch::new(
                gpu,
                &kernels.bias_grad,
                &ShapeParams::zeroed(),
                &[&dz, &bias_grad],
            ),
            input_grad,
            kernel: parameter(kernel_value, &kernel_grad, patch * filters),
            bias: parameter(bias_value, &bias_grad, filters),
        };
        (layer, Outputs { value: y, grad: dy })
    }

    pub(super) fn pool(
        &self,
        window: Window,
        kind: PoolKind,
        input: LayerInput,
    ) -> (PoolLayer, Outputs) {
        let gpu = self.gpu;
        let output_len = self.rows * window.output_positions() * window.channels;
        let y = gpu.zeros("pool output", output_len);
        let dy = gpu.zeros("pool output grad", output_len);
        let params = WindowParams::zeroed();
        let (forward, backward) = match kind {
            PoolKind::Max => {
                let argmax = gpu.zeros("pool argmax", output_len);
                let forward = Dispatch::new(
                    gpu,
                    &self.image.max_pool_forward,
                    &params,
                    &[input.value, &y, &argmax],
                );
                let backward = input.grad.map(|input_grad| {
                    Dispatch::new(
                        gpu,
                        &self.image.max_pool_backward,
                        &params,
                        &[&dy, &argmax, input_grad],
                    )
                });
                (forward, backward)
            }
            PoolKind::Average => {
                let forward = Dispatch::new(
                    gpu,
                    &self.image.average_pool_forward,
                    &params,
                    &[input.value, &y],
                );
                let backward = input.grad.map(|input_grad| {
                    Dispatch::new(
                        gpu,
                        &self.image.average_pool_backward,
                        &params,
                        &[&dy, input_grad],
                    )
                });
                (forward, backward)
            }
        };
        let layer = PoolLayer {
            window,
            kind,
            forward,
            backward,
        };
        (layer, Outputs { value: y, grad: dy })
    }
}

/// Workgroups of the image kernels, one value per thread in workgroups of 256, along x only.
/// spec::check_memory keeps (input + layer outputs + unfolded entries) × batch within 2^24
/// values. Each count passed here comes with another term of that sum at least 1/256 of it,
/// because windows are at most 16 wide. So the count stays below 16,712,936, and the
/// workgroups within WebGPU's 65,535 per dimension.
fn value_groups(values: usize) -> [u32; 3] {
    [groups(values, 256), 1, 1]
}

impl ConvLayer {
    pub(super) fn encode_forward(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        kernels: &Kernels,
        image: &ImageKernels,
        rows: usize,
    ) {
        let shape = WindowParams::new(&self.window, rows);
        let unfolded_rows = rows * shape.positions();
        let patch = shape.patch();
        self.unfold.run(
            gpu,
            encoder,
            &image.unfold,
            &shape,
            value_groups(unfolded_rows * patch),
        );
        // Only the 8×8 digit images reach image layers, so rows · positions is at most
        // 4096 · 64 and its matmul tiles of 32 or 64 rows fit in one dispatch dimension.
        self.forward_matmul.run(gpu, encoder, unfolded_rows);
        let values = unfolded_rows * self.filters;
        self.add_bias.run(
            gpu,
            encoder,
            &kernels.add_bias,
            &shape_params(unfolded_rows, self.filters),
            value_groups(values),
        );
        self.activation_forward.run(
            gpu,
            encoder,
            &kernels.activation_forward,
            &activation_params(values, self.activation),
            value_groups(values),
        );
    }

    pub(super) fn encode_backward(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        kernels: &Kernels,
        image: &ImageKernels,
        rows: usize,
    ) {
        let shape = WindowParams::new(&self.window, rows);
        let unfolded_rows = rows * shape.positions();
        let filters = self.filters;
        let values = unfolded_rows * filters;
        self.activation_backward.run(
            gpu,
            encoder,
            &kernels.activation_backward,
            &activation_params(values, self.activation),
            value_groups(values),
        );
        self.kernel_grad.run(gpu, encoder, unfolded_rows);
        self.bias_grad.run(
            gpu,
            encoder,
            &kernels.bias_grad,
            &shape_params(unfolded_rows, filters),
            [groups(filters, 64), 1, 1],
        );
        if let Some(input_grad) = &self.input_grad {
            input_grad.matmul.run(gpu, encoder, unfolded_rows);
            input_grad.fold.run(
                gpu,
                encoder,
                &image.fold,
                &shape,
                value_groups(rows * shape.image_len()),
            );
        }
    }
}

pub(super) struct PoolLayer {
    window: Window,
    kind: PoolKind,
    forward: Dispatch,
    /// None for the first layer, whose input needs no gradient.
    backward: Option<Dispatch>,
}

impl PoolLayer {
    pub(super) fn encode_forward(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        image: &ImageKernels,
        rows: usize,
    ) {
        let shape = WindowParams::new(&self.window, rows);
        let kernel = match self.kind {
            PoolKind::Max => &image.max_pool_forward,
            PoolKind::Average => &image.average_pool_forward,
        };
        let values = rows * shape.positions() * self.window.channels;
        self.forward
            .run(gpu, encoder, kernel, &shape, value_groups(values));
    }

    pub(super) fn encode_backward(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        image: &ImageKernels,
        rows: usize,
    ) {
        let Some(backward) = &self.backward else {
            return;
        };
        let shape = WindowParams::new(&self.window, rows);
        let kernel = match self.kind {
            PoolKind::Max => &image.max_pool_backward,
            PoolKind::Average => &image.average_pool_backward,
        };
        backward.run(
            gpu,
            encoder,
            kernel,
            &shape,
            value_groups(rows * shape.image_len()),
        );
    }
}
