//! The shipped UCI sets (wine, breast cancer, digits): their files load with the documented
//! shapes, and their presets train to a good test accuracy. The page fetches these files and
//! passes their text to the engine; these tests read the same files from data/.
#![cfg(not(target_arch = "wasm32"))]

use dfdx_playground::data::Dataset;
use dfdx_playground::presets;
use dfdx_playground::spec::DataSet;
use dfdx_playground::{EpochMetrics, NetworkSpec, PlaygroundError, Trainer};

const WINE: &str = include_str!("../data/wine_data.csv");
const BREAST_CANCER: &str = include_str!("../data/breast_cancer.csv");
const DIGITS: &str = include_str!("../data/digits.csv");

fn train(spec: &NetworkSpec, text: &str) -> Vec<EpochMetrics> {
    let mut trainer = Trainer::with_text(spec, Some(text)).expect("valid spec and data");
    while trainer.train_epoch().expect("training succeeds").is_some() {}
    trainer.history().to_vec()
}

fn load(spec: &NetworkSpec, text: &str) -> Dataset {
    Dataset::load(&spec.validate().expect("valid spec"), Some(text)).expect("data loads")
}

#[test]
fn shipped_sets_have_documented_shapes() {
    // (preset, text, rows, features, classes, first class, last feature name)
    let cases = [
        (presets::wine(), WINE, 178, 13, 3, "class_0", "proline"),
        (
            presets::breast_cancer(),
            BREAST_CANCER,
            569,
            30,
            2,
            "malignant",
            "worst fractal dimension",
        ),
        (presets::digits(), DIGITS, 1797, 64, 10, "0", "pixel_7_7"),
    ];
    for (mut spec, text, rows, features, classes, first_class, last_feature) in cases {
        let set = spec.data.set.name();
        spec.data.train_percent = 100.0;
        let data = load(&spec, text);
        assert_eq!(data.train.rows(), rows, "{set}: rows");
        assert_eq!(data.features, features, "{set}: features");
        assert_eq!(data.class_names.len(), classes, "{set}: classes");
        assert_eq!(data.class_names[0], first_class, "{set}: first class");
        assert_eq!(data.feature_names.len(), features, "{set}: feature names");
        assert_eq!(
            data.feature_names[features - 1],
            last_feature,
            "{set}: last feature"
        );
        for class in 0..classes {
            assert!(
                data.train.labels.contains(&class),
                "{set}: class {class} has no rows"
            );
        }
    }
}

#[test]
fn digits_pixels_scale_to_unit_range() {
    let mut spec = presets::digits();
    spec.data.train_percent = 100.0;
    let data = load(&spec, DIGITS);
    let max = data.train.features.iter().copied().fold(f32::MIN, f32::max);
    let min = data.train.features.iter().copied().fold(f32::MAX, f32::min);
    assert_eq!((min, max), (0.0, 1.0));
    // The first image's first row of pixels in the file is 0,0,5,13,9,1,0,0.
    assert_eq!(
        &data.train.features[..4],
        &[0.0, 0.0, 5.0 / 16.0, 13.0 / 16.0]
    );
}

#[test]
fn sets_from_files_need_their_text() {
    for spec in [presets::wine(), presets::breast_cancer(), presets::digits()] {
        let set = spec.data.set.name();
        let error = Trainer::new(&spec).expect_err("no text, no trainer");
        assert_eq!(
            error,
            PlaygroundError::DataTextMissing {
                data: set.to_string()
            },
            "{set}"
        );
        assert!(
            error.to_string().contains("reload the page"),
            "{set}: {error}"
        );
    }
}

#[test]
fn damaged_shipped_file_is_reported() {
    let short: String = WINE.lines().take(100).collect::<Vec<_>>().join("\n");
    let error = Trainer::with_text(&presets::wine(), Some(&short))
        .err()
        .unwrap();
    assert!(
        error
            .to_string()
            .contains("row count does not match the header"),
        "{error}"
    );
    let digits: String = DIGITS.lines().take(100).collect::<Vec<_>>().join("\n");
    let error = Trainer::with_text(&presets::digits(), Some(&digits))
        .err()
        .unwrap();
    assert!(error.to_string().contains("digits has 100 rows"), "{error}");
}

#[test]
fn digits_preset_passes_0_9_test_accuracy() {
    let spec = presets::digits();
    assert_eq!(spec.data.set, DataSet::Digits);
    let history = train(&spec, DIGITS);
    assert_eq!(history.len(), 20);
    let last = history.last().unwrap();
    println!("Digits preset after 20 epochs: {last:?}");
    assert!(last.train_loss < history[0].train_loss);
    let accuracy = last.test_accuracy.unwrap();
    assert!(accuracy > 0.9, "test accuracy {accuracy}");
}

#[test]
fn wine_and_breast_cancer_presets_train() {
    for (spec, text) in [
        (presets::wine(), WINE),
        (presets::breast_cancer(), BREAST_CANCER),
    ] {
        let set = spec.data.set.name();
        let history = train(&spec, text);
        let last = history.last().unwrap();
        println!("{set} preset after {} epochs: {last:?}", history.len());
        assert!(
            last.train_loss < history[0].train_loss,
            "{set}: {history:?}"
        );
        let accuracy = last.test_accuracy.unwrap();
        assert!(accuracy > 0.9, "{set}: test accuracy {accuracy}");
    }
}
