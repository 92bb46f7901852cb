//! The built network: runtime-shaped dfdx tensors in a layer enum. dfdx's own `nn` modules fix
//! their sizes at compile time, so they cannot hold a network that the page edits. Every layer
//! passes a (rows, values) matrix; images travel flattened in height, width, channel order.

use crate::data::STREAM_INIT;
use crate::error::{PlaygroundError, Result};
use crate::image_ops;
use crate::rng::SplitMix64;
use crate::spec::{
    Activation, LayerPlan, PoolKind, ValidSpec, Window, BATCH_NORM_MOMENTUM, LEAKY_RELU_SLOPE,
    NORM_EPSILON,
};
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
    Dropout {
        rate: f64,
    },
    Conv2d {
        /// Keras's (size, size, channels, filters) kernel as a (size * size * channels,
        /// filters) matrix.
        kernel: Matrix,
        /// Shape (filters,).
        bias: Vector,
        window: Window,
        activation: Activation,
    },
    Pool2d {
        window: Window,
        kind: PoolKind,
    },
    /// Changes nothing: images are already stored as flat rows.
    Flatten,
    /// y = gamma * (x - mean) / sqrt(variance + epsilon) + beta per channel, with the batch's
    /// mean and (biased) variance in training and the moving averages in evaluation.
    BatchNorm {
        gamma: Vector,
        beta: Vector,
        moving_mean: Vector,
        moving_variance: Vector,
    },
    /// y = gamma * (x - mean) / sqrt(variance + epsilon) + beta, with the mean and variance of
    /// each row's channels (at each image position).
    LayerNorm {
        gamma: Vector,
        beta: Vector,
    },
}

/// A trainable tensor of the network, as the optimizer updates it.
pub enum Parameter<'a> {
    Matrix(&'a mut Matrix),
    Vector(&'a mut Vector),
}

/// A BatchNormalization layer's per-channel batch mean and variance from a training forward
/// pass, which `Network::update_moving_statistics` folds into the moving averages.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchStatistics {
    pub layer: usize,
    pub mean: Vec<f32>,
    pub variance: Vec<f32>,
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
    /// Builds the planned layers with Glorot-uniform kernels and zero biases (Keras's defaults),
    /// and normalization layers with gamma 1, beta 0, moving mean 0 and moving variance 1.
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
                } => Layer::Dense {
                    weight: glorot_uniform(device, &mut rng, (inputs, units), inputs, units)?,
                    bias: device.try_zeros_like(&(units,))?,
                    activation,
                },
                LayerPlan::Conv2d {
                    window,
                    filters,
                    activation,
                } => {
                    // Keras counts a kernel's fans as the window area times the input or
                    // output channels.
                    let area = window.size * window.size;
                    let patch = area * window.channels;
                    Layer::Conv2d {
                        kernel: glorot_uniform(
                            device,
                            &mut rng,
                            (patch, filters),
                            patch,
                            area * filters,
                        )?,
                        bias: device.try_zeros_like(&(filters,))?,
                        window,
                        activation,
                    }
                }
                LayerPlan::Dropout { rate, .. } => Layer::Dropout { rate },
                LayerPlan::Pool2d { window, kind } => Layer::Pool2d { window, kind },
                LayerPlan::Flatten { .. } => Layer::Flatten,
                LayerPlan::BatchNorm { shape } => {
                    let channels = (shape.channels(),);
                    Layer::BatchNorm {
                        gamma: device.try_ones_like(&channels)?,
                        beta: device.try_zeros_like(&channels)?,
                        moving_mean: device.try_zeros_like(&channels)?,
                        moving_variance: device.try_ones_like(&channels)?,
                    }
                }
                LayerPlan::LayerNorm { shape } => {
                    let channels = (shape.channels(),);
                    Layer::LayerNorm {
                        gamma: device.try_ones_like(&channels)?,
                        beta: device.try_zeros_like(&channels)?,
                    }
                }
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
        self.forward_with_statistics(input, mode)
            .map(|(output, _)| output)
    }

    /// Runs `forward` and also returns each BatchNormalization layer's batch statistics (none
    /// in evaluation mode).
    pub fn forward_with_statistics<T: Tape<f32, Cpu>>(
        &self,
        input: Matrix<T>,
        mode: Mode,
    ) -> Result<(Matrix<T>, Vec<BatchStatistics>)> {
        let mut x = input;
        let mut statistics = Vec::new();
        for (index, layer) in self.layers.iter().enumerate() {
            x = match layer {
                Layer::Dense {
                    weight,
                    bias,
                    activation,
                } => activate(affine(x, weight, bias)?, *activation)?,
                Layer::Dropout { rate } => match mode {
                    Mode::Train if *rate > 0.0 => x.try_dropout(*rate)?,
                    _ => x,
                },
                Layer::Conv2d {
                    kernel,
                    bias,
                    window,
                    activation,
                } => {
                    let rows = x.shape().0;
                    let filters = bias.shape().0;
                    let unfolded = image_ops::unfold(x, window)?;
                    let z = activate(affine(unfolded, kernel, bias)?, *activation)?;
                    // (rows * positions, filters) is already each image's height, width,
                    // channel order.
                    z.try_reshape_like(&(rows, window.output_positions() * filters))?
                }
                Layer::Pool2d { window, kind } => image_ops::pool(x, window, *kind)?,
                Layer::Flatten => x,
                Layer::BatchNorm {
                    gamma,
                    beta,
                    moving_mean,
                    moving_variance,
                } => {
                    let (rows, width) = *x.shape();
                    let channels = gamma.shape().0;
                    let x = x.try_reshape_like(&(rows * width / channels, channels))?;
                    let normalized = match mode {
                        Mode::Train => {
                            statistics.push(batch_statistics(index, &x));
                            x.try_normalize::<Axis<0>>(NORM_EPSILON)?
                        }
                        Mode::Evaluate => {
                            let shape = *x.shape();
                            let deviation = moving_variance
                                .retaped::<T>()
                                .try_add(NORM_EPSILON as f32)?
                                .try_sqrt()?;
                            let mean = moving_mean
                                .retaped::<T>()
                                .try_broadcast_like::<_, Axis<0>>(&shape)?;
                            x.try_sub(mean)?
                                .try_div(deviation.try_broadcast_like::<_, Axis<0>>(&shape)?)?
                        }
                    };
                    scale_shift(normalized, gamma, beta)?.try_reshape_like(&(rows, width))?
                }
                Layer::LayerNorm { gamma, beta } => {
                    let (rows, width) = *x.shape();
                    let channels = gamma.shape().0;
                    let x = x.try_reshape_like(&(rows * width / channels, channels))?;
                    let normalized = x.try_normalize::<Axis<1>>(NORM_EPSILON)?;
                    scale_shift(normalized, gamma, beta)?.try_reshape_like(&(rows, width))?
                }
            };
        }
        Ok((x, statistics))
    }

    /// Folds a training batch's statistics into the BatchNormalization layers' moving averages,
    /// as Keras does: moving = moving * momentum + batch * (1 - momentum).
    pub fn update_moving_statistics(&mut self, statistics: &[BatchStatistics]) {
        let momentum = BATCH_NORM_MOMENTUM as f32;
        for batch in statistics {
            if let Some(Layer::BatchNorm {
                moving_mean,
                moving_variance,
                ..
            }) = self.layers.get_mut(batch.layer)
            {
                for (moving, batch_values) in [
                    (moving_mean, &batch.mean),
                    (moving_variance, &batch.variance),
                ] {
                    let blended: Vec<f32> = moving
                        .as_vec()
                        .iter()
                        .zip(batch_values)
                        .map(|(old, new)| old * momentum + new * (1.0 - momentum))
                        .collect();
                    moving.copy_from(&blended);
                }
            }
        }
    }

    /// Returns the trainable tensors, layer by layer in the order of `LayerPlan::tensors`.
    pub fn parameters_mut(&mut self) -> Vec<Parameter<'_>> {
        self.stored_tensors_mut()
            .into_iter()
            .filter(|(_, trainable)| *trainable)
            .map(|(tensor, _)| tensor)
            .collect()
    }

    /// Returns the trainable tensors' values in the order of `parameters_mut`.
    pub fn trainable_values(&self) -> Vec<Vec<f32>> {
        self.stored_tensors()
            .into_iter()
            .filter(|(_, trainable)| *trainable)
            .map(|(tensor, _)| tensor.values())
            .collect()
    }

    /// Returns the stored tensors' values, layer by layer in the order of `LayerPlan::tensors`:
    /// kernel then bias, and for normalization layers gamma, beta and BatchNormalization's
    /// moving mean and variance.
    pub fn parameter_values(&self) -> Vec<Vec<f32>> {
        self.stored_tensors()
            .into_iter()
            .map(|(tensor, _)| tensor.values())
            .collect()
    }

    /// Replaces the stored tensors' values, given in the order of `parameter_values`.
    pub fn set_parameter_values(&mut self, values: &[Vec<f32>]) -> Result<()> {
        let mismatch = |message: String| PlaygroundError::InvalidSpec { message };
        let mut tensors = self.stored_tensors_mut();
        if tensors.len() != values.len() {
            return Err(mismatch(format!(
                "{} parameter tensors were given, but the network has {}",
                values.len(),
                tensors.len()
            )));
        }
        for (index, ((tensor, _), values)) in tensors.iter().zip(values).enumerate() {
            if values.len() != tensor.len() {
                return Err(mismatch(format!(
                    "parameter tensor {index} has {} values, but the layer needs {}",
                    values.len(),
                    tensor.len()
                )));
            }
        }
        for ((tensor, _), values) in tensors.iter_mut().zip(values) {
            tensor.copy_from(values);
        }
        Ok(())
    }

    /// Lists every stored tensor with whether it is trainable, in the order of
    /// `LayerPlan::tensors`.
    fn stored_tensors(&self) -> Vec<(TensorRef<'_>, bool)> {
        let mut tensors = Vec::new();
        for layer in &self.layers {
            match layer {
                Layer::Dense { weight, bias, .. }
                | Layer::Conv2d {
                    kernel: weight,
                    bias,
                    ..
                } => {
                    tensors.push((TensorRef::Matrix(weight), true));
                    tensors.push((TensorRef::Vector(bias), true));
                }
                Layer::BatchNorm {
                    gamma,
                    beta,
                    moving_mean,
                    moving_variance,
                } => {
                    tensors.push((TensorRef::Vector(gamma), true));
                    tensors.push((TensorRef::Vector(beta), true));
                    tensors.push((TensorRef::Vector(moving_mean), false));
                    tensors.push((TensorRef::Vector(moving_variance), false));
                }
                Layer::LayerNorm { gamma, beta } => {
                    tensors.push((TensorRef::Vector(gamma), true));
                    tensors.push((TensorRef::Vector(beta), true));
                }
                Layer::Dropout { .. } | Layer::Pool2d { .. } | Layer::Flatten => {}
            }
        }
        tensors
    }

    /// `stored_tensors` for writing.
    fn stored_tensors_mut(&mut self) -> Vec<(Parameter<'_>, bool)> {
        let mut tensors = Vec::new();
        for layer in &mut self.layers {
            match layer {
                Layer::Dense { weight, bias, .. }
                | Layer::Conv2d {
                    kernel: weight,
                    bias,
                    ..
                } => {
                    tensors.push((Parameter::Matrix(weight), true));
                    tensors.push((Parameter::Vector(bias), true));
                }
                Layer::BatchNorm {
                    gamma,
                    beta,
                    moving_mean,
                    moving_variance,
                } => {
                    tensors.push((Parameter::Vector(gamma), true));
                    tensors.push((Parameter::Vector(beta), true));
                    tensors.push((Parameter::Vector(moving_mean), false));
                    tensors.push((Parameter::Vector(moving_variance), false));
                }
                Layer::LayerNorm { gamma, beta } => {
                    tensors.push((Parameter::Vector(gamma), true));
                    tensors.push((Parameter::Vector(beta), true));
                }
                Layer::Dropout { .. } | Layer::Pool2d { .. } | Layer::Flatten => {}
            }
        }
        tensors
    }
}

enum TensorRef<'a> {
    Matrix(&'a Matrix),
    Vector(&'a Vector),
}

impl TensorRef<'_> {
    fn values(&self) -> Vec<f32> {
        match self {
            Self::Matrix(matrix) => matrix.as_vec(),
            Self::Vector(vector) => vector.as_vec(),
        }
    }
}

impl Parameter<'_> {
    fn len(&self) -> usize {
        match self {
            Self::Matrix(matrix) => matrix.shape().num_elements(),
            Self::Vector(vector) => vector.shape().num_elements(),
        }
    }

    fn copy_from(&mut self, values: &[f32]) {
        match self {
            Self::Matrix(matrix) => matrix.copy_from(values),
            Self::Vector(vector) => vector.copy_from(values),
        }
    }
}

/// Draws a Glorot-uniform matrix (Glorot and Bengio, 2010): U(-l, l) with
/// l = sqrt(6 / (fan_in + fan_out)).
fn glorot_uniform(
    device: &Cpu,
    rng: &mut SplitMix64,
    shape: (usize, usize),
    fan_in: usize,
    fan_out: usize,
) -> Result<Matrix> {
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
    let values: Vec<f32> = (0..shape.0 * shape.1)
        .map(|_| rng.uniform(-limit, limit) as f32)
        .collect();
    Ok(device.try_tensor_from_vec(values, shape)?)
}

/// Computes x * weight + bias, with the bias added to every row.
fn affine<T: Tape<f32, Cpu>>(x: Matrix<T>, weight: &Matrix, bias: &Vector) -> Result<Matrix<T>> {
    let shape = (x.shape().0, bias.shape().0);
    let z = x.try_matmul(weight.retaped::<T>())?;
    Ok(z.try_add(
        bias.retaped::<T>()
            .try_broadcast_like::<_, Axis<0>>(&shape)?,
    )?)
}

/// Computes gamma * x + beta per column of `x`.
fn scale_shift<T: Tape<f32, Cpu>>(
    x: Matrix<T>,
    gamma: &Vector,
    beta: &Vector,
) -> Result<Matrix<T>> {
    let shape = *x.shape();
    let scaled = x.try_mul(
        gamma
            .retaped::<T>()
            .try_broadcast_like::<_, Axis<0>>(&shape)?,
    )?;
    Ok(scaled.try_add(
        beta.retaped::<T>()
            .try_broadcast_like::<_, Axis<0>>(&shape)?,
    )?)
}

/// Per-column mean and biased variance of `x`, the statistics Keras's BatchNormalization
/// normalizes a training batch with and averages into its moving statistics.
fn batch_statistics<T: Tape<f32, Cpu>>(layer: usize, x: &Matrix<T>) -> BatchStatistics {
    let (rows, columns) = *x.shape();
    let values = x.retaped::<NoneTape>().as_vec();
    let mut mean = vec![0.0f64; columns];
    for row in values.chunks(columns) {
        for (sum, value) in mean.iter_mut().zip(row) {
            *sum += *value as f64;
        }
    }
    mean.iter_mut().for_each(|sum| *sum /= rows as f64);
    let mut variance = vec![0.0f64; columns];
    for row in values.chunks(columns) {
        for ((sum, value), mean) in variance.iter_mut().zip(row).zip(&mean) {
            *sum += (*value as f64 - mean).powi(2);
        }
    }
    variance.iter_mut().for_each(|sum| *sum /= rows as f64);
    BatchStatistics {
        layer,
        mean: mean.iter().map(|&value| value as f32).collect(),
        variance: variance.iter().map(|&value| value as f32).collect(),
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
