//! Reproducibility: the same spec and seed give bit-identical metrics however the batches are
//! requested, a different seed gives different ones, and a diverged run keeps returning its
//! error.
#![cfg(not(target_arch = "wasm32"))]

use dfdx_playground::presets;
use dfdx_playground::spec::{LayerSpec, Loss, OptimizerSpec};
use dfdx_playground::{EpochMetrics, NetworkSpec, PlaygroundError, Trainer};

/// Trains every epoch of `spec` and returns the trainer, whose history contains the metrics.
fn train(spec: &NetworkSpec) -> Trainer {
    let mut trainer = Trainer::new(spec).expect("valid spec");
    while trainer.train_epoch().expect("training succeeds").is_some() {}
    trainer
}

/// Collects the bit pattern of every number in a history, so that -0.0 and 0.0 or two NaNs
/// compare as they are stored.
fn history_bits(history: &[EpochMetrics]) -> Vec<[u64; 11]> {
    let optional = |value: Option<f64>| value.map_or(u64::MAX, f64::to_bits);
    history
        .iter()
        .map(|metrics| {
            [
                metrics.epoch as u64,
                metrics.train_loss.to_bits(),
                optional(metrics.train_accuracy),
                optional(metrics.train_mae),
                optional(metrics.validation_loss),
                optional(metrics.validation_accuracy),
                optional(metrics.validation_mae),
                optional(metrics.test_loss),
                optional(metrics.test_accuracy),
                optional(metrics.test_mae),
                metrics.examples as u64,
            ]
        })
        .collect()
}

fn parameter_bits(trainer: &Trainer) -> Vec<Vec<u32>> {
    trainer
        .network()
        .parameter_values()
        .iter()
        .map(|tensor| tensor.iter().map(|value| value.to_bits()).collect())
        .collect()
}

fn assert_runs_identical(name: &str, spec: &NetworkSpec) {
    let first = train(spec);
    let second = train(spec);
    assert_eq!(
        first.history().len(),
        spec.epochs as usize,
        "{name}: epochs trained"
    );
    assert_eq!(
        history_bits(second.history()),
        history_bits(first.history()),
        "{name}: history bits differ\nfirst:  {:?}\nsecond: {:?}",
        first.history(),
        second.history()
    );
    assert_eq!(second.history(), first.history(), "{name}: history");
    assert!(
        parameter_bits(&second) == parameter_bits(&first),
        "{name}: final weights differ"
    );
}

#[test]
fn keras_same_seed_same_history() {
    assert_runs_identical("keras preset", &presets::keras_iris());
}

#[test]
fn spiral_same_seed_same_history() {
    let mut spec = presets::spiral();
    spec.epochs = 5;
    assert_runs_identical("spiral preset, 5 epochs", &spec);
}

#[test]
fn dropout_same_seed_same_history() {
    let mut spec = presets::iris_test_split();
    spec.epochs = 5;
    spec.layers.insert(1, LayerSpec::Dropout { rate: 0.5 });
    assert_runs_identical("iris with dropout 0.5, 5 epochs", &spec);
}

#[test]
fn different_seed_changes_losses() {
    let mut keras = presets::keras_iris();
    let mut spiral = presets::spiral();
    spiral.epochs = 5;

    for (name, spec) in [("keras preset", &mut keras), ("spiral preset", &mut spiral)] {
        spec.seed = 0;
        let seed_0 = train(spec);
        spec.seed = 1;
        let seed_1 = train(spec);

        let losses_0: Vec<f64> = seed_0.history().iter().map(|m| m.train_loss).collect();
        let losses_1: Vec<f64> = seed_1.history().iter().map(|m| m.train_loss).collect();
        assert_ne!(
            losses_0[0], losses_1[0],
            "{name}: first-epoch loss is the same for seeds 0 and 1"
        );
        assert_ne!(
            losses_0, losses_1,
            "{name}: losses are the same for seeds 0 and 1"
        );
        assert!(
            parameter_bits(&seed_0) != parameter_bits(&seed_1),
            "{name}: final weights are the same for seeds 0 and 1"
        );
    }
}

/// Calls `run_batches(batches)` until training finishes and returns the metrics of each call
/// that ended an epoch, with the number of calls made before it.
fn run_in_slices(spec: &NetworkSpec, batches: usize) -> (Trainer, Vec<(usize, EpochMetrics)>) {
    let mut trainer = Trainer::new(spec).expect("valid spec");
    let mut ended = Vec::new();
    let mut calls = 0;
    while !trainer.is_finished() {
        calls += 1;
        if let Some(metrics) = trainer.run_batches(batches).expect("training succeeds") {
            ended.push((calls, metrics));
        }
    }
    (trainer, ended)
}

#[test]
fn single_batches_match_train_epoch() {
    // 120 training rows in batches of 32 give 4 batches an epoch, the last one of 24 rows.
    let mut spec = presets::iris_test_split();
    spec.epochs = 5;
    let whole = train(&spec);

    let (sliced, ended) = run_in_slices(&spec, 1);
    let calls: Vec<usize> = ended.iter().map(|(calls, _)| *calls).collect();
    assert_eq!(calls, [4, 8, 12, 16, 20], "calls that ended an epoch");
    let returned: Vec<EpochMetrics> = ended.into_iter().map(|(_, metrics)| metrics).collect();
    assert_eq!(returned, sliced.history(), "returned metrics and history");

    assert_eq!(
        history_bits(sliced.history()),
        history_bits(whole.history()),
        "run_batches(1) history {:?}\ntrain_epoch history {:?}",
        sliced.history(),
        whole.history()
    );
    assert!(
        parameter_bits(&sliced) == parameter_bits(&whole),
        "final weights differ between run_batches(1) and train_epoch"
    );
    assert!(
        whole.history().iter().all(|m| m.test_loss.is_some()),
        "test split metrics missing: {:?}",
        whole.history()
    );
}

#[test]
fn uneven_slices_match_train_epoch() {
    // Slices of 3 batches cross epoch ends: each call stops at the end of an epoch.
    let mut spec = presets::iris_test_split();
    spec.epochs = 5;
    let whole = train(&spec);

    let (sliced, ended) = run_in_slices(&spec, 3);
    let calls: Vec<usize> = ended.iter().map(|(calls, _)| *calls).collect();
    assert_eq!(calls, [2, 4, 6, 8, 10], "calls that ended an epoch");
    assert_eq!(
        history_bits(sliced.history()),
        history_bits(whole.history()),
        "run_batches(3) history {:?}\ntrain_epoch history {:?}",
        sliced.history(),
        whole.history()
    );
}

#[test]
fn finished_trainer_stops_training() {
    let mut spec = presets::keras_iris();
    spec.epochs = 2;
    let mut trainer = train(&spec);
    let weights = parameter_bits(&trainer);

    assert_eq!(
        trainer.run_batches(1),
        Ok(None),
        "run_batches after the last epoch"
    );
    assert_eq!(
        trainer.train_epoch(),
        Ok(None),
        "train_epoch after the last epoch"
    );
    assert_eq!(trainer.epoch(), 2);
    assert_eq!(trainer.history().len(), 2);
    assert!(
        parameter_bits(&trainer) == weights,
        "weights changed after the last epoch"
    );
}

/// Raw Iris features (up to 7.9 cm) with a linear output, MSE and SGD at learning rate 10: each
/// step multiplies the error by far more than 1, so the loss overflows to infinity in epoch 2.
fn diverging_spec() -> NetworkSpec {
    let mut spec = presets::keras_iris();
    spec.data.standardize = false;
    spec.layers.clear();
    spec.loss = Loss::MeanSquaredError;
    spec.optimizer = OptimizerSpec::Sgd {
        learning_rate: 10.0,
        momentum: 0.0,
    };
    spec
}

#[test]
fn divergence_returns_error_repeatedly() {
    let mut trainer = Trainer::new(&diverging_spec()).expect("valid spec");
    let first_epoch = trainer.train_epoch();
    assert!(
        matches!(first_epoch, Ok(Some(_))),
        "epoch 1 should finish before the loss overflows, got {first_epoch:?}"
    );

    let error = trainer
        .train_epoch()
        .expect_err("learning rate 10 on raw features diverges in epoch 2");
    let PlaygroundError::Diverged {
        epoch,
        loss,
        learning_rate,
    } = error
    else {
        panic!("expected Diverged, got {error:?}");
    };
    assert_eq!(epoch, 2, "epoch of divergence");
    assert!(!loss.is_finite(), "diverged loss {loss} is finite");
    assert_eq!(learning_rate, 10.0);

    let message = error.to_string();
    for part in [
        "epoch 2",
        &format!("became {loss}"),
        "lower the learning rate (now 10)",
    ] {
        assert!(message.contains(part), "message {message:?} lacks {part:?}");
    }

    // Debug text compares a NaN loss as equal to itself, unlike PartialEq.
    let expected = format!("{error:?}");
    let weights = parameter_bits(&trainer);
    for call in 0..3 {
        let again = trainer.run_batches(1);
        assert_eq!(
            format!("{:?}", again.as_ref().err()),
            format!("Some({expected})"),
            "run_batches call {call} after divergence"
        );
        let again = trainer.train_epoch();
        assert_eq!(
            format!("{:?}", again.as_ref().err()),
            format!("Some({expected})"),
            "train_epoch call {call} after divergence"
        );
    }
    assert_eq!(trainer.epoch(), 1, "epochs finished");
    assert_eq!(trainer.history().len(), 1, "history length");
    assert!(
        parameter_bits(&trainer) == weights,
        "weights changed after divergence"
    );
}
