//! Python scripts that rebuild a spec's network in Keras 3 or PyTorch, for users who move on
//! from the page. Each script loads the data, builds the same layers, loss and optimizer, loads
//! the weights that the playground exports to `model.safetensors` when that file exists, and
//! trains with the spec's batch size, epochs and seed.
//!
//! The weights file names tensors as `src/model_file.rs` describes: `dense_{i}/kernel`
//! (shape [inputs, units], the Keras layout), `conv2d_{i}/kernel` and so on, with i counting
//! the layers of one type from 0, the output layer included.

use crate::error::Result;
use crate::spec::{
    train_rows, validation_rows, Activation, DataSet, FeatureShape, LayerPlan, Loss, NetworkSpec,
    OptimizerSpec, PoolKind, Task, ValidSpec, LEAKY_RELU_SLOPE,
};

/// Column limit for the generated lines that the generator wraps (comments and calls), the
/// default of the Black formatter.
const MAX_LINE: usize = 88;

/// Generates a Keras 3 script that rebuilds and trains the network of `spec`.
///
/// Returns the spec's validation error if it is invalid.
pub fn keras(spec: &NetworkSpec) -> Result<String> {
    let valid = spec.validate()?;
    let mut script = Script::default();
    write_header(&mut script, &valid, Framework::Keras);
    write_imports(&mut script, &valid, Framework::Keras);

    script.line(&format!("SEED = {}", valid.seed));
    script.blank();
    script.comment(
        "Seed the random generators of Python, NumPy and the Keras backend, which draw the \
         initial weights, the dropout masks and the shuffle order.",
    );
    script.line("keras.utils.set_random_seed(SEED)");
    script.blank();

    write_data(&mut script, &valid);
    write_keras_labels(&mut script, &valid);

    write_keras_model(&mut script, &valid);
    script.block(KERAS_LOAD_WEIGHTS);
    script.blank();

    write_keras_training(&mut script, &valid);
    Ok(script.text)
}

/// Generates a PyTorch script that rebuilds and trains the network of `spec`.
///
/// Returns the spec's validation error if it is invalid.
pub fn pytorch(spec: &NetworkSpec) -> Result<String> {
    let valid = spec.validate()?;
    let mut script = Script::default();
    write_header(&mut script, &valid, Framework::Pytorch);
    write_imports(&mut script, &valid, Framework::Pytorch);

    script.line(&format!("SEED = {}", valid.seed));
    script.line(&format!("BATCH_SIZE = {}", valid.batch_size));
    script.line(&format!("EPOCHS = {}", valid.epochs));
    script.blank();
    script.comment("Seed the initial weights and the dropout masks.");
    script.line("torch.manual_seed(SEED)");
    script.blank();

    write_data(&mut script, &valid);
    write_pytorch_tensors(&mut script, &valid);

    write_pytorch_model(&mut script, &valid);
    script.block(PYTORCH_INIT);
    script.blank();
    script.block(PYTORCH_LOAD_WEIGHTS);
    script.blank();

    write_pytorch_loss(&mut script, &valid);
    write_pytorch_optimizer(&mut script, &valid.spec.optimizer);
    write_pytorch_training(&mut script, &valid);
    Ok(script.text)
}

/// Formats `value` as a Python float literal that reads back as the same f64.
///
/// Rust's `Debug` output is the shortest decimal that round-trips, with `.0` on whole numbers
/// and an exponent below 1e-4 and from 1e16 up (`1e-7`, `1e16`), and Python parses each of
/// these forms. `Display` would also round-trip, but it never uses an exponent, so it prints
/// 1e-7 as `0.0000001` and 1e-300 with 300 zeros. `value` must be finite, which validation
/// ensures for every float in a spec, because `Debug` prints `NaN` and `inf`, which Python
/// does not read.
pub fn python_float(value: f64) -> String {
    debug_assert!(value.is_finite(), "{value} has no Python float literal");
    format!("{value:?}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framework {
    Keras,
    Pytorch,
}

/// Python source under construction, one line at a time.
#[derive(Default)]
struct Script {
    text: String,
}

impl Script {
    fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }

    /// Appends lines written as a raw string that starts with a line break, which is dropped.
    fn block(&mut self, block: &str) {
        self.text
            .push_str(block.strip_prefix('\n').unwrap_or(block));
    }

    /// Appends `text` as `#` comment lines, wrapped at spaces to fit in `MAX_LINE` columns.
    fn comment(&mut self, text: &str) {
        let words: Vec<&str> = text.split_whitespace().collect();
        self.wrap("#", "#", &words);
    }

    /// Appends a header field such as `# Loss:      cross-entropy`, whose continuation
    /// lines line up with the first line's value. Lines break only between `pieces`.
    fn field(&mut self, label: &str, pieces: &[&str]) {
        let first = format!("# {:<10}", format!("{label}:"));
        let rest = format!("#{}", " ".repeat(first.len() - 1));
        self.wrap(&first, &rest, pieces);
    }

    /// Appends `pieces`, separated by spaces, on lines that start with `first` and then
    /// `rest` and break between pieces to fit in `MAX_LINE` columns. A piece longer than
    /// that gets a line of its own.
    fn wrap(&mut self, first: &str, rest: &str, pieces: &[&str]) {
        let mut line = first.to_string();
        for (index, piece) in pieces.iter().enumerate() {
            if index > 0 && line.len() + 1 + piece.len() > MAX_LINE {
                self.line(&line);
                line = rest.to_string();
            }
            line.push(' ');
            line.push_str(piece);
        }
        self.line(&line);
    }

    /// Appends the call `{prefix}({arguments})`, on one line when it fits in `MAX_LINE`
    /// columns and with one argument per line otherwise.
    fn call(&mut self, prefix: &str, arguments: &[String]) {
        let single = format!("{prefix}({})", arguments.join(", "));
        if single.len() <= MAX_LINE {
            self.line(&single);
            return;
        }
        self.line(&format!("{prefix}("));
        for argument in arguments {
            self.line(&format!("    {argument},"));
        }
        self.line(")");
    }
}

fn has_test_split(valid: &ValidSpec) -> bool {
    valid.spec.data.train_percent < 100.0
}

fn is_regression(valid: &ValidSpec) -> bool {
    valid.task == Task::Regression
}

/// Validation rows carved from the end of the training rows; 0 without a validation split.
fn validation_row_count(valid: &ValidSpec) -> usize {
    let data = &valid.spec.data;
    validation_rows(
        train_rows(valid.samples, data.train_percent),
        data.validation_percent,
    )
}

/// The metric the scripts print: accuracy, or the mean absolute error for regression.
fn metric_name(valid: &ValidSpec) -> &'static str {
    if is_regression(valid) {
        "mae"
    } else {
        "accuracy"
    }
}

/// Rows of the whole data set and of its test split.
fn row_counts(valid: &ValidSpec) -> (usize, usize) {
    let rows = valid.samples;
    let test_rows = rows - train_rows(rows, valid.spec.data.train_percent);
    (rows, test_rows)
}

fn write_header(script: &mut Script, valid: &ValidSpec, framework: Framework) {
    let (title, name, packages) = match framework {
        Framework::Keras => ("Keras 3", "Keras", "keras tensorflow"),
        Framework::Pytorch => ("PyTorch", "PyTorch", "torch numpy"),
    };
    let spec = &valid.spec;
    script.comment(&format!(
        "{title} version of a network built in dfdx-playground, a deep-learning playground \
         that runs in the browser."
    ));
    script.line("#");

    let layers = describe_layers(valid);
    let layer_pieces: Vec<&str> = layers.iter().map(String::as_str).collect();
    script.field("Layers", &layer_pieces);
    let fields = [
        ("Data", describe_data(valid)),
        ("Loss", describe_loss(valid).to_string()),
        ("Optimizer", describe_optimizer(&spec.optimizer)),
        (
            "Training",
            format!(
                "batch size {}, {} epochs, seed {}",
                valid.batch_size, valid.epochs, valid.seed
            ),
        ),
    ];
    for (label, value) in &fields {
        let words: Vec<&str> = value.split_whitespace().collect();
        script.field(label, &words);
    }
    script.line("#");

    let split = if has_test_split(valid) {
        "scikit-learn holds out other test rows, "
    } else {
        ""
    };
    script.comment(&format!(
        "Results differ slightly from the playground's, because {split}{name} shuffles the \
         rows in another order and, unless model.safetensors is loaded, the initial weights \
         are other random draws."
    ));
    script.line("#");

    let mut requirements = vec![packages, "safetensors"];
    if uses_scikit_learn(valid) {
        requirements.push("scikit-learn");
    }
    script.line(&format!(
        "# Requirements: pip install {}",
        requirements.join(" ")
    ));
    script.blank();
}

/// Describes each layer, with a comma after every layer but the last.
fn describe_layers(valid: &ValidSpec) -> Vec<String> {
    let output_activation = match (valid.task, valid.spec.loss) {
        (Task::Regression, _) => "linear",
        (_, Loss::CrossEntropy) => "softmax",
        (_, Loss::BinaryCrossEntropy) => "sigmoid",
        (_, Loss::MeanSquaredError) => "linear",
    };
    let last = valid.layers.len() - 1;
    valid
        .layers
        .iter()
        .enumerate()
        .map(|(index, plan)| match *plan {
            LayerPlan::Dense { units, .. } if index == last => {
                format!("Dense {units} {output_activation} (output)")
            }
            LayerPlan::Dense {
                units, activation, ..
            } => format!("Dense {units} {},", activation_name(activation)),
            LayerPlan::Dropout { rate, .. } => format!("Dropout {},", python_float(rate)),
            LayerPlan::Conv2d {
                window,
                filters,
                activation,
            } => format!(
                "Conv2D {filters} {size}x{size} stride {stride} {},",
                activation_name(activation),
                size = window.size,
                stride = window.stride
            ),
            LayerPlan::Pool2d { window, kind } => format!(
                "{} {size}x{size} stride {stride},",
                pool_name(kind),
                size = window.size,
                stride = window.stride
            ),
            LayerPlan::Flatten { .. } => "Flatten,".to_string(),
            LayerPlan::BatchNorm { .. } => "BatchNormalization,".to_string(),
            LayerPlan::LayerNorm { .. } => "LayerNormalization,".to_string(),
        })
        .collect()
}

fn pool_name(kind: PoolKind) -> &'static str {
    match kind {
        PoolKind::Max => "MaxPooling2D",
        PoolKind::Average => "AveragePooling2D",
    }
}

/// Formats an image shape as a Python tuple, e.g. `(8, 8, 1)`.
fn python_tuple(dims: &[usize]) -> String {
    let items: Vec<String> = dims.iter().map(usize::to_string).collect();
    if items.len() == 1 {
        format!("({},)", items[0])
    } else {
        format!("({})", items.join(", "))
    }
}

/// The shape each layer of `valid` receives, in order.
fn layer_inputs(valid: &ValidSpec) -> Vec<FeatureShape> {
    let mut inputs = Vec::with_capacity(valid.layers.len());
    let mut shape = valid.input_shape;
    for plan in &valid.layers {
        inputs.push(shape);
        shape = plan.output_shape();
    }
    inputs
}

fn is_image(shape: FeatureShape) -> bool {
    matches!(shape, FeatureShape::Image { .. })
}

fn activation_name(activation: Activation) -> &'static str {
    match activation {
        Activation::Relu => "relu",
        Activation::Sigmoid => "sigmoid",
        Activation::Tanh => "tanh",
        Activation::LeakyRelu => "leaky_relu",
        Activation::Gelu => "gelu",
        Activation::Linear => "linear",
    }
}

fn describe_data(valid: &ValidSpec) -> String {
    let data = &valid.spec.data;
    let (rows, test_rows) = row_counts(valid);
    let source = match data.set {
        DataSet::Iris => format!("Iris, {rows} rows"),
        DataSet::Wine => format!("UCI wine, {rows} rows"),
        DataSet::BreastCancer => format!("UCI breast cancer, {rows} rows"),
        DataSet::Digits => format!("UCI digits, {rows} rows, pixels divided by 16"),
        DataSet::Csv => format!("an uploaded CSV file, {rows} rows"),
        DataSet::Teacher => format!("teacher, {rows} rows generated from seed {}", valid.seed),
        DataSet::Plane | DataSet::MultiGaussian => format!(
            "{}, {rows} rows generated from seed {} with {}% noise",
            data.set.name(),
            valid.seed,
            data.noise
        ),
        set => format!(
            "{}, {rows} rows generated from seed {} with {}% label noise",
            set.name(),
            valid.seed,
            data.noise
        ),
    };
    let validation = validation_row_count(valid);
    let split = match (has_test_split(valid), validation) {
        (false, 0) => "all for training".to_string(),
        (true, 0) => format!(
            "{} for training and {test_rows} for testing",
            rows - test_rows
        ),
        (_, validation) => format!(
            "{} for training, {validation} for validation and {test_rows} for testing",
            rows - test_rows - validation
        ),
    };
    let scaling = match (data.standardize, valid.task) {
        (true, Task::Classification) => "standardized",
        (false, Task::Classification) => "not standardized",
        (true, Task::Regression) => "features standardized, targets not scaled",
        (false, Task::Regression) => "features and targets not scaled",
    };
    format!("{source}, {split}, {scaling}")
}

fn describe_loss(valid: &ValidSpec) -> &'static str {
    match (valid.task, valid.spec.loss) {
        (Task::Regression, _) => "mean squared error against the real-valued target",
        (_, Loss::CrossEntropy) => "cross-entropy with softmax",
        (_, Loss::BinaryCrossEntropy) => "binary cross-entropy with one sigmoid output",
        (_, Loss::MeanSquaredError) => "mean squared error against one-hot labels",
    }
}

fn describe_optimizer(optimizer: &OptimizerSpec) -> String {
    match *optimizer {
        OptimizerSpec::Sgd {
            learning_rate,
            momentum,
        } => format!(
            "SGD, learning rate {}, momentum {}",
            python_float(learning_rate),
            python_float(momentum)
        ),
        OptimizerSpec::Adam {
            learning_rate,
            beta1,
            beta2,
            epsilon,
        } => format!(
            "Adam, learning rate {}, beta1 {}, beta2 {}, epsilon {}",
            python_float(learning_rate),
            python_float(beta1),
            python_float(beta2),
            python_float(epsilon)
        ),
        OptimizerSpec::Rmsprop {
            learning_rate,
            rho,
            epsilon,
            momentum,
        } => format!(
            "RMSprop, learning rate {}, rho {}, epsilon {}, momentum {}",
            python_float(learning_rate),
            python_float(rho),
            python_float(epsilon),
            python_float(momentum)
        ),
    }
}

/// The scikit-learn loader of a shipped data set, if it has one.
fn sklearn_loader(set: DataSet) -> Option<&'static str> {
    match set {
        DataSet::Iris => Some("load_iris"),
        DataSet::Wine => Some("load_wine"),
        DataSet::BreastCancer => Some("load_breast_cancer"),
        DataSet::Digits => Some("load_digits"),
        _ => None,
    }
}

fn uses_scikit_learn(valid: &ValidSpec) -> bool {
    sklearn_loader(valid.spec.data.set).is_some()
        || has_test_split(valid)
        || valid.spec.data.standardize
}

fn write_imports(script: &mut Script, valid: &ValidSpec, framework: Framework) {
    let data = &valid.spec.data;
    script.line("import os");
    script.blank();
    if framework == Framework::Keras {
        script.line("import keras");
    }
    // The placeholder for rows the script cannot rebuild loads them with np.load.
    if sklearn_loader(data.set).is_none() {
        script.line("import numpy as np");
    }
    if framework == Framework::Pytorch {
        script.line("import torch");
    }
    script.line("from safetensors.numpy import load_file");
    if let Some(loader) = sklearn_loader(data.set) {
        script.line(&format!("from sklearn.datasets import {loader}"));
    }
    if has_test_split(valid) {
        script.line("from sklearn.model_selection import train_test_split");
    }
    if data.standardize {
        script.line("from sklearn.preprocessing import StandardScaler");
    }
    if framework == Framework::Pytorch {
        script.line("from torch import nn");
    }
    script.blank();
}

/// Writes the lines that set `x_train` and `y_train` (features and class indices), and
/// `x_test` and `y_test` when the spec holds out test rows.
fn write_data(script: &mut Script, valid: &ValidSpec) {
    let data = &valid.spec.data;
    let (rows, test_rows) = row_counts(valid);
    match data.set {
        DataSet::Iris => {
            script.comment(&format!(
                "Iris: {rows} rows of 4 measurements in cm, each with a class index 0, 1 or 2."
            ));
            script.line("x, y = load_iris(return_X_y=True)");
        }
        DataSet::Wine => {
            script.comment(&format!(
                "UCI wine: {rows} rows of 13 chemical measurements, each with a cultivar \
                 index 0, 1 or 2."
            ));
            script.line("x, y = load_wine(return_X_y=True)");
        }
        DataSet::BreastCancer => {
            script.comment(&format!(
                "UCI breast cancer: {rows} rows of 30 features of cell nuclei, each labelled \
                 0 (malignant) or 1 (benign)."
            ));
            script.line("x, y = load_breast_cancer(return_X_y=True)");
        }
        DataSet::Digits => {
            script.comment(&format!(
                "UCI digits: {rows} images of 8x8 pixels with values 0 to 16, which the \
                 playground divides by 16, each with its digit 0 to 9."
            ));
            script.line("x, y = load_digits(return_X_y=True)");
            script.line("x = x / 16.0");
        }
        set => write_data_placeholder(script, valid, set, rows),
    }
    script.blank();

    if has_test_split(valid) {
        script.comment(&format!(
            "Hold out {test_rows} of the {rows} rows for testing, as the playground's \
             training share of {}% does. Like the playground's split, this one is not \
             stratified, but it picks other rows.",
            data.train_percent
        ));
        script.block(
            r#"
x_train, x_test, y_train, y_test = train_test_split(
    x, y, test_size=TEST_ROWS, random_state=SEED, stratify=None
)
"#
            .replace("TEST_ROWS", &test_rows.to_string())
            .as_str(),
        );
    } else {
        script.comment("The playground trains on every row and holds out no test rows.");
        script.line("x_train, y_train = x, y");
    }
    script.blank();

    let validation = validation_row_count(valid);
    if validation > 0 {
        script.comment(&format!(
            "Hold out the last {validation} training rows ({}% of them) for validation, as \
             the playground does. The scaler is fitted on the remaining training rows only.",
            data.validation_percent
        ));
        script.line(&format!("VALIDATION_ROWS = {validation}"));
        script.line("x_val, y_val = x_train[-VALIDATION_ROWS:], y_train[-VALIDATION_ROWS:]");
        script.line("x_train, y_train = x_train[:-VALIDATION_ROWS], y_train[:-VALIDATION_ROWS]");
        script.blank();
    }

    if data.standardize {
        script.comment(
            "Standardize each feature with the mean and standard deviation of the training \
             rows, as the playground does.",
        );
        script.line("scaler = StandardScaler().fit(x_train)");
        script.line("x_train = scaler.transform(x_train)");
        if validation > 0 {
            script.line("x_val = scaler.transform(x_val)");
        }
        if has_test_split(valid) {
            script.line("x_test = scaler.transform(x_test)");
        }
        script.blank();
    }
    if is_regression(valid) {
        script.comment(
            "The targets stay unscaled, as in the playground; only the features are \
             standardized.",
        );
        script.blank();
    }
}

/// Writes the placeholder that loads a data set that the playground generates itself.
fn write_data_placeholder(script: &mut Script, valid: &ValidSpec, set: DataSet, rows: usize) {
    let description = match set {
        DataSet::Csv if valid.task == Task::Regression => {
            "an uploaded CSV file, which stays in the browser; the label column holds the \
             real-valued target"
                .to_string()
        }
        DataSet::Csv => "an uploaded CSV file, which stays in the browser; class i is the i-th \
                         of the label column's values in sorted order"
            .to_string(),
        DataSet::Teacher => format!(
            "the teacher set, whose rows of {} standard-normal features are each labelled \
             with one of {} classes by a fixed random linear teacher",
            valid.features, valid.classes
        ),
        DataSet::Plane | DataSet::MultiGaussian => format!(
            "TensorFlow Playground's {} regression set with {}% noise",
            set.name(),
            valid.spec.data.noise
        ),
        _ => format!(
            "TensorFlow Playground's {} set with {}% label noise",
            set.name(),
            valid.spec.data.noise
        ),
    };
    let class_range = match valid.classes {
        2 => "0 or 1".to_string(),
        classes => format!("0 to {}", classes.saturating_sub(1)),
    };
    let origin = if set == DataSet::Csv {
        "the playground read these rows from"
    } else {
        "the playground generates these rows itself from the seed"
    };
    script.comment(&format!(
        "PLACEHOLDER: {origin} ({description}), so this script cannot rebuild them. Save arrays of the following \
         shapes as x.npy and y.npy with np.save, or replace these two lines with your own \
         loading code."
    ));
    script.line(&format!(
        "#   x.npy: float array of shape ({rows}, {}), one row of features per example",
        valid.features
    ));
    if is_regression(valid) {
        script.line(&format!(
            "#   y.npy: float array of shape ({rows},), the real-valued target of each row"
        ));
    } else {
        script.line(&format!(
            "#   y.npy: integer array of shape ({rows},), the class index ({class_range}) of \
             each row"
        ));
    }
    script.line(r#"x = np.load("x.npy")"#);
    script.line(r#"y = np.load("y.npy")"#);
}

fn write_keras_labels(script: &mut Script, valid: &ValidSpec) {
    if valid.spec.loss != Loss::MeanSquaredError || is_regression(valid) {
        return;
    }
    script.comment(&format!(
        "The MSE loss compares the {} outputs with one-hot labels.",
        valid.classes
    ));
    script.line(&format!(
        "y_train = keras.utils.to_categorical(y_train, num_classes={})",
        valid.classes
    ));
    if validation_row_count(valid) > 0 {
        script.line(&format!(
            "y_val = keras.utils.to_categorical(y_val, num_classes={})",
            valid.classes
        ));
    }
    if has_test_split(valid) {
        script.line(&format!(
            "y_test = keras.utils.to_categorical(y_test, num_classes={})",
            valid.classes
        ));
    }
    script.blank();
}

fn write_keras_model(script: &mut Script, valid: &ValidSpec) {
    script.comment(
        "Dense and Conv2D layers start with Keras's defaults, Glorot-uniform kernels and zero \
         biases, which the playground uses too. The random draws differ, though.",
    );
    script.line("model = keras.Sequential(");
    script.line("    [");
    script.line(&format!(
        "        keras.Input(shape=({},)),",
        valid.features
    ));
    if is_image(valid.input_shape) {
        script.line(&format!(
            "        keras.layers.Reshape({}),  # rows of pixels to height, width, channels",
            python_tuple(&valid.input_shape.dims())
        ));
    }
    let last = valid.layers.len() - 1;
    for ((index, plan), input) in valid.layers.iter().enumerate().zip(layer_inputs(valid)) {
        // The playground's Dense reads an image flattened; Keras needs the Flatten spelled out.
        if matches!(plan, LayerPlan::Dense { .. }) && is_image(input) {
            script.line("        keras.layers.Flatten(),");
        }
        match *plan {
            LayerPlan::Dense { units, .. } if index == last => {
                let line = match (valid.task, valid.spec.loss) {
                    (Task::Regression, _) | (_, Loss::MeanSquaredError) => {
                        format!("keras.layers.Dense({units}),")
                    }
                    (_, Loss::CrossEntropy) => {
                        format!("keras.layers.Dense({units}, activation=\"softmax\"),")
                    }
                    (_, Loss::BinaryCrossEntropy) => {
                        format!("keras.layers.Dense({units}, activation=\"sigmoid\"),")
                    }
                };
                script.line(&format!("        {line}  # output layer"));
            }
            LayerPlan::Dense {
                units, activation, ..
            } => write_keras_activated(script, "Dense", vec![units.to_string()], activation),
            LayerPlan::Conv2d {
                window,
                filters,
                activation,
            } => {
                let padding = if window.padding() == (0, 0, 0, 0) {
                    "valid"
                } else {
                    "same"
                };
                let arguments = vec![
                    filters.to_string(),
                    format!("kernel_size={}", window.size),
                    format!("strides={}", window.stride),
                    format!("padding=\"{padding}\""),
                ];
                write_keras_activated(script, "Conv2D", arguments, activation);
            }
            LayerPlan::Pool2d { window, kind } => script.line(&format!(
                "        keras.layers.{}(pool_size={}, strides={}),",
                pool_name(kind),
                window.size,
                window.stride
            )),
            LayerPlan::Flatten { .. } => script.line("        keras.layers.Flatten(),"),
            LayerPlan::BatchNorm { .. } => script
                .line("        keras.layers.BatchNormalization(),  # momentum 0.99, epsilon 0.001"),
            LayerPlan::LayerNorm { .. } => {
                script.line("        keras.layers.LayerNormalization(),  # epsilon 0.001")
            }
            LayerPlan::Dropout { rate, .. } => {
                script.line(&format!(
                    "        keras.layers.Dropout({}),",
                    python_float(rate)
                ));
            }
        }
    }
    script.line("    ]");
    script.line(")");
    script.line("model.summary()");
    script.blank();
}

/// Writes the Keras layer `name` with `arguments`, followed by its activation.
fn write_keras_activated(
    script: &mut Script,
    name: &str,
    mut arguments: Vec<String>,
    activation: Activation,
) {
    match activation {
        Activation::Relu | Activation::Sigmoid | Activation::Tanh | Activation::Gelu => {
            arguments.push(format!("activation=\"{}\"", activation_name(activation)));
            write_keras_layer(script, name, &arguments);
        }
        Activation::LeakyRelu => {
            write_keras_layer(script, name, &arguments);
            script.line(&format!(
                "        keras.layers.LeakyReLU(negative_slope={LEAKY_RELU_SLOPE:?}),"
            ));
        }
        Activation::Linear => write_keras_layer(script, name, &arguments),
    }
}

/// Writes `keras.layers.{name}({arguments}),` as an item of the Sequential list, with one
/// argument per line when it does not fit in `MAX_LINE` columns.
fn write_keras_layer(script: &mut Script, name: &str, arguments: &[String]) {
    let single = format!("        keras.layers.{name}({}),", arguments.join(", "));
    if single.len() <= MAX_LINE {
        script.line(&single);
        return;
    }
    script.line(&format!("        keras.layers.{name}("));
    for argument in arguments {
        script.line(&format!("            {argument},"));
    }
    script.line("        ),");
}

const KERAS_LOAD_WEIGHTS: &str = r#"
# Load the weights trained in the playground if you exported them to model.safetensors.
# It names each tensor {layer}_{i}/{weight}, with i counting the layers of one type from
# 0 in order and Keras's weight names and shapes: dense_0/kernel (inputs, units),
# dense_0/bias, conv2d_0/kernel (height, width, channels, filters),
# batch_normalization_0/moving_mean, and so on. fit below continues from them. Without
# the file, training starts from fresh initial weights.
WEIGHT_NAMES = {
    "Dense": ("dense", ["kernel", "bias"]),
    "Conv2D": ("conv2d", ["kernel", "bias"]),
    "BatchNormalization": (
        "batch_normalization",
        ["gamma", "beta", "moving_mean", "moving_variance"],
    ),
    "LayerNormalization": ("layer_normalization", ["gamma", "beta"]),
}
if os.path.exists("model.safetensors"):
    weights = load_file("model.safetensors")
    counts = {}
    assignments = []
    for layer in model.layers:
        if type(layer).__name__ not in WEIGHT_NAMES:
            continue
        prefix, names = WEIGHT_NAMES[type(layer).__name__]
        index = counts.get(prefix, 0)
        counts[prefix] = index + 1
        assignments.append((layer, [f"{prefix}_{index}/{name}" for name in names]))
    needed = [key for _, keys in assignments for key in keys]
    if sorted(weights) != sorted(needed):
        raise ValueError(
            f"model.safetensors contains {len(weights)} tensors, but this model needs "
            f"{len(needed)} others; export the weights of this network again."
        )
    for layer, keys in assignments:
        layer.set_weights([weights[key] for key in keys])
    print("Loaded the playground's weights from model.safetensors.")
else:
    print("model.safetensors not found; training starts from fresh initial weights.")
"#;

fn write_keras_training(script: &mut Script, valid: &ValidSpec) {
    match valid.spec.optimizer {
        OptimizerSpec::Sgd {
            learning_rate,
            momentum,
        } => {
            script.block(
                r#"
# SGD with classic momentum. The playground computes
#     v = momentum * v + g, then w -= lr * v
# and Keras keeps the learning rate in its momentum buffer,
#     m = momentum * m - lr * g, then w += m,
# which gives the same updates while the learning rate is constant.
"#,
            );
            script.call(
                "optimizer = keras.optimizers.SGD",
                &[
                    format!("learning_rate={}", python_float(learning_rate)),
                    format!("momentum={}", python_float(momentum)),
                ],
            );
        }
        OptimizerSpec::Adam {
            learning_rate,
            beta1,
            beta2,
            epsilon,
        } => {
            script.block(
                r#"
# The playground's Adam (from dfdx 0.13) adds epsilon after the bias correction, as
# PyTorch does,
#     w -= lr * m_hat / (sqrt(v_hat) + epsilon),
# and Keras adds it before the bias correction,
#     w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon).
# The two differ only in how much epsilon counts, which is negligible for an epsilon as
# small as Keras's default 1e-7.
"#,
            );
            script.call(
                "optimizer = keras.optimizers.Adam",
                &[
                    format!("learning_rate={}", python_float(learning_rate)),
                    format!("beta_1={}", python_float(beta1)),
                    format!("beta_2={}", python_float(beta2)),
                    format!("epsilon={}", python_float(epsilon)),
                ],
            );
        }
        OptimizerSpec::Rmsprop {
            learning_rate,
            rho,
            epsilon,
            momentum,
        } => {
            script.block(
                r#"
# Keras 3's RMSprop puts epsilon inside the square root, as the playground's (from dfdx
# 0.13) does. Without momentum, both compute
#     w -= lr * g / sqrt(s + epsilon).
# PyTorch adds epsilon outside the square root instead.
"#,
            );
            script.call(
                "optimizer = keras.optimizers.RMSprop",
                &[
                    format!("learning_rate={}", python_float(learning_rate)),
                    format!("rho={}", python_float(rho)),
                    format!("momentum={}", python_float(momentum)),
                    format!("epsilon={}", python_float(epsilon)),
                ],
            );
        }
    }
    script.blank();

    let loss = match valid.spec.loss {
        Loss::CrossEntropy => "sparse_categorical_crossentropy",
        Loss::BinaryCrossEntropy => "binary_crossentropy",
        Loss::MeanSquaredError => "mse",
    };
    script.call(
        "model.compile",
        &[
            "optimizer=optimizer".to_string(),
            format!("loss=\"{loss}\""),
            format!("metrics=[\"{}\"]", metric_name(valid)),
        ],
    );
    script.blank();
    script.comment(&format!(
        "Like the playground, fit reports the loss and {} averaged over each epoch's \
         batches while the weights change.",
        describe_metric(valid)
    ));
    let mut arguments = vec![
        "x_train".to_string(),
        "y_train".to_string(),
        format!("batch_size={}", valid.batch_size),
        format!("epochs={}", valid.epochs),
        "shuffle=True".to_string(),
    ];
    if validation_row_count(valid) > 0 {
        arguments.push("validation_data=(x_val, y_val)".to_string());
    }
    script.call("model.fit", &arguments);
    if has_test_split(valid) {
        script.blank();
        let metric = metric_name(valid);
        script.line(&format!(
            "test_loss, test_{metric} = model.evaluate(x_test, y_test, verbose=0)"
        ));
        script.line(&print_test_metrics(valid));
    }
}

/// The metric in words: accuracy, or the mean absolute error for regression.
fn describe_metric(valid: &ValidSpec) -> &'static str {
    if is_regression(valid) {
        "mean absolute error"
    } else {
        "accuracy"
    }
}

fn print_test_metrics(valid: &ValidSpec) -> String {
    let metric = metric_name(valid);
    format!(r#"print(f"test loss {{test_loss:.4f}}, test {metric} {{test_{metric}:.4f}}")"#)
}

fn write_pytorch_tensors(script: &mut Script, valid: &ValidSpec) {
    let label_type = if is_regression(valid) {
        script.comment("PyTorch takes float32 features and float32 targets.");
        "float32"
    } else {
        script.comment("PyTorch takes float32 features and int64 class indices.");
        "long"
    };
    let mut splits = vec!["train"];
    if validation_row_count(valid) > 0 {
        splits.push("val");
    }
    if has_test_split(valid) {
        splits.push("test");
    }
    for split in splits {
        script.line(&format!(
            "x_{split} = torch.tensor(x_{split}, dtype=torch.float32)"
        ));
        script.line(&format!(
            "y_{split} = torch.tensor(y_{split}, dtype=torch.{label_type})"
        ));
    }
    script.blank();
}

fn write_pytorch_model(script: &mut Script, valid: &ValidSpec) {
    if is_image(valid.input_shape) {
        script.block(PYTORCH_IMAGE_MODULES);
        script.blank();
    }
    script.line("model = nn.Sequential(");
    if let FeatureShape::Image {
        height,
        width,
        channels,
    } = valid.input_shape
    {
        script.line(&format!(
            "    ChannelsFirst({height}, {width}, {channels}),"
        ));
    }
    let last = valid.layers.len() - 1;
    for ((index, plan), input) in valid.layers.iter().enumerate().zip(layer_inputs(valid)) {
        if matches!(plan, LayerPlan::Dense { .. }) && is_image(input) {
            script.line("    FlattenChannelsLast(),");
        }
        match *plan {
            LayerPlan::Dense { inputs, units, .. } if index == last => {
                let note = match (valid.task, valid.spec.loss) {
                    (Task::Regression, _) | (_, Loss::MeanSquaredError) => "linear output layer",
                    (_, Loss::CrossEntropy) => {
                        "output logits; CrossEntropyLoss applies the softmax"
                    }
                    (_, Loss::BinaryCrossEntropy) => {
                        "output logit; BCEWithLogitsLoss applies the sigmoid"
                    }
                };
                script.line(&format!("    nn.Linear({inputs}, {units}),  # {note}"));
            }
            LayerPlan::Dense {
                inputs,
                units,
                activation,
            } => {
                script.line(&format!("    nn.Linear({inputs}, {units}),"));
                write_pytorch_activation(script, activation);
            }
            LayerPlan::Conv2d {
                window,
                filters,
                activation,
            } => {
                let (top, bottom, left, right) = window.padding();
                if (top, bottom, left, right) != (0, 0, 0, 0) {
                    // Keras's "same" padding puts an odd extra row or column after the
                    // image, which Conv2d's symmetric padding argument cannot express.
                    script.line(&format!(
                        "    nn.ZeroPad2d(({left}, {right}, {top}, {bottom})),"
                    ));
                }
                script.line(&format!(
                    "    nn.Conv2d({}, {filters}, kernel_size={}, stride={}),",
                    window.channels, window.size, window.stride
                ));
                write_pytorch_activation(script, activation);
            }
            LayerPlan::Pool2d { window, kind } => {
                let module = match kind {
                    PoolKind::Max => "MaxPool2d",
                    PoolKind::Average => "AvgPool2d",
                };
                script.line(&format!(
                    "    nn.{module}(kernel_size={}, stride={}),",
                    window.size, window.stride
                ));
            }
            LayerPlan::Flatten { .. } if is_image(input) => {
                script.line("    FlattenChannelsLast(),");
            }
            LayerPlan::Flatten { .. } => script.line("    nn.Flatten(),"),
            LayerPlan::BatchNorm { shape } => {
                let module = if is_image(shape) {
                    "BatchNorm2d"
                } else {
                    "BatchNorm1d"
                };
                // PyTorch's momentum weighs the new batch: 1 - Keras's 0.99.
                script.line(&format!(
                    "    nn.{module}({}, eps=0.001, momentum=0.01),",
                    shape.channels()
                ));
            }
            LayerPlan::LayerNorm { shape } if is_image(shape) => {
                script.line(&format!("    ChannelsLastLayerNorm({}),", shape.channels()));
            }
            LayerPlan::LayerNorm { shape } => {
                script.line(&format!(
                    "    nn.LayerNorm({}, eps=0.001),",
                    shape.channels()
                ));
            }
            LayerPlan::Dropout { rate, .. } => {
                script.line(&format!("    nn.Dropout(p={}),", python_float(rate)));
            }
        }
    }
    script.line(")");
    script.blank();
}

fn write_pytorch_activation(script: &mut Script, activation: Activation) {
    let module = match activation {
        Activation::Relu => Some("nn.ReLU()".to_string()),
        Activation::Sigmoid => Some("nn.Sigmoid()".to_string()),
        Activation::Tanh => Some("nn.Tanh()".to_string()),
        Activation::LeakyRelu => Some(format!("nn.LeakyReLU(negative_slope={LEAKY_RELU_SLOPE:?})")),
        // The default approximate="none" is the exact GELU that the playground uses.
        Activation::Gelu => Some("nn.GELU()".to_string()),
        Activation::Linear => None,
    };
    if let Some(module) = module {
        script.line(&format!("    {module},"));
    }
}

/// Modules that let PyTorch, which stores images channels first, read and write the
/// playground's channels-last rows, so that Dense kernels after a Flatten keep their layout.
const PYTORCH_IMAGE_MODULES: &str = r#"
class ChannelsFirst(nn.Module):
    """Reshape rows of height x width x channels values to (rows, channels, height,
    width)."""

    def __init__(self, height, width, channels):
        super().__init__()
        self.shape = (height, width, channels)

    def forward(self, x):
        return x.reshape(-1, *self.shape).permute(0, 3, 1, 2)


class FlattenChannelsLast(nn.Module):
    """Flatten (rows, channels, height, width) in height, width, channel order, as Keras
    and the playground do."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1)


class ChannelsLastLayerNorm(nn.Module):
    """Normalize over the channels at each image position, as Keras's LayerNormalization
    does for channels-last images."""

    def __init__(self, channels):
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=0.001)

    def forward(self, x):
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
"#;

const PYTORCH_INIT: &str = r#"

# The playground initializes like Keras, with Glorot-uniform (Xavier-uniform) kernels
# and zero biases. PyTorch's nn.Linear and nn.Conv2d defaults differ, with weights and
# biases drawn uniformly from (-1/sqrt(fan_in), 1/sqrt(fan_in)).
def init_like_playground(module):
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)


model.apply(init_like_playground)
print(model)
"#;

const PYTORCH_LOAD_WEIGHTS: &str = r#"
# Load the weights trained in the playground if you exported them to model.safetensors.
# It names each tensor {layer}_{i}/{weight} in Keras's layout, with i counting the
# layers of one type from 0 in order: dense_0/kernel (inputs, units), dense_0/bias,
# conv2d_0/kernel (height, width, channels, filters), batch_normalization_0/moving_mean,
# and so on. Training below continues from them. Without the file, training starts from
# the fresh initial weights above.
def playground_tensors(module):
    """Return the file prefix and (name, parameter, Keras-to-PyTorch layout) list."""
    if isinstance(module, nn.Linear):
        # nn.Linear.weight is (units, inputs), the transpose of the kernel.
        return "dense", [
            ("kernel", module.weight, lambda t: t.T),
            ("bias", module.bias, None),
        ]
    if isinstance(module, nn.Conv2d):
        # nn.Conv2d.weight is (filters, channels, height, width).
        return "conv2d", [
            ("kernel", module.weight, lambda t: t.permute(3, 2, 0, 1)),
            ("bias", module.bias, None),
        ]
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return "batch_normalization", [
            ("gamma", module.weight, None),
            ("beta", module.bias, None),
            ("moving_mean", module.running_mean, None),
            ("moving_variance", module.running_var, None),
        ]
    if isinstance(module, nn.LayerNorm):
        return "layer_normalization", [
            ("gamma", module.weight, None),
            ("beta", module.bias, None),
        ]
    return None, []


if os.path.exists("model.safetensors"):
    weights = load_file("model.safetensors")
    counts = {}
    assignments = []
    for module in model.modules():
        prefix, tensors = playground_tensors(module)
        if prefix is None:
            continue
        index = counts.get(prefix, 0)
        counts[prefix] = index + 1
        for name, target, layout in tensors:
            assignments.append((f"{prefix}_{index}/{name}", target, layout))
    if sorted(weights) != sorted(key for key, _, _ in assignments):
        raise ValueError(
            f"model.safetensors contains {len(weights)} tensors, but this model needs "
            f"{len(assignments)} others; export the weights of this network again."
        )
    with torch.no_grad():
        for key, target, layout in assignments:
            value = torch.tensor(weights[key])
            if layout is not None:
                value = layout(value)
            if value.shape != target.shape:
                raise ValueError(
                    f"{key} in model.safetensors has shape {tuple(value.shape)}, but "
                    f"this model needs {tuple(target.shape)}; "
                    "export the weights of this network again."
                )
            target.copy_(value)
    print("Loaded the playground's weights from model.safetensors.")
else:
    print("model.safetensors not found; training starts from fresh initial weights.")
"#;

fn write_pytorch_loss(script: &mut Script, valid: &ValidSpec) {
    if is_regression(valid) {
        script.block(PYTORCH_REGRESSION_LOSS);
        script.blank();
        script.blank();
        return;
    }
    match valid.spec.loss {
        Loss::CrossEntropy => script.block(
            r#"
loss_fn = nn.CrossEntropyLoss()


def loss_targets(labels):
    """Return the class indices, which CrossEntropyLoss takes as targets."""
    return labels


def predict_classes(outputs):
    """Return the class with the largest logit in each row."""
    return outputs.argmax(dim=1)
"#,
        ),
        Loss::BinaryCrossEntropy => script.block(
            r#"
loss_fn = nn.BCEWithLogitsLoss()


def loss_targets(labels):
    """Return float targets of shape (rows, 1), as BCEWithLogitsLoss needs."""
    return labels.float().unsqueeze(1)


def predict_classes(outputs):
    """Return class 1 where the logit is above 0 (a sigmoid above 0.5), else class 0."""
    return (outputs[:, 0] > 0).long()
"#,
        ),
        Loss::MeanSquaredError => {
            script.line("loss_fn = nn.MSELoss()");
            script.blank();
            script.blank();
            script.line("def loss_targets(labels):");
            script.line(&format!(
                "    \"\"\"Return one-hot rows of {} values, which MSELoss compares with the \
                 outputs.\"\"\"",
                valid.classes
            ));
            script.line(&format!(
                "    return nn.functional.one_hot(labels, num_classes={}).float()",
                valid.classes
            ));
            script.block(
                r#"

def predict_classes(outputs):
    """Return the index of the largest output in each row."""
    return outputs.argmax(dim=1)
"#,
            );
        }
    }
    script.blank();
    script.blank();
}

fn write_pytorch_optimizer(script: &mut Script, optimizer: &OptimizerSpec) {
    match *optimizer {
        OptimizerSpec::Sgd {
            learning_rate,
            momentum,
        } => {
            script.block(
                r#"
# SGD with classic momentum, which PyTorch and the playground compute alike:
#     v = momentum * v + g, then w -= lr * v
"#,
            );
            script.call(
                "optimizer = torch.optim.SGD",
                &[
                    "model.parameters()".to_string(),
                    format!("lr={}", python_float(learning_rate)),
                    format!("momentum={}", python_float(momentum)),
                ],
            );
        }
        OptimizerSpec::Adam {
            learning_rate,
            beta1,
            beta2,
            epsilon,
        } => {
            script.block(
                r#"
# PyTorch's Adam adds eps after the bias correction, as the playground's (from dfdx
# 0.13) does:
#     w -= lr * m_hat / (sqrt(v_hat) + eps)
# eps is the playground's value, whose default is Keras's 1e-7. PyTorch's default is
# 1e-8.
"#,
            );
            script.call(
                "optimizer = torch.optim.Adam",
                &[
                    "model.parameters()".to_string(),
                    format!("lr={}", python_float(learning_rate)),
                    format!("betas=({}, {})", python_float(beta1), python_float(beta2)),
                    format!("eps={}", python_float(epsilon)),
                ],
            );
        }
        OptimizerSpec::Rmsprop {
            learning_rate,
            rho,
            epsilon,
            momentum,
        } => {
            script.block(
                r#"
# PyTorch's alpha is the rho of the playground and Keras. Without momentum, PyTorch
# computes
#     w -= lr * g / (sqrt(s) + eps),
# while the playground's RMSprop (from dfdx 0.13), like Keras 3's, puts eps inside the
# square root:
#     w -= lr * g / sqrt(s + eps)
# The updates differ most where s is about as small as eps or smaller.
"#,
            );
            script.call(
                "optimizer = torch.optim.RMSprop",
                &[
                    "model.parameters()".to_string(),
                    format!("lr={}", python_float(learning_rate)),
                    format!("alpha={}", python_float(rho)),
                    format!("eps={}", python_float(epsilon)),
                    format!("momentum={}", python_float(momentum)),
                ],
            );
        }
    }
    script.blank();
    script.blank();
}

const PYTORCH_REGRESSION_LOSS: &str = r#"
loss_fn = nn.MSELoss()


def loss_targets(targets):
    """Return the targets as a column of shape (rows, 1), like the linear output."""
    return targets.unsqueeze(1)


def metric_sum(outputs, targets):
    """Return the sum of the absolute errors, for the mean absolute error."""
    return (outputs[:, 0] - targets).abs().sum().item()
"#;

const PYTORCH_CLASSIFICATION_METRIC: &str = r#"


def metric_sum(outputs, labels):
    """Return the number of rows whose predicted class is the label."""
    return (predict_classes(outputs) == labels).sum().item()
"#;

fn write_pytorch_training(script: &mut Script, valid: &ValidSpec) {
    if !is_regression(valid) {
        script.block(PYTORCH_CLASSIFICATION_METRIC);
        script.blank();
        script.blank();
    }
    let validation = validation_row_count(valid) > 0;
    let metric = metric_name(valid);
    if has_test_split(valid) || validation {
        script.block(&PYTORCH_EVALUATE.replace("METRIC", metric));
        script.blank();
    }
    let report = if validation {
        "    val_loss, val_METRIC = evaluate(x_val, y_val)\n    print(\n        f\"epoch {epoch}/{EPOCHS}: loss {mean_loss:.4f}, METRIC {METRIC:.4f}, \"\n        f\"val_loss {val_loss:.4f}, val_METRIC {val_METRIC:.4f}\"\n    )\n"
    } else {
        "    print(f\"epoch {epoch}/{EPOCHS}: loss {mean_loss:.4f}, METRIC {METRIC:.4f}\")\n"
    };
    script.block(&(PYTORCH_TRAIN.to_string() + report).replace("METRIC", metric));
    if has_test_split(valid) {
        script.blank();
        script.line(&format!(
            "test_loss, test_{metric} = evaluate(x_test, y_test)"
        ));
        script.line(&print_test_metrics(valid));
    }
}

const PYTORCH_EVALUATE: &str = r#"
def evaluate(features, labels):
    """Return the mean loss and METRIC on all rows, with dropout off."""
    model.eval()
    with torch.no_grad():
        outputs = model(features)
        loss = loss_fn(outputs, loss_targets(labels)).item()
        metric = metric_sum(outputs, labels) / len(labels)
    model.train()
    return loss, metric

"#;

const PYTORCH_TRAIN: &str = r#"
# Like Keras's fit and the playground, report the loss and METRIC averaged over each
# epoch's batches while the weights change.
shuffle_generator = torch.Generator().manual_seed(SEED)
model.train()
for epoch in range(1, EPOCHS + 1):
    order = torch.randperm(len(x_train), generator=shuffle_generator)
    loss_sum = 0.0
    metric_total = 0.0
    for start in range(0, len(order), BATCH_SIZE):
        rows = order[start : start + BATCH_SIZE]
        outputs = model(x_train[rows])
        loss = loss_fn(outputs, loss_targets(y_train[rows]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(rows)
        metric_total += metric_sum(outputs.detach(), y_train[rows])
    mean_loss = loss_sum / len(order)
    METRIC = metric_total / len(order)
"#;
