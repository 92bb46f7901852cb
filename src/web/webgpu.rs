//! The `#[wasm_bindgen]` items of training on WebGPU: the page's third wasm module, which the
//! Worker imports when it first picks the WebGPU backend. It contains wgpu and the WGSL kernels,
//! which a page that trains on the CPU never needs.

use super::convert::{engine_error, parse_spec, parse_values, to_js};
use crate::data::Dataset;
use crate::error::PlaygroundError;
use crate::gpu::{Gpu, GpuTrainer};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// Installs the panic hook in a module built with `web-gpu` alone. A module built with another
/// part of the API gets it from that part.
#[cfg(not(any(feature = "web-training", feature = "web-tools")))]
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Training on WebGPU. `createGpuSession` builds it; each `trainEpoch` call submits one epoch
/// and resolves with its metrics. The trainer sits behind `Rc<RefCell<…>>` because the promise
/// records the metrics after the read-back, when the call that created it has returned.
#[wasm_bindgen]
pub struct GpuSession {
    trainer: Rc<RefCell<GpuTrainer>>,
}

/// Requests a WebGPU device and builds the spec's network on it. Without `allowFallback`, a
/// software adapter (SwiftShader) is rejected with an error that names it.
/// `values`, when not undefined, replaces the initial weights, as after importing a model file.
/// `text` is the data file's content, as for `Session`.
#[wasm_bindgen(js_name = createGpuSession)]
pub async fn create_gpu_session(
    spec: JsValue,
    allow_fallback: bool,
    values: JsValue,
    text: Option<String>,
) -> Result<GpuSession, PlaygroundError> {
    let spec = parse_spec(spec)?;
    let values = parse_values(values)?;
    // Validate and load the data before requesting a device, so a bad spec or file reports
    // itself and not a GPU error.
    let valid = spec.validate()?;
    Dataset::load(&valid, text.as_deref())?;
    let gpu = Gpu::new(allow_fallback).await?;
    let trainer = GpuTrainer::with_parameters(&spec, text.as_deref(), gpu, values.as_deref())?;
    Ok(GpuSession {
        trainer: Rc::new(RefCell::new(trainer)),
    })
}

#[wasm_bindgen]
impl GpuSession {
    pub fn spec(&self) -> Result<JsValue, PlaygroundError> {
        to_js(self.trainer.borrow().spec()).map_err(engine_error)
    }

    pub fn summary(&self) -> Result<JsValue, PlaygroundError> {
        to_js(&self.trainer.borrow().summary()).map_err(engine_error)
    }

    /// Returns the adapter's name, backend and device type as wgpu reports them.
    pub fn adapter(&self) -> Result<JsValue, PlaygroundError> {
        to_js(self.trainer.borrow().adapter()).map_err(engine_error)
    }

    /// Submits the next epoch; the promise resolves with its metrics, or with `null` after the
    /// last epoch, and rejects with a `PlaygroundError`.
    #[wasm_bindgen(js_name = trainEpoch)]
    pub fn train_epoch(&self) -> js_sys::Promise {
        let submitted = self.trainer.borrow_mut().train_epoch();
        let trainer = self.trainer.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let Some(pending) = submitted? else {
                return Ok(JsValue::NULL);
            };
            let result = pending.await;
            trainer.borrow_mut().record(&result);
            Ok(to_js(&result?).map_err(engine_error)?)
        })
    }

    /// Destroys the WebGPU device, so that the session fails as after a lost device. The page's
    /// end-to-end tests use it through the Worker's `simulate-gpu-loss` command.
    #[wasm_bindgen(js_name = destroyDevice)]
    pub fn destroy_device(&self) {
        self.trainer.borrow().destroy_device();
    }

    /// Returns `{ epoch, values, optimizer }`: the weights and biases and the optimizer state
    /// after the last epoch whose metrics came back, or null before the first. They are a copy
    /// in wasm memory, so they can be read after the device is lost, and `Session.resume` takes
    /// them to continue the run on the CPU.
    pub fn checkpoint(&self) -> Result<JsValue, PlaygroundError> {
        to_js(&self.trainer.borrow().checkpoint()).map_err(engine_error)
    }

    /// Epochs submitted so far.
    #[wasm_bindgen(getter)]
    pub fn epoch(&self) -> u32 {
        self.trainer.borrow().epoch() as u32
    }

    #[wasm_bindgen(getter)]
    pub fn finished(&self) -> bool {
        self.trainer.borrow().is_finished()
    }

    /// Resolves with the current weights and biases, layer by layer, as arrays of numbers.
    #[wasm_bindgen(js_name = parameterValues)]
    pub fn parameter_values(&self) -> js_sys::Promise {
        let trainer = self.trainer.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            // The read-back only needs the device handles, so no borrow is held across it.
            let reader = trainer.borrow().reader();
            let values = reader.read().await?;
            Ok(to_js(&values).map_err(engine_error)?)
        })
    }

    /// Resolves with the optimizer state (`{ step, buffers }`, see `OptimizerState`) after the
    /// batches submitted so far, which `Session.resume` takes to continue the run on the CPU.
    #[wasm_bindgen(js_name = optimizerState)]
    pub fn optimizer_state(&self) -> js_sys::Promise {
        let trainer = self.trainer.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let reader = trainer.borrow().optimizer_reader();
            let state = reader.read().await?;
            Ok(to_js(&state).map_err(engine_error)?)
        })
    }
}
