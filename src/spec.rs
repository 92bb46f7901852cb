//! The network spec: plain data that the page edits, stores in the URL and sends to the engine.
//! `NetworkSpec::validate` checks every field before anything is built, so that building and
//! training never meet a size that dfdx 0.13 would panic on (it panics on zero-element tensors).

use crate::error::{PlaygroundError, Result};
use serde::{Deserialize, Serialize};

/// Hidden layers the editor allows, from 0 (logistic regression) upwards.
pub const MAX_HIDDEN_LAYERS: usize = 16;
pub const MAX_UNITS: i64 = 1024;
pub const MAX_BATCH_SIZE: i64 = 4096;
pub const MAX_EPOCHS: i64 = 10_000;
/// Dropout keeps at least 5% of the units, because the rescaling by 1 / (1 - rate) grows
/// without bound as the rate nears 1.
pub const MAX_DROPOUT_RATE: f64 = 0.95;
pub const MAX_LEARNING_RATE: f64 = 10.0;
/// Largest Huber delta; with one-hot targets, a delta above 1 already makes the loss quadratic
/// for every output between -1 and 2.
pub const MAX_HUBER_DELTA: f64 = 1000.0;
/// Largest L1 or L2 rate and AdamW weight decay. Keras's regularizers default to 0.01.
pub const MAX_PENALTY_RATE: f64 = 1.0;
/// Seeds stay below 2^32 so that JavaScript numbers carry them exactly.
pub const MAX_SEED: i64 = u32::MAX as i64;
/// Trainable parameters, so that weights, gradients and two optimizer moments stay near
/// 64 MiB of f32.
pub const MAX_PARAMETERS: u64 = 4_000_000;
/// Activation bytes one training batch may hold (pre-activations, activations and their
/// gradients), so that a wide layer with a large batch gets a message instead of exhausting
/// the tab's memory.
pub const MAX_ACTIVATION_BYTES: u64 = 256 << 20;

/// Everything that defines a run: the same spec and seed give the same losses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    pub data: DataSpec,
    /// Hidden layers; the output layer follows from the data and the loss.
    pub layers: Vec<LayerSpec>,
    pub loss: Loss,
    pub optimizer: OptimizerSpec,
    pub batch_size: i64,
    pub epochs: i64,
    pub seed: i64,
    // The training options below are left out of the JSON while they have their defaults, so
    // a spec that uses none of them serializes as it did before they existed.
    /// Huber loss's threshold between its quadratic and its linear part, read only with
    /// `Loss::Huber`. Keras's default is 1.0.
    #[serde(
        default = "default_huber_delta",
        skip_serializing_if = "is_default_huber_delta"
    )]
    pub huber_delta: f64,
    /// L1 and L2 penalties on the Dense and Conv2D kernels (not the biases), as Keras's
    /// `kernel_regularizer`; both 0 by default.
    #[serde(default, skip_serializing_if = "is_default")]
    pub kernel_regularizer: KernelRegularizer,
    /// Learning-rate schedule over the epochs; constant by default.
    #[serde(default, skip_serializing_if = "is_default")]
    pub schedule: ScheduleSpec,
}

fn default_huber_delta() -> f64 {
    1.0
}

fn is_default_huber_delta(delta: &f64) -> bool {
    *delta == default_huber_delta()
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Penalties added to the data loss for every Dense and Conv2D kernel W,
/// `l1 * sum(|W|) + l2 * sum(W^2)` as Keras's `L1L2` regularizer computes them (without a
/// factor 1/2 on the L2 term).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelRegularizer {
    #[serde(default)]
    pub l1: f64,
    #[serde(default)]
    pub l2: f64,
}

impl KernelRegularizer {
    pub fn is_active(&self) -> bool {
        self.l1 > 0.0 || self.l2 > 0.0
    }
}

/// A learning-rate schedule: an optional linear warm-up, then a decay over the remaining
/// epochs. The rate changes only between epochs (see `crate::schedule`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    #[serde(default)]
    pub decay: Decay,
    /// Epochs of linear warm-up before the decay starts; 0 for none.
    #[serde(default)]
    pub warmup_epochs: i64,
}

/// How the learning rate falls after the warm-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Decay {
    /// The optimizer's learning rate throughout.
    #[default]
    Constant,
    /// Multiplies the rate by `factor` every `step_epochs` epochs (PyTorch's `StepLR` with
    /// `gamma` = factor and `step_size` = step_epochs).
    Step { factor: f64, step_epochs: i64 },
    /// Cosine decay from the learning rate to `alpha` times it at the last epoch (Keras's
    /// `CosineDecay` alpha).
    Cosine {
        #[serde(default)]
        alpha: f64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSet {
    /// The 150 rows of the UCI Iris data, as scikit-learn distributes them.
    Iris,
    /// TensorFlow Playground's 2-D sets, generated from the seed.
    Circle,
    Xor,
    Gaussian,
    Spiral,
    /// Synthetic rows of 784 standard-normal features (the size of an MNIST image) labelled
    /// by a fixed random linear teacher into 10 classes; a compute-heavy workload.
    Teacher,
    /// UCI's wine recognition data: 178 rows of 13 chemical measurements, 3 cultivars.
    Wine,
    /// UCI's Wisconsin diagnostic breast cancer data: 569 rows of 30 features of cell nuclei,
    /// malignant or benign.
    BreastCancer,
    /// UCI's optical recognition of handwritten digits: 1,797 images of 8x8 pixels, each
    /// scaled from 0..16 to 0..1, digits 0 to 9.
    Digits,
    /// A CSV file the user uploaded; `DataSpec::csv` holds its shape.
    Csv,
    /// TensorFlow Playground's regression sets, generated from the seed: points in
    /// [-6, 6]² with one real-valued target each. Plane: (x + y) / 10.
    Plane,
    /// Six Gaussian bumps of height +1 or -1; the target is the bump of largest magnitude.
    MultiGaussian,
}

/// What the output layer predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// One class index per row.
    #[default]
    Classification,
    /// One real-valued target per row, predicted by a single linear output unit. Targets stay
    /// unscaled (only the features are standardized), as Keras users usually train.
    Regression,
}

impl DataSet {
    pub fn name(self) -> &'static str {
        match self {
            Self::Iris => "iris",
            Self::Circle => "circle",
            Self::Xor => "xor",
            Self::Gaussian => "gaussian",
            Self::Spiral => "spiral",
            Self::Teacher => "teacher",
            Self::Wine => "wine",
            Self::BreastCancer => "breast_cancer",
            Self::Digits => "digits",
            Self::Csv => "csv",
            Self::Plane => "plane",
            Self::MultiGaussian => "multi_gaussian",
        }
    }

    /// Whether the rows are generated from the seed, with `DataSpec::samples` rows.
    pub fn is_generated(self) -> bool {
        matches!(
            self,
            Self::Circle
                | Self::Xor
                | Self::Gaussian
                | Self::Spiral
                | Self::Teacher
                | Self::Plane
                | Self::MultiGaussian
        )
    }

    /// The file under data/ that holds a shipped set too large to embed in the module; the
    /// page fetches it and passes its text to the engine.
    pub fn file_name(self) -> Option<&'static str> {
        match self {
            Self::Wine => Some("wine_data.csv"),
            Self::BreastCancer => Some("breast_cancer.csv"),
            Self::Digits => Some("digits.csv"),
            _ => None,
        }
    }

    /// Whether the rows come from text that the caller passes with the spec.
    pub fn needs_text(self) -> bool {
        self == Self::Csv || self.file_name().is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    pub set: DataSet,
    /// Share of rows used for training, in percent; 100 means no test split.
    #[serde(default = "default_train_percent")]
    pub train_percent: f64,
    /// Share of the training rows held out for validation, in percent (as Keras's
    /// `validation_split`); 0 means no validation split. The validation rows are the last of
    /// the shuffled training rows, and standardization is fitted on the remaining ones. Left
    /// out of the JSON when 0, so specs without a validation split read as before it existed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub validation_percent: f64,
    /// Noise of the 2-D sets, in percent (0 to 50, as in TensorFlow Playground): it moves
    /// points across the class boundary, or shifts the point a regression target is read at.
    #[serde(default)]
    pub noise: f64,
    /// Rows generated for the 2-D and teacher sets; the other sets have their own row count.
    #[serde(default = "default_samples")]
    pub samples: i64,
    /// Z-score each feature with the mean and standard deviation of the training rows.
    #[serde(default = "default_true")]
    pub standardize: bool,
    /// The uploaded file's label column and shape; required for the CSV set, absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv: Option<CsvSpec>,
}

/// The shape of an uploaded CSV file, as parsing it with `label_column` gave it. The spec
/// carries it so that a spec validates before the file's text reaches the engine; loading the
/// text checks that the file still has this shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvSpec {
    /// Index of the label column, from 0.
    pub label_column: i64,
    /// Data rows, without the header.
    pub rows: i64,
    pub features: i64,
    /// Classes of the label column; 0 for a regression target.
    pub classes: i64,
    /// Classification or regression; specs written before regression existed are
    /// classification.
    #[serde(default)]
    pub task: Task,
}

fn default_train_percent() -> f64 {
    100.0
}

fn default_samples() -> i64 {
    500
}

fn default_true() -> bool {
    true
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

pub const MIN_SAMPLES: i64 = 20;
pub const MAX_SAMPLES: i64 = 10_000;
pub const TEACHER_FEATURES: usize = 784;
pub const TEACHER_CLASSES: usize = 10;
pub const MIN_TRAIN_PERCENT: f64 = 10.0;
/// Largest validation share of the training rows, so that training keeps at least half.
pub const MAX_VALIDATION_PERCENT: f64 = 50.0;
pub const MAX_NOISE: f64 = 50.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LayerSpec {
    /// A fully connected layer. On image-shaped input it reads the values flattened in
    /// height, width, channel order, as if a Flatten layer came first.
    Dense {
        units: i64,
        activation: Activation,
    },
    Dropout {
        rate: f64,
    },
    /// A 2-D convolution over images stored height, width, channel (Keras's channels_last),
    /// with a square kernel.
    Conv2d {
        filters: i64,
        kernel_size: i64,
        #[serde(default = "default_stride")]
        stride: i64,
        #[serde(default)]
        padding: Padding,
        activation: Activation,
    },
    /// Maximum over each square window, per channel, without padding. The stride defaults to
    /// the pool size, as in Keras.
    MaxPool2d {
        pool_size: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stride: Option<i64>,
    },
    /// Mean over each square window, per channel, without padding.
    AvgPool2d {
        pool_size: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stride: Option<i64>,
    },
    /// Turns an image into a flat vector (height, width, channel order).
    Flatten,
    /// Batch normalization over the batch (and, for images, every position) per channel, with
    /// Keras's momentum 0.99 for the moving statistics and epsilon 0.001.
    BatchNorm,
    /// Layer normalization over the channels of each row (and image position), with Keras's
    /// epsilon 0.001.
    LayerNorm,
}

fn default_stride() -> i64 {
    1
}

/// Padding of a convolution, as Keras names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// No padding: the window stays inside the input.
    #[default]
    Valid,
    /// Zero padding so that the output has ceil(input / stride) positions per side.
    Same,
}

impl LayerSpec {
    /// Returns the layer's name as the editor, Keras and the error messages show it.
    pub fn display_name(&self) -> &'static str {
        match self {
            Self::Dense { .. } => "Dense",
            Self::Dropout { .. } => "Dropout",
            Self::Conv2d { .. } => "Conv2D",
            Self::MaxPool2d { .. } => "MaxPooling2D",
            Self::AvgPool2d { .. } => "AveragePooling2D",
            Self::Flatten => "Flatten",
            Self::BatchNorm => "BatchNormalization",
            Self::LayerNorm => "LayerNormalization",
        }
    }
}

/// Shape of one row's values between layers, without the batch dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureShape {
    Flat(usize),
    /// Stored flat in height, width, channel order.
    Image {
        height: usize,
        width: usize,
        channels: usize,
    },
}

impl FeatureShape {
    pub fn len(self) -> usize {
        match self {
            Self::Flat(len) => len,
            Self::Image {
                height,
                width,
                channels,
            } => height * width * channels,
        }
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// Size of the last axis, which normalization layers treat as channels.
    pub fn channels(self) -> usize {
        match self {
            Self::Flat(len) => len,
            Self::Image { channels, .. } => channels,
        }
    }

    /// Returns the shape as Keras prints it, without the batch dimension.
    pub fn dims(self) -> Vec<usize> {
        match self {
            Self::Flat(len) => vec![len],
            Self::Image {
                height,
                width,
                channels,
            } => vec![height, width, channels],
        }
    }
}

/// Sizes of a convolution or pooling window over an image, resolved by validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub input_height: usize,
    pub input_width: usize,
    pub channels: usize,
    pub size: usize,
    pub stride: usize,
    /// Zero rows and columns added before the first row and column; "same" padding puts any
    /// odd extra one after the last, as TensorFlow does.
    pub pad_top: usize,
    pub pad_left: usize,
    pub output_height: usize,
    pub output_width: usize,
}

impl Window {
    /// Resolves a window of `size` with `stride` over an image. Returns None when the window
    /// does not fit inside the (padded) input.
    pub fn resolve(
        input_height: usize,
        input_width: usize,
        channels: usize,
        size: usize,
        stride: usize,
        padding: Padding,
    ) -> Option<Self> {
        // Output sizes and the padding split follow TensorFlow's definition of "valid" and
        // "same": out = ceil((in - size + 1) / stride) or ceil(in / stride).
        let side = |input: usize| -> Option<(usize, usize)> {
            match padding {
                Padding::Valid => (size <= input).then(|| ((input - size) / stride + 1, 0)),
                Padding::Same => {
                    let output = input.div_ceil(stride);
                    let needed = ((output - 1) * stride + size).saturating_sub(input);
                    Some((output, needed / 2))
                }
            }
        };
        let (output_height, pad_top) = side(input_height)?;
        let (output_width, pad_left) = side(input_width)?;
        Some(Self {
            input_height,
            input_width,
            channels,
            size,
            stride,
            pad_top,
            pad_left,
            output_height,
            output_width,
        })
    }

    pub fn output_positions(&self) -> usize {
        self.output_height * self.output_width
    }

    /// Zero rows and columns added on each side: (top, bottom, left, right).
    pub fn padding(&self) -> (usize, usize, usize, usize) {
        let total = |output: usize, input: usize| {
            ((output - 1) * self.stride + self.size).saturating_sub(input)
        };
        let height = total(self.output_height, self.input_height);
        let width = total(self.output_width, self.input_width);
        (
            self.pad_top,
            height.saturating_sub(self.pad_top),
            self.pad_left,
            width.saturating_sub(self.pad_left),
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    Average,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    Relu,
    Sigmoid,
    Tanh,
    /// Negative slope 0.01, PyTorch's default.
    LeakyRelu,
    /// The exact form x * Phi(x), the default of Keras and PyTorch.
    Gelu,
    Linear,
}

pub const LEAKY_RELU_SLOPE: f32 = 0.01;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Softmax over the classes, then cross-entropy with the class index
    /// (Keras's sparse categorical cross-entropy).
    CrossEntropy,
    /// One sigmoid output, then binary cross-entropy; needs exactly 2 classes.
    BinaryCrossEntropy,
    /// Mean squared error between a linear output and the one-hot label, or the real-valued
    /// target of a regression task.
    MeanSquaredError,
    /// Huber loss between a linear output and the one-hot label, averaged over every output,
    /// as Keras's `Huber`: 0.5 * d^2 where |d| < delta, else delta * (|d| - 0.5 * delta), for
    /// d = output - target, with delta from `NetworkSpec::huber_delta`.
    Huber,
}

impl Loss {
    pub fn name(self) -> &'static str {
        match self {
            Self::CrossEntropy => "cross_entropy",
            Self::BinaryCrossEntropy => "binary_cross_entropy",
            Self::MeanSquaredError => "mean_squared_error",
            Self::Huber => "huber",
        }
    }

    /// Width of the output layer for a data set with `classes` classes, or for a regression
    /// target (one unit).
    pub fn output_units(self, task: Task, classes: usize) -> usize {
        match (task, self) {
            (Task::Regression, _) | (_, Self::BinaryCrossEntropy) => 1,
            (Task::Classification, Self::CrossEntropy | Self::MeanSquaredError | Self::Huber) => {
                classes
            }
        }
    }

    /// Returns whether the loss compares the output with a target matrix of real values, and
    /// so can train a regression task. The cross-entropy losses need class labels.
    pub fn fits_regression(self) -> bool {
        match self {
            Self::MeanSquaredError | Self::Huber => true,
            Self::CrossEntropy | Self::BinaryCrossEntropy => false,
        }
    }
}

/// Optimizer and its hyperparameters. Unset fields take Keras's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerSpec {
    /// SGD with classic momentum: v = momentum * v + g, then w -= lr * v.
    Sgd {
        learning_rate: f64,
        #[serde(default)]
        momentum: f64,
    },
    /// Adam (Kingma and Ba, 2015) as dfdx 0.13 implements it:
    /// w -= lr * m_hat / (sqrt(v_hat) + epsilon). Keras adds epsilon to sqrt(v) before the
    /// bias correction instead, which differs only in the size of epsilon's effect.
    Adam {
        learning_rate: f64,
        #[serde(default = "default_beta1")]
        beta1: f64,
        #[serde(default = "default_beta2")]
        beta2: f64,
        #[serde(default = "default_epsilon")]
        epsilon: f64,
    },
    /// RMSprop as dfdx 0.13 implements it: w -= lr * g / sqrt(s + epsilon), with epsilon inside
    /// the square root, as Keras 3 does too. PyTorch puts it outside,
    /// w -= lr * g / (sqrt(s) + epsilon).
    Rmsprop {
        learning_rate: f64,
        #[serde(default = "default_rho")]
        rho: f64,
        #[serde(default = "default_epsilon")]
        epsilon: f64,
        #[serde(default)]
        momentum: f64,
    },
    /// AdamW (Loshchilov and Hutter, 2019): dfdx 0.13's Adam with decoupled weight decay,
    /// w -= lr * m_hat / (sqrt(v_hat) + epsilon) + lr * weight_decay * w, on every weight and
    /// bias. The decay is multiplied by the learning rate, as in PyTorch's and Keras 3's AdamW.
    Adamw {
        learning_rate: f64,
        #[serde(default = "default_beta1")]
        beta1: f64,
        #[serde(default = "default_beta2")]
        beta2: f64,
        #[serde(default = "default_epsilon")]
        epsilon: f64,
        #[serde(default = "default_weight_decay")]
        weight_decay: f64,
    },
}

/// Keras 3's AdamW default (keras.io/api/optimizers/adamw); PyTorch's is 0.01.
fn default_weight_decay() -> f64 {
    0.004
}

fn default_beta1() -> f64 {
    0.9
}

fn default_beta2() -> f64 {
    0.999
}

/// Keras's default epsilon (PyTorch uses 1e-8).
fn default_epsilon() -> f64 {
    1e-7
}

fn default_rho() -> f64 {
    0.9
}

impl OptimizerSpec {
    pub fn learning_rate(&self) -> f64 {
        match self {
            Self::Sgd { learning_rate, .. }
            | Self::Adam { learning_rate, .. }
            | Self::Rmsprop { learning_rate, .. }
            | Self::Adamw { learning_rate, .. } => *learning_rate,
        }
    }
}

/// A layer of the validated network, with its sizes resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LayerPlan {
    Dense {
        inputs: usize,
        units: usize,
        activation: Activation,
    },
    Dropout {
        shape: FeatureShape,
        rate: f64,
    },
    Conv2d {
        window: Window,
        filters: usize,
        activation: Activation,
    },
    Pool2d {
        window: Window,
        kind: PoolKind,
    },
    Flatten {
        units: usize,
    },
    BatchNorm {
        shape: FeatureShape,
    },
    LayerNorm {
        shape: FeatureShape,
    },
}

/// Keras's default epsilon of BatchNormalization and LayerNormalization.
pub const NORM_EPSILON: f64 = 1e-3;
/// Keras's default momentum of BatchNormalization's moving mean and variance.
pub const BATCH_NORM_MOMENTUM: f64 = 0.99;

impl LayerPlan {
    pub fn output_shape(&self) -> FeatureShape {
        match *self {
            Self::Dense { units, .. } | Self::Flatten { units } => FeatureShape::Flat(units),
            Self::Dropout { shape, .. } | Self::BatchNorm { shape } | Self::LayerNorm { shape } => {
                shape
            }
            Self::Conv2d {
                window, filters, ..
            } => FeatureShape::Image {
                height: window.output_height,
                width: window.output_width,
                channels: filters,
            },
            Self::Pool2d { window, .. } => FeatureShape::Image {
                height: window.output_height,
                width: window.output_width,
                channels: window.channels,
            },
        }
    }

    /// Values per row that the layer outputs.
    pub fn output_units(&self) -> usize {
        self.output_shape().len()
    }

    pub fn parameters(&self) -> u64 {
        self.tensors()
            .iter()
            .filter(|tensor| tensor.trainable)
            .map(|tensor| tensor.shape.iter().product::<usize>() as u64)
            .sum()
    }

    /// Lists the layer's stored tensors in the order of `Network::parameter_values`, with Keras's
    /// names and shapes.
    pub fn tensors(&self) -> Vec<TensorPlan> {
        let tensor = |name, shape: Vec<usize>, trainable| TensorPlan {
            name,
            shape,
            trainable,
        };
        match *self {
            Self::Dense { inputs, units, .. } => vec![
                tensor("kernel", vec![inputs, units], true),
                tensor("bias", vec![units], true),
            ],
            Self::Conv2d {
                window, filters, ..
            } => vec![
                tensor(
                    "kernel",
                    vec![window.size, window.size, window.channels, filters],
                    true,
                ),
                tensor("bias", vec![filters], true),
            ],
            Self::BatchNorm { shape } => vec![
                tensor("gamma", vec![shape.channels()], true),
                tensor("beta", vec![shape.channels()], true),
                tensor("moving_mean", vec![shape.channels()], false),
                tensor("moving_variance", vec![shape.channels()], false),
            ],
            Self::LayerNorm { shape } => vec![
                tensor("gamma", vec![shape.channels()], true),
                tensor("beta", vec![shape.channels()], true),
            ],
            Self::Dropout { .. } | Self::Pool2d { .. } | Self::Flatten { .. } => Vec::new(),
        }
    }

    /// Returns the prefix of the layer's tensor names in model files, as in Keras's default layer
    /// names.
    pub fn file_prefix(&self) -> &'static str {
        match self {
            Self::Dense { .. } => "dense",
            Self::Conv2d { .. } => "conv2d",
            Self::BatchNorm { .. } => "batch_normalization",
            Self::LayerNorm { .. } => "layer_normalization",
            Self::Dropout { .. } => "dropout",
            Self::Pool2d {
                kind: PoolKind::Max,
                ..
            } => "max_pooling2d",
            Self::Pool2d {
                kind: PoolKind::Average,
                ..
            } => "average_pooling2d",
            Self::Flatten { .. } => "flatten",
        }
    }
}

/// One stored tensor of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorPlan {
    pub name: &'static str,
    pub shape: Vec<usize>,
    /// False for BatchNormalization's moving statistics, which training updates by averaging
    /// rather than by gradient.
    pub trainable: bool,
}

/// A spec that passed validation, with every size resolved to `usize`.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSpec {
    pub spec: NetworkSpec,
    pub task: Task,
    pub features: usize,
    /// The shape the first layer receives: an image for networks with Conv2D or pooling
    /// layers on an image data set, flat otherwise.
    pub input_shape: FeatureShape,
    /// Classes of a classification task; 0 for regression.
    pub classes: usize,
    /// Hidden layers followed by the output layer, whose activation is applied by the loss.
    pub layers: Vec<LayerPlan>,
    pub batch_size: usize,
    pub epochs: usize,
    pub seed: u64,
    /// Rows of the whole data set, before the split.
    pub samples: usize,
}

impl ValidSpec {
    pub fn parameters(&self) -> u64 {
        self.layers.iter().map(LayerPlan::parameters).sum()
    }
}

/// Shape of a data set, known before its rows are loaded or generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataShape {
    pub rows: usize,
    pub features: usize,
    /// 0 for a regression task.
    pub classes: usize,
    pub task: Task,
    /// Height, width and channels when each row is an image, for Conv2D and pooling layers.
    pub image: Option<(usize, usize, usize)>,
}

/// Feature columns of an uploaded CSV file the playground accepts; the parameter limit
/// usually binds first.
pub const MAX_CSV_FEATURES: i64 = 10_000;

/// Returns the shape of `data` with `samples` rows for a generated set, checking the CSV shape
/// that the spec carries.
pub fn data_shape(data: &DataSpec, samples: usize) -> Result<DataShape> {
    Ok(match data.set {
        DataSet::Iris => DataShape {
            rows: 150,
            features: 4,
            classes: 3,
            task: Task::Classification,
            image: None,
        },
        DataSet::Wine => DataShape {
            rows: 178,
            features: 13,
            classes: 3,
            task: Task::Classification,
            image: None,
        },
        DataSet::BreastCancer => DataShape {
            rows: 569,
            features: 30,
            classes: 2,
            task: Task::Classification,
            image: None,
        },
        DataSet::Digits => DataShape {
            rows: 1797,
            features: 64,
            classes: 10,
            task: Task::Classification,
            image: Some((8, 8, 1)),
        },
        DataSet::Csv => {
            let csv = data
                .csv
                .as_ref()
                .ok_or_else(|| PlaygroundError::InvalidSpec {
                    message: "data.csv is missing; the csv data set needs the uploaded file's \
                          label column and shape"
                        .to_string(),
                })?;
            check_int(
                "data.csv.label_column",
                csv.label_column,
                0,
                MAX_CSV_FEATURES,
            )?;
            DataShape {
                rows: check_int(
                    "data.csv.rows",
                    csv.rows,
                    crate::csv::MIN_CSV_ROWS as i64,
                    crate::csv::MAX_CSV_ROWS as i64,
                )?,
                features: check_int("data.csv.features", csv.features, 1, MAX_CSV_FEATURES)?,
                classes: match csv.task {
                    Task::Classification => check_int(
                        "data.csv.classes",
                        csv.classes,
                        2,
                        crate::csv::MAX_CSV_CLASSES as i64,
                    )?,
                    Task::Regression => check_int("data.csv.classes", csv.classes, 0, 0)?,
                },
                task: csv.task,
                image: None,
            }
        }
        DataSet::Teacher => DataShape {
            rows: samples,
            features: TEACHER_FEATURES,
            classes: TEACHER_CLASSES,
            task: Task::Classification,
            image: None,
        },
        DataSet::Circle | DataSet::Xor | DataSet::Gaussian | DataSet::Spiral => DataShape {
            rows: samples,
            features: 2,
            classes: 2,
            task: Task::Classification,
            image: None,
        },
        DataSet::Plane | DataSet::MultiGaussian => DataShape {
            rows: samples,
            features: 2,
            classes: 0,
            task: Task::Regression,
            image: None,
        },
    })
}

fn check_int(field: &str, value: i64, min: i64, max: i64) -> Result<usize> {
    if (min..=max).contains(&value) {
        Ok(value as usize)
    } else {
        Err(out_of_range(field, value.to_string(), min, max, false))
    }
}

/// Checks min <= value <= max, or min < value <= max when `open_min` is set.
fn check_float(field: &str, value: f64, min: f64, max: f64, open_min: bool) -> Result<f64> {
    let above_min = if open_min { value > min } else { value >= min };
    if value.is_finite() && above_min && value <= max {
        Ok(value)
    } else {
        Err(out_of_range(field, value.to_string(), min, max, open_min))
    }
}

fn out_of_range(
    field: &str,
    value: String,
    min: impl ToString,
    max: impl ToString,
    min_exclusive: bool,
) -> PlaygroundError {
    PlaygroundError::OutOfRange {
        field: field.to_string(),
        value,
        min: min.to_string(),
        max: max.to_string(),
        min_exclusive,
    }
}

/// Largest value below 1 that beta, rho and momentum may take.
const BELOW_ONE: f64 = 0.9999;

impl NetworkSpec {
    /// Parses a spec from JSON, as stored in a URL or a test fixture.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|error| PlaygroundError::InvalidSpec {
            message: error.to_string(),
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a NetworkSpec always serializes")
    }

    /// Checks every field and resolves the layer sizes, returning the first problem found.
    pub fn validate(&self) -> Result<ValidSpec> {
        let data = &self.data;
        let samples = if data.set.is_generated() {
            check_int("data.samples", data.samples, MIN_SAMPLES, MAX_SAMPLES)?
        } else {
            0
        };
        let shape = data_shape(data, samples)?;
        let samples = shape.rows;
        check_float(
            "data.train_percent",
            data.train_percent,
            MIN_TRAIN_PERCENT,
            100.0,
            false,
        )?;
        check_float(
            "data.validation_percent",
            data.validation_percent,
            0.0,
            MAX_VALIDATION_PERCENT,
            false,
        )?;
        check_float("data.noise", data.noise, 0.0, MAX_NOISE, false)?;
        let train_rows = train_rows(shape.rows, data.train_percent);
        if train_rows == 0 || (data.train_percent < 100.0 && train_rows == shape.rows) {
            return Err(PlaygroundError::EmptySplit {
                split: if train_rows == 0 { "training" } else { "test" }.to_string(),
                rows: shape.rows,
                train_percent: data.train_percent,
            });
        }
        let validation_rows = validation_rows(train_rows, data.validation_percent);
        if (data.validation_percent > 0.0 && validation_rows == 0) || validation_rows == train_rows
        {
            return Err(PlaygroundError::EmptyValidationSplit {
                split: if validation_rows == 0 {
                    "validation"
                } else {
                    "training"
                }
                .to_string(),
                training_rows: train_rows,
                validation_percent: data.validation_percent,
            });
        }

        if self.layers.len() > MAX_HIDDEN_LAYERS {
            return Err(out_of_range(
                "layers (count)",
                self.layers.len().to_string(),
                0,
                MAX_HIDDEN_LAYERS,
                false,
            ));
        }
        let mut plans = Vec::with_capacity(self.layers.len() + 1);
        // Rows are images only for networks with Conv2D or pooling layers, so that Dense and
        // normalization layers of other networks see one value per feature.
        let uses_images = self.layers.iter().any(|layer| {
            matches!(
                layer,
                LayerSpec::Conv2d { .. }
                    | LayerSpec::MaxPool2d { .. }
                    | LayerSpec::AvgPool2d { .. }
            )
        });
        let input_shape = match shape.image {
            Some((height, width, channels)) if uses_images => FeatureShape::Image {
                height,
                width,
                channels,
            },
            _ => FeatureShape::Flat(shape.features),
        };
        let mut shape_now = input_shape;
        for (index, layer) in self.layers.iter().enumerate() {
            let plan = plan_layer(index, layer, shape_now)?;
            shape_now = plan.output_shape();
            plans.push(plan);
        }
        let width = shape_now.len();

        if shape.task == Task::Regression && !self.loss.fits_regression() {
            return Err(PlaygroundError::LossNeedsClasses {
                loss: match self.loss {
                    Loss::BinaryCrossEntropy => "binary cross-entropy",
                    _ => "cross-entropy",
                }
                .to_string(),
                data: data.set.name().to_string(),
            });
        }
        if self.loss == Loss::BinaryCrossEntropy && shape.classes != 2 {
            return Err(PlaygroundError::LossNeedsTwoClasses {
                loss: "binary cross-entropy".to_string(),
                data: data.set.name().to_string(),
                classes: shape.classes,
            });
        }
        plans.push(LayerPlan::Dense {
            inputs: width,
            units: self.loss.output_units(shape.task, shape.classes),
            activation: Activation::Linear,
        });

        if self.loss == Loss::Huber {
            check_float("huber_delta", self.huber_delta, 0.0, MAX_HUBER_DELTA, true)?;
        }
        let regularizer = &self.kernel_regularizer;
        check_float(
            "kernel_regularizer.l1",
            regularizer.l1,
            0.0,
            MAX_PENALTY_RATE,
            false,
        )?;
        check_float(
            "kernel_regularizer.l2",
            regularizer.l2,
            0.0,
            MAX_PENALTY_RATE,
            false,
        )?;
        self.validate_schedule()?;
        self.validate_optimizer()?;
        let batch_size = check_int("batch_size", self.batch_size, 1, MAX_BATCH_SIZE)?;
        let epochs = check_int("epochs", self.epochs, 1, MAX_EPOCHS)?;
        let seed = check_int("seed", self.seed, 0, MAX_SEED)? as u64;

        let valid = ValidSpec {
            spec: self.clone(),
            task: shape.task,
            features: shape.features,
            input_shape,
            classes: shape.classes,
            layers: plans,
            batch_size,
            epochs,
            seed,
            samples,
        };
        check_memory(&valid)?;
        Ok(valid)
    }

    fn validate_optimizer(&self) -> Result<()> {
        let lr = self.optimizer.learning_rate();
        check_float("optimizer.learning_rate", lr, 0.0, MAX_LEARNING_RATE, true)?;
        match self.optimizer {
            OptimizerSpec::Sgd { momentum, .. } => {
                check_float("optimizer.momentum", momentum, 0.0, BELOW_ONE, false)?;
            }
            OptimizerSpec::Adam {
                beta1,
                beta2,
                epsilon,
                ..
            } => {
                check_float("optimizer.beta1", beta1, 0.0, BELOW_ONE, false)?;
                check_float("optimizer.beta2", beta2, 0.0, BELOW_ONE, false)?;
                check_float("optimizer.epsilon", epsilon, 0.0, 1.0, true)?;
            }
            OptimizerSpec::Rmsprop {
                rho,
                epsilon,
                momentum,
                ..
            } => {
                check_float("optimizer.rho", rho, 0.0, BELOW_ONE, false)?;
                check_float("optimizer.epsilon", epsilon, 0.0, 1.0, true)?;
                check_float("optimizer.momentum", momentum, 0.0, BELOW_ONE, false)?;
            }
            OptimizerSpec::Adamw {
                beta1,
                beta2,
                epsilon,
                weight_decay,
                ..
            } => {
                check_float("optimizer.beta1", beta1, 0.0, BELOW_ONE, false)?;
                check_float("optimizer.beta2", beta2, 0.0, BELOW_ONE, false)?;
                check_float("optimizer.epsilon", epsilon, 0.0, 1.0, true)?;
                check_float(
                    "optimizer.weight_decay",
                    weight_decay,
                    0.0,
                    MAX_PENALTY_RATE,
                    false,
                )?;
            }
        }
        Ok(())
    }

    fn validate_schedule(&self) -> Result<()> {
        let schedule = &self.schedule;
        check_int(
            "schedule.warmup_epochs",
            schedule.warmup_epochs,
            0,
            MAX_EPOCHS,
        )?;
        match schedule.decay {
            Decay::Constant => {}
            Decay::Step {
                factor,
                step_epochs,
            } => {
                check_float("schedule.decay.factor", factor, 0.0, 1.0, true)?;
                check_int("schedule.decay.step_epochs", step_epochs, 1, MAX_EPOCHS)?;
            }
            Decay::Cosine { alpha } => {
                check_float("schedule.decay.alpha", alpha, 0.0, 1.0, false)?;
            }
        }
        Ok(())
    }
}

/// Largest Conv2D kernel, pooling window and stride: the images the playground trains on are
/// small (digits are 8x8).
pub const MAX_WINDOW: i64 = 16;

/// Resolves the sizes of hidden layer `index`, which receives values of `input` shape.
fn plan_layer(index: usize, layer: &LayerSpec, input: FeatureShape) -> Result<LayerPlan> {
    let field = |name: &str| format!("layers[{index}].{name}");
    Ok(match *layer {
        LayerSpec::Dense { units, activation } => LayerPlan::Dense {
            inputs: input.len(),
            units: check_int(&field("units"), units, 1, MAX_UNITS)?,
            activation,
        },
        LayerSpec::Dropout { rate } => LayerPlan::Dropout {
            shape: input,
            rate: check_float(&field("rate"), rate, 0.0, MAX_DROPOUT_RATE, false)?,
        },
        LayerSpec::Conv2d {
            filters,
            kernel_size,
            stride,
            padding,
            activation,
        } => {
            let filters = check_int(&field("filters"), filters, 1, MAX_UNITS)?;
            let size = check_int(&field("kernel_size"), kernel_size, 1, MAX_WINDOW)?;
            let stride = check_int(&field("stride"), stride, 1, MAX_WINDOW)?;
            LayerPlan::Conv2d {
                window: resolve_window(index, layer, input, size, stride, padding)?,
                filters,
                activation,
            }
        }
        LayerSpec::MaxPool2d { pool_size, stride } | LayerSpec::AvgPool2d { pool_size, stride } => {
            let size = check_int(&field("pool_size"), pool_size, 1, MAX_WINDOW)?;
            let stride = match stride {
                Some(stride) => check_int(&field("stride"), stride, 1, MAX_WINDOW)?,
                None => size,
            };
            let kind = if matches!(layer, LayerSpec::MaxPool2d { .. }) {
                PoolKind::Max
            } else {
                PoolKind::Average
            };
            LayerPlan::Pool2d {
                window: resolve_window(index, layer, input, size, stride, Padding::Valid)?,
                kind,
            }
        }
        LayerSpec::Flatten => LayerPlan::Flatten { units: input.len() },
        LayerSpec::BatchNorm => LayerPlan::BatchNorm { shape: input },
        LayerSpec::LayerNorm => LayerPlan::LayerNorm { shape: input },
    })
}

fn resolve_window(
    index: usize,
    layer: &LayerSpec,
    input: FeatureShape,
    size: usize,
    stride: usize,
    padding: Padding,
) -> Result<Window> {
    let FeatureShape::Image {
        height,
        width,
        channels,
    } = input
    else {
        return Err(PlaygroundError::LayerNeedsImage {
            index,
            layer: layer.display_name().to_string(),
            features: input.len(),
        });
    };
    Window::resolve(height, width, channels, size, stride, padding).ok_or_else(|| {
        PlaygroundError::WindowTooLarge {
            index,
            layer: layer.display_name().to_string(),
            size,
            height,
            width,
        }
    })
}

/// Rows that go to training, the validation rows included: the share rounded to the nearest
/// row.
pub fn train_rows(rows: usize, train_percent: f64) -> usize {
    ((rows as f64) * train_percent / 100.0).round() as usize
}

/// Rows of `train_rows` held out for validation: the share rounded to the nearest row.
pub fn validation_rows(train_rows: usize, validation_percent: f64) -> usize {
    ((train_rows as f64) * validation_percent / 100.0).round() as usize
}

fn check_memory(valid: &ValidSpec) -> Result<()> {
    let count = valid.parameters();
    if count > MAX_PARAMETERS {
        return Err(PlaygroundError::TooManyParameters {
            count,
            max: MAX_PARAMETERS,
        });
    }
    // Each layer output is stored as a value and a gradient, and dense layers also keep their
    // pre-activation value and its gradient: 4 f32 per unit and row, counted generously. A
    // convolution also unfolds its input into one column of kernel values per output position.
    let units: u64 = valid.features as u64
        + valid
            .layers
            .iter()
            .map(|plan| {
                let unfolded = match plan {
                    LayerPlan::Conv2d { window, .. } => {
                        (window.output_positions() * window.size * window.size * window.channels)
                            as u64
                    }
                    _ => 0,
                };
                plan.output_units() as u64 + unfolded
            })
            .sum::<u64>();
    let bytes = units * valid.batch_size as u64 * 4 * 4;
    if bytes > MAX_ACTIVATION_BYTES {
        return Err(PlaygroundError::TooMuchActivationMemory {
            bytes,
            max: MAX_ACTIVATION_BYTES,
            batch_size: valid.batch_size,
        });
    }
    Ok(())
}
