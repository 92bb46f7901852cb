//! Model files: export then import gives the same predictions, and every malformed file is
//! rejected with a message that names the problem.
#![cfg(not(target_arch = "wasm32"))]

use dfdx_playground::model_file::{decode, encode, SPEC_KEY};
use dfdx_playground::{presets, NetworkSpec, PlaygroundError, Trainer};
use serde_json::{json, Value};

/// The text of the data file behind `spec`'s set, which the page fetches; None for sets
/// built into the module or generated.
fn data_text(spec: &NetworkSpec) -> Option<&'static str> {
    match spec.data.set.file_name()? {
        "wine_data.csv" => Some(include_str!("../data/wine_data.csv")),
        "breast_cancer.csv" => Some(include_str!("../data/breast_cancer.csv")),
        "digits.csv" => Some(include_str!("../data/digits.csv")),
        other => panic!("no test copy of {other}"),
    }
}

fn trained(spec: &NetworkSpec, epochs: usize) -> Trainer {
    let mut trainer = Trainer::with_text(spec, data_text(spec)).unwrap();
    for _ in 0..epochs {
        trainer.train_epoch().unwrap();
    }
    trainer
}

fn exported(trainer: &Trainer) -> Vec<u8> {
    encode(trainer.spec(), &trainer.network().parameter_values()).unwrap()
}

/// Splits a file into its header JSON and data bytes, for tests that tamper with either.
fn split(file: &[u8]) -> (Value, Vec<u8>) {
    let len = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
    let header = serde_json::from_slice(&file[8..8 + len]).unwrap();
    (header, file[8 + len..].to_vec())
}

fn join(header: &Value, data: &[u8]) -> Vec<u8> {
    let header = serde_json::to_vec(header).unwrap();
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(&header);
    file.extend_from_slice(data);
    file
}

fn rejection(file: &[u8]) -> String {
    match decode(file) {
        Ok(_) => panic!("a malformed file was accepted"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn import_reproduces_predictions() {
    for preset in presets::all() {
        let trainer = trained(&preset.spec, 3);
        let (spec, values) = decode(&exported(&trainer)).unwrap();
        assert_eq!(&spec, trainer.spec(), "{}: spec", preset.id);
        assert_eq!(
            values,
            trainer.network().parameter_values(),
            "{}: weights",
            preset.id
        );

        let imported = Trainer::resume(&spec, data_text(&spec), &values, 0).unwrap();
        let data = trainer.data();
        for split in [&data.train, &data.test] {
            assert_eq!(
                imported.predict(split).unwrap(),
                trainer.predict(split).unwrap(),
                "{}: predictions",
                preset.id
            );
        }
    }
}

#[test]
fn header_is_safetensors_layout() {
    let file = exported(&trained(&presets::keras_iris(), 0));
    let header_len = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
    assert_eq!(header_len % 8, 0, "data starts 8-byte aligned");
    let (header, data) = split(&file);
    assert_eq!(header["dense_0/kernel"]["shape"], json!([4, 64]));
    assert_eq!(header["dense_2/bias"]["dtype"], "F32");
    assert_eq!(header["dense_2/bias"]["data_offsets"][1], json!(data.len()));
    assert!(header["__metadata__"][SPEC_KEY].is_string());
}

#[test]
fn malformed_files_are_rejected() {
    let good = exported(&trained(&presets::keras_iris(), 1));
    let (header, data) = split(&good);
    let with_header = |change: &dyn Fn(&mut Value)| {
        let mut header = header.clone();
        change(&mut header);
        join(&header, &data)
    };
    let mut nan_data = data.clone();
    nan_data[4..8].copy_from_slice(&f32::NAN.to_le_bytes());
    let mut unknown_layer: Value =
        serde_json::from_str(header["__metadata__"][SPEC_KEY].as_str().unwrap()).unwrap();
    unknown_layer["layers"][0] = json!({ "type": "conv3d", "filters": 8 });

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "only 0 bytes"),
        ("five bytes", good[..5].to_vec(), "only 5 bytes"),
        ("header cut", good[..40].to_vec(), "the file is truncated"),
        (
            "CSV file",
            b"sepal_length,sepal_width,petal_length,label\n5.1,3.5,1.4,setosa\n".to_vec(),
            "it does not start with a safetensors header",
        ),
        (
            "data cut",
            good[..good.len() - 4].to_vec(),
            "the file is truncated",
        ),
        (
            "not JSON",
            join(&json!(null), &data)[..].to_vec(),
            "not a JSON object",
        ),
        (
            "garbage header",
            {
                let mut file = 4u64.to_le_bytes().to_vec();
                file.extend_from_slice(b"{{{{");
                file
            },
            "not valid JSON",
        ),
        (
            "no spec",
            with_header(&|h| h["__metadata__"] = json!({})),
            "was not exported by the playground",
        ),
        (
            "unknown layer",
            with_header(&|h| h["__metadata__"][SPEC_KEY] = json!(unknown_layer.to_string())),
            "unknown variant `conv3d`",
        ),
        (
            "wrong shape",
            with_header(&|h| h["dense_0/kernel"]["shape"] = json!([64, 4])),
            "dense_0/kernel has shape [64,4], but the spec needs [4, 64]",
        ),
        (
            "wrong dtype",
            with_header(&|h| h["dense_1/bias"]["dtype"] = json!("F16")),
            "dense_1/bias has dtype F16",
        ),
        (
            "missing tensor",
            with_header(&|h| {
                h.as_object_mut().unwrap().remove("dense_2/bias");
            }),
            "dense_2/bias is missing",
        ),
        (
            "extra tensor",
            with_header(&|h| h["dense_9/kernel"] = h["dense_0/kernel"].clone()),
            "dense_9/kernel does not belong",
        ),
        (
            "short span",
            with_header(&|h| h["dense_0/bias"]["data_offsets"] = json!([1024, 1028])),
            "dense_0/bias spans 4 bytes",
        ),
        (
            "NaN weight",
            join(&header, &nan_data),
            "dense_0/kernel holds NaN at index 1",
        ),
    ];
    for (name, file, expected) in cases {
        let message = rejection(&file);
        assert!(
            message.contains(expected),
            "{name}: {message:?} lacks {expected:?}"
        );
    }
}

#[test]
fn rejection_is_model_file_error() {
    let error = decode(b"short").unwrap_err();
    assert!(
        matches!(error, PlaygroundError::ModelFile { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .ends_with("Export it again from the playground."),
        "{error}"
    );
}

#[test]
fn encode_rejects_mismatched_weights() {
    let spec = presets::keras_iris();
    let error = encode(&spec, &[vec![0.0; 3]]).unwrap_err();
    assert!(
        error.to_string().contains("6 tensors but 1 were given"),
        "{error}"
    );
}

#[test]
fn training_options_round_trip() {
    use dfdx_playground::spec::{Decay, KernelRegularizer, Loss, OptimizerSpec, ScheduleSpec};
    let mut spec = presets::keras_iris();
    spec.loss = Loss::Huber;
    spec.huber_delta = 0.5;
    spec.optimizer = OptimizerSpec::Adamw {
        learning_rate: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
        weight_decay: 0.004,
    };
    spec.kernel_regularizer = KernelRegularizer {
        l1: 0.001,
        l2: 0.01,
    };
    spec.schedule = ScheduleSpec {
        decay: Decay::Step {
            factor: 0.5,
            step_epochs: 2,
        },
        warmup_epochs: 1,
    };
    let trainer = trained(&spec, 2);
    let (decoded, values) = decode(&exported(&trainer)).unwrap();
    assert_eq!(decoded, spec);
    assert_eq!(values, trainer.network().parameter_values());
}
