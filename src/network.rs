//! The built network: runtime-shaped dfdx tensors in a layer enum. dfdx's own `nn` modules fix
//! their sizes at compile time, so they cannot hold a network that the page edits.

use crate::data::STREAM_INIT;
use crate::error::{PlaygroundError, Result};
use crate::rng::SplitMix64;
use crate::spec::{Activation, LayerPlan, ValidSpec, LEAKY_RELU_SLOPE};
use dfdx::prelude::*;

/// A batch of rows, or a weight matrix stored as (inputs, units) like a Keras kernel.
pub type Matrix<T = NoneTape> = Tensor<(usize, usize), f32, Cpu, T>;
pub type Vector = Tensor<(usize,), f32, Cpu>;

#[derive(Debug, Clone)]
pub enum Layer {
    Dense {
        /// Shape (inputs, units).
        weight: Matrix,
        /// Shape (units,).
        bias: Vector,
        activation: Activation,
    },
    /// Inverted dropout: training zeroes each value with probability `rate` and scales the
    /// rest by 1 / (1 - rate); evaluation passes values through.
    Dropout { rate: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Train,
    Evaluate,
}

#[derive(Debug, Clone)]
pub struct Network {
    pub layers: Vec<Layer>,
    device: Cpu,
}

impl Network {
    /// Builds the planned layers with Glorot-uniform kernels and zero biases (Keras's defaults).
    /// `device` also seeds dropout.
    pub fn build(valid: &ValidSpec, device: &Cpu) -> Result<Self> {
        let mut rng = SplitMix64::stream(valid.seed, STREAM_INIT);
        let mut layers = Vec::with_capacity(valid.layers.len());
        for plan in &valid.layers {
            let layer = match *plan {
                LayerPlan::Dense {
                    inputs,
                    units,
                    activation,
                } => {
                    // Glorot and Bengio (2010): U(-l, l) with l = sqrt(6 / (fan_in + fan_out)).
                    let limit = (6.0 / (inputs + units) as f64).sqrt();
                    let values: Vec<f32> = (0..inputs * units)
                        .map(|_| rng.uniform(-limit, limit) as f32)
                        .collect();
                    Layer::Dense {
                        weight: device.try_tensor_from_vec(values, (inputs, units))?,
                        bias: device.try_zeros_like(&(units,))?,
                        activation,
                    }
                }
                LayerPlan::Dropout { rate, .. } => Layer::Dropout { rate },
            };
            layers.push(layer);
        }
        Ok(Self {
            layers,
            device: device.clone(),
        })
    }

    pub fn device(&self) -> &Cpu {
        &self.device
    }

    /// Runs a batch of shape (rows, features) through every layer and returns the output
    /// layer's raw values (logits for the cross-entropy losses). `T` is `OwnedTape` when
    /// gradients are wanted and `NoneTape` otherwise.
    pub fn forward<T: Tape<f32, Cpu>>(&self, input: Matrix<T>, mode: Mode) -> Result<Matrix<T>> {
        let mut x = input;
        for layer in &self.layers {
            x = match layer {
                Layer::Dense {
                    weight,
                    bias,
                    activation,
                } => {
                    let shape = (x.shape().0, bias.shape().0);
                    let z = x.try_matmul(weight.retaped::<T>())?;
                    let z = z.try_add(
                        bias.retaped::<T>()
                            .try_broadcast_like::<_, Axis<0>>(&shape)?,
                    )?;
                    activate(z, *activation)?
                }
                Layer::Dropout { rate } => match mode {
                    Mode::Train if *rate > 0.0 => x.try_dropout(*rate)?,
                    _ => x,
                },
            };
        }
        Ok(x)
    }

    /// Replaces the trainable tensors' values, given in the order of `parameter_values`.
    pub fn set_parameter_values(&mut self, values: &[Vec<f32>]) -> Result<()> {
        let mismatch = |message: String| PlaygroundError::InvalidSpec { message };
        let mut values = values.iter();
        for layer in &mut self.layers {
            if let Layer::Dense { weight, bias, .. } = layer {
                let weight_values = values
                    .next()
                    .ok_or_else(|| mismatch("too few parameter tensors".to_string()))?;
                let bias_values = values
                    .next()
                    .ok_or_else(|| mismatch("too few parameter tensors".to_string()))?;
                if weight_values.len() != weight.shape().num_elements()
                    || bias_values.len() != bias.shape().num_elements()
                {
                    return Err(mismatch(format!(
                        "parameter sizes {} and {} do not match the layer's {} and {}",
                        weight_values.len(),
                        bias_values.len(),
                        weight.shape().num_elements(),
                        bias.shape().num_elements()
                    )));
                }
                weight.copy_from(weight_values);
                bias.copy_from(bias_values);
            }
        }
        if values.next().is_some() {
            return Err(mismatch("too many parameter tensors".to_string()));
        }
        Ok(())
    }

    /// Returns the trainable tensors' values, layer by layer: weight then bias.
    pub fn parameter_values(&self) -> Vec<Vec<f32>> {
        let mut values = Vec::new();
        for layer in &self.layers {
            if let Layer::Dense { weight, bias, .. } = layer {
                values.push(weight.as_vec());
                values.push(bias.as_vec());
            }
        }
        values
    }
}

pub fn activate<T: Tape<f32, Cpu>>(z: Matrix<T>, activation: Activation) -> Result<Matrix<T>> {
    Ok(match activation {
        Activation::Relu => z.try_relu()?,
        Activation::Sigmoid => z.try_sigmoid()?,
        Activation::Tanh => z.try_tanh()?,
        Activation::LeakyRelu => z.try_prelu(LEAKY_RELU_SLOPE)?,
        Activation::Gelu => exact_gelu(z)?,
        Activation::Linear => z,
    })
}

/// Applies the exact GELU, y = x * Phi(x), with the derivative Phi(x) + x * phi(x), where Phi and
/// phi are the standard normal CDF and density. dfdx 0.13's `accurate_gelu` computes y
/// correctly, but its backward pass multiplies the x * phi(x) term by sqrt(2), so this function
/// keeps dfdx's forward values and records its own backward operation.
fn exact_gelu<T: Tape<f32, Cpu>>(z: Matrix<T>) -> Result<Matrix<T>> {
    let (input, mut tape) = z.split_tape();
    let output = input.clone().try_accurate_gelu()?;
    let traced_output = output.clone();
    tape.add_backward_op(move |grads| {
        grads.try_alloc_for(&input)?;
        grads.try_alloc_for(&output)?;
        let output_grad = grads.get(&output).as_vec();
        let x = input.as_vec();
        let y = output.as_vec();
        // `input` comes from a matmul and an add, so it is contiguous and its gradient buffer
        // has the same row-major order as `as_vec`.
        let input_grad = grads.get_or_alloc_mut(&input)?;
        for (index, grad) in input_grad.iter_mut().enumerate() {
            *grad += output_grad[index] * gelu_derivative(x[index], y[index]);
        }
        Ok(())
    });
    Ok(traced_output.put_tape(tape))
}

/// Computes the derivative of GELU at `x`, given `y` = GELU(x). Phi(x) is taken as y / x because
/// the standard library has no erf. Near 0, where y / x loses precision, Phi(x) is taken as
/// 0.5 + x * phi(0).
fn gelu_derivative(x: f32, y: f32) -> f32 {
    let density = (-0.5 * x * x).exp() / (2.0 * std::f32::consts::PI).sqrt();
    let cdf = if x.abs() < 1e-6 {
        0.5 + x * density
    } else {
        y / x
    };
    cdf + x * density
}
