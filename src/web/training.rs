//! The `#[wasm_bindgen]` items that build, train and inspect networks: the page's main wasm
//! module.

use super::convert::{engine_error, parse_spec, parse_values, to_js};
use crate::error::PlaygroundError;
use crate::optimizer::OptimizerState;
use crate::spec::Task;
use crate::train::{summarize, Trainer};
use crate::views::{self, RawData, SplitName};
use crate::{csv, data::Dataset, presets};
use wasm_bindgen::prelude::*;

/// Installs the panic hook, so that a panic (a bug: every failure is meant to be a `Result`)
/// still reaches the console with its message.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Returns the presets as `[{ id, spec }]`.
#[wasm_bindgen]
pub fn presets() -> Result<JsValue, PlaygroundError> {
    to_js(&presets::all()).map_err(engine_error)
}

/// Validates a spec and returns the layer shapes and parameter counts the editor shows,
/// without building the network. `text` is the data file's content for the sets that need one
/// (see `dataFileName`, and the uploaded file for the CSV set).
#[wasm_bindgen(js_name = describeSpec)]
pub fn describe_spec(spec: JsValue, text: Option<String>) -> Result<JsValue, PlaygroundError> {
    let valid = parse_spec(spec)?.validate()?;
    let data = Dataset::load(&valid, text.as_deref())?;
    to_js(&summarize(&valid, data.summary())).map_err(engine_error)
}

/// Returns the Keras name of the first layer type in the spec that the WebGPU path cannot
/// train ("Conv2D", …), or undefined when WebGPU can train the whole network.
#[wasm_bindgen(js_name = gpuUnsupportedLayer)]
pub fn gpu_unsupported_layer(spec: JsValue) -> Result<Option<String>, PlaygroundError> {
    let valid = parse_spec(spec)?.validate()?;
    Ok(crate::gpu::trainer::unsupported_layer(&valid).map(String::from))
}

/// Returns the name of the file under data/ whose text the spec's data set needs, or
/// undefined when the set needs none or is an uploaded CSV file.
#[wasm_bindgen(js_name = dataFileName)]
pub fn data_file_name(spec: JsValue) -> Result<Option<String>, PlaygroundError> {
    Ok(parse_spec(spec)?.data.set.file_name().map(String::from))
}

/// Parses an uploaded CSV file with the label in column `label_column` (from 0; the last
/// column when undefined). `task` is "classification" or "regression", or undefined to detect
/// the task from the label column. Returns the task, columns, shape and class names or target
/// range, or throws with the row and column of the first problem.
#[wasm_bindgen(js_name = describeCsv)]
pub fn describe_csv(
    text: &str,
    label_column: Option<u32>,
    task: Option<String>,
) -> Result<JsValue, PlaygroundError> {
    let task = match task.as_deref() {
        None => None,
        Some("classification") => Some(Task::Classification),
        Some("regression") => Some(Task::Regression),
        Some(other) => {
            return Err(PlaygroundError::InvalidSpec {
                message: format!(
                    "the task {other:?} is unknown; use \"classification\" or \"regression\""
                ),
            })
        }
    };
    let table = csv::parse_as(text, label_column.map(|column| column as usize), task)?;
    to_js(&table.summary()).map_err(engine_error)
}

/// A network being trained, with its data and optimizer state.
#[wasm_bindgen]
pub struct Session {
    trainer: Trainer,
    /// The data file's text, kept for the views' unstandardized copy of the rows.
    text: Option<String>,
    /// Loaded on the first call of a view that needs it.
    raw: Option<RawData>,
}

#[wasm_bindgen]
impl Session {
    /// Validates the spec, loads the data (from `text` for the sets that need a file's text)
    /// and initializes the weights.
    #[wasm_bindgen(constructor)]
    pub fn new(spec: JsValue, text: Option<String>) -> Result<Session, PlaygroundError> {
        let mut trainer = Trainer::with_text(&parse_spec(spec)?, text.as_deref())?;
        // The Worker forwards each epoch's metrics as it ends, so the session keeps none.
        trainer.discard_history();
        Ok(Self {
            trainer,
            text,
            raw: None,
        })
    }

    /// Continues a run started on another backend from its weights and biases (an array per
    /// tensor, layer by layer, weight then bias) after `epochs_done` epochs. `optimizer`, when
    /// not undefined, is the optimizer state that `GpuSession.optimizerState` returned; without
    /// it the optimizer starts from zero state.
    pub fn resume(
        spec: JsValue,
        text: Option<String>,
        values: JsValue,
        epochs_done: u32,
        optimizer: JsValue,
    ) -> Result<Session, PlaygroundError> {
        let values = parse_values(values)?.unwrap_or_default();
        let optimizer = parse_optimizer_state(optimizer)?;
        let spec = parse_spec(spec)?;
        let mut trainer = Trainer::resume_with_state(
            &spec,
            text.as_deref(),
            &values,
            epochs_done as usize,
            optimizer.as_ref(),
        )?;
        trainer.discard_history();
        Ok(Self {
            trainer,
            text,
            raw: None,
        })
    }

    /// Returns the current weights and biases, layer by layer, as arrays of numbers.
    #[wasm_bindgen(js_name = parameterValues)]
    pub fn parameter_values(&self) -> Result<JsValue, PlaygroundError> {
        to_js(&self.trainer.network().parameter_values()).map_err(engine_error)
    }

    /// Returns the spec as the session read it, with defaults filled in.
    pub fn spec(&self) -> Result<JsValue, PlaygroundError> {
        to_js(self.trainer.spec()).map_err(engine_error)
    }

    pub fn summary(&self) -> Result<JsValue, PlaygroundError> {
        to_js(&self.trainer.summary()).map_err(engine_error)
    }

    /// Trains at most `max_batches` batches; returns the epoch's metrics when one ended,
    /// otherwise `null`.
    #[wasm_bindgen(js_name = runBatches)]
    pub fn run_batches(&mut self, max_batches: u32) -> Result<JsValue, PlaygroundError> {
        let metrics = self.trainer.run_batches(max_batches as usize)?;
        to_js(&metrics).map_err(engine_error)
    }

    /// Trains the rest of the current epoch; returns its metrics, or `null` after the
    /// last epoch.
    #[wasm_bindgen(js_name = trainEpoch)]
    pub fn train_epoch(&mut self) -> Result<JsValue, PlaygroundError> {
        let metrics = self.trainer.train_epoch()?;
        to_js(&metrics).map_err(engine_error)
    }

    /// Epochs finished so far.
    #[wasm_bindgen(getter)]
    pub fn epoch(&self) -> u32 {
        self.trainer.epoch() as u32
    }

    #[wasm_bindgen(getter)]
    pub fn finished(&self) -> bool {
        self.trainer.is_finished()
    }

    /// Replaces the weights and biases (as `parameterValues` returns them) without touching
    /// the optimizer, so that the views can show a network trained on WebGPU.
    #[wasm_bindgen(js_name = setParameterValues)]
    pub fn set_parameter_values(&mut self, values: JsValue) -> Result<(), PlaygroundError> {
        let values = parse_values(values)?.unwrap_or_default();
        self.trainer.set_parameter_values(&values)
    }

    fn raw(&mut self) -> Result<&RawData, PlaygroundError> {
        if self.raw.is_none() {
            self.raw = Some(RawData::load(self.trainer.spec(), self.text.as_deref())?);
        }
        Ok(self.raw.as_ref().expect("loaded above"))
    }

    /// Evaluates the network on `size` x `size` raw 2-D inputs spanning the data, with the
    /// first `max_units` units of each hidden layer; returns `null` for data without exactly
    /// 2 features. Activations and outputs are `Float32Array`s (see `views::GridView`).
    #[wasm_bindgen(js_name = gridView)]
    pub fn grid_view(&mut self, size: u32, max_units: u32) -> Result<JsValue, PlaygroundError> {
        if self.trainer.data().features != 2 {
            return Ok(JsValue::NULL);
        }
        self.raw()?;
        let raw = self.raw.as_ref().expect("loaded above");
        let grid = views::grid_view(&self.trainer, raw, size as usize, max_units as usize)?;

        let layers = js_sys::Array::new();
        for layer in &grid.layers {
            let entry = js_sys::Object::new();
            set(&entry, "layer", &JsValue::from(layer.layer as u32));
            set(&entry, "units", &JsValue::from(layer.units as u32));
            set(
                &entry,
                "values",
                &js_sys::Float32Array::from(&layer.values[..]),
            );
            layers.push(&entry);
        }

        let result = js_sys::Object::new();
        set(&result, "size", &JsValue::from(grid.size as u32));
        set(
            &result,
            "xRange",
            &to_js(&grid.x_range).map_err(engine_error)?,
        );
        set(
            &result,
            "yRange",
            &to_js(&grid.y_range).map_err(engine_error)?,
        );
        set(&result, "layers", &layers);
        set(
            &result,
            "output",
            &js_sys::Float32Array::from(&grid.output[..]),
        );
        set(
            &result,
            "outputWidth",
            &JsValue::from(grid.output_width as u32),
        );
        set(&result, "scoreKind", &JsValue::from(grid.score_kind));
        Ok(result.into())
    }

    /// Returns the raw training and test points of 2-D data with their labels, or `null`
    /// for other data.
    pub fn points(&mut self) -> Result<JsValue, PlaygroundError> {
        if self.trainer.data().features != 2 {
            return Ok(JsValue::NULL);
        }
        to_js(&views::points(self.raw()?)).map_err(engine_error)
    }

    /// Returns the predictions on the test split (the training split without one), with the
    /// confusion matrix; see `views::Predictions`.
    pub fn predictions(&self) -> Result<JsValue, PlaygroundError> {
        to_js(&views::predictions(&self.trainer)?).map_err(engine_error)
    }

    /// Returns the unstandardized features of rows `ids` of `split` ("train" or "test").
    #[wasm_bindgen(js_name = rawRows)]
    pub fn raw_rows(&mut self, split: &str, ids: Vec<u32>) -> Result<JsValue, PlaygroundError> {
        let split = SplitName::parse(split)?;
        let ids: Vec<usize> = ids.into_iter().map(|id| id as usize).collect();
        to_js(&views::raw_rows(self.raw()?, split, &ids)?).map_err(engine_error)
    }

    /// Returns the per-layer gradient and activation statistics; see `views::Diagnostics`.
    pub fn diagnostics(&self) -> Result<JsValue, PlaygroundError> {
        to_js(&views::diagnostics(&self.trainer)?).map_err(engine_error)
    }
}

fn set(target: &js_sys::Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(target, &key.into(), value);
}

fn parse_optimizer_state(state: JsValue) -> Result<Option<OptimizerState>, PlaygroundError> {
    if state.is_undefined() || state.is_null() {
        return Ok(None);
    }
    serde_wasm_bindgen::from_value(state)
        .map(Some)
        .map_err(|error| PlaygroundError::InvalidSpec {
            message: format!("the optimizer state is invalid: {error}"),
        })
}
