//! Optimizer state for a network of runtime-shaped tensors. dfdx 0.13's `Optimizer` types need
//! a compile-time module, so each tensor is updated on its own with the update kernels behind
//! dfdx's `AdamConfig`, `SgdConfig` and `RMSpropConfig`.

use crate::error::Result;
use crate::network::{Network, Parameter};
use crate::spec::OptimizerSpec;
use dfdx::prelude::*;
use dfdx::tensor_ops::{AdamConfig, Momentum, RMSpropConfig, SgdConfig};

type Buffer = <Cpu as Storage<f32>>::Vec;

#[derive(Debug, Clone, Copy)]
enum Rule {
    Sgd(SgdConfig),
    Adam(AdamConfig),
    Rmsprop(RMSpropConfig),
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
