//! The `#[wasm_bindgen]` items of the code export and of model files: the page's second wasm
//! module.

use super::convert::{engine_error, parse_spec, parse_values, to_js};
use crate::error::PlaygroundError;
use crate::{codegen, model_file};
use wasm_bindgen::prelude::*;

/// Installs the panic hook in a module built with `web-tools` alone. A module built with
/// `web-training` too gets it from `training::start`.
#[cfg(not(feature = "web-training"))]
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Writes a model file (safetensors layout) from a spec and its weights.
#[wasm_bindgen(js_name = encodeModel)]
pub fn encode_model(spec: JsValue, values: JsValue) -> Result<Vec<u8>, PlaygroundError> {
    let spec = parse_spec(spec)?;
    let values = parse_values(values)?.unwrap_or_default();
    model_file::encode(&spec, &values)
}

/// Returns Python code that rebuilds the spec's network in `framework` ("keras" or "pytorch").
#[wasm_bindgen(js_name = generateCode)]
pub fn generate_code(spec: JsValue, framework: &str) -> Result<String, PlaygroundError> {
    let spec = parse_spec(spec)?;
    match framework {
        "keras" => codegen::keras(&spec),
        "pytorch" => codegen::pytorch(&spec),
        other => Err(PlaygroundError::InvalidSpec {
            message: format!(
                "there is no code generator for {other:?}; use \"keras\" or \"pytorch\""
            ),
        }),
    }
}

/// Reads a model file into `{ spec, values }`, or throws with what is wrong with it.
#[wasm_bindgen(js_name = decodeModel)]
pub fn decode_model(file: &[u8]) -> Result<JsValue, PlaygroundError> {
    let (spec, values) = model_file::decode(file)?;
    to_js(&serde_json::json!({ "spec": spec, "values": values })).map_err(engine_error)
}
