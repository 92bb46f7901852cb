//! BatchNormalization and LayerNormalization on WebGPU. Both normalize `groups` rows of
//! `channels` values: a batch of flat rows, or for images one row per image and position, since
//! channels come last.

use super::{Dispatch, Parameter};
use crate::gpu::context::{groups, Gpu, Kernel};
use crate::gpu::kernels::{self, NormParams};
use crate::spec::{FeatureShape, BATCH_NORM_MOMENTUM, NORM_EPSILON};
use bytemuck::Zeroable;

/// Pipelines of the normalization layers, compiled only for networks that have such layers.
pub(super) struct NormKernels {
    batch_statistics: Kernel,
    batch_forward: Kernel,
    batch_backward: Kernel,
    layer_forward: Kernel,
    layer_backward: Kernel,
    scale_shift_grad: Kernel,
}

impl NormKernels {
    pub(super) fn new(gpu: &Gpu) -> Self {
        Self {
            batch_statistics: gpu.kernel(
                "batch_norm_statistics",
                kernels::BATCH_NORM,
                "statistics",
            ),
            batch_forward: gpu.kernel("batch_norm_forward", kernels::BATCH_NORM, "forward"),
            batch_backward: gpu.kernel("batch_norm_backward", kernels::BATCH_NORM, "backward"),
            layer_forward: gpu.kernel("layer_norm_forward", kernels::LAYER_NORM, "forward"),
            layer_backward: gpu.kernel("layer_norm_backward", kernels::LAYER_NORM, "backward"),
            scale_shift_grad: gpu.kernel("scale_shift_grad", kernels::SCALE_SHIFT, "grad"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NormKind {
    Batch,
    Layer,
}

pub(super) struct NormLayer {
    kind: NormKind,
    /// Normalized rows per batch row: the image positions, or 1 for flat rows.
    positions: usize,
    channels: usize,
    pub(super) gamma: Parameter,
    pub(super) beta: Parameter,
    /// BatchNormalization's moving mean and variance, which evaluation normalizes with.
    pub(super) moving: Option<[wgpu::Buffer; 2]>,
    /// BatchNormalization's statistics pass.
    statistics: Option<Dispatch>,
    forward: Dispatch,
    scale_shift_grad: Dispatch,
    /// None for the first layer, whose input needs no gradient.
    backward: Option<Dispatch>,
}

impl NormLayer {
    /// Builds a normalization layer over values of `shape` that reads `input` and writes its
    /// input gradient to `input_grad` when given. `values` are the layer's stored tensors in
    /// the order of `Network::parameter_values`: gamma, beta, and for BatchNormalization the
    /// moving mean and variance. Returns the layer with its output and output gradient buffers.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn build(
        gpu: &Gpu,
        norm_kernels: &NormKernels,
        kind: NormKind,
        shape: FeatureShape,
        rows: usize,
        (input, input_grad): (&wgpu::Buffer, Option<&wgpu::Buffer>),
        values: &mut impl Iterator<Item = Vec<f32>>,
        parameter: impl Fn(wgpu::Buffer, &wgpu::Buffer, usize) -> Parameter,
    ) -> (Self, wgpu::Buffer, wgpu::Buffer) {
        let channels = shape.channels();
        let positions = shape.len() / channels;
        let len = rows * shape.len();
        let mut tensor = |label| gpu.buffer_from(label, &values.next().expect(label));
        let gamma = tensor("gamma");
        let beta = tensor("beta");
        let gamma_grad = gpu.zeros("gamma grad", channels);
        let beta_grad = gpu.zeros("beta grad", channels);
        let normalized = gpu.zeros("normalized", len);
        let y = gpu.zeros("normalization output", len);
        let dy = gpu.zeros("normalization output grad", len);
        let params = NormParams::zeroed();

        let (moving, statistics, forward, backward) = match kind {
            NormKind::Batch => {
                let moving_mean = tensor("moving mean");
                let moving_variance = tensor("moving variance");
                let stats = gpu.zeros("batch statistics", 2 * channels);
                let statistics = Dispatch::new(
                    gpu,
                    &norm_kernels.batch_statistics,
                    &params,
                    &[input, &stats, &moving_mean, &moving_variance],
                );
                let forward = Dispatch::new(
                    gpu,
                    &norm_kernels.batch_forward,
                    &params,
                    &[input, &stats, &gamma, &beta, &normalized, &y],
                );
                let backward = input_grad.map(|dx| {
                    Dispatch::new(
                        gpu,
                        &norm_kernels.batch_backward,
                        &params,
                        &[
                            &dy,
                            &normalized,
                            &stats,
                            &gamma,
                            &gamma_grad,
                            &beta_grad,
                            dx,
                        ],
                    )
                });
                (
                    Some([moving_mean, moving_variance]),
                    Some(statistics),
                    forward,
                    backward,
                )
            }
            NormKind::Layer => {
                let deviation = gpu.zeros("row deviations", rows * positions);
                let forward = Dispatch::new(
                    gpu,
                    &norm_kernels.layer_forward,
                    &params,
                    &[input, &gamma, &beta, &normalized, &y, &deviation],
                );
                let backward = input_grad.map(|dx| {
                    Dispatch::new(
                        gpu,
                        &norm_kernels.layer_backward,
                        &params,
                        &[&dy, &gamma, &normalized, &deviation, dx],
                    )
                });
                (None, None, forward, backward)
            }
        };
        let scale_shift_grad = Dispatch::new(
            gpu,
            &norm_kernels.scale_shift_grad,
            &params,
            &[&dy, &normalized, &gamma_grad, &beta_grad],
        );
        let layer = Self {
            kind,
            positions,
            channels,
            gamma: parameter(gamma, &gamma_grad, channels),
            beta: parameter(beta, &beta_grad, channels),
            moving,
            statistics,
            forward,
            scale_shift_grad,
            backward,
        };
        (layer, y, dy)
    }

    fn params(&self, rows: usize, train: bool) -> NormParams {
        NormParams {
            groups: (rows * self.positions) as u32,
            channels: self.channels as u32,
            training: u32::from(train),
            momentum: BATCH_NORM_MOMENTUM as f32,
            epsilon: NORM_EPSILON as f32,
            ..Zeroable::zeroed()
        }
    }

    /// Encodes the forward pass. In training, BatchNormalization normalizes with the batch's
    /// statistics and updates its moving statistics. In evaluation it uses the moving ones.
    pub(super) fn encode_forward(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        norm_kernels: &NormKernels,
        rows: usize,
        train: bool,
    ) {
        let params = self.params(rows, train);
        let values = rows * self.positions * self.channels;
        match self.kind {
            NormKind::Batch => {
                let statistics = self.statistics.as_ref().expect("batch statistics");
                statistics.run(
                    gpu,
                    encoder,
                    &norm_kernels.batch_statistics,
                    &params,
                    [groups(self.channels, 64), 1, 1],
                );
                self.forward.run(
                    gpu,
                    encoder,
                    &norm_kernels.batch_forward,
                    &params,
                    [groups(values, 256), 1, 1],
                );
            }
            NormKind::Layer => self.forward.run(
                gpu,
                encoder,
                &norm_kernels.layer_forward,
                &params,
                [groups(rows * self.positions, 64), 1, 1],
            ),
        }
    }

    pub(super) fn encode_backward(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        norm_kernels: &NormKernels,
        rows: usize,
    ) {
        let params = self.params(rows, true);
        // Batch normalization's input gradient reads these sums, so they come first.
        self.scale_shift_grad.run(
            gpu,
            encoder,
            &norm_kernels.scale_shift_grad,
            &params,
            [groups(self.channels, 64), 1, 1],
        );
        let Some(backward) = &self.backward else {
            return;
        };
        match self.kind {
            NormKind::Batch => backward.run(
                gpu,
                encoder,
                &norm_kernels.batch_backward,
                &params,
                [groups(rows * self.positions * self.channels, 256), 1, 1],
            ),
            NormKind::Layer => backward.run(
                gpu,
                encoder,
                &norm_kernels.layer_backward,
                &params,
                [groups(rows * self.positions, 64), 1, 1],
            ),
        }
    }
}
