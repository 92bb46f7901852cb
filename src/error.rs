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
    InvalidSpec {
        message: String,
    },
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
    /// A cross-entropy loss was picked for a regression data set, whose targets are real
    /// values and not classes.
    LossNeedsClasses {
        loss: String,
        data: String,
    },
    /// The split leaves no rows on one side.
    EmptySplit {
        split: String,
        rows: usize,
        train_percent: f64,
    },
    /// The validation share leaves the validation or the training rows empty.
    EmptyValidationSplit {
        split: String,
        /// Training rows before the validation rows are taken from them.
        training_rows: usize,
        validation_percent: f64,
    },
    /// A Conv2D or pooling layer receives flat values instead of an image. `index` counts
    /// hidden layers from 0; messages count from 1, as the editor does.
    LayerNeedsImage {
        index: usize,
        layer: String,
        features: usize,
    },
    /// A Conv2D or pooling window is larger than the image it slides over.
    WindowTooLarge {
        index: usize,
        layer: String,
        size: usize,
        height: usize,
        width: usize,
    },
    /// The network has more trainable parameters than the page allows.
    TooManyParameters {
        count: u64,
        max: u64,
    },
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
    /// Shipped data failed to parse, or an uploaded file no longer matches its spec.
    Data {
        message: String,
    },
    /// The data set's rows come from a file whose text the caller did not pass: a shipped
    /// file the page fetches, or an uploaded CSV file.
    DataTextMissing {
        data: String,
    },
    /// The uploaded CSV file is larger than the playground reads.
    CsvTooLarge {
        bytes: u64,
        max: u64,
    },
    /// A quoted field runs to the end of the file.
    CsvUnclosedQuote {
        row: usize,
    },
    /// A row has another number of cells than the first row.
    CsvRaggedRow {
        row: usize,
        cells: usize,
        expected: usize,
        first_row: usize,
    },
    /// The file has fewer than two columns, so no features and a label.
    CsvTooFewColumns {
        columns: usize,
    },
    /// A cell is empty or holds a missing-value marker such as NA. Rows and columns count from
    /// 1 as a spreadsheet shows them; `name` is the header's name of the column, if any.
    CsvMissingValue {
        row: usize,
        column: usize,
        name: Option<String>,
        value: String,
    },
    /// A feature cell is not a number.
    CsvNotNumeric {
        row: usize,
        column: usize,
        name: Option<String>,
        value: String,
    },
    CsvTooFewRows {
        rows: usize,
        min: usize,
    },
    CsvTooManyRows {
        rows: usize,
        max: usize,
    },
    /// The label column holds one class only.
    CsvSingleClass {
        column: usize,
        name: Option<String>,
        class: String,
    },
    /// The label column holds more classes than the playground allows.
    CsvTooManyClasses {
        column: usize,
        name: Option<String>,
        classes: usize,
        max: usize,
    },
    /// A regression target cell is not a number.
    CsvTargetNotNumeric {
        row: usize,
        column: usize,
        name: Option<String>,
        value: String,
    },
    /// The regression target holds one value in every row, so there is nothing to learn.
    CsvConstantTarget {
        column: usize,
        name: Option<String>,
        value: String,
    },
    /// dfdx returned an error (an allocation failure, in practice).
    Engine {
        message: String,
    },
    /// WebGPU is unavailable or one of its calls failed.
    Gpu {
        message: String,
    },
    /// A model file to import is malformed or does not match its own spec.
    ModelFile {
        message: String,
    },
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
            Self::LossNeedsClasses { loss, data } => write!(
                f,
                "The {loss} loss needs class labels, but {data} is a regression data set with \
                 a real-valued target; pick mean squared error."
            ),
            Self::EmptyValidationSplit {
                split,
                training_rows,
                validation_percent,
            } => write!(
                f,
                "A validation share of {validation_percent}% of {training_rows} training rows \
                 leaves the {split} split empty; pick a share that leaves rows in both, or 0% \
                 for no validation split."
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
            Self::LayerNeedsImage {
                index,
                layer,
                features,
            } => write!(
                f,
                "Layer {} ({layer}) needs an image (height x width x channels) but receives \
                 {features} flat values; use it on the digits data set, before any Dense or \
                 Flatten layer.",
                index + 1
            ),
            Self::WindowTooLarge {
                index,
                layer,
                size,
                height,
                width,
            } if layer == "Conv2D" => write!(
                f,
                "Layer {} ({layer}) has a {size}x{size} kernel, larger than its \
                 {height}x{width} input; use a smaller kernel or \"same\" padding.",
                index + 1
            ),
            Self::WindowTooLarge {
                index,
                layer,
                size,
                height,
                width,
            } => write!(
                f,
                "Layer {} ({layer}) has a {size}x{size} window, larger than its \
                 {height}x{width} input; use a smaller pool size.",
                index + 1
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
            Self::DataTextMissing { data } if data == "csv" => write!(
                f,
                "No CSV file is loaded; upload the file again with Upload CSV."
            ),
            Self::DataTextMissing { data } => write!(
                f,
                "The rows of the {data} data set were not passed to the engine; reload the page."
            ),
            Self::CsvTooLarge { bytes, max } => write!(
                f,
                "The CSV file has {bytes} bytes, more than the limit of {max} bytes \
                 ({} MiB); upload a smaller file.",
                max >> 20
            ),
            Self::CsvUnclosedQuote { row } => write!(
                f,
                "Row {row} of the CSV file opens a quoted field that is never closed; \
                 add the closing quote (\")."
            ),
            Self::CsvRaggedRow {
                row,
                cells,
                expected,
                first_row,
            } => write!(
                f,
                "Row {row} of the CSV file has {cells} cells, but row {first_row} has \
                 {expected}; give every row the same number of cells."
            ),
            Self::CsvTooFewColumns { columns } => write!(
                f,
                "The CSV file has {columns} column; it needs at least one feature column and \
                 a label column, separated by commas, semicolons or tabs."
            ),
            Self::CsvMissingValue {
                row,
                column,
                name,
                value,
            } => {
                let column = describe_column(*column, name);
                let shown = if value.is_empty() {
                    "empty".to_string()
                } else {
                    format!("missing ({value})")
                };
                write!(
                    f,
                    "Row {row}, {column} of the CSV file is {shown}; fill in a value or \
                     remove the row."
                )
            }
            Self::CsvNotNumeric {
                row,
                column,
                name,
                value,
            } => write!(
                f,
                "Row {row}, {column} of the CSV file is \"{value}\", which is not a number; \
                 features must be numbers, so fix the cell or pick this column as the label.",
                column = describe_column(*column, name)
            ),
            Self::CsvTooFewRows { rows, min } => write!(
                f,
                "The CSV file has {rows} data rows, fewer than the {min} needed to train; \
                 add rows."
            ),
            Self::CsvTooManyRows { rows, max } => write!(
                f,
                "The CSV file has {rows} data rows, more than the limit of {max}; \
                 upload a sample of the rows."
            ),
            Self::CsvSingleClass {
                column,
                name,
                class,
            } => write!(
                f,
                "The label column ({}) holds only the class \"{class}\"; pick a label \
                 column with at least 2 classes.",
                describe_column(*column, name)
            ),
            Self::CsvTooManyClasses {
                column,
                name,
                classes,
                max,
            } => write!(
                f,
                "The label column ({}) holds {classes} classes, more than the limit of \
                 {max}; pick a label column with fewer classes.",
                describe_column(*column, name)
            ),
            Self::CsvTargetNotNumeric {
                row,
                column,
                name,
                value,
            } => write!(
                f,
                "Row {row}, {column} of the CSV file is \"{value}\", which is not a number; a \
                 regression target must be a number, so fix the cell or train a \
                 classification.",
                column = describe_column(*column, name)
            ),
            Self::CsvConstantTarget {
                column,
                name,
                value,
            } => write!(
                f,
                "The target column ({}) holds {value} in every row, so there is nothing to \
                 learn; pick a target column whose values vary.",
                describe_column(*column, name)
            ),
            Self::Engine { message } => write!(f, "The tensor engine failed: {message}."),
            Self::Gpu { message } => write!(f, "WebGPU failed: {message}."),
            Self::ModelFile { message } => write!(
                f,
                "The model file cannot be imported: {message}. Export it again from the playground."
            ),
        }
    }
}

/// Names a CSV column as "column 3" or, with a header, "column 3 (\"petal width\")".
fn describe_column(column: usize, name: &Option<String>) -> String {
    match name {
        Some(name) => format!("column {column} (\"{name}\")"),
        None => format!("column {column}"),
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
