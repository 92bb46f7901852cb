//! Browser tests of the wasm API, run by `wasm-pack test --headless --chrome`. They train the
//! presets recorded in tests/fixtures/losses.json and compare with the native losses there.
#![cfg(target_arch = "wasm32")]

use dfdx_playground::gpu::kernels::MatmulVariant;
use dfdx_playground::gpu::{Gpu, GpuTrainer};
use dfdx_playground::web::{create_gpu_session, describe_csv, describe_spec, presets, Session};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const FIXTURE: &str = include_str!("fixtures/losses.json");

/// Relative tolerance between native and wasm losses. Both run the same f32 operations in
/// the same order, but the x86_64 matmul kernels use FMA and the two targets' `exp` and `ln`
/// round differently in the last bit. Measured on x86_64 against Chromium 156: at most about
/// 1e-7 relative over these epochs.
const TOLERANCE: f64 = 1e-5;

fn to_js(value: &Value) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap()
}

fn from_js(value: JsValue) -> Value {
    serde_wasm_bindgen::from_value(value).unwrap()
}

fn train_losses(spec: &Value) -> Vec<f64> {
    let mut session = Session::new(to_js(spec), None).expect("fixture spec is valid");
    let mut losses = Vec::new();
    loop {
        let metrics = session.train_epoch().expect("training succeeds");
        if metrics.is_undefined() || metrics.is_null() {
            break;
        }
        losses.push(from_js(metrics)["train_loss"].as_f64().unwrap());
    }
    losses
}

#[wasm_bindgen_test]
fn wasm_losses_match_native_fixture() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    for (name, case) in fixture.as_object().unwrap() {
        let actual = train_losses(&case["spec"]);
        let expected: Vec<f64> = case["train_loss"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(actual.len(), expected.len(), "{name}: epoch count");
        let largest = actual
            .iter()
            .zip(&expected)
            .map(|(a, e)| (a - e).abs() / e.abs())
            .fold(0.0, f64::max);
        console_log!("{name}: largest relative difference from native {largest:e}");
        for (epoch, (a, e)) in actual.iter().zip(&expected).enumerate() {
            assert!(
                (a - e).abs() <= TOLERANCE * e.abs(),
                "{name} epoch {}: wasm loss {a}, native loss {e}",
                epoch + 1
            );
        }
        assert!(
            actual.last() < actual.first(),
            "{name}: loss did not fall: {actual:?}"
        );
    }
}

#[wasm_bindgen_test]
fn keras_preset_trains_in_browser() {
    let all = from_js(presets().unwrap());
    let keras = all
        .as_array()
        .unwrap()
        .iter()
        .find(|preset| preset["id"] == "keras-iris")
        .expect("keras-iris preset");
    let mut session = Session::new(to_js(&keras["spec"]), None).unwrap();
    let mut history = Vec::new();
    // One batch at a time, as the page's Worker trains.
    while !session.finished() {
        let metrics = session.run_batches(1).unwrap();
        if !metrics.is_null() {
            history.push(from_js(metrics));
        }
    }
    assert_eq!(history.len(), 10);
    let first = &history[0];
    let last = &history[9];
    assert!(
        last["train_loss"].as_f64() < first["train_loss"].as_f64(),
        "{history:?}"
    );
    assert!(
        last["train_accuracy"].as_f64() > first["train_accuracy"].as_f64(),
        "{history:?}"
    );
    assert!(last["train_accuracy"].as_f64().unwrap() >= 0.8, "{last}");
}

#[wasm_bindgen_test]
fn bad_spec_throws_error_with_details() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let mut spec = fixture["keras-iris"]["spec"].clone();
    spec["layers"][0]["units"] = 0.into();
    let error = match Session::new(to_js(&spec), None) {
        Ok(_) => panic!("0 units was accepted"),
        Err(error) => error,
    };
    // The conversion the wasm-bindgen glue applies when the error crosses into JavaScript.
    let error: js_sys::Error = JsValue::from(error).dyn_into().expect("a JavaScript Error");
    let message: String = error.message().into();
    assert!(message.contains("layers[0].units is 0"), "{message}");
    assert!(message.contains("from 1 to 1024"), "{message}");
    let details = from_js(js_sys::Reflect::get(&error, &"details".into()).unwrap());
    assert_eq!(details["code"], "out_of_range");
    assert_eq!(details["field"], "layers[0].units");
}

#[wasm_bindgen_test]
fn describe_spec_counts_parameters() {
    let spec = &serde_json::from_str::<Value>(FIXTURE).unwrap()["keras-iris"]["spec"];
    let summary = from_js(describe_spec(to_js(spec), None).unwrap());
    assert_eq!(summary["parameters"], 4675);
    assert_eq!(summary["layers"][2]["activation"], "softmax");
    assert_eq!(summary["data"]["train_rows"], 150);
}

/// Per-epoch relative tolerance between the WebGPU and the CPU path: the same f32 arithmetic on
/// the same batches, but the GPU sums an epoch's row losses itself and rounds exp, ln and tanh
/// its own way.
const GPU_TOLERANCE: f64 = 1e-4;

async fn gpu_losses(spec: &Value) -> Vec<f64> {
    // Chromium's only adapter here is SwiftShader, a software fallback, so it is allowed.
    let session = create_gpu_session(to_js(spec), true, JsValue::UNDEFINED, None)
        .await
        .expect("WebGPU session (Chromium needs --enable-unsafe-webgpu)");
    let mut losses = Vec::new();
    loop {
        let metrics = JsFuture::from(session.train_epoch())
            .await
            .expect("GPU epoch");
        if metrics.is_null() {
            break;
        }
        losses.push(from_js(metrics)["train_loss"].as_f64().unwrap());
    }
    losses
}

#[wasm_bindgen_test]
async fn webgpu_matches_cpu_for_20_epochs() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let mut plane = serde_json::to_value(dfdx_playground::presets::plane()).unwrap();
    plane["epochs"] = 20.into();
    let specs = [
        ("keras-iris", fixture["keras-iris"]["spec"].clone()),
        (
            "spiral-5-epochs",
            fixture["spiral-5-epochs"]["spec"].clone(),
        ),
        // Regression with validation and test splits.
        ("plane", plane),
    ];
    for (name, mut spec) in specs {
        spec["epochs"] = 20.into();
        let cpu = train_losses(&spec);
        let gpu = gpu_losses(&spec).await;
        assert_eq!(gpu.len(), 20, "{name}: GPU epochs");
        for (epoch, (g, c)) in gpu.iter().zip(&cpu).enumerate() {
            assert!(
                (g - c).abs() <= GPU_TOLERANCE * c.abs(),
                "{name} epoch {}: WebGPU loss {g}, CPU loss {c}",
                epoch + 1
            );
        }
    }
}

#[wasm_bindgen_test]
async fn tiled_matmul_matches_cpu_in_browser() {
    // SwiftShader is a software adapter, so sessions multiply without workgroup memory. This
    // builds the trainer on the tiled kernel that hardware adapters get, to run it through
    // Chromium's WGSL compiler too.
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let mut spec: dfdx_playground::NetworkSpec =
        serde_json::from_value(fixture["keras-iris"]["spec"].clone()).unwrap();
    spec.epochs = 5;

    let mut gpu = Gpu::new(true)
        .await
        .expect("WebGPU adapter (Chromium needs --enable-unsafe-webgpu)");
    assert_eq!(
        gpu.matmul,
        MatmulVariant::Registers,
        "SwiftShader is a software adapter"
    );
    gpu.matmul = MatmulVariant::Tiled;

    let mut trainer = GpuTrainer::new(&spec, gpu).expect("valid spec");
    let mut losses = Vec::new();
    while let Some(pending) = trainer.train_epoch().expect("GPU submission") {
        let result = pending.await;
        trainer.record(&result);
        losses.push(result.expect("GPU epoch").train_loss);
    }

    let cpu = train_losses(&serde_json::to_value(&spec).unwrap());
    assert_eq!(losses.len(), 5);
    for (epoch, (g, c)) in losses.iter().zip(&cpu).enumerate() {
        assert!(
            (g - c).abs() <= GPU_TOLERANCE * c.abs(),
            "epoch {}: tiled WebGPU loss {g}, CPU loss {c}",
            epoch + 1
        );
    }
}

#[wasm_bindgen_test]
async fn gpu_state_resumes_in_session() {
    // The checkpoint's weights and optimizer state cross to a CPU session as JavaScript values,
    // as the Worker passes them when WebGPU fails, and the run continues as if uninterrupted.
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let mut spec = fixture["keras-iris"]["spec"].clone();
    spec["epochs"] = 6.into();
    let cpu = train_losses(&spec);

    let gpu = create_gpu_session(to_js(&spec), true, JsValue::UNDEFINED, None)
        .await
        .expect("WebGPU session (Chromium needs --enable-unsafe-webgpu)");
    let mut losses = Vec::new();
    for _ in 0..2 {
        let metrics = JsFuture::from(gpu.train_epoch()).await.expect("GPU epoch");
        losses.push(from_js(metrics)["train_loss"].as_f64().unwrap());
    }
    let checkpoint = from_js(gpu.checkpoint().unwrap());
    assert_eq!(checkpoint["epoch"], 2);
    assert_eq!(
        checkpoint["optimizer"]["step"],
        2 * 5,
        "150 rows in batches of 32"
    );
    // The checkpoint equals the device buffers after the last epoch.
    let values = JsFuture::from(gpu.parameter_values()).await.unwrap();
    let state = JsFuture::from(gpu.optimizer_state()).await.unwrap();
    assert_eq!(checkpoint["values"], from_js(values));
    assert_eq!(checkpoint["optimizer"], from_js(state));

    let mut session = Session::resume(
        to_js(&spec),
        None,
        to_js(&checkpoint["values"]),
        2,
        to_js(&checkpoint["optimizer"]),
    )
    .unwrap();
    loop {
        let metrics = session.train_epoch().unwrap();
        if metrics.is_null() {
            break;
        }
        losses.push(from_js(metrics)["train_loss"].as_f64().unwrap());
    }

    assert_eq!(losses.len(), cpu.len());
    for (epoch, (got, expected)) in losses.iter().zip(&cpu).enumerate() {
        assert!(
            (got - expected).abs() <= GPU_TOLERANCE * expected.abs(),
            "epoch {}: switched run {got}, CPU run {expected}",
            epoch + 1
        );
    }
}

/// A small upload as a European spreadsheet writes it: semicolons, CRLF and decimal commas.
/// "wide" rows have a larger first feature than "narrow" ones.
fn upload_text() -> String {
    let mut text = "width;height;kind\r\n".to_string();
    for row in 0..40 {
        let (width, kind) = if row % 2 == 0 {
            (3 + row % 5, "wide")
        } else {
            (row % 3, "narrow")
        };
        text.push_str(&format!("{width},5;{};{kind}\r\n", row % 4));
    }
    text
}

#[wasm_bindgen_test]
fn uploaded_csv_trains_in_browser() {
    let text = upload_text();
    let summary = from_js(describe_csv(&text, None, None).unwrap());
    assert_eq!(summary["delimiter"], "semicolon");
    assert_eq!(
        summary["columns"],
        serde_json::json!(["width", "height", "kind"])
    );
    assert_eq!(summary["rows"], 40);
    assert_eq!(summary["classes"], 2);
    assert_eq!(
        summary["class_names"],
        serde_json::json!(["narrow", "wide"])
    );

    let mut spec = serde_json::from_str::<Value>(FIXTURE).unwrap()["keras-iris"]["spec"].clone();
    spec["data"]["set"] = "csv".into();
    spec["data"]["csv"] = serde_json::json!({
        "label_column": 2, "rows": 40, "features": 2, "classes": 2
    });
    spec["epochs"] = 30.into();
    let mut session = Session::new(to_js(&spec), Some(text)).expect("CSV spec is valid");
    let mut history = Vec::new();
    loop {
        let metrics = session.train_epoch().unwrap();
        if metrics.is_null() {
            break;
        }
        history.push(from_js(metrics));
    }
    let last = &history[29];
    assert!(last["train_accuracy"].as_f64().unwrap() > 0.9, "{last}");
}

#[wasm_bindgen_test]
fn csv_task_is_detected_or_set() {
    // Fractional prices are a regression target; the same column can be read as classes.
    let text = "size,price\n".to_string()
        + &(0..12)
            .map(|i| format!("{i},{}.5\n", i % 4))
            .collect::<String>();
    let detected = from_js(describe_csv(&text, None, None).unwrap());
    assert_eq!(detected["task"], "regression");
    assert_eq!(detected["classes"], 0);
    assert_eq!(detected["target_range"], serde_json::json!([0.5, 3.5]));
    let classes = from_js(describe_csv(&text, None, Some("classification".into())).unwrap());
    assert_eq!(classes["task"], "classification");
    assert_eq!(classes["classes"], 4);
    let error = describe_csv(&text, None, Some("ranking".into())).unwrap_err();
    let message: String = JsValue::from(error)
        .dyn_into::<js_sys::Error>()
        .unwrap()
        .message()
        .into();
    assert!(message.contains("\"ranking\" is unknown"), "{message}");
}

#[wasm_bindgen_test]
fn bad_csv_throws_row_and_column() {
    let text = upload_text().replace("1,5;1;narrow", "1,5;one;narrow");
    let error: js_sys::Error = JsValue::from(describe_csv(&text, None, None).unwrap_err())
        .dyn_into()
        .unwrap();
    let message: String = error.message().into();
    assert!(
        message.starts_with("Row 3, column 2 (\"height\")"),
        "{message}"
    );
    let details = from_js(js_sys::Reflect::get(&error, &"details".into()).unwrap());
    assert_eq!(details["code"], "csv_not_numeric");
    assert_eq!(details["row"], 3);
    assert_eq!(details["column"], 2);
    assert_eq!(details["name"], "height");
}

#[wasm_bindgen_test]
fn wine_trains_from_passed_text() {
    let all = from_js(presets().unwrap());
    let wine = all
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "wine")
        .unwrap();
    let text = include_str!("../data/wine_data.csv").to_string();
    let mut session = Session::new(to_js(&wine["spec"]), Some(text)).unwrap();
    let metrics = from_js(session.train_epoch().unwrap());
    assert_eq!(metrics["examples"], 142);
    let missing = Session::new(to_js(&wine["spec"]), None)
        .err()
        .expect("no text, no session");
    let error: js_sys::Error = JsValue::from(missing).dyn_into().unwrap();
    assert!(String::from(error.message()).contains("reload the page"));
}

/// Reads a `Float32Array` property of a view object.
fn float_array(object: &JsValue, key: &str) -> Vec<f32> {
    let value = js_sys::Reflect::get(object, &key.into()).unwrap();
    value.dyn_into::<js_sys::Float32Array>().unwrap().to_vec()
}

#[wasm_bindgen_test]
fn views_return_grid_points_and_predictions() {
    let spec = serde_json::json!({
        "data": { "set": "circle", "train_percent": 50, "noise": 10, "samples": 200 },
        "layers": [{ "type": "dense", "units": 5, "activation": "tanh" }],
        "loss": "binary_cross_entropy",
        "optimizer": { "type": "sgd", "learning_rate": 0.03 },
        "batch_size": 10, "epochs": 3, "seed": 0
    });
    let mut session = Session::new(to_js(&spec), None).unwrap();
    session.train_epoch().unwrap();

    let grid = session.grid_view(20, 16).unwrap();
    assert_eq!(float_array(&grid, "output").len(), 400);
    let layers: js_sys::Array = js_sys::Reflect::get(&grid, &"layers".into())
        .unwrap()
        .into();
    assert_eq!(layers.length(), 1);
    assert_eq!(float_array(&layers.get(0), "values").len(), 400 * 5);
    let cut = session.grid_view(20, 2).unwrap();
    let cut_layers: js_sys::Array = js_sys::Reflect::get(&cut, &"layers".into()).unwrap().into();
    assert_eq!(float_array(&cut_layers.get(0), "values").len(), 400 * 2);

    let points = from_js(session.points().unwrap());
    assert_eq!(points["train_labels"].as_array().unwrap().len(), 100);
    assert_eq!(points["test"].as_array().unwrap().len(), 200);

    let predictions = from_js(session.predictions().unwrap());
    assert_eq!(predictions["split"], "test");
    let total: u64 = predictions["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap())
        .map(|count| count.as_u64().unwrap())
        .sum();
    assert_eq!(total, 100);
    let raw = from_js(session.raw_rows("test", vec![0, 1]).unwrap());
    assert_eq!(raw.as_array().unwrap().len(), 2);
    let error = session.raw_rows("validation", vec![0]).unwrap_err();
    assert!(error.to_string().contains("\"validation\""), "{error}");

    let diagnostics = from_js(session.diagnostics().unwrap());
    assert_eq!(diagnostics["rows"], 100);
    assert_eq!(diagnostics["layers"].as_array().unwrap().len(), 2);
}

#[wasm_bindgen_test]
fn grid_view_is_null_for_iris() {
    let spec = &serde_json::from_str::<Value>(FIXTURE).unwrap()["keras-iris"]["spec"];
    let mut session = Session::new(to_js(spec), None).unwrap();
    assert!(session.grid_view(20, 16).unwrap().is_null());
    assert!(session.points().unwrap().is_null());
}
