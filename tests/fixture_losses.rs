//! Per-epoch losses of two presets, recorded natively in tests/fixtures/losses.json. The browser
//! test (tests/web.rs) trains the same specs in wasm and compares against the same file, so
//! together they show that native and wasm training agree. `UPDATE_FIXTURES=1 cargo test`
//! rewrites the file after an intended change to the numbers.
#![cfg(not(target_arch = "wasm32"))]

use dfdx_playground::presets;
use dfdx_playground::{NetworkSpec, Trainer};
use serde_json::{json, Value};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/losses.json");

/// Relative tolerance between native and wasm losses. Both run the same f32 operations in
/// the same order, but the x86_64 matmul kernels use FMA and the two targets' `exp` and `ln`
/// round differently in the last bit. Measured on x86_64 against Chromium 156: at most about
/// 1e-7 relative over these epochs.
const TOLERANCE: f64 = 1e-5;

fn cases() -> Vec<(&'static str, NetworkSpec)> {
    let mut spiral = presets::spiral();
    spiral.epochs = 5;
    vec![
        ("keras-iris", presets::keras_iris()),
        ("spiral-5-epochs", spiral),
    ]
}

fn losses(spec: &NetworkSpec) -> Vec<f64> {
    let mut trainer = Trainer::new(spec).expect("valid spec");
    let mut losses = Vec::new();
    while let Some(metrics) = trainer.train_epoch().expect("training succeeds") {
        losses.push(metrics.train_loss);
    }
    losses
}

#[test]
fn native_losses_match_fixture() {
    let mut actual = serde_json::Map::new();
    for (name, spec) in cases() {
        actual.insert(
            name.to_string(),
            json!({ "spec": spec, "train_loss": losses(&spec) }),
        );
    }
    let actual = Value::Object(actual);
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(
            FIXTURE,
            serde_json::to_string_pretty(&actual).unwrap() + "\n",
        )
        .unwrap();
    }
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap())
        .expect("fixture is JSON; UPDATE_FIXTURES=1 cargo test rewrites it");
    for (name, _) in cases() {
        assert_eq!(
            actual[name]["spec"], expected[name]["spec"],
            "{name}: spec changed"
        );
        let actual = actual[name]["train_loss"].as_array().unwrap();
        let expected = expected[name]["train_loss"].as_array().unwrap();
        assert_eq!(actual.len(), expected.len(), "{name}: epoch count");
        for (epoch, (a, e)) in actual.iter().zip(expected).enumerate() {
            let (a, e) = (a.as_f64().unwrap(), e.as_f64().unwrap());
            assert!(
                (a - e).abs() <= TOLERANCE * e.abs(),
                "{name} epoch {}: native loss {a}, fixture {e}",
                epoch + 1
            );
        }
    }
}
