//! Huber loss, AdamW, kernel penalties and learning-rate schedules on Iris: each option trains,
//! has the effect it is for, and reports what it should.
#![cfg(not(target_arch = "wasm32"))]

use dfdx_playground::network::Layer;
use dfdx_playground::presets;
use dfdx_playground::schedule::rate_factor;
use dfdx_playground::spec::{Decay, KernelRegularizer, Loss, OptimizerSpec, ScheduleSpec};
use dfdx_playground::{EpochMetrics, NetworkSpec, Trainer};

/// Trains every epoch of `spec`; returns the history and the sum of squared kernel entries.
fn train(spec: &NetworkSpec) -> (Vec<EpochMetrics>, f64) {
    let mut trainer = Trainer::new(spec).expect("valid spec");
    while trainer.train_epoch().expect("training succeeds").is_some() {}
    let squares = trainer
        .network()
        .layers
        .iter()
        .map(|layer| match layer {
            Layer::Dense { weight, .. } => weight
                .as_vec()
                .iter()
                .map(|&w| f64::from(w) * f64::from(w))
                .sum(),
            _ => 0.0,
        })
        .sum();
    (trainer.history().to_vec(), squares)
}

/// The Iris preset with a test split, trained 40 epochs.
fn iris() -> NetworkSpec {
    let mut spec = presets::iris_test_split();
    spec.epochs = 40;
    spec
}

fn assert_learns(name: &str, history: &[EpochMetrics]) {
    let (first, last) = (&history[0], history.last().unwrap());
    assert!(
        last.train_loss < 0.5 * first.train_loss,
        "{name}: training loss fell only from {} to {}",
        first.train_loss,
        last.train_loss
    );
    assert!(
        last.test_accuracy.unwrap() >= 0.85,
        "{name}: test accuracy {:?}",
        last.test_accuracy
    );
}

#[test]
fn huber_trains_iris() {
    for delta in [0.5, 1.0] {
        let mut spec = iris();
        spec.loss = Loss::Huber;
        spec.huber_delta = delta;
        spec.optimizer = OptimizerSpec::Adam {
            learning_rate: 0.01,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-7,
        };
        let (history, _) = train(&spec);
        assert_learns(&format!("Huber delta {delta}"), &history);
    }
}

#[test]
fn adamw_shrinks_weights() {
    let adamw = |weight_decay| OptimizerSpec::Adamw {
        learning_rate: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
        weight_decay,
    };
    let mut spec = iris();
    spec.optimizer = adamw(0.0);
    let (_, plain) = train(&spec);
    spec.optimizer = adamw(0.5);
    let (history, decayed) = train(&spec);
    assert_learns("AdamW weight decay 0.5", &history);
    assert!(
        decayed < 0.9 * plain,
        "sum of squared kernel entries {decayed} with decay, {plain} without"
    );
}

#[test]
fn penalty_is_reported_and_shrinks_kernels() {
    let mut spec = iris();
    let (plain_history, plain) = train(&spec);
    assert!(
        plain_history.iter().all(|m| m.train_penalty == 0.0),
        "a run without a regularizer reported a penalty"
    );

    spec.kernel_regularizer = KernelRegularizer { l1: 0.0, l2: 0.01 };
    let (history, squares) = train(&spec);
    assert_learns("L2 0.01", &history);
    assert!(
        squares < 0.8 * plain,
        "sum of squared kernel entries {squares} with L2, {plain} without"
    );
    // The last epoch's mean penalty lies between the penalties of the weights before and after
    // it, which are near the final weights' 0.01 * squares.
    let last = history.last().unwrap().train_penalty;
    let final_penalty = 0.01 * squares;
    assert!(
        (last - final_penalty).abs() < 0.05 * final_penalty,
        "last epoch's penalty {last}, final weights' {final_penalty}"
    );

    spec.kernel_regularizer = KernelRegularizer { l1: 0.001, l2: 0.0 };
    let (history, _) = train(&spec);
    assert_learns("L1 0.001", &history);
    assert!(history[0].train_penalty > 0.0);
}

#[test]
fn schedules_set_each_epoch_rate() {
    let mut spec = iris();
    spec.epochs = 10;
    spec.schedule = ScheduleSpec {
        decay: Decay::Step {
            factor: 0.5,
            step_epochs: 3,
        },
        warmup_epochs: 2,
    };
    let (history, _) = train(&spec);
    let expected = [
        1.0 / 3.0,
        2.0 / 3.0,
        1.0,
        1.0,
        1.0,
        0.5,
        0.5,
        0.5,
        0.25,
        0.25,
    ];
    for (metrics, factor) in history.iter().zip(expected) {
        let rate = 0.001 * factor;
        assert!(
            (metrics.learning_rate - rate).abs() < 1e-15,
            "epoch {}: learning rate {}, expected {rate}",
            metrics.epoch,
            metrics.learning_rate
        );
    }
}

#[test]
fn cosine_decay_reaches_alpha() {
    let schedule = ScheduleSpec {
        decay: Decay::Cosine { alpha: 0.1 },
        warmup_epochs: 0,
    };
    // Over 5 epochs the progress is 0, 1/4, 1/2, 3/4, 1.
    let quarter = 0.1 + 0.9 * 0.5 * (1.0 + std::f64::consts::FRAC_1_SQRT_2);
    let expected = [1.0, quarter, 0.55, 1.1 - quarter, 0.1];
    for (epoch, expected) in expected.into_iter().enumerate() {
        let factor = rate_factor(&schedule, 5, epoch);
        assert!(
            (factor - expected).abs() < 1e-12,
            "epoch {epoch}: factor {factor}, expected {expected}"
        );
    }
    // One decay epoch after the warm-up keeps the full rate.
    let warm = ScheduleSpec {
        decay: Decay::Cosine { alpha: 0.0 },
        warmup_epochs: 4,
    };
    assert_eq!(rate_factor(&warm, 5, 3), 0.8);
    assert_eq!(rate_factor(&warm, 5, 4), 1.0);
}

#[test]
fn scheduled_runs_train_iris() {
    let decays = [
        Decay::Constant,
        Decay::Step {
            factor: 0.5,
            step_epochs: 10,
        },
        Decay::Cosine { alpha: 0.0 },
    ];
    for decay in decays {
        let mut spec = iris();
        spec.optimizer = OptimizerSpec::Adam {
            learning_rate: 0.01,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-7,
        };
        spec.schedule = ScheduleSpec {
            decay,
            warmup_epochs: 3,
        };
        let (history, _) = train(&spec);
        assert_learns(&format!("{decay:?} after 3 warm-up epochs"), &history);
        assert!(history[0].learning_rate < history[3].learning_rate);
    }
}

#[test]
fn penalty_covers_conv_kernels() {
    // Keras's kernel_regularizer covers Conv2D kernels as well as Dense ones, and neither the
    // biases nor the normalization scales.
    let regularizer = KernelRegularizer { l1: 0.0, l2: 1.0 };
    let spec = presets::digits_conv();
    let valid = spec.validate().expect("valid preset");
    let network =
        dfdx_playground::network::Network::build(&valid, &dfdx::prelude::Cpu::default()).unwrap();
    let mut conv = 0.0;
    let mut dense = 0.0;
    for layer in &network.layers {
        let squares =
            |values: Vec<f32>| -> f64 { values.iter().map(|&w| f64::from(w) * f64::from(w)).sum() };
        match layer {
            Layer::Conv2d { kernel, .. } => conv += squares(kernel.as_vec()),
            Layer::Dense { weight, .. } => dense += squares(weight.as_vec()),
            _ => {}
        }
    }
    assert!(conv > 0.0, "the preset has a Conv2D kernel");
    let penalty = dfdx_playground::regularizer::penalty(&regularizer, &network);
    assert!(
        (penalty - (conv + dense)).abs() < 1e-9 * penalty,
        "penalty {penalty}, Conv2D kernels {conv}, Dense kernels {dense}"
    );
}
