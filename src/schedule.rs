//! Learning-rate schedules. The rate is set once per epoch and stays fixed within it, so the
//! CPU and WebGPU paths, which both train an epoch of batches at a time, use the same rate for
//! every batch. Keras's `LearningRateScheduler` callback and a PyTorch scheduler stepped once
//! per epoch work the same way, which lets the generated code reproduce the schedule.

use crate::spec::{Decay, ScheduleSpec, ValidSpec};

/// Returns the factor that multiplies the optimizer's learning rate in the epoch with 0-based
/// index `epoch` of a run of `epochs` epochs.
///
/// With `w` warm-up epochs, epoch e < w trains at (e + 1) / (w + 1) of the rate, so the rate
/// climbs in equal steps and reaches the full rate in epoch w. The decay then runs over the
/// remaining epochs, counted from 0 at epoch w:
/// - step: factor^floor(d / step_epochs) in decay epoch d;
/// - cosine: alpha + (1 - alpha) * (1 + cos(pi * d / (n - 1))) / 2 over n decay epochs. The
///   factor is 1 in the first decay epoch and alpha in the last, or 1 throughout when n is 1.
pub fn rate_factor(schedule: &ScheduleSpec, epochs: usize, epoch: usize) -> f64 {
    let warmup = usize::try_from(schedule.warmup_epochs).unwrap_or(0);
    if epoch < warmup {
        return (epoch + 1) as f64 / (warmup + 1) as f64;
    }
    let decay_epoch = epoch - warmup;
    match schedule.decay {
        Decay::Constant => 1.0,
        Decay::Step {
            factor,
            step_epochs,
        } => {
            let steps = decay_epoch / usize::try_from(step_epochs).unwrap_or(1).max(1);
            factor.powi(i32::try_from(steps).unwrap_or(i32::MAX))
        }
        Decay::Cosine { alpha } => {
            let decay_epochs = epochs.saturating_sub(warmup);
            if decay_epochs <= 1 {
                return 1.0;
            }
            let progress = decay_epoch.min(decay_epochs - 1) as f64 / (decay_epochs - 1) as f64;
            alpha + (1.0 - alpha) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
        }
    }
}

/// Returns the learning rate of the epoch with 0-based index `epoch`.
pub fn learning_rate(valid: &ValidSpec, epoch: usize) -> f64 {
    valid.spec.optimizer.learning_rate() * rate_factor(&valid.spec.schedule, valid.epochs, epoch)
}

/// Returns the learning rate of every epoch of the run, in order.
pub fn learning_rates(valid: &ValidSpec) -> Vec<f64> {
    (0..valid.epochs)
        .map(|epoch| learning_rate(valid, epoch))
        .collect()
}
