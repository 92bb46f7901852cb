//! L1 and L2 penalties on the Dense and Conv2D kernels, as Keras's
//! `kernel_regularizer=L1L2(l1, l2)` adds them to the loss: `l1 * sum(|W|) + l2 * sum(W^2)`
//! for each kernel W, with no penalty on the biases or the normalization layers' scales. The training objective is the data loss plus this penalty. Its gradient,
//! `l1 * sign(W) + 2 * l2 * W`, is added to the kernel's data-loss gradient before the
//! optimizer update. It takes sign(0) = 0, as WGSL's `sign` does on the WebGPU path.

use crate::error::Result;
use crate::network::{Layer, Matrix, Network};
use crate::spec::KernelRegularizer;
use dfdx::prelude::*;

/// Returns the penalty of one kernel, summed in f64.
pub fn kernel_penalty(regularizer: &KernelRegularizer, kernel: &[f32]) -> f64 {
    let mut absolute = 0.0f64;
    let mut square = 0.0f64;
    for &w in kernel {
        let w = f64::from(w);
        absolute += w.abs();
        square += w * w;
    }
    regularizer.l1 * absolute + regularizer.l2 * square
}

/// Adds the penalty's gradient to `grad`, the data-loss gradient of `kernel`, in f32 as
/// `(g + l1 * sign(w)) + (2 * l2) * w`, the order that the WebGPU kernel `penalty.wgsl` uses.
pub fn add_kernel_gradient(regularizer: &KernelRegularizer, kernel: &[f32], grad: &mut [f32]) {
    let l1 = regularizer.l1 as f32;
    let twice_l2 = 2.0 * regularizer.l2 as f32;
    for (g, &w) in grad.iter_mut().zip(kernel) {
        *g = (*g + l1 * sign(w)) + twice_l2 * w;
    }
}

/// Sign with sign(0) = 0, unlike `f32::signum`, which returns 1 for +0.
pub fn sign(w: f32) -> f32 {
    if w > 0.0 {
        1.0
    } else if w < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Returns the kernel of a Dense or Conv2D layer, the tensors that the penalty covers.
fn kernel(layer: &Layer) -> Option<&Matrix> {
    match layer {
        Layer::Dense { weight, .. } => Some(weight),
        Layer::Conv2d { kernel, .. } => Some(kernel),
        _ => None,
    }
}

/// Returns the penalty of every kernel of `network`.
pub fn penalty(regularizer: &KernelRegularizer, network: &Network) -> f64 {
    network
        .layers
        .iter()
        .filter_map(kernel)
        .map(|kernel| kernel_penalty(regularizer, &kernel.as_vec()))
        .sum()
}

/// Adds the penalty's gradient to the kernel gradients in `grads`.
pub fn add_gradients(
    regularizer: &KernelRegularizer,
    network: &Network,
    grads: &mut Gradients<f32, Cpu>,
) -> Result<()> {
    for kernel in network.layers.iter().filter_map(kernel) {
        let values = kernel.as_vec();
        let grad = grads.get_or_alloc_mut(kernel)?;
        add_kernel_gradient(regularizer, &values, grad);
    }
    Ok(())
}
