//! The one error type of the core. Every message names the offending value and the fix; the
//! web layer converts it to a JavaScript `Error` once, keeping the fields so the page can
//! translate the message.

use serde::Serialize;
use std::fmt;

/// Everything that can go wrong between receiving a spec and finishing an epoch.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum PlaygroundError {
    /// The spec could not be read at all (wrong type, unknown field or tag).
    InvalidSpec { message: String },
    /// A number lies outside its allowed range.
    OutOfRange {
        field: String,
        value: String,
        min: String,
        max: String,
        /// The range excludes `min` itself (a learning rate must be above 0).
        min_exclusive: bool,
    },
    /// The loss cannot be used with this data set.
    LossNeedsTwoClasses {
        loss: String,
        data: String,
        classes: usize,
    },
    /// The split leaves no rows on one side.
    EmptySplit {
        split: String,
        rows: usize,
        train_percent: f64,
    },
    /// The network has more trainable parameters than the page allows.
    TooManyParameters { count: u64, max: u64 },
    /// One batch would need more activation memory than the page allows.
    TooMuchActivationMemory {
        bytes: u64,
        max: u64,
        batch_size: usize,
    },
    /// The loss became NaN or infinite.
    Diverged {
        epoch: usize,
        loss: f32,
        learning_rate: f64,
    },
    /// Shipped data failed to parse.
    Data { message: String },
    /// dfdx returned an error (an allocation failure, in practice).
    Engine { message: String },
    /// WebGPU is unavailable or one of its calls failed.
    Gpu { message: String },
    /// A model file to import is malformed or does not match its own spec.
    ModelFile { message: String },
}

impl fmt::Display for PlaygroundError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSpec { message } => write!(f, "The network spec is invalid: {message}."),
            Self::OutOfRange {
                field,
                value,
                min,
                max,
                min_exclusive: false,
            } => write!(
                f,
                "{field} is {value}, which is out of range; use a value from {min} to {max}."
            ),
            Self::OutOfRange {
                field,
                value,
                min,
                max,
                min_exclusive: true,
            } => write!(
                f,
                "{field} is {value}, which is out of range; use a value above {min} and at \
                 most {max}."
            ),
            Self::LossNeedsTwoClasses {
                loss,
                data,
                classes,
            } => write!(
                f,
                "The {loss} loss needs 2 classes, but {data} has {classes}; \
                 pick cross-entropy or MSE."
            ),
            Self::EmptySplit {
                split,
                rows,
                train_percent,
            } => write!(
                f,
                "A training share of {train_percent}% of {rows} rows leaves the {split} split \
                 empty; pick a share that leaves rows on both sides, or 100% for no test split."
            ),
            Self::TooManyParameters { count, max } => write!(
                f,
                "The network has {count} parameters, more than the limit of {max}; \
                 use fewer or narrower layers."
            ),
            Self::TooMuchActivationMemory {
                bytes,
                max,
                batch_size,
            } => write!(
                f,
                "A batch of {batch_size} needs about {} MiB of activations, more than the \
                 limit of {} MiB; use a smaller batch or narrower layers.",
                bytes.div_ceil(1 << 20),
                max >> 20
            ),
            Self::Diverged {
                epoch,
                loss,
                learning_rate,
            } => write!(
                f,
                "Training stopped in epoch {epoch} because the loss became {loss}; \
                 lower the learning rate (now {learning_rate}) and press Reset."
            ),
            Self::Data { message } => write!(f, "The data could not be loaded: {message}."),
            Self::Engine { message } => write!(f, "The tensor engine failed: {message}."),
            Self::Gpu { message } => write!(f, "WebGPU failed: {message}."),
            Self::ModelFile { message } => write!(
                f,
                "The model file cannot be imported: {message}. Export it again from the playground."
            ),
        }
    }
}

impl std::error::Error for PlaygroundError {}

impl From<dfdx::tensor::CpuError> for PlaygroundError {
    fn from(error: dfdx::tensor::CpuError) -> Self {
        Self::Engine {
            message: error.to_string(),
        }
    }
}

pub type Result<T, E = PlaygroundError> = std::result::Result<T, E>;
