//! The optimizer state carries over when a run resumes: a CPU run stopped after some epochs and
//! resumed from its weights and optimizer state trains the same epochs as one that never
//! stopped, and a state that does not fit the network is rejected before anything changes.
#![cfg(not(target_arch = "wasm32"))]

use dfdx_playground::optimizer::{state_buffer_names, OptimizerState};
use dfdx_playground::presets;
use dfdx_playground::spec::{Activation, Decay, LayerSpec, OptimizerSpec, ScheduleSpec};
use dfdx_playground::{EpochMetrics, NetworkSpec, PlaygroundError, Trainer};

/// Iris with a test split, 6 epochs, trained with `optimizer`.
fn iris_with(optimizer: OptimizerSpec) -> NetworkSpec {
    let mut spec = presets::iris_test_split();
    spec.epochs = 6;
    spec.optimizer = optimizer;
    spec
}

fn optimizers() -> Vec<(&'static str, OptimizerSpec)> {
    vec![
        (
            "sgd momentum",
            OptimizerSpec::Sgd {
                learning_rate: 0.05,
                momentum: 0.9,
            },
        ),
        (
            "adam",
            OptimizerSpec::Adam {
                learning_rate: 0.01,
                beta1: 0.9,
                beta2: 0.999,
                epsilon: 1e-7,
            },
        ),
        (
            "adamw",
            OptimizerSpec::Adamw {
                learning_rate: 0.01,
                beta1: 0.9,
                beta2: 0.999,
                epsilon: 1e-7,
                weight_decay: 0.05,
            },
        ),
        (
            "rmsprop momentum",
            OptimizerSpec::Rmsprop {
                learning_rate: 0.001,
                rho: 0.9,
                epsilon: 1e-7,
                momentum: 0.5,
            },
        ),
    ]
}

fn full_history(spec: &NetworkSpec) -> Vec<EpochMetrics> {
    let mut trainer = Trainer::new(spec).unwrap();
    while trainer.train_epoch().unwrap().is_some() {}
    trainer.history().to_vec()
}

/// Trains `stop` epochs, resumes a new trainer from the weights (and the optimizer state when
/// `carry_state`), and returns the losses of every epoch.
fn resumed_losses(spec: &NetworkSpec, stop: usize, carry_state: bool) -> Vec<f64> {
    let mut first = Trainer::new(spec).unwrap();
    for _ in 0..stop {
        first.train_epoch().unwrap();
    }
    let values = first.network().parameter_values();
    let state = first.optimizer_state();
    let carried = carry_state.then_some(&state);
    let mut second = Trainer::resume_with_state(spec, None, &values, stop, carried).unwrap();
    while second.train_epoch().unwrap().is_some() {}
    first
        .history()
        .iter()
        .chain(second.history())
        .map(|metrics| metrics.train_loss)
        .collect()
}

#[test]
fn resumed_state_repeats_run() {
    for (name, optimizer) in optimizers() {
        let spec = iris_with(optimizer);
        let expected: Vec<f64> = full_history(&spec).iter().map(|m| m.train_loss).collect();
        // The same f32 operations on the same values: the losses agree exactly.
        assert_eq!(resumed_losses(&spec, 2, true), expected, "{name}");
        let fresh = resumed_losses(&spec, 2, false);
        assert_eq!(fresh[..2], expected[..2], "{name}: epochs before the stop");
        assert_ne!(
            fresh[2], expected[2],
            "{name}: a fresh optimizer state changes epoch 3"
        );
    }
}

#[test]
fn resumed_state_follows_schedule() {
    // Warm-up and cosine decay depend on the epoch index and the run's length, which the
    // resumed trainer takes from `epochs_done` and the spec.
    let mut spec = iris_with(OptimizerSpec::Adam {
        learning_rate: 0.02,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
    });
    spec.schedule = ScheduleSpec {
        decay: Decay::Cosine { alpha: 0.1 },
        warmup_epochs: 2,
    };
    let expected = full_history(&spec);
    let losses: Vec<f64> = expected.iter().map(|m| m.train_loss).collect();
    assert_eq!(resumed_losses(&spec, 3, true), losses);

    let values = {
        let mut trainer = Trainer::new(&spec).unwrap();
        for _ in 0..3 {
            trainer.train_epoch().unwrap();
        }
        (
            trainer.network().parameter_values(),
            trainer.optimizer_state(),
        )
    };
    let mut resumed =
        Trainer::resume_with_state(&spec, None, &values.0, 3, Some(&values.1)).unwrap();
    let metrics = resumed.train_epoch().unwrap().unwrap();
    assert_eq!(metrics.epoch, 4);
    assert_eq!(metrics.learning_rate, expected[3].learning_rate);
}

#[test]
fn state_counts_batches() {
    // One update per batch, and a short last batch counts as one.
    let spec = iris_with(optimizers()[1].1.clone());
    let mut trainer = Trainer::new(&spec).unwrap();
    assert_eq!(trainer.optimizer_state().step, 0);
    trainer.train_epoch().unwrap();
    trainer.train_epoch().unwrap();
    let state = trainer.optimizer_state();
    let rows = trainer.data().train.rows();
    let batches = rows.div_ceil(spec.batch_size as usize);
    assert_eq!(state.step as usize, 2 * batches);
    let lengths: Vec<usize> = trainer
        .network()
        .trainable_values()
        .iter()
        .map(Vec::len)
        .collect();
    assert_eq!(state.buffers.len(), lengths.len());
    for (buffers, len) in state.buffers.iter().zip(&lengths) {
        assert_eq!(buffers.len(), 2, "Adam keeps two moments");
        assert!(buffers.iter().all(|buffer| buffer.len() == *len));
    }
    assert!(
        state.buffers[0][1].iter().any(|&v| v > 0.0),
        "the second moment grew"
    );
}

#[test]
fn state_buffers_name_rule() {
    let names: Vec<&[&str]> = optimizers()
        .iter()
        .map(|(_, optimizer)| state_buffer_names(optimizer))
        .collect();
    assert_eq!(names[0], ["velocity"]);
    assert_eq!(names[1], ["first moment", "second moment"]);
    assert_eq!(names[2], ["first moment", "second moment"]);
    assert_eq!(names[3], ["mean square", "momentum"]);
}

/// Returns the message of an `InvalidSpec` error.
fn invalid_message(result: Result<Trainer, PlaygroundError>) -> String {
    match result {
        Err(PlaygroundError::InvalidSpec { message }) => message,
        Err(other) => panic!("expected an invalid-spec error, got {other:?}"),
        Ok(_) => panic!("expected an invalid-spec error, got a trainer"),
    }
}

#[test]
fn mismatched_state_is_rejected() {
    let spec = iris_with(optimizers()[3].1.clone());
    let mut trainer = Trainer::new(&spec).unwrap();
    trainer.train_epoch().unwrap();
    let values = trainer.network().parameter_values();
    let state = trainer.optimizer_state();
    let resume = |state: &OptimizerState| {
        invalid_message(Trainer::resume_with_state(
            &spec,
            None,
            &values,
            1,
            Some(state),
        ))
    };

    let tensors = state.buffers.len();
    let mut short = state.clone();
    short.buffers.pop();
    assert_eq!(
        resume(&short),
        format!(
            "the optimizer state covers {} trainable tensors, but the network has {tensors}",
            tensors - 1
        )
    );

    let mut one_buffer = state.clone();
    one_buffer.buffers[1].pop();
    assert_eq!(
        resume(&one_buffer),
        "the optimizer state has 1 buffers for trainable tensor 1, but this optimizer keeps 2 \
         (mean square, momentum)"
    );

    let mut truncated = state.clone();
    truncated.buffers[2][1].pop();
    let len = truncated.buffers[2][0].len();
    assert_eq!(
        resume(&truncated),
        format!(
            "the optimizer state's momentum of trainable tensor 2 has {} values, but the \
             tensor has {len}",
            len - 1
        )
    );

    let mut late = state.clone();
    late.step = u32::MAX;
    assert_eq!(
        resume(&late),
        format!(
            "the optimizer state's step count {} is larger than {}",
            u32::MAX,
            i32::MAX
        )
    );

    // SGD keeps one buffer per tensor, so RMSprop's state does not fit it.
    let mut sgd = spec.clone();
    sgd.optimizer = optimizers()[0].1.clone();
    let message = invalid_message(Trainer::resume_with_state(
        &sgd,
        None,
        &values,
        1,
        Some(&state),
    ));
    assert_eq!(
        message,
        "the optimizer state has 2 buffers for trainable tensor 0, but this optimizer keeps 1 \
         (velocity)"
    );
}

#[test]
fn state_covers_normalization() {
    // BatchNormalization's gamma and beta are trained, so they have state; its moving
    // statistics are not, so they have none.
    let mut spec = iris_with(optimizers()[1].1.clone());
    spec.layers = vec![
        LayerSpec::Dense {
            units: 8,
            activation: Activation::Relu,
        },
        LayerSpec::BatchNorm,
    ];
    let expected: Vec<f64> = full_history(&spec).iter().map(|m| m.train_loss).collect();
    assert_eq!(resumed_losses(&spec, 2, true), expected);
    let state = Trainer::new(&spec).unwrap().optimizer_state();
    let lengths: Vec<usize> = state.buffers.iter().map(|b| b[0].len()).collect();
    assert_eq!(lengths, [4 * 8, 8, 8, 8, 8 * 3, 3]);
}
