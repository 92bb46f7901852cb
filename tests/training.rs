//! Training on real data: the presets reach the accuracy that Keras reaches, losses fall, and the
//! same seed gives the same numbers.
#![cfg(not(target_arch = "wasm32"))]

use dfdx_playground::presets;
use dfdx_playground::{EpochMetrics, NetworkSpec, Trainer};

fn train(spec: &NetworkSpec) -> Vec<EpochMetrics> {
    let mut trainer = Trainer::new(spec).expect("valid spec");
    while trainer.train_epoch().expect("training succeeds").is_some() {}
    trainer.history().to_vec()
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let values: Vec<f64> = values.collect();
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn keras_iris_reaches_keras_accuracy() {
    let mut accuracies = Vec::new();
    for seed in 0..5 {
        let mut spec = presets::keras_iris();
        spec.seed = seed;
        let history = train(&spec);
        assert_eq!(history.len(), 10);
        let first = &history[0];
        let last = &history[9];
        assert!(
            last.train_loss < first.train_loss,
            "seed {seed}: {history:?}"
        );
        assert!(
            last.train_accuracy > first.train_accuracy,
            "seed {seed}: {history:?}"
        );
        accuracies.push(last.train_accuracy.unwrap());
    }
    let average = mean(accuracies.iter().copied());
    println!(
        "Keras Iris preset, training accuracy after 10 epochs: {accuracies:?}, mean {average:.3}"
    );
    assert!(average >= 0.80, "mean training accuracy {average}");
}

#[test]
fn iris_test_split_generalizes() {
    let mut accuracies = Vec::new();
    for seed in 0..5 {
        let mut spec = presets::iris_test_split();
        spec.seed = seed;
        let history = train(&spec);
        let last = history.last().unwrap();
        assert!(last.test_loss.unwrap() < history[0].test_loss.unwrap());
        accuracies.push(last.test_accuracy.unwrap());
    }
    let average = mean(accuracies.iter().copied());
    println!(
        "Iris test-split preset, test accuracy after 100 epochs: {accuracies:?}, mean {average:.3}"
    );
    assert!(average >= 0.93, "mean test accuracy {average}");
}

#[test]
fn discarded_history_still_returns_metrics() {
    let mut trainer = Trainer::new(&presets::keras_iris()).expect("preset is valid");
    trainer.discard_history();
    let mut epochs = 0;
    while let Some(metrics) = trainer.train_epoch().expect("training succeeds") {
        epochs += 1;
        assert_eq!(metrics.epoch, epochs);
    }
    assert_eq!(epochs, 10);
    assert!(trainer.history().is_empty(), "no metrics kept");
}
