//! Conversions between the core's types and JavaScript values, shared by the two halves of the
//! wasm API (`training`, `tools`). Specs and metrics cross as plain JavaScript objects through
//! serde-wasm-bindgen; errors cross as JavaScript `Error`s, converted here once.

use crate::error::PlaygroundError;
use crate::spec::NetworkSpec;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Converts a core error into a JavaScript `Error` whose message is the English text and whose
/// `details` property carries the error's code and fields, from which the page builds the
/// message in its own language.
impl From<PlaygroundError> for JsValue {
    fn from(error: PlaygroundError) -> Self {
        let js_error = js_sys::Error::new(&error.to_string());
        js_error.set_name("PlaygroundError");
        if let Ok(details) = to_js(&error) {
            // Setting a property on a fresh Error object cannot fail.
            let _ = js_sys::Reflect::set(&js_error, &"details".into(), &details);
        }
        js_error.into()
    }
}

/// Serializes maps as plain objects (not `Map`s), which is what the page reads.
pub(crate) fn to_js<T: Serialize + ?Sized>(
    value: &T,
) -> Result<JsValue, serde_wasm_bindgen::Error> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
}

pub(crate) fn engine_error(error: serde_wasm_bindgen::Error) -> PlaygroundError {
    PlaygroundError::Engine {
        message: error.to_string(),
    }
}

pub(crate) fn parse_spec(spec: JsValue) -> Result<NetworkSpec, PlaygroundError> {
    serde_wasm_bindgen::from_value(spec).map_err(|error| PlaygroundError::InvalidSpec {
        message: error.to_string(),
    })
}

pub(crate) fn parse_values(values: JsValue) -> Result<Option<Vec<Vec<f32>>>, PlaygroundError> {
    if values.is_undefined() || values.is_null() {
        return Ok(None);
    }
    serde_wasm_bindgen::from_value(values)
        .map(Some)
        .map_err(|error| PlaygroundError::InvalidSpec {
            message: format!("the weights are invalid: {error}"),
        })
}
