//! Generated Keras and PyTorch scripts: every preset and a table of variations compile with
//! `python3 -m py_compile`, the code carries the spec's layers, loss, optimizer and data, and
//! an invalid spec returns its validation error. The scripts are only compiled, never run,
//! because that would need Keras, PyTorch and scikit-learn.
#![cfg(not(target_arch = "wasm32"))]

use dfdx_playground::codegen::{keras, python_float, pytorch};
use dfdx_playground::presets::{self, keras_iris};
use dfdx_playground::spec::{
    Activation, CsvSpec, DataSet, LayerSpec, Loss, OptimizerSpec, Padding, Task,
};
use dfdx_playground::{NetworkSpec, PlaygroundError};
use std::fs;
use std::io::ErrorKind;
use std::path::PathBuf;
use std::process::Command;

/// Returns the Keras preset with `change` applied.
fn keras_with(change: impl FnOnce(&mut NetworkSpec)) -> NetworkSpec {
    let mut spec = keras_iris();
    change(&mut spec);
    spec
}

fn dense(units: i64, activation: Activation) -> LayerSpec {
    LayerSpec::Dense { units, activation }
}

/// Runs python3 with `arguments` and panics with its output, naming `check`, unless it
/// succeeds.
fn run_python(arguments: &[&str], check: &str) {
    let output = match Command::new("python3").args(arguments).output() {
        Ok(output) => output,
        Err(error) if error.kind() == ErrorKind::NotFound => panic!(
            "python3 was not found on PATH; install Python 3 (on Debian, `apt-get install \
             python3`) to check the generated scripts"
        ),
        Err(error) => panic!("python3 failed to start: {error}"),
    };
    assert!(
        output.status.success(),
        "{check} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A temporary folder that is removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "dfdx-playground-codegen-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create a temporary folder");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A code generator of `dfdx_playground::codegen`.
type Generator = fn(&NetworkSpec) -> Result<String, PlaygroundError>;

const GENERATORS: [(&str, Generator); 2] = [("keras", keras), ("pytorch", pytorch)];

/// Generates the Keras and PyTorch scripts of each named spec and compiles each one with
/// `python3 -W error -m py_compile`, which also rejects code that only draws a warning (such
/// as an invalid escape sequence).
fn assert_scripts_compile(folder: &str, specs: &[(String, NetworkSpec)]) {
    let dir = TempDir::new(folder);
    for (name, spec) in specs {
        for (framework, generate) in GENERATORS {
            let code = generate(spec)
                .unwrap_or_else(|error| panic!("{framework} code for {name} failed: {error}"));
            let path = dir.0.join(format!("{name}_{framework}.py"));
            fs::write(&path, &code).expect("write the generated script");
            let path = path.to_str().expect("temporary path is UTF-8");
            run_python(
                &["-W", "error", "-m", "py_compile", path],
                &format!("py_compile of the {framework} code for {name}\n{code}\n"),
            );
        }
    }
}

#[test]
fn presets_compile() {
    let specs: Vec<(String, NetworkSpec)> = presets::all()
        .into_iter()
        .map(|preset| (preset.id.replace('-', "_"), preset.spec))
        .collect();
    assert_eq!(specs.len(), 9);
    assert_scripts_compile("presets", &specs);
}

/// Variations of the Keras preset that cover each branch of the generator.
fn variations() -> Vec<(String, NetworkSpec)> {
    let specs: Vec<(&str, NetworkSpec)> = vec![
        ("no_hidden_layers", keras_with(|spec| spec.layers.clear())),
        (
            "every_activation",
            keras_with(|spec| {
                spec.layers = vec![
                    dense(8, Activation::Relu),
                    dense(8, Activation::Sigmoid),
                    dense(8, Activation::Tanh),
                    dense(8, Activation::LeakyRelu),
                    dense(8, Activation::Gelu),
                    dense(8, Activation::Linear),
                ]
            }),
        ),
        (
            "dropout",
            keras_with(|spec| {
                spec.layers = vec![
                    LayerSpec::Dropout { rate: 0.0 },
                    dense(16, Activation::Relu),
                    LayerSpec::Dropout { rate: 0.5 },
                    dense(16, Activation::Relu),
                    LayerSpec::Dropout { rate: 0.95 },
                ]
            }),
        ),
        ("digits_conv", presets::digits_conv()),
        (
            "image_layers",
            NetworkSpec {
                layers: vec![
                    LayerSpec::BatchNorm,
                    LayerSpec::Conv2d {
                        filters: 4,
                        kernel_size: 2,
                        stride: 2,
                        padding: Padding::Same,
                        activation: Activation::LeakyRelu,
                    },
                    LayerSpec::LayerNorm,
                    LayerSpec::AvgPool2d {
                        pool_size: 2,
                        stride: Some(1),
                    },
                    dense(8, Activation::Gelu),
                    LayerSpec::BatchNorm,
                    LayerSpec::LayerNorm,
                ],
                ..presets::digits()
            },
        ),
        (
            "max_hidden_layers",
            keras_with(|spec| spec.layers = vec![dense(4, Activation::Tanh); 16]),
        ),
        (
            "mean_squared_error",
            keras_with(|spec| spec.loss = Loss::MeanSquaredError),
        ),
        (
            "mean_squared_error_split",
            keras_with(|spec| {
                spec.loss = Loss::MeanSquaredError;
                spec.data.train_percent = 70.0;
            }),
        ),
        (
            "sgd_without_momentum",
            keras_with(|spec| {
                spec.optimizer = OptimizerSpec::Sgd {
                    learning_rate: 0.1,
                    momentum: 0.0,
                }
            }),
        ),
        (
            "sgd_with_momentum",
            keras_with(|spec| {
                spec.optimizer = OptimizerSpec::Sgd {
                    learning_rate: 10.0,
                    momentum: 0.9999,
                }
            }),
        ),
        (
            "rmsprop",
            keras_with(|spec| {
                spec.optimizer = OptimizerSpec::Rmsprop {
                    learning_rate: 0.001,
                    rho: 0.9,
                    epsilon: 1e-7,
                    momentum: 0.0,
                }
            }),
        ),
        (
            "rmsprop_with_momentum",
            keras_with(|spec| {
                spec.optimizer = OptimizerSpec::Rmsprop {
                    learning_rate: 0.1 + 0.2,
                    rho: 0.5,
                    epsilon: 1e-300,
                    momentum: 0.5,
                }
            }),
        ),
        (
            "adam_extreme_values",
            keras_with(|spec| {
                spec.optimizer = OptimizerSpec::Adam {
                    learning_rate: 5e-324,
                    beta1: 0.0,
                    beta2: 0.9999,
                    epsilon: 1.0,
                }
            }),
        ),
        (
            "iris_unstandardized_split",
            keras_with(|spec| {
                spec.data.standardize = false;
                spec.data.train_percent = 10.0;
            }),
        ),
        (
            "large_batch_and_seed",
            keras_with(|spec| {
                spec.batch_size = 4096;
                spec.epochs = 10_000;
                spec.seed = u32::MAX as i64;
            }),
        ),
    ];
    let mut specs: Vec<(String, NetworkSpec)> = specs
        .into_iter()
        .map(|(name, spec)| (name.to_string(), spec))
        .collect();
    for set in [
        DataSet::Circle,
        DataSet::Xor,
        DataSet::Gaussian,
        DataSet::Spiral,
        DataSet::Teacher,
    ] {
        for (suffix, train_percent, standardize) in [
            ("all_rows", 100.0, false),
            ("split_standardized", 37.5, true),
        ] {
            specs.push((
                format!("{}_{suffix}", set.name()),
                keras_with(|spec| {
                    spec.data.set = set;
                    spec.data.samples = 333;
                    spec.data.noise = 12.5;
                    spec.data.train_percent = train_percent;
                    spec.data.standardize = standardize;
                }),
            ));
        }
    }
    // An uploaded file: the script gets a placeholder, since the file stays in the browser.
    specs.push((
        "csv_upload".to_string(),
        keras_with(|spec| {
            spec.data.set = DataSet::Csv;
            spec.data.train_percent = 80.0;
            spec.data.csv = Some(CsvSpec {
                label_column: 4,
                rows: 40,
                features: 4,
                classes: 3,
                task: Task::Classification,
            });
        }),
    ));
    specs.push((
        "csv_regression".to_string(),
        keras_with(|spec| {
            spec.data.set = DataSet::Csv;
            spec.data.train_percent = 80.0;
            spec.data.validation_percent = 20.0;
            spec.loss = Loss::MeanSquaredError;
            spec.data.csv = Some(CsvSpec {
                label_column: 0,
                rows: 40,
                features: 4,
                classes: 0,
                task: Task::Regression,
            });
        }),
    ));
    specs.push((
        "mse_validation".to_string(),
        keras_with(|spec| {
            spec.loss = Loss::MeanSquaredError;
            spec.data.validation_percent = 10.0;
        }),
    ));
    specs.push(("plane".to_string(), presets::plane()));
    specs.push((
        "binary_cross_entropy".to_string(),
        keras_with(|spec| {
            spec.data.set = DataSet::Xor;
            spec.loss = Loss::BinaryCrossEntropy;
        }),
    ));
    specs.push((
        "binary_cross_entropy_no_hidden_layers".to_string(),
        keras_with(|spec| {
            spec.data.set = DataSet::Circle;
            spec.data.train_percent = 50.0;
            spec.loss = Loss::BinaryCrossEntropy;
            spec.layers.clear();
        }),
    ));
    specs
}

#[test]
fn lines_fit_in_88_columns() {
    let mut specs: Vec<(String, NetworkSpec)> = presets::all()
        .into_iter()
        .map(|preset| (preset.id.to_string(), preset.spec))
        .collect();
    specs.extend(variations());
    for (name, spec) in &specs {
        for (framework, code) in [("keras", keras_code(spec)), ("pytorch", pytorch_code(spec))] {
            for line in code.lines() {
                assert!(
                    line.chars().count() <= 88,
                    "{framework} code for {name} has a line of {} characters:\n{line}",
                    line.chars().count()
                );
            }
        }
    }
}

#[test]
fn variations_compile() {
    let specs = variations();
    for (name, spec) in &specs {
        assert!(spec.validate().is_ok(), "variation {name} is invalid");
    }
    assert_scripts_compile("variations", &specs);
}

fn keras_code(spec: &NetworkSpec) -> String {
    keras(spec).expect("valid spec")
}

fn pytorch_code(spec: &NetworkSpec) -> String {
    pytorch(spec).expect("valid spec")
}

fn assert_contains(code: &str, expected: &str) {
    assert!(
        code.contains(expected),
        "expected {expected:?} in the generated code:\n{code}"
    );
}

/// Returns `code` with each comment's lines joined, so that a check can find a phrase that
/// the generator wrapped onto two lines.
fn prose(code: &str) -> String {
    code.replace("\n# ", " ")
}

fn assert_lacks(code: &str, unexpected: &str) {
    assert!(
        !code.contains(unexpected),
        "expected no {unexpected:?} in the generated code:\n{code}"
    );
}

#[test]
fn keras_preset_code() {
    let code = keras_code(&keras_iris());
    assert_contains(&code, "import keras\n");
    assert_contains(&code, "keras.utils.set_random_seed(SEED)");
    assert_contains(&code, "SEED = 0\n");
    assert_contains(&code, "keras.Input(shape=(4,))");
    assert_contains(&code, "keras.layers.Dense(64, activation=\"relu\"),");
    assert_eq!(
        code.matches("keras.layers.Dense(64, activation=\"relu\")")
            .count(),
        2
    );
    assert_contains(&code, "keras.layers.Dense(3, activation=\"softmax\"),");
    assert_contains(&code, "loss=\"sparse_categorical_crossentropy\"");
    assert_contains(&code, "metrics=[\"accuracy\"]");
    assert_contains(&code, "learning_rate=0.001");
    assert_contains(&code, "beta_1=0.9");
    assert_contains(&code, "beta_2=0.999");
    assert_contains(&code, "epsilon=1e-7");
    assert_contains(
        &code,
        "model.fit(x_train, y_train, batch_size=32, epochs=10, shuffle=True)",
    );
    assert_contains(&prose(&code), "Glorot-uniform kernels and zero biases");
}

#[test]
fn pytorch_preset_code() {
    let code = pytorch_code(&keras_iris());
    assert_contains(&code, "import torch\n");
    assert_contains(&code, "from torch import nn\n");
    assert_contains(&code, "SEED = 0\nBATCH_SIZE = 32\nEPOCHS = 10\n");
    assert_contains(&code, "torch.manual_seed(SEED)");
    assert_contains(&code, "nn.Linear(4, 64),\n    nn.ReLU(),\n");
    assert_contains(&code, "nn.Linear(64, 64),\n    nn.ReLU(),\n");
    assert_contains(&code, "nn.Linear(64, 3),  # output logits");
    assert_contains(&code, "loss_fn = nn.CrossEntropyLoss()");
    assert_contains(&code, "nn.init.xavier_uniform_(module.weight)");
    assert_contains(&code, "nn.init.zeros_(module.bias)");
    assert_contains(&code, "model.apply(init_like_playground)");
    assert_contains(
        &code,
        "optimizer = torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), \
         eps=1e-7)",
    );
    assert_contains(&code, "torch.Generator().manual_seed(SEED)");
    assert_contains(&code, "range(0, len(order), BATCH_SIZE)");
}

#[test]
fn header_describes_configuration() {
    let spec = presets::iris_test_split();
    for code in [keras_code(&spec), pytorch_code(&spec)] {
        assert_contains(&code, "dfdx-playground");
        assert_contains(
            &code,
            "# Layers:    Dense 64 relu, Dense 64 relu, Dense 3 softmax (output)\n",
        );
        assert_contains(
            &code,
            "# Data:      Iris, 150 rows, 120 for training and 30 for testing, standardized\n",
        );
        assert_contains(&code, "# Loss:      cross-entropy with softmax\n");
        assert_contains(
            &code,
            "# Optimizer: Adam, learning rate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7\n",
        );
        assert_contains(&code, "# Training:  batch size 32, 100 epochs, seed 0\n");
    }
    assert_contains(&keras_code(&spec), "# Keras 3 version");
    assert_contains(&pytorch_code(&spec), "# PyTorch version");
}

#[test]
fn activations_map_to_layers() {
    let spec = keras_with(|spec| {
        spec.layers = vec![
            dense(5, Activation::Relu),
            dense(6, Activation::Sigmoid),
            dense(7, Activation::Tanh),
            dense(8, Activation::LeakyRelu),
            dense(9, Activation::Gelu),
            dense(10, Activation::Linear),
        ]
    });
    let keras = keras_code(&spec);
    assert_contains(&keras, "keras.layers.Dense(5, activation=\"relu\"),\n");
    assert_contains(&keras, "keras.layers.Dense(6, activation=\"sigmoid\"),\n");
    assert_contains(&keras, "keras.layers.Dense(7, activation=\"tanh\"),\n");
    assert_contains(
        &keras,
        "keras.layers.Dense(8),\n        keras.layers.LeakyReLU(negative_slope=0.01),\n",
    );
    assert_contains(&keras, "keras.layers.Dense(9, activation=\"gelu\"),\n");
    assert_contains(&keras, "keras.layers.Dense(10),\n");
    assert_contains(&keras, "keras.layers.Dense(3, activation=\"softmax\"),");

    let pytorch = pytorch_code(&spec);
    assert_contains(&pytorch, "nn.Linear(4, 5),\n    nn.ReLU(),\n");
    assert_contains(&pytorch, "nn.Linear(5, 6),\n    nn.Sigmoid(),\n");
    assert_contains(&pytorch, "nn.Linear(6, 7),\n    nn.Tanh(),\n");
    assert_contains(
        &pytorch,
        "nn.Linear(7, 8),\n    nn.LeakyReLU(negative_slope=0.01),\n",
    );
    assert_contains(&pytorch, "nn.Linear(8, 9),\n    nn.GELU(),\n");
    assert_contains(&pytorch, "nn.Linear(9, 10),\n    nn.Linear(10, 3),");
}

#[test]
fn dropout_maps_to_layers() {
    let spec = keras_with(|spec| {
        spec.layers = vec![
            dense(16, Activation::Relu),
            LayerSpec::Dropout { rate: 0.25 },
        ]
    });
    assert_contains(&keras_code(&spec), "keras.layers.Dropout(0.25),\n");
    assert_contains(
        &pytorch_code(&spec),
        "nn.Dropout(p=0.25),\n    nn.Linear(16, 3),",
    );
}

#[test]
fn no_hidden_layers_has_only_output() {
    let spec = keras_with(|spec| spec.layers.clear());
    let keras = keras_code(&spec);
    assert_eq!(keras.matches("keras.layers.Dense(").count(), 1);
    assert_contains(&keras, "keras.layers.Dense(3, activation=\"softmax\"),");
    let pytorch = pytorch_code(&spec);
    assert_eq!(pytorch.matches("nn.Linear(").count(), 1);
    assert_contains(&pytorch, "nn.Linear(4, 3),");
}

#[test]
fn binary_cross_entropy_code() {
    let spec = keras_with(|spec| {
        spec.data.set = DataSet::Spiral;
        spec.loss = Loss::BinaryCrossEntropy;
    });
    let keras = keras_code(&spec);
    assert_contains(&keras, "keras.layers.Dense(1, activation=\"sigmoid\"),");
    assert_contains(&keras, "loss=\"binary_crossentropy\"");
    let pytorch = pytorch_code(&spec);
    assert_contains(&pytorch, "nn.Linear(64, 1),");
    assert_contains(&pytorch, "loss_fn = nn.BCEWithLogitsLoss()");
    assert_contains(&pytorch, "return labels.float().unsqueeze(1)");
    assert_contains(&pytorch, "return (outputs[:, 0] > 0).long()");
}

#[test]
fn mean_squared_error_code() {
    let spec = keras_with(|spec| {
        spec.loss = Loss::MeanSquaredError;
        spec.data.train_percent = 80.0;
    });
    let keras = keras_code(&spec);
    assert_contains(&keras, "keras.layers.Dense(3),  # output layer");
    assert_contains(&keras, "loss=\"mse\"");
    assert_contains(
        &keras,
        "y_train = keras.utils.to_categorical(y_train, num_classes=3)",
    );
    assert_contains(
        &keras,
        "y_test = keras.utils.to_categorical(y_test, num_classes=3)",
    );
    let pytorch = pytorch_code(&spec);
    assert_contains(&pytorch, "loss_fn = nn.MSELoss()");
    assert_contains(
        &pytorch,
        "return nn.functional.one_hot(labels, num_classes=3).float()",
    );
    assert_contains(&pytorch, "return outputs.argmax(dim=1)");
}

#[test]
fn sgd_code() {
    let spec = keras_with(|spec| {
        spec.optimizer = OptimizerSpec::Sgd {
            learning_rate: 0.03,
            momentum: 0.9,
        }
    });
    assert_contains(
        &keras_code(&spec),
        "optimizer = keras.optimizers.SGD(learning_rate=0.03, momentum=0.9)",
    );
    assert_contains(
        &pytorch_code(&spec),
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9)",
    );
}

#[test]
fn rmsprop_code() {
    let spec = keras_with(|spec| {
        spec.optimizer = OptimizerSpec::Rmsprop {
            learning_rate: 0.002,
            rho: 0.8,
            epsilon: 1e-6,
            momentum: 0.5,
        }
    });
    let keras = keras_code(&spec);
    assert_contains(
        &keras,
        "optimizer = keras.optimizers.RMSprop(\n    learning_rate=0.002,\n    rho=0.8,\n    \
         momentum=0.5,\n    epsilon=1e-6,\n)",
    );
    assert_contains(&keras, "w -= lr * g / sqrt(s + epsilon)");
    let pytorch = pytorch_code(&spec);
    assert_contains(
        &pytorch,
        "optimizer = torch.optim.RMSprop(\n    model.parameters(),\n    lr=0.002,\n    \
         alpha=0.8,\n    eps=1e-6,\n    momentum=0.5,\n)",
    );
    assert_contains(&pytorch, "w -= lr * g / (sqrt(s) + eps)");
}

#[test]
fn adam_comments_name_epsilon_difference() {
    let keras = keras_code(&keras_iris());
    assert_contains(&keras, "w -= lr * m_hat / (sqrt(v_hat) + epsilon)");
    assert_contains(&keras, "* m / (sqrt(v) + epsilon)");
    assert_contains(&prose(&keras), "Keras adds it before the bias correction");
    let pytorch = pytorch_code(&keras_iris());
    assert_contains(&pytorch, "w -= lr * m_hat / (sqrt(v_hat) + eps)");
}

#[test]
fn iris_loads_with_scikit_learn() {
    for code in [keras_code(&keras_iris()), pytorch_code(&keras_iris())] {
        assert_contains(&code, "from sklearn.datasets import load_iris\n");
        assert_contains(&code, "x, y = load_iris(return_X_y=True)\n");
        assert_contains(&code, "scaler = StandardScaler().fit(x_train)\n");
        assert_contains(&code, "x_train, y_train = x, y\n");
        assert_lacks(&code, "train_test_split");
        assert_lacks(&code, "x_test");
        assert_lacks(&code, "np.load");
        assert_lacks(&code, "import numpy");
    }
}

#[test]
fn test_split_holds_out_rows() {
    let spec = presets::iris_test_split();
    for code in [keras_code(&spec), pytorch_code(&spec)] {
        assert_contains(
            &code,
            "train_test_split(\n    x, y, test_size=30, random_state=SEED, stratify=None\n)",
        );
        assert_contains(&code, "x_test = scaler.transform(x_test)\n");
        assert_contains(&code, "print(f\"test loss {test_loss:.4f}");
    }
    assert_contains(
        &keras_code(&spec),
        "test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)",
    );
    assert_contains(
        &pytorch_code(&spec),
        "test_loss, test_accuracy = evaluate(x_test, y_test)",
    );
}

#[test]
fn test_rows_match_playground_rounding() {
    // 333 rows at 37.5% gives 124.875 training rows, which the playground rounds to 125.
    let spec = keras_with(|spec| {
        spec.data.set = DataSet::Gaussian;
        spec.data.samples = 333;
        spec.data.train_percent = 37.5;
    });
    assert_contains(&keras_code(&spec), "test_size=208,");
}

#[test]
fn unstandardized_data_skips_scaler() {
    let spec = keras_with(|spec| spec.data.standardize = false);
    for code in [keras_code(&spec), pytorch_code(&spec)] {
        assert_lacks(&code, "StandardScaler");
        assert_contains(&code, "not standardized");
    }
}

#[test]
fn generated_sets_use_placeholder() {
    let circle = presets::circle();
    for code in [keras_code(&circle), pytorch_code(&circle)] {
        assert_contains(&code, "PLACEHOLDER");
        assert_contains(&code, "import numpy as np\n");
        assert_contains(&code, "x = np.load(\"x.npy\")\ny = np.load(\"y.npy\")\n");
        assert_contains(&code, "#   x.npy: float array of shape (500, 2)");
        assert_contains(
            &code,
            "#   y.npy: integer array of shape (500,), the class index (0 or 1)",
        );
        assert_contains(&prose(&code), "circle set with 10% label noise");
        assert_contains(&code, "test_size=250,");
        assert_lacks(&code, "load_iris");
        assert_lacks(&code, "StandardScaler");
    }

    let teacher = keras_with(|spec| {
        spec.data.set = DataSet::Teacher;
        spec.data.samples = 1000;
    });
    for code in [keras_code(&teacher), pytorch_code(&teacher)] {
        assert_contains(&code, "#   x.npy: float array of shape (1000, 784)");
        assert_contains(&code, "the class index (0 to 9)");
        assert_contains(&prose(&code), "10 classes by a fixed random linear teacher");
    }
    assert_contains(&keras_code(&teacher), "keras.Input(shape=(784,))");
    assert_contains(&pytorch_code(&teacher), "nn.Linear(784, 64),");
}

#[test]
fn weights_load_when_file_exists() {
    let spec = keras_iris();
    let keras = keras_code(&spec);
    let pytorch = pytorch_code(&spec);
    for code in [&keras, &pytorch] {
        assert_contains(code, "from safetensors.numpy import load_file\n");
        assert_contains(code, "if os.path.exists(\"model.safetensors\"):\n");
        assert_contains(code, "weights = load_file(\"model.safetensors\")");
        assert_contains(code, "f\"{prefix}_{index}/{name}\"");
        assert_contains(code, "\"dense\", [");
        assert_contains(code, "\"conv2d\", [");
        assert_contains(code, "\"batch_normalization\",");
    }
    assert_contains(&keras, "layer.set_weights([weights[key] for key in keys])");
    assert_contains(&pytorch, "with torch.no_grad():");
    assert_contains(&pytorch, "(\"kernel\", module.weight, lambda t: t.T)");
    assert_contains(
        &pytorch,
        "(\"kernel\", module.weight, lambda t: t.permute(3, 2, 0, 1))",
    );
    assert_contains(&pytorch, "target.copy_(value)");
    // The weights must overwrite the Xavier initialization, not the other way round.
    let init = pytorch.find("model.apply(init_like_playground)").unwrap();
    let load = pytorch.find("if os.path.exists(").unwrap();
    assert!(
        init < load,
        "initialization must come before loading the weights"
    );
}

#[test]
fn invalid_spec_returns_validation_error() {
    let spec = keras_with(|spec| spec.batch_size = 0);
    let expected = spec.validate().expect_err("batch size 0 is invalid");
    assert_eq!(keras(&spec).expect_err("invalid spec"), expected);
    assert_eq!(pytorch(&spec).expect_err("invalid spec"), expected);

    let spec = keras_with(|spec| spec.loss = Loss::BinaryCrossEntropy);
    let expected = spec.validate().expect_err("Iris has 3 classes");
    assert_eq!(keras(&spec).expect_err("invalid spec"), expected);
    assert_eq!(pytorch(&spec).expect_err("invalid spec"), expected);
}

#[test]
fn python_floats_read_back_exactly() {
    let values = [
        0.001,
        1e-7,
        0.9,
        0.999,
        0.9999,
        0.1 + 0.2,
        0.0,
        -0.0,
        1.0,
        10.0,
        1e-4,
        5e-5,
        1e-300,
        5e-324,
        1e16,
        123_456_789.125,
        f64::MAX,
    ];
    assert_eq!(python_float(0.001), "0.001");
    assert_eq!(python_float(1e-7), "1e-7");
    assert_eq!(python_float(10.0), "10.0");
    let mut checks = String::from("import struct\nchecks = [\n");
    for value in values {
        checks.push_str(&format!(
            "    ({}, \"{:016x}\"),\n",
            python_float(value),
            value.to_bits()
        ));
    }
    checks.push_str(
        "]\nfor value, bits in checks:\n    \
         assert struct.pack(\">d\", value).hex() == bits, (value, bits)\n",
    );
    run_python(
        &["-c", &checks],
        &format!("reading the float literals back\n{checks}\n"),
    );
}

#[test]
fn shipped_sets_load_with_scikit_learn() {
    for (spec, loader) in [
        (presets::wine(), "load_wine"),
        (presets::breast_cancer(), "load_breast_cancer"),
        (presets::digits(), "load_digits"),
    ] {
        let code = keras(&spec).unwrap();
        assert!(
            code.contains(&format!("from sklearn.datasets import {loader}")),
            "{loader}"
        );
        assert!(
            code.contains(&format!("x, y = {loader}(return_X_y=True)")),
            "{loader}"
        );
        assert!(!code.contains("np.load"), "{loader}: no placeholder");
    }
    let digits = pytorch(&presets::digits()).unwrap();
    assert!(
        digits.contains("x = x / 16.0"),
        "digits pixels are scaled as the playground does"
    );
}

#[test]
fn csv_upload_gets_placeholder() {
    let (_, spec) = variations()
        .into_iter()
        .find(|(name, _)| name == "csv_upload")
        .unwrap();
    let code = pytorch(&spec).unwrap();
    assert!(code.contains("PLACEHOLDER: the playground read these rows from (an uploaded CSV"));
    assert!(
        code.contains("#   x.npy: float array of shape (40, 4)"),
        "{code}"
    );
    assert!(code.contains("class index (0 to 2)"), "{code}");
}

#[test]
fn regression_code() {
    let spec = presets::plane();
    let keras = keras_code(&spec);
    assert_contains(&keras, "keras.layers.Dense(1),  # output layer");
    assert_contains(&keras, "loss=\"mse\",");
    assert_contains(&keras, "metrics=[\"mae\"]");
    assert_contains(&keras, "validation_data=(x_val, y_val)");
    assert_contains(
        &keras,
        "test_loss, test_mae = model.evaluate(x_test, y_test, verbose=0)",
    );
    assert_contains(
        &keras,
        "float array of shape (500,), the real-valued target",
    );
    assert_contains(&keras, "The targets stay unscaled");
    assert_contains(&keras, "360 for training, 40");
    assert_contains(&keras, "for validation and 100 for testing");
    assert_lacks(&keras, "to_categorical");
    assert_lacks(&keras, "accuracy");

    let pytorch = pytorch_code(&spec);
    assert_contains(&pytorch, "loss_fn = nn.MSELoss()");
    assert_contains(
        &pytorch,
        "y_train = torch.tensor(y_train, dtype=torch.float32)",
    );
    assert_contains(&pytorch, "y_val = torch.tensor(y_val, dtype=torch.float32)");
    assert_contains(&pytorch, "val_loss, val_mae = evaluate(x_val, y_val)");
    assert_contains(&pytorch, "nn.Linear(8, 1),  # linear output layer");
    assert_lacks(&pytorch, "predict_classes");
    assert_lacks(&pytorch, "accuracy");
}

#[test]
fn validation_split_code() {
    let spec = keras_with(|spec| spec.data.validation_percent = 10.0);
    let keras = keras_code(&spec);
    assert_contains(&keras, "VALIDATION_ROWS = 15");
    assert_contains(&keras, "x_val = scaler.transform(x_val)");
    // The scaler is fitted after the validation rows leave the training rows.
    let carve = keras
        .find("x_train, y_train = x_train[:-VALIDATION_ROWS]")
        .unwrap();
    let fit = keras.find("StandardScaler().fit(x_train)").unwrap();
    assert!(
        carve < fit,
        "the scaler is fitted before the validation rows are carved"
    );
    let pytorch = pytorch_code(&spec);
    assert_contains(&pytorch, "val_loss, val_accuracy = evaluate(x_val, y_val)");
}

#[test]
fn image_layers_keep_channels_last() {
    let spec = presets::digits_conv();
    let keras = keras_code(&spec);
    assert_contains(&keras, "keras.Input(shape=(64,)),");
    assert_contains(&keras, "keras.layers.Reshape((8, 8, 1)),");
    assert_contains(
        &keras,
        "keras.layers.Conv2D(\n            16,\n            kernel_size=3,\n            strides=1,\n            \
         padding=\"same\",\n            activation=\"relu\",\n        ),",
    );
    assert_contains(&keras, "keras.layers.MaxPooling2D(pool_size=2, strides=2),");
    assert_contains(&keras, "keras.layers.Flatten(),");

    let pytorch = pytorch_code(&spec);
    assert_contains(&pytorch, "class ChannelsFirst(nn.Module):");
    assert_contains(&pytorch, "ChannelsFirst(8, 8, 1),");
    // "same" padding of a 3x3 kernel adds one zero row and column on each side.
    assert_contains(&pytorch, "nn.ZeroPad2d((1, 1, 1, 1)),");
    assert_contains(&pytorch, "nn.Conv2d(1, 16, kernel_size=3, stride=1),");
    assert_contains(&pytorch, "nn.MaxPool2d(kernel_size=2, stride=2),");
    assert_contains(&pytorch, "FlattenChannelsLast(),");
    assert_contains(&pytorch, "nn.Linear(128, 64),");
    assert_contains(&pytorch, "isinstance(module, (nn.Linear, nn.Conv2d))");

    // A Dense layer straight after an image gets an explicit Flatten, and TensorFlow's
    // "same" padding of an even kernel pads after the image only.
    let mut spec = presets::digits();
    spec.layers = vec![
        LayerSpec::Conv2d {
            filters: 2,
            kernel_size: 2,
            stride: 1,
            padding: Padding::Same,
            activation: Activation::Tanh,
        },
        LayerSpec::BatchNorm,
        LayerSpec::LayerNorm,
        dense(8, Activation::Relu),
    ];
    let keras = keras_code(&spec);
    assert_contains(&keras, "keras.layers.BatchNormalization(),");
    assert_contains(
        &keras,
        "keras.layers.Flatten(),\n        keras.layers.Dense(8",
    );
    let pytorch = pytorch_code(&spec);
    assert_contains(&pytorch, "nn.ZeroPad2d((0, 1, 0, 1)),");
    assert_contains(&pytorch, "nn.BatchNorm2d(2, eps=0.001, momentum=0.01),");
    assert_contains(&pytorch, "ChannelsLastLayerNorm(2),");
    assert_contains(&pytorch, "FlattenChannelsLast(),\n    nn.Linear(128, 8),");

    // Without image layers, digits stay flat rows as before.
    let keras = keras_code(&presets::digits());
    assert_lacks(&keras, "Reshape");
    assert_lacks(&pytorch_code(&presets::digits()), "ChannelsFirst");
}
