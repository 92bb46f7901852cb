//! Model files: the spec and the trained weights in one file in the safetensors layout, which
//! Python reads with `safetensors.numpy.load_file`. The layout is an 8-byte little-endian header
//! length, a JSON header naming each tensor's dtype, shape and byte range, then the tensor bytes
//! (https://github.com/huggingface/safetensors). The spec travels as JSON in the header's
//! `__metadata__`.
//!
//! Tensors are named `{layer}_{i}/{weight}` with Keras's layer and weight names and layouts,
//! i counting the layers of one type from 0, the output layer included: `dense_{i}/kernel`
//! (shape [inputs, units]) and `dense_{i}/bias`, `conv2d_{i}/kernel` (shape [height, width,
//! channels, filters]) and `conv2d_{i}/bias`, `batch_normalization_{i}/gamma`, `beta`,
//! `moving_mean` and `moving_variance`, and `layer_normalization_{i}/gamma` and `beta`.

use crate::error::{PlaygroundError, Result};
use crate::spec::NetworkSpec;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Key of the spec in the header's `__metadata__`.
pub const SPEC_KEY: &str = "dfdx_playground_spec";
/// Files larger than this are rejected before parsing: the parameter cap keeps real models
/// near 16 MiB.
pub const MAX_FILE_BYTES: usize = 64 << 20;

fn invalid(message: impl Into<String>) -> PlaygroundError {
    PlaygroundError::ModelFile {
        message: message.into(),
    }
}

/// Names and shapes of the spec's tensors, in the order of `Network::parameter_values`.
fn tensor_layout(spec: &NetworkSpec) -> Result<Vec<(String, Vec<usize>)>> {
    let valid = spec.validate()?;
    let mut layout = Vec::new();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for plan in &valid.layers {
        let tensors = plan.tensors();
        if tensors.is_empty() {
            continue;
        }
        let prefix = plan.file_prefix();
        let count = counts.entry(prefix).or_insert(0);
        for tensor in tensors {
            layout.push((format!("{prefix}_{count}/{}", tensor.name), tensor.shape));
        }
        *count += 1;
    }
    Ok(layout)
}

/// Writes a model file from a spec and its weights (layer by layer, weight then bias).
pub fn encode(spec: &NetworkSpec, values: &[Vec<f32>]) -> Result<Vec<u8>> {
    let layout = tensor_layout(spec)?;
    if layout.len() != values.len() {
        return Err(invalid(format!(
            "the network has {} tensors but {} were given",
            layout.len(),
            values.len()
        )));
    }
    let mut header = Map::new();
    header.insert(
        "__metadata__".to_string(),
        json!({ SPEC_KEY: spec.to_json(), "format": "dfdx-playground model, version 1" }),
    );
    let mut data = Vec::new();
    for ((name, shape), tensor) in layout.iter().zip(values) {
        if tensor.len() != shape.iter().product::<usize>() {
            return Err(invalid(format!(
                "{name} has {} values but its shape {shape:?} needs {}",
                tensor.len(),
                shape.iter().product::<usize>()
            )));
        }
        let begin = data.len();
        for value in tensor {
            data.extend_from_slice(&value.to_le_bytes());
        }
        header.insert(
            name.clone(),
            json!({ "dtype": "F32", "shape": shape, "data_offsets": [begin, data.len()] }),
        );
    }
    let mut header = serde_json::to_vec(&Value::Object(header)).expect("a JSON map serializes");
    // The format pads the header with spaces so that the data starts 8-byte aligned.
    while !header.len().is_multiple_of(8) {
        header.push(b' ');
    }
    let mut file = Vec::with_capacity(8 + header.len() + data.len());
    file.extend_from_slice(&(header.len() as u64).to_le_bytes());
    file.extend_from_slice(&header);
    file.extend_from_slice(&data);
    Ok(file)
}

/// Reads a model file back into its spec and weights, checking every tensor against the spec.
pub fn decode(file: &[u8]) -> Result<(NetworkSpec, Vec<Vec<f32>>)> {
    if file.len() > MAX_FILE_BYTES {
        return Err(invalid(format!(
            "the file has {} bytes, more than the limit of {MAX_FILE_BYTES}",
            file.len()
        )));
    }
    if file.len() < 8 {
        return Err(invalid(format!(
            "the file has only {} bytes, too few for a model file",
            file.len()
        )));
    }
    let header_len = u64::from_le_bytes(file[..8].try_into().expect("8 bytes"));
    let rest = file.len() as u64 - 8;
    // A length beyond the size limit means the first 8 bytes are not a safetensors header
    // length at all: the file is of another kind, such as a CSV file.
    if header_len > MAX_FILE_BYTES as u64 {
        return Err(invalid(format!(
            "it does not start with a safetensors header (its first 8 bytes give a header \
             length of {header_len} bytes)"
        )));
    }
    if header_len > rest {
        return Err(invalid(format!(
            "the header claims {header_len} bytes but only {rest} follow; the file is truncated"
        )));
    }
    let header_end = 8 + header_len as usize;
    let header: Value = serde_json::from_slice(&file[8..header_end])
        .map_err(|error| invalid(format!("the header is not valid JSON ({error})")))?;
    let Value::Object(header) = header else {
        return Err(invalid("the header is not a JSON object"));
    };
    let spec_json = header
        .get("__metadata__")
        .and_then(|metadata| metadata.get(SPEC_KEY))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            invalid(format!(
                "the header has no {SPEC_KEY} metadata, so the file was not exported by the playground"
            ))
        })?;
    let spec = NetworkSpec::from_json(spec_json)?;
    let layout = tensor_layout(&spec)?;

    let data = &file[header_end..];
    let mut values = Vec::with_capacity(layout.len());
    for (name, shape) in &layout {
        let entry = header
            .get(name)
            .ok_or_else(|| invalid(format!("the tensor {name} is missing")))?;
        values.push(read_tensor(name, shape, entry, data)?);
    }
    let expected: Vec<&str> = layout.iter().map(|(name, _)| name.as_str()).collect();
    if let Some(extra) = header
        .keys()
        .find(|key| *key != "__metadata__" && !expected.contains(&key.as_str()))
    {
        return Err(invalid(format!(
            "the tensor {extra} does not belong to this network"
        )));
    }
    Ok((spec, values))
}

fn read_tensor(name: &str, shape: &[usize], entry: &Value, data: &[u8]) -> Result<Vec<f32>> {
    let dtype = entry
        .get("dtype")
        .and_then(Value::as_str)
        .unwrap_or("missing");
    if dtype != "F32" {
        return Err(invalid(format!(
            "{name} has dtype {dtype}; only F32 is supported"
        )));
    }
    let actual_shape: Option<Vec<usize>> =
        entry
            .get("shape")
            .and_then(Value::as_array)
            .and_then(|dims| {
                dims.iter()
                    .map(|d| d.as_u64().map(|d| d as usize))
                    .collect()
            });
    if actual_shape.as_deref() != Some(shape) {
        return Err(invalid(format!(
            "{name} has shape {}, but the spec needs {shape:?}",
            entry
                .get("shape")
                .map_or("missing".to_string(), Value::to_string)
        )));
    }
    let offsets: Option<Vec<usize>> = entry
        .get("data_offsets")
        .and_then(Value::as_array)
        .and_then(|pair| {
            pair.iter()
                .map(|o| o.as_u64().map(|o| o as usize))
                .collect()
        });
    let Some([begin, end]) = offsets
        .as_deref()
        .and_then(|pair| <[usize; 2]>::try_from(pair).ok())
    else {
        return Err(invalid(format!("{name} has no valid data_offsets")));
    };
    let needed = shape.iter().product::<usize>() * 4;
    if begin > end || end > data.len() {
        return Err(invalid(format!(
            "{name} lies at bytes {begin}..{end}, beyond the {} data bytes; the file is truncated",
            data.len()
        )));
    }
    if end - begin != needed {
        return Err(invalid(format!(
            "{name} spans {} bytes, but {shape:?} f32 values need {needed}",
            end - begin
        )));
    }
    let values: Vec<f32> = data[begin..end]
        .chunks_exact(4)
        .map(|bytes| f32::from_le_bytes(bytes.try_into().expect("4 bytes")))
        .collect();
    if let Some(index) = values.iter().position(|value| !value.is_finite()) {
        return Err(invalid(format!(
            "{name} holds {} at index {index}; weights must be finite",
            values[index]
        )));
    }
    Ok(values)
}
