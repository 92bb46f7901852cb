//! Optimizer state for a network of runtime-shaped tensors. dfdx 0.13's `Optimizer` types need
//! a compile-time module, so each tensor is updated on its own with the update kernels behind
//! dfdx's `AdamConfig`, `SgdConfig` and `RMSpropConfig`.

use crate::error::{PlaygroundError, Result};
use crate::network::{Network, Parameter};
use crate::spec::OptimizerSpec;
use dfdx::prelude::*;
use dfdx::tensor_ops::{AdamConfig, Momentum, RMSpropConfig, SgdConfig, WeightDecay};
use serde::{Deserialize, Serialize};

type Buffer = <Cpu as Storage<f32>>::Vec;

#[derive(Debug, Clone, Copy)]
enum Rule {
    Sgd(SgdConfig),
    Adam(AdamConfig),
    Rmsprop(RMSpropConfig),
}

impl Rule {
    fn buffer_names(&self) -> &'static [&'static str] {
        match self {
            Self::Sgd(_) => SGD_BUFFERS,
            Self::Adam(_) => ADAM_BUFFERS,
            Self::Rmsprop(_) => RMSPROP_BUFFERS,
        }
    }
}

const SGD_BUFFERS: &[&str] = &["velocity"];
const ADAM_BUFFERS: &[&str] = &["first moment", "second moment"];
const RMSPROP_BUFFERS: &[&str] = &["mean square", "momentum"];

/// Names of the buffers that the rule of `spec` keeps per trainable tensor, in the order of
/// [`OptimizerState::buffers`]. SGD keeps its velocity, Adam and AdamW their first and second
/// moments, and RMSprop its mean square and momentum buffer.
pub fn state_buffer_names(spec: &OptimizerSpec) -> &'static [&'static str] {
    match spec {
        OptimizerSpec::Sgd { .. } => SGD_BUFFERS,
        OptimizerSpec::Adam { .. } | OptimizerSpec::Adamw { .. } => ADAM_BUFFERS,
        OptimizerSpec::Rmsprop { .. } => RMSPROP_BUFFERS,
    }
}

/// An optimizer's state in the form that both training paths read and write, so that a run
/// can move from WebGPU to the CPU without restarting the optimizer.
///
/// The values are those of dfdx 0.13's update kernels, which the WebGPU kernels follow: SGD's
/// velocity v = g + momentum * v; Adam's moments before bias correction; RMSprop's mean square
/// s = s + (1 - rho) * (g^2 - s) and its momentum buffer b = momentum * b + g / sqrt(s + eps).
/// A buffer that the configuration does not read (SGD's or RMSprop's momentum buffer with
/// momentum 0) carries whatever the path left in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizerState {
    /// Updates taken so far, one per training batch. Adam's bias correction at the next update
    /// uses step + 1.
    pub step: u32,
    /// Per trainable tensor, in the order of [`Network::trainable_values`], the rule's buffers
    /// in the order of [`state_buffer_names`], each as long as the tensor.
    pub buffers: Vec<Vec<Vec<f32>>>,
}

/// Per-tensor buffers: SGD uses the first as its velocity; Adam its two moments; RMSprop its
/// momentum, mean square and (unused, since it is not centred) mean gradient.
#[derive(Debug, Clone)]
struct Slots {
    first: Buffer,
    second: Buffer,
    third: Buffer,
}

#[derive(Debug, Clone)]
pub struct Optimizer {
    rule: Rule,
    slots: Vec<Slots>,
    /// Updates taken so far; Adam's bias correction counts from 1.
    step: i32,
}

impl Optimizer {
    pub fn new(spec: &OptimizerSpec, network: &Network) -> Result<Self> {
        let rule = match *spec {
            OptimizerSpec::Sgd {
                learning_rate,
                momentum,
            } => Rule::Sgd(SgdConfig {
                lr: learning_rate,
                momentum: (momentum > 0.0).then_some(Momentum::Classic(momentum)),
                weight_decay: None,
            }),
            OptimizerSpec::Adam {
                learning_rate,
                beta1,
                beta2,
                epsilon,
            } => Rule::Adam(AdamConfig {
                lr: learning_rate,
                betas: [beta1, beta2],
                eps: epsilon,
                weight_decay: None,
            }),
            // dfdx 0.13's decoupled decay subtracts weight_decay * lr * w in the same step as
            // the Adam update (tensor_ops/adam/cpu_kernel.rs), so the decay is multiplied by
            // the learning rate, as in PyTorch's AdamW (theta -= lr * lambda * theta) and in
            // Keras 3 (variable -= variable * weight_decay * learning_rate).
            OptimizerSpec::Adamw {
                learning_rate,
                beta1,
                beta2,
                epsilon,
                weight_decay,
            } => Rule::Adam(AdamConfig {
                lr: learning_rate,
                betas: [beta1, beta2],
                eps: epsilon,
                weight_decay: (weight_decay > 0.0).then_some(WeightDecay::Decoupled(weight_decay)),
            }),
            OptimizerSpec::Rmsprop {
                learning_rate,
                rho,
                epsilon,
                momentum,
            } => Rule::Rmsprop(RMSpropConfig {
                lr: learning_rate,
                alpha: rho,
                eps: epsilon,
                momentum: (momentum > 0.0).then_some(momentum),
                centered: false,
                weight_decay: None,
            }),
        };
        let device = network.device();
        let mut slots = Vec::new();
        for values in network.trainable_values() {
            let len = values.len();
            slots.push(Slots {
                first: device.try_alloc_len(len)?,
                second: device.try_alloc_len(len)?,
                third: device.try_alloc_len(len)?,
            });
        }
        Ok(Self {
            rule,
            slots,
            step: 0,
        })
    }

    /// Sets the learning rate of the following updates, as a schedule prescribes.
    pub fn set_learning_rate(&mut self, learning_rate: f64) {
        match &mut self.rule {
            Rule::Sgd(config) => config.lr = learning_rate,
            Rule::Adam(config) => config.lr = learning_rate,
            Rule::Rmsprop(config) => config.lr = learning_rate,
        }
    }

    /// Returns a copy of the state: the step count and every tensor's buffers.
    pub fn state(&self) -> OptimizerState {
        let rule = self.rule;
        OptimizerState {
            step: u32::try_from(self.step).unwrap_or(0),
            buffers: self
                .slots
                .iter()
                .map(|slot| {
                    slot_buffers(rule, slot)
                        .into_iter()
                        .map(|buffer| buffer.to_vec())
                        .collect()
                })
                .collect(),
        }
    }

    /// Replaces the step count and every tensor's buffers with `state`, which must come from
    /// the same rule and network. Checks every size before changing anything, and returns an
    /// error naming the first tensor or buffer that does not fit.
    pub fn set_state(&mut self, state: &OptimizerState) -> Result<()> {
        let mismatch = |message: String| PlaygroundError::InvalidSpec { message };
        let names = self.rule.buffer_names();
        let step = i32::try_from(state.step).map_err(|_| {
            mismatch(format!(
                "the optimizer state's step count {} is larger than {}",
                state.step,
                i32::MAX
            ))
        })?;
        if state.buffers.len() != self.slots.len() {
            return Err(mismatch(format!(
                "the optimizer state covers {} trainable tensors, but the network has {}",
                state.buffers.len(),
                self.slots.len()
            )));
        }
        for (index, (slot, buffers)) in self.slots.iter().zip(&state.buffers).enumerate() {
            if buffers.len() != names.len() {
                return Err(mismatch(format!(
                    "the optimizer state has {} buffers for trainable tensor {index}, but this \
                     optimizer keeps {} ({})",
                    buffers.len(),
                    names.len(),
                    names.join(", ")
                )));
            }
            let len = slot.first.len();
            for (name, buffer) in names.iter().zip(buffers) {
                if buffer.len() != len {
                    return Err(mismatch(format!(
                        "the optimizer state's {name} of trainable tensor {index} has {} \
                         values, but the tensor has {len}",
                        buffer.len()
                    )));
                }
            }
        }

        let rule = self.rule;
        for (slot, buffers) in self.slots.iter_mut().zip(&state.buffers) {
            for (target, source) in slot_buffers_mut(rule, slot).into_iter().zip(buffers) {
                target.copy_from_slice(source);
            }
        }
        self.step = step;
        Ok(())
    }

    /// Applies one update to every trainable tensor from the gradients of one batch.
    pub fn update(&mut self, network: &mut Network, grads: &mut Gradients<f32, Cpu>) -> Result<()> {
        self.step += 1;
        let parameters = network.parameters_mut();
        debug_assert_eq!(parameters.len(), self.slots.len(), "one slot per tensor");
        for (parameter, slot) in parameters.into_iter().zip(&mut self.slots) {
            match parameter {
                Parameter::Matrix(matrix) => apply(self.rule, self.step, matrix, slot, grads)?,
                Parameter::Vector(vector) => apply(self.rule, self.step, vector, slot, grads)?,
            }
        }
        Ok(())
    }
}

/// Returns the buffers of `slot` in the order of [`OptimizerState::buffers`]. RMSprop's
/// `try_update` takes the momentum buffer first and the mean square second, so the two swap.
fn slot_buffers(rule: Rule, slot: &Slots) -> Vec<&Buffer> {
    match rule {
        Rule::Sgd(_) => vec![&slot.first],
        Rule::Adam(_) => vec![&slot.first, &slot.second],
        Rule::Rmsprop(_) => vec![&slot.second, &slot.first],
    }
}

fn slot_buffers_mut(rule: Rule, slot: &mut Slots) -> Vec<&mut Buffer> {
    match rule {
        Rule::Sgd(_) => vec![&mut slot.first],
        Rule::Adam(_) => vec![&mut slot.first, &mut slot.second],
        Rule::Rmsprop(_) => vec![&mut slot.second, &mut slot.first],
    }
}

fn apply<S: Shape>(
    rule: Rule,
    step: i32,
    param: &mut Tensor<S, f32, Cpu>,
    slot: &mut Slots,
    grads: &mut Gradients<f32, Cpu>,
) -> Result<()> {
    // A tensor that took no part in the loss gets a zero gradient here.
    let grad: &Buffer = grads.get_or_alloc_mut(param)?;
    match rule {
        Rule::Sgd(config) => config.try_update(param, &mut slot.first, grad)?,
        Rule::Adam(config) => {
            config.try_update(step, param, &mut slot.first, &mut slot.second, grad)?
        }
        Rule::Rmsprop(config) => config.try_update(
            param,
            &mut slot.first,
            &mut slot.second,
            &mut slot.third,
            grad,
        )?,
    }
    Ok(())
}
