//! Spec validation: each bad field gives its own error with the value and the allowed range,
//! good specs resolve to the expected layer plan, and JSON parsing rejects malformed specs.
#![cfg(not(target_arch = "wasm32"))]

use dfdx_playground::presets::{self, keras_iris};
use dfdx_playground::spec::{
    Activation, CsvSpec, DataSet, FeatureShape, LayerPlan, LayerSpec, Loss, OptimizerSpec, Task,
    ValidSpec,
};
use dfdx_playground::{NetworkSpec, PlaygroundError, Trainer};

/// Returns the Keras preset with `change` applied.
fn keras_with(change: impl FnOnce(&mut NetworkSpec)) -> NetworkSpec {
    let mut spec = keras_iris();
    change(&mut spec);
    spec
}

fn dense(units: i64, activation: Activation) -> LayerSpec {
    LayerSpec::Dense { units, activation }
}

fn dense_plan(inputs: usize, units: usize, activation: Activation) -> LayerPlan {
    LayerPlan::Dense {
        inputs,
        units,
        activation,
    }
}

fn set_learning_rate(spec: &mut NetworkSpec, value: f64) {
    match &mut spec.optimizer {
        OptimizerSpec::Sgd { learning_rate, .. }
        | OptimizerSpec::Adam { learning_rate, .. }
        | OptimizerSpec::Rmsprop { learning_rate, .. } => *learning_rate = value,
    }
}

fn validate_ok(name: &str, spec: &NetworkSpec) -> ValidSpec {
    match spec.validate() {
        Ok(valid) => valid,
        Err(error) => panic!("case {name}: expected a valid spec, got {error:?} ({error})"),
    }
}

fn validate_err(name: &str, spec: &NetworkSpec) -> PlaygroundError {
    match spec.validate() {
        Ok(valid) => panic!("case {name}: expected an error, got {valid:?}"),
        Err(error) => error,
    }
}

/// Builds a spec on a generated 2-D set with one tanh layer and binary cross-entropy.
fn two_d_spec(set: DataSet) -> NetworkSpec {
    keras_with(|spec| {
        spec.data.set = set;
        spec.data.samples = 200;
        spec.layers = vec![dense(8, Activation::Tanh)];
        spec.loss = Loss::BinaryCrossEntropy;
    })
}

/// Returns `two_d_spec(set)` with `change` applied.
fn two_d_with(set: DataSet, change: impl FnOnce(&mut NetworkSpec)) -> NetworkSpec {
    let mut spec = two_d_spec(set);
    change(&mut spec);
    spec
}

struct RangeCase {
    name: &'static str,
    spec: NetworkSpec,
    field: &'static str,
    value: &'static str,
    min: &'static str,
    max: &'static str,
}

fn range_case(
    name: &'static str,
    spec: NetworkSpec,
    field: &'static str,
    value: &'static str,
    min: &'static str,
    max: &'static str,
) -> RangeCase {
    RangeCase {
        name,
        spec,
        field,
        value,
        min,
        max,
    }
}

fn range_cases() -> Vec<RangeCase> {
    vec![
        range_case(
            "units 0",
            keras_with(|spec| spec.layers[0] = dense(0, Activation::Relu)),
            "layers[0].units",
            "0",
            "1",
            "1024",
        ),
        range_case(
            "units 1025",
            keras_with(|spec| spec.layers[0] = dense(1025, Activation::Relu)),
            "layers[0].units",
            "1025",
            "1",
            "1024",
        ),
        range_case(
            "units -3",
            keras_with(|spec| spec.layers[1] = dense(-3, Activation::Relu)),
            "layers[1].units",
            "-3",
            "1",
            "1024",
        ),
        range_case(
            "dropout rate 1",
            keras_with(|spec| spec.layers.insert(1, LayerSpec::Dropout { rate: 1.0 })),
            "layers[1].rate",
            "1",
            "0",
            "0.95",
        ),
        range_case(
            "dropout rate -0.1",
            keras_with(|spec| spec.layers.insert(1, LayerSpec::Dropout { rate: -0.1 })),
            "layers[1].rate",
            "-0.1",
            "0",
            "0.95",
        ),
        range_case(
            "dropout rate NaN",
            keras_with(|spec| spec.layers.push(LayerSpec::Dropout { rate: f64::NAN })),
            "layers[2].rate",
            "NaN",
            "0",
            "0.95",
        ),
        range_case(
            "17 hidden layers",
            keras_with(|spec| spec.layers = vec![dense(8, Activation::Relu); 17]),
            "layers (count)",
            "17",
            "0",
            "16",
        ),
        range_case(
            "batch_size 0",
            keras_with(|spec| spec.batch_size = 0),
            "batch_size",
            "0",
            "1",
            "4096",
        ),
        range_case(
            "batch_size 4097",
            keras_with(|spec| spec.batch_size = 4097),
            "batch_size",
            "4097",
            "1",
            "4096",
        ),
        range_case(
            "epochs 0",
            keras_with(|spec| spec.epochs = 0),
            "epochs",
            "0",
            "1",
            "10000",
        ),
        range_case(
            "seed -1",
            keras_with(|spec| spec.seed = -1),
            "seed",
            "-1",
            "0",
            "4294967295",
        ),
        range_case(
            "seed 2^32",
            keras_with(|spec| spec.seed = 1 << 32),
            "seed",
            "4294967296",
            "0",
            "4294967295",
        ),
        range_case(
            "learning_rate 0",
            keras_with(|spec| set_learning_rate(spec, 0.0)),
            "optimizer.learning_rate",
            "0",
            "above 0",
            "10",
        ),
        range_case(
            "learning_rate NaN",
            keras_with(|spec| set_learning_rate(spec, f64::NAN)),
            "optimizer.learning_rate",
            "NaN",
            "above 0",
            "10",
        ),
        range_case(
            "learning_rate infinite",
            keras_with(|spec| set_learning_rate(spec, f64::INFINITY)),
            "optimizer.learning_rate",
            "inf",
            "above 0",
            "10",
        ),
        range_case(
            "learning_rate 11",
            keras_with(|spec| set_learning_rate(spec, 11.0)),
            "optimizer.learning_rate",
            "11",
            "above 0",
            "10",
        ),
        range_case(
            "adam beta1 1",
            keras_with(|spec| {
                spec.optimizer = OptimizerSpec::Adam {
                    learning_rate: 0.001,
                    beta1: 1.0,
                    beta2: 0.999,
                    epsilon: 1e-7,
                }
            }),
            "optimizer.beta1",
            "1",
            "0",
            "0.9999",
        ),
        range_case(
            "adam beta2 1",
            keras_with(|spec| {
                spec.optimizer = OptimizerSpec::Adam {
                    learning_rate: 0.001,
                    beta1: 0.9,
                    beta2: 1.0,
                    epsilon: 1e-7,
                }
            }),
            "optimizer.beta2",
            "1",
            "0",
            "0.9999",
        ),
        range_case(
            "adam epsilon 0",
            keras_with(|spec| {
                spec.optimizer = OptimizerSpec::Adam {
                    learning_rate: 0.001,
                    beta1: 0.9,
                    beta2: 0.999,
                    epsilon: 0.0,
                }
            }),
            "optimizer.epsilon",
            "0",
            "above 0",
            "1",
        ),
        range_case(
            "sgd momentum 1",
            keras_with(|spec| {
                spec.optimizer = OptimizerSpec::Sgd {
                    learning_rate: 0.01,
                    momentum: 1.0,
                }
            }),
            "optimizer.momentum",
            "1",
            "0",
            "0.9999",
        ),
        range_case(
            "rmsprop rho 1",
            keras_with(|spec| {
                spec.optimizer = OptimizerSpec::Rmsprop {
                    learning_rate: 0.001,
                    rho: 1.0,
                    epsilon: 1e-7,
                    momentum: 0.0,
                }
            }),
            "optimizer.rho",
            "1",
            "0",
            "0.9999",
        ),
        range_case(
            "rmsprop momentum -0.5",
            keras_with(|spec| {
                spec.optimizer = OptimizerSpec::Rmsprop {
                    learning_rate: 0.001,
                    rho: 0.9,
                    epsilon: 1e-7,
                    momentum: -0.5,
                }
            }),
            "optimizer.momentum",
            "-0.5",
            "0",
            "0.9999",
        ),
        range_case(
            "train_percent 5",
            keras_with(|spec| spec.data.train_percent = 5.0),
            "data.train_percent",
            "5",
            "10",
            "100",
        ),
        range_case(
            "train_percent 100.5",
            keras_with(|spec| spec.data.train_percent = 100.5),
            "data.train_percent",
            "100.5",
            "10",
            "100",
        ),
        range_case(
            "samples 10 on circle",
            keras_with(|spec| {
                spec.data.set = DataSet::Circle;
                spec.data.samples = 10;
            }),
            "data.samples",
            "10",
            "20",
            "10000",
        ),
        range_case(
            "samples 10001 on xor",
            keras_with(|spec| {
                spec.data.set = DataSet::Xor;
                spec.data.samples = 10001;
            }),
            "data.samples",
            "10001",
            "20",
            "10000",
        ),
        range_case(
            "noise 60",
            two_d_with(DataSet::Spiral, |spec| spec.data.noise = 60.0),
            "data.noise",
            "60",
            "0",
            "50",
        ),
        range_case(
            "noise -1",
            two_d_with(DataSet::Gaussian, |spec| spec.data.noise = -1.0),
            "data.noise",
            "-1",
            "0",
            "50",
        ),
    ]
}

#[test]
fn out_of_range_fields_rejected() {
    for case in range_cases() {
        let name = case.name;
        let error = validate_err(name, &case.spec);
        // "above 0" marks a range that excludes its minimum.
        let (min, min_exclusive) = match case.min.strip_prefix("above ") {
            Some(min) => (min, true),
            None => (case.min, false),
        };
        let expected = PlaygroundError::OutOfRange {
            field: case.field.to_string(),
            value: case.value.to_string(),
            min: min.to_string(),
            max: case.max.to_string(),
            min_exclusive,
        };
        assert_eq!(error, expected, "case {name}");

        let message = error.to_string();
        let names_value = format!("{} is {}", case.field, case.value);
        assert!(
            message.contains(&names_value),
            "case {name}: message {message:?} lacks {names_value:?}"
        );
        let names_range = if min_exclusive {
            format!("use a value above {min} and at most {}", case.max)
        } else {
            format!("use a value from {min} to {}", case.max)
        };
        assert!(
            message.contains(&names_range),
            "case {name}: message {message:?} lacks {names_range:?}"
        );

        let from_trainer = Trainer::new(&case.spec).err();
        assert_eq!(from_trainer, Some(error), "case {name}: Trainer::new");
    }
}

#[test]
fn iris_train_99_9_empties_test() {
    let spec = keras_with(|spec| spec.data.train_percent = 99.9);
    let error = validate_err("train_percent 99.9", &spec);
    assert_eq!(
        error,
        PlaygroundError::EmptySplit {
            split: "test".to_string(),
            rows: 150,
            train_percent: 99.9,
        }
    );

    let message = error.to_string();
    for part in ["99.9%", "150 rows", "test split", "100% for no test split"] {
        assert!(message.contains(part), "message {message:?} lacks {part:?}");
    }
}

#[test]
fn small_2d_set_empties_test() {
    // 97.5% of 20 rows rounds to 20 training rows, leaving none to test on.
    let mut spec = two_d_spec(DataSet::Xor);
    spec.data.samples = 20;
    spec.data.train_percent = 97.5;
    let error = validate_err("20 samples, train_percent 97.5", &spec);
    assert_eq!(
        error,
        PlaygroundError::EmptySplit {
            split: "test".to_string(),
            rows: 20,
            train_percent: 97.5,
        }
    );

    let mut passing = spec.clone();
    passing.data.train_percent = 97.0;
    let valid = validate_ok("20 samples, train_percent 97", &passing);
    assert_eq!(valid.samples, 20);
}

#[test]
fn binary_cross_entropy_rejects_iris() {
    let spec = keras_with(|spec| spec.loss = Loss::BinaryCrossEntropy);
    let error = validate_err("binary_cross_entropy on iris", &spec);
    assert_eq!(
        error,
        PlaygroundError::LossNeedsTwoClasses {
            loss: "binary cross-entropy".to_string(),
            data: "iris".to_string(),
            classes: 3,
        }
    );

    let message = error.to_string();
    for part in ["needs 2 classes", "iris has 3", "pick cross-entropy or MSE"] {
        assert!(message.contains(part), "message {message:?} lacks {part:?}");
    }
}

#[test]
fn too_many_parameters_rejected() {
    // (4 + 1) * 1024 + 4 * (1024 + 1) * 1024 + (1024 + 1) * 3 = 4_206_595 parameters.
    let spec = keras_with(|spec| spec.layers = vec![dense(1024, Activation::Relu); 5]);
    let error = validate_err("5 layers of 1024", &spec);
    assert_eq!(
        error,
        PlaygroundError::TooManyParameters {
            count: 4_206_595,
            max: 4_000_000,
        }
    );

    let message = error.to_string();
    for part in [
        "4206595 parameters",
        "limit of 4000000",
        "fewer or narrower layers",
    ] {
        assert!(message.contains(part), "message {message:?} lacks {part:?}");
    }
}

#[test]
fn too_much_activation_memory_rejected() {
    // 4 layers of 1024 hold 3_156_995 parameters, under the cap of 4_000_000. A batch of 4096
    // rows through 4 + 4 * 1024 + 3 = 4103 units, at 16 bytes per unit and row, needs
    // 268_894_208 bytes, just over the 256 MiB (268_435_456 bytes) limit.
    let spec = keras_with(|spec| {
        spec.layers = vec![dense(1024, Activation::Relu); 4];
        spec.batch_size = 4096;
    });
    let error = validate_err("4 layers of 1024, batch 4096", &spec);
    assert_eq!(
        error,
        PlaygroundError::TooMuchActivationMemory {
            bytes: 268_894_208,
            max: 268_435_456,
            batch_size: 4096,
        }
    );

    let message = error.to_string();
    for part in [
        "batch of 4096",
        "about 257 MiB",
        "limit of 256 MiB",
        "smaller batch or narrower layers",
    ] {
        assert!(message.contains(part), "message {message:?} lacks {part:?}");
    }

    let mut half_batch = spec.clone();
    half_batch.batch_size = 2048;
    let valid = validate_ok("4 layers of 1024, batch 2048", &half_batch);
    assert_eq!(valid.parameters(), 3_156_995);
}

/// Parses `json`, expecting an `InvalidSpec` error whose message contains each of `parts`.
fn assert_json_rejected(name: &str, json: &str, parts: &[&str]) {
    let error = match NetworkSpec::from_json(json) {
        Ok(spec) => panic!("case {name}: expected an error, got {spec:?}"),
        Err(error) => error,
    };
    let PlaygroundError::InvalidSpec { message } = &error else {
        panic!("case {name}: expected InvalidSpec, got {error:?}");
    };
    for part in parts {
        assert!(
            message.contains(part),
            "case {name}: message {message:?} lacks {part:?}"
        );
    }

    let display = error.to_string();
    assert!(
        display.starts_with("The network spec is invalid: "),
        "case {name}: display {display:?}"
    );
    assert!(
        display.contains(message.as_str()),
        "case {name}: display {display:?} lacks {message:?}"
    );
}

#[test]
fn json_errors_name_the_problem() {
    let json = keras_iris().to_json();
    let replace = |from: &str, to: &str| {
        assert!(json.contains(from), "{json} lacks {from:?}");
        json.replacen(from, to, 1)
    };

    assert_json_rejected(
        "unknown top-level field",
        &replace("{\"data\"", "{\"colour\":\"red\",\"data\""),
        &["unknown field `colour`"],
    );
    assert_json_rejected(
        "unknown layer field",
        &replace("\"units\":64", "\"units\":64,\"bias\":false"),
        &["unknown field `bias`"],
    );
    assert_json_rejected(
        "unknown activation",
        &replace("\"relu\"", "\"swish\""),
        &["unknown variant `swish`", "leaky_relu", "gelu"],
    );
    assert_json_rejected(
        "unknown optimizer",
        &replace("\"type\":\"adam\"", "\"type\":\"adagrad\""),
        &["unknown variant `adagrad`", "rmsprop"],
    );
    assert_json_rejected(
        "unknown data set",
        &replace("\"iris\"", "\"mnist\""),
        &["unknown variant `mnist`", "spiral"],
    );
    assert_json_rejected(
        "batch_size as string",
        &replace("\"batch_size\":32", "\"batch_size\":\"32\""),
        &["invalid type: string \"32\"", "i64"],
    );
    assert_json_rejected(
        "units as float",
        &replace("\"units\":64", "\"units\":64.5"),
        &["invalid type: floating point `64.5`", "i64"],
    );
    assert_json_rejected(
        "missing epochs",
        &replace(",\"epochs\":10", ""),
        &["missing field `epochs`"],
    );
    assert_json_rejected("not JSON", "dense 64 relu", &["expected value"]);
}

#[test]
fn json_defaults_match_keras() {
    let json = r#"{
        "data": {"set": "circle"},
        "layers": [{"type": "dense", "units": 4, "activation": "relu"}],
        "loss": "binary_cross_entropy",
        "optimizer": {"type": "adam", "learning_rate": 0.001},
        "batch_size": 10,
        "epochs": 5,
        "seed": 3
    }"#;
    let spec = NetworkSpec::from_json(json).expect("minimal spec parses");
    assert_eq!(spec.data.train_percent, 100.0);
    assert_eq!(spec.data.noise, 0.0);
    assert_eq!(spec.data.samples, 500);
    assert!(spec.data.standardize, "standardize defaults to true");
    assert_eq!(
        spec.optimizer,
        OptimizerSpec::Adam {
            learning_rate: 0.001,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-7,
        }
    );

    let rmsprop = json.replace(r#""type": "adam""#, r#""type": "rmsprop""#);
    let spec = NetworkSpec::from_json(&rmsprop).expect("minimal RMSprop spec parses");
    assert_eq!(
        spec.optimizer,
        OptimizerSpec::Rmsprop {
            learning_rate: 0.001,
            rho: 0.9,
            epsilon: 1e-7,
            momentum: 0.0,
        }
    );

    let sgd = json.replace(r#""type": "adam""#, r#""type": "sgd""#);
    let spec = NetworkSpec::from_json(&sgd).expect("minimal SGD spec parses");
    assert_eq!(
        spec.optimizer,
        OptimizerSpec::Sgd {
            learning_rate: 0.001,
            momentum: 0.0,
        }
    );
}

#[test]
fn presets_round_trip_json() {
    for preset in presets::all() {
        let json = preset.spec.to_json();
        let parsed = NetworkSpec::from_json(&json);
        assert_eq!(
            parsed,
            Ok(preset.spec.clone()),
            "preset {}: {json}",
            preset.id
        );
    }
}

#[test]
fn presets_are_valid() {
    for preset in presets::all() {
        let valid = validate_ok(preset.id, &preset.spec);
        assert_eq!(valid.spec, preset.spec, "preset {}", preset.id);
    }
}

#[test]
fn keras_preset_plan_has_4675_parameters() {
    let valid = validate_ok("keras", &keras_iris());
    assert_eq!(valid.features, 4);
    assert_eq!(valid.classes, 3);
    assert_eq!(
        valid.layers,
        [
            dense_plan(4, 64, Activation::Relu),
            dense_plan(64, 64, Activation::Relu),
            dense_plan(64, 3, Activation::Linear),
        ]
    );
    let per_layer: Vec<u64> = valid.layers.iter().map(LayerPlan::parameters).collect();
    assert_eq!(per_layer, [4 * 64 + 64, 64 * 64 + 64, 64 * 3 + 3]);
    assert_eq!(valid.parameters(), 4675);
    assert_eq!(valid.batch_size, 32);
    assert_eq!(valid.epochs, 10);
    assert_eq!(valid.seed, 0);
    assert_eq!(valid.samples, 150);
}

#[test]
fn no_hidden_layers_is_valid() {
    let spec = keras_with(|spec| spec.layers.clear());
    let valid = validate_ok("0 hidden layers", &spec);
    assert_eq!(valid.layers, [dense_plan(4, 3, Activation::Linear)]);
    assert_eq!(valid.parameters(), 15);
}

#[test]
fn dropout_zero_keeps_width() {
    let spec = keras_with(|spec| spec.layers.insert(1, LayerSpec::Dropout { rate: 0.0 }));
    let valid = validate_ok("dropout 0", &spec);
    assert_eq!(
        valid.layers,
        [
            dense_plan(4, 64, Activation::Relu),
            LayerPlan::Dropout {
                shape: FeatureShape::Flat(64),
                rate: 0.0,
            },
            dense_plan(64, 64, Activation::Relu),
            dense_plan(64, 3, Activation::Linear),
        ]
    );
    assert_eq!(valid.parameters(), 4675);
}

#[test]
fn every_activation_is_valid() {
    let activations = [
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::LeakyRelu,
        Activation::Gelu,
        Activation::Linear,
    ];
    for activation in activations {
        let spec = keras_with(|spec| spec.layers = vec![dense(8, activation)]);
        let valid = validate_ok(&format!("{activation:?}"), &spec);
        assert_eq!(
            valid.layers,
            [
                dense_plan(4, 8, activation),
                dense_plan(8, 3, Activation::Linear),
            ],
            "activation {activation:?}"
        );
        assert_eq!(
            valid.parameters(),
            5 * 8 + 9 * 3,
            "activation {activation:?}"
        );
    }
}

#[test]
fn every_optimizer_is_valid() {
    let optimizers = [
        OptimizerSpec::Sgd {
            learning_rate: 0.1,
            momentum: 0.9,
        },
        OptimizerSpec::Sgd {
            learning_rate: 0.1,
            momentum: 0.0,
        },
        OptimizerSpec::Adam {
            learning_rate: 0.001,
            beta1: 0.0,
            beta2: 0.9999,
            epsilon: 1.0,
        },
        OptimizerSpec::Rmsprop {
            learning_rate: 0.001,
            rho: 0.9,
            epsilon: 1e-7,
            momentum: 0.5,
        },
    ];
    for optimizer in optimizers {
        let spec = keras_with(|spec| spec.optimizer = optimizer.clone());
        let valid = validate_ok(&format!("{optimizer:?}"), &spec);
        assert_eq!(valid.spec.optimizer, optimizer);
    }
}

#[test]
fn each_2d_set_takes_binary_cross_entropy() {
    for set in [
        DataSet::Circle,
        DataSet::Xor,
        DataSet::Gaussian,
        DataSet::Spiral,
    ] {
        let valid = validate_ok(set.name(), &two_d_spec(set));
        assert_eq!(valid.features, 2, "set {set:?}");
        assert_eq!(valid.classes, 2, "set {set:?}");
        assert_eq!(valid.samples, 200, "set {set:?}");
        assert_eq!(
            valid.layers,
            [
                dense_plan(2, 8, Activation::Tanh),
                dense_plan(8, 1, Activation::Linear),
            ],
            "set {set:?}"
        );
        assert_eq!(valid.parameters(), 3 * 8 + 9, "set {set:?}");
    }
}

#[test]
fn iris_takes_mean_squared_error() {
    let spec = keras_with(|spec| spec.loss = Loss::MeanSquaredError);
    let valid = validate_ok("mean_squared_error on iris", &spec);
    assert_eq!(
        valid.layers.last(),
        Some(&dense_plan(64, 3, Activation::Linear))
    );
    assert_eq!(valid.parameters(), 4675);
}

#[test]
fn boundary_values_are_valid() {
    let cases = [
        (
            "units 1",
            keras_with(|spec| spec.layers[0] = dense(1, Activation::Relu)),
        ),
        (
            "units 1024",
            keras_with(|spec| spec.layers[0] = dense(1024, Activation::Relu)),
        ),
        (
            "dropout rate 0.95",
            keras_with(|spec| spec.layers.insert(1, LayerSpec::Dropout { rate: 0.95 })),
        ),
        (
            "16 hidden layers",
            keras_with(|spec| spec.layers = vec![dense(8, Activation::Relu); 16]),
        ),
        ("batch_size 1", keras_with(|spec| spec.batch_size = 1)),
        ("batch_size 4096", keras_with(|spec| spec.batch_size = 4096)),
        ("epochs 1", keras_with(|spec| spec.epochs = 1)),
        ("epochs 10000", keras_with(|spec| spec.epochs = 10_000)),
        (
            "seed 2^32 - 1",
            keras_with(|spec| spec.seed = 4_294_967_295),
        ),
        (
            "learning_rate 10",
            keras_with(|spec| set_learning_rate(spec, 10.0)),
        ),
        (
            "learning_rate 1e-9",
            keras_with(|spec| set_learning_rate(spec, 1e-9)),
        ),
        (
            "sgd momentum 0.9999",
            keras_with(|spec| {
                spec.optimizer = OptimizerSpec::Sgd {
                    learning_rate: 0.01,
                    momentum: 0.9999,
                }
            }),
        ),
        (
            "train_percent 10",
            keras_with(|spec| spec.data.train_percent = 10.0),
        ),
        (
            "train_percent 99",
            keras_with(|spec| spec.data.train_percent = 99.0),
        ),
        (
            "samples 20",
            two_d_with(DataSet::Circle, |spec| spec.data.samples = 20),
        ),
        (
            "samples 10000",
            two_d_with(DataSet::Circle, |spec| spec.data.samples = 10000),
        ),
        (
            "noise 50",
            two_d_with(DataSet::Xor, |spec| spec.data.noise = 50.0),
        ),
        (
            "iris ignores samples",
            keras_with(|spec| spec.data.samples = 0),
        ),
    ];
    for (name, spec) in cases {
        validate_ok(name, &spec);
    }
}

#[test]
fn shipped_sets_validate_without_text() {
    // (set, features, classes, rows)
    for (set, features, classes, rows) in [
        (DataSet::Wine, 13, 3, 178),
        (DataSet::BreastCancer, 30, 2, 569),
        (DataSet::Digits, 64, 10, 1797),
    ] {
        let spec = keras_with(|spec| spec.data.set = set);
        let valid = validate_ok(set.name(), &spec);
        assert_eq!(valid.features, features, "{set:?}: features");
        assert_eq!(valid.classes, classes, "{set:?}: classes");
        assert_eq!(valid.samples, rows, "{set:?}: rows");
    }
    let digits_binary = keras_with(|spec| {
        spec.data.set = DataSet::Digits;
        spec.loss = Loss::BinaryCrossEntropy;
    });
    let error = validate_err("digits with binary cross-entropy", &digits_binary);
    assert_eq!(
        error.to_string(),
        "The binary cross-entropy loss needs 2 classes, but digits has 10; \
         pick cross-entropy or MSE."
    );
}

fn csv_spec(shape: Option<CsvSpec>) -> NetworkSpec {
    keras_with(|spec| {
        spec.data.set = DataSet::Csv;
        spec.data.csv = shape;
    })
}

#[test]
fn csv_shape_comes_from_spec() {
    let shape = CsvSpec {
        label_column: 0,
        rows: 40,
        features: 7,
        classes: 5,
        task: Task::Classification,
    };
    let valid = validate_ok("csv", &csv_spec(Some(shape.clone())));
    assert_eq!((valid.features, valid.classes, valid.samples), (7, 5, 40));

    let error = validate_err("csv without shape", &csv_spec(None));
    assert!(error.to_string().contains("data.csv is missing"), "{error}");
    let cases = [
        (
            "data.csv.rows",
            CsvSpec {
                rows: 9,
                ..shape.clone()
            },
            "9",
            "from 10 to 100000",
        ),
        (
            "data.csv.classes",
            CsvSpec {
                classes: 1,
                ..shape.clone()
            },
            "1",
            "from 2 to 100",
        ),
        (
            "data.csv.features",
            CsvSpec {
                features: 0,
                ..shape.clone()
            },
            "0",
            "from 1 to 10000",
        ),
    ];
    for (field, bad, value, range) in cases {
        let message = validate_err(field, &csv_spec(Some(bad))).to_string();
        assert!(
            message.starts_with(&format!("{field} is {value}")),
            "{message}"
        );
        assert!(message.contains(range), "{message}");
    }
}

#[test]
fn csv_spec_without_text_says_upload() {
    let spec = csv_spec(Some(CsvSpec {
        label_column: 2,
        rows: 12,
        features: 2,
        classes: 2,
        task: Task::Classification,
    }));
    let error = Trainer::new(&spec).err().unwrap();
    assert_eq!(
        error.to_string(),
        "No CSV file is loaded; upload the file again with Upload CSV."
    );
    // A file whose shape differs from the spec's is reported, not trained on.
    let text = "a,b,c\n".to_string() + &"1,2,x\n3,4,y\n".repeat(7);
    let error = Trainer::with_text(&spec, Some(&text)).err().unwrap();
    assert!(
        error.to_string().contains(
            "the CSV file has 14 rows, 2 features and 2 classes, but the spec expects 12, 2 and 2"
        ),
        "{error}"
    );
}

#[test]
fn regression_sets_have_one_linear_output() {
    for set in [DataSet::Plane, DataSet::MultiGaussian] {
        let spec = two_d_with(set, |spec| spec.loss = Loss::MeanSquaredError);
        let valid = validate_ok(set.name(), &spec);
        assert_eq!(valid.task, Task::Regression, "{set:?}: task");
        assert_eq!(valid.classes, 0, "{set:?}: classes");
        assert_eq!(
            valid.layers.last(),
            Some(&dense_plan(8, 1, Activation::Linear)),
            "{set:?}: output layer"
        );
        let summary = Trainer::new(&spec).unwrap().summary();
        let output = summary.layers.last().unwrap();
        assert_eq!(output.activation.as_deref(), Some("linear"), "{set:?}");
        assert!(summary.data.class_names.is_empty(), "{set:?}: class names");
    }
}

#[test]
fn regression_rejects_cross_entropy() {
    for (loss, name) in [
        (Loss::CrossEntropy, "cross-entropy"),
        (Loss::BinaryCrossEntropy, "binary cross-entropy"),
    ] {
        let spec = two_d_with(DataSet::Plane, |spec| spec.loss = loss);
        let error = validate_err(name, &spec);
        assert_eq!(
            error,
            PlaygroundError::LossNeedsClasses {
                loss: name.to_string(),
                data: "plane".to_string(),
            }
        );
        assert_eq!(
            error.to_string(),
            format!(
                "The {name} loss needs class labels, but plane is a regression data set with \
                 a real-valued target; pick mean squared error."
            )
        );
    }
}

#[test]
fn csv_task_defaults_to_classification() {
    // A spec stored before the task field existed still reads, as classification.
    let json = r#"{"label_column":2,"rows":12,"features":2,"classes":3}"#;
    let shape: CsvSpec = serde_json::from_str(json).unwrap();
    assert_eq!(shape.task, Task::Classification);

    let regression = CsvSpec {
        label_column: 0,
        rows: 40,
        features: 3,
        classes: 0,
        task: Task::Regression,
    };
    let mut spec = csv_spec(Some(regression.clone()));
    validate_err("csv regression with cross-entropy", &spec);
    spec.loss = Loss::MeanSquaredError;
    let valid = validate_ok("csv regression", &spec);
    assert_eq!((valid.task, valid.classes), (Task::Regression, 0));
    let output = valid.layers.last().unwrap();
    assert_eq!(output.output_units(), 1);

    // A regression shape with classes is inconsistent.
    let mut with_classes = csv_spec(Some(CsvSpec {
        classes: 3,
        ..regression
    }));
    with_classes.loss = Loss::MeanSquaredError;
    let message = validate_err("regression with classes", &with_classes).to_string();
    assert!(message.starts_with("data.csv.classes is 3"), "{message}");
}

#[test]
fn validation_split_sizes() {
    // Iris, 80% training: 120 rows, of which 25% (30) validate; 30 rows test.
    let spec = keras_with(|spec| {
        spec.data.train_percent = 80.0;
        spec.data.validation_percent = 25.0;
    });
    let trainer = Trainer::new(&spec).unwrap();
    let summary = trainer.summary().data;
    assert_eq!(
        (
            summary.train_rows,
            summary.validation_rows,
            summary.test_rows
        ),
        (90, 30, 30)
    );

    // Without a test split the validation rows come from all 150.
    let spec = keras_with(|spec| spec.data.validation_percent = 10.0);
    let summary = Trainer::new(&spec).unwrap().summary().data;
    assert_eq!(
        (
            summary.train_rows,
            summary.validation_rows,
            summary.test_rows
        ),
        (135, 15, 0)
    );

    // A JSON spec without the field has no validation split.
    let json = keras_iris()
        .to_json()
        .replace(",\"validation_percent\":0.0", "");
    assert!(!json.contains("validation_percent"), "{json}");
    let spec = NetworkSpec::from_json(&json).unwrap();
    assert_eq!(spec.data.validation_percent, 0.0);
}

#[test]
fn validation_split_rejects_empty_sides() {
    // 20 rows at 10% training leave 2 training rows; 10% of 2 rounds to 0 validation rows.
    let mut spec = two_d_spec(DataSet::Xor);
    spec.data.samples = 20;
    spec.data.train_percent = 10.0;
    spec.data.validation_percent = 10.0;
    let error = validate_err("validation rounds to 0", &spec);
    assert_eq!(
        error,
        PlaygroundError::EmptyValidationSplit {
            split: "validation".to_string(),
            training_rows: 2,
            validation_percent: 10.0,
        }
    );
    assert_eq!(
        error.to_string(),
        "A validation share of 10% of 2 training rows leaves the validation split empty; pick \
         a share that leaves rows in both, or 0% for no validation split."
    );

    // A 10-row CSV file at 10% training has 1 training row; 50% of it rounds to 1, leaving
    // no training rows.
    let mut spec = csv_spec(Some(CsvSpec {
        label_column: 2,
        rows: 10,
        features: 2,
        classes: 2,
        task: Task::Classification,
    }));
    spec.data.train_percent = 10.0;
    spec.data.validation_percent = 50.0;
    let error = validate_err("validation takes every training row", &spec);
    assert_eq!(
        error,
        PlaygroundError::EmptyValidationSplit {
            split: "training".to_string(),
            training_rows: 1,
            validation_percent: 50.0,
        }
    );

    let mut spec = keras_with(|spec| spec.data.validation_percent = 50.5);
    let message = validate_err("validation above 50", &spec).to_string();
    assert_eq!(
        message,
        "data.validation_percent is 50.5, which is out of range; use a value from 0 to 50."
    );
    spec.data.validation_percent = -1.0;
    validate_err("negative validation", &spec);
}
