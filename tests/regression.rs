//! Regression on TensorFlow Playground's plane and multi-Gaussian sets and on uploaded CSV
//! files, and the validation split: targets are generated as the formulas say, training lowers
//! the loss and the mean absolute error, and each split reports its own series.
#![cfg(not(target_arch = "wasm32"))]

use dfdx_playground::data::generate_regression;
use dfdx_playground::presets;
use dfdx_playground::rng::SplitMix64;
use dfdx_playground::spec::{CsvSpec, DataSet, Loss, Task};
use dfdx_playground::{EpochMetrics, NetworkSpec, Trainer};

fn train(spec: &NetworkSpec, text: Option<&str>) -> Vec<EpochMetrics> {
    let mut trainer = Trainer::with_text(spec, text).expect("valid spec");
    while trainer.train_epoch().expect("training succeeds").is_some() {}
    trainer.history().to_vec()
}

#[test]
fn plane_targets_follow_formula() {
    let split = generate_regression(DataSet::Plane, 300, 0.0, &mut SplitMix64::new(3));
    assert_eq!(split.rows(), 300);
    assert!(split.labels.is_empty());
    for (point, &target) in split.features.chunks(2).zip(&split.targets) {
        assert!(point.iter().all(|x| x.abs() <= 6.0), "{point:?}");
        let expected = (point[0] as f64 + point[1] as f64) / 10.0;
        assert!(
            (target as f64 - expected).abs() < 1e-6,
            "{point:?}: {target}"
        );
    }
}

#[test]
fn multi_gaussian_is_seeded_and_deterministic() {
    let generate =
        |seed| generate_regression(DataSet::MultiGaussian, 400, 0.1, &mut SplitMix64::new(seed));
    let first = generate(7);
    assert_eq!(first, generate(7), "the same seed gives the same rows");
    assert_ne!(
        first.features,
        generate(8).features,
        "another seed gives other rows"
    );
    assert!(first.targets.iter().all(|t| (-1.0..=1.0).contains(t)));
    let positive = first.targets.iter().filter(|&&t| t > 0.5).count();
    let negative = first.targets.iter().filter(|&&t| t < -0.5).count();
    assert!(
        positive > 10 && negative > 10,
        "{positive} high, {negative} low"
    );

    // Without noise, a point at a bump's centre has that bump's sign and height 1, and a
    // point far from every bump has target 0.
    let clean = generate_regression(DataSet::MultiGaussian, 2000, 0.0, &mut SplitMix64::new(1));
    for (point, &target) in clean.features.chunks(2).zip(&clean.targets) {
        let (x, y) = (point[0] as f64, point[1] as f64);
        if (x - 4.0).hypot(y - 2.5) < 0.05 {
            assert!(target > 0.97, "near (4, 2.5): {target}");
        }
        if (x - 0.0).hypot(y - 2.5) < 0.05 {
            assert!(target < -0.97, "near (0, 2.5): {target}");
        }
        if y.abs() > 5.0 && x.abs() < 6.0 && (y.abs() - 2.5) > 2.0 {
            assert_eq!(target, 0.0, "far from the bumps at ({x}, {y})");
        }
    }

    // The trainer draws the same rows from the spec's seed.
    let mut spec = presets::plane();
    spec.data.set = DataSet::MultiGaussian;
    let a = Trainer::new(&spec).unwrap();
    let b = Trainer::new(&spec).unwrap();
    assert_eq!(a.data(), b.data());
}

#[test]
fn plane_trains_and_mae_improves() {
    let spec = presets::plane();
    let history = train(&spec, None);
    let (first, last) = (&history[0], history.last().unwrap());
    println!(
        "plane preset: train loss {:.5} -> {:.5}, test MAE {:.4} -> {:.4}",
        first.train_loss,
        last.train_loss,
        first.test_mae.unwrap(),
        last.test_mae.unwrap()
    );
    assert!(last.train_loss < first.train_loss * 0.5, "{history:?}");
    assert!(
        last.train_mae.unwrap() < first.train_mae.unwrap(),
        "{history:?}"
    );
    assert!(
        last.test_mae.unwrap() < first.test_mae.unwrap(),
        "{history:?}"
    );
    // Targets spread over about [-1.2, 1.2]; predicting their mean would leave an MAE near 0.4.
    assert!(last.test_mae.unwrap() < 0.05, "{last:?}");
    for metrics in &history {
        assert!(metrics.train_accuracy.is_none(), "{metrics:?}");
        assert!(metrics.validation_mae.is_some(), "{metrics:?}");
        assert!(metrics.validation_loss.is_some(), "{metrics:?}");
        assert!(metrics.validation_accuracy.is_none(), "{metrics:?}");
    }
}

#[test]
fn multi_gaussian_trains() {
    let mut spec = presets::plane();
    spec.data.set = DataSet::MultiGaussian;
    spec.layers = vec![
        dfdx_playground::spec::LayerSpec::Dense {
            units: 16,
            activation: dfdx_playground::spec::Activation::Tanh,
        },
        dfdx_playground::spec::LayerSpec::Dense {
            units: 16,
            activation: dfdx_playground::spec::Activation::Tanh,
        },
    ];
    spec.epochs = 40;
    let history = train(&spec, None);
    let (first, last) = (&history[0], history.last().unwrap());
    println!(
        "multi-Gaussian: train loss {:.4} -> {:.4}, validation MAE {:.4} -> {:.4}",
        first.train_loss,
        last.train_loss,
        first.validation_mae.unwrap(),
        last.validation_mae.unwrap()
    );
    assert!(last.train_loss < first.train_loss * 0.6, "{history:?}");
    assert!(last.validation_mae.unwrap() < first.validation_mae.unwrap());
}

#[test]
fn validation_rows_fit_no_scaler() {
    // Standardization is fitted on the training rows alone: their feature means are 0, the
    // validation rows' are not.
    let spec = presets::plane();
    let trainer = Trainer::new(&spec).unwrap();
    let data = trainer.data();
    assert_eq!(
        (data.train.rows(), data.validation.rows(), data.test.rows()),
        (360, 40, 100)
    );
    let mean = |features: &[f32], column: usize| {
        let values: Vec<f64> = features
            .iter()
            .skip(column)
            .step_by(2)
            .map(|&x| x as f64)
            .collect();
        values.iter().sum::<f64>() / values.len() as f64
    };
    for column in 0..2 {
        assert!(mean(&data.train.features, column).abs() < 1e-5);
        assert!(mean(&data.validation.features, column).abs() > 1e-4);
    }
    // Targets are not standardized: the training targets keep their spread around 0.
    let targets = &data.train.targets;
    let spread = targets.iter().fold(0.0f32, |max, t| max.max(t.abs()));
    assert!((0.8..1.3).contains(&spread), "largest |target| {spread}");
}

#[test]
fn classification_reports_validation_accuracy() {
    let mut spec = presets::iris_test_split();
    spec.data.validation_percent = 20.0;
    spec.epochs = 30;
    let history = train(&spec, None);
    let last = history.last().unwrap();
    assert!(last.validation_accuracy.unwrap() > 0.8, "{last:?}");
    assert!(last.validation_mae.is_none() && last.train_mae.is_none());
    assert!(last.validation_loss.unwrap() < history[0].validation_loss.unwrap());
}

/// A CSV file with `y = 2 x1 - x2 + 0.5` plus a little deterministic noise.
fn linear_csv(rows: usize) -> String {
    let mut rng = SplitMix64::new(9);
    let mut text = "x1,x2,y\n".to_string();
    for _ in 0..rows {
        let x1 = rng.uniform(-2.0, 2.0);
        let x2 = rng.uniform(-2.0, 2.0);
        let y = 2.0 * x1 - x2 + 0.5 + rng.uniform(-0.05, 0.05);
        text.push_str(&format!("{x1:.4},{x2:.4},{y:.4}\n"));
    }
    text
}

#[test]
fn csv_regression_trains() {
    let text = linear_csv(200);
    let table = dfdx_playground::csv::parse(&text, None).unwrap();
    assert_eq!(table.task, Task::Regression);
    let mut spec = presets::plane();
    spec.data.set = DataSet::Csv;
    spec.data.csv = Some(CsvSpec {
        label_column: 2,
        rows: 200,
        features: 2,
        classes: 0,
        task: Task::Regression,
    });
    spec.loss = Loss::MeanSquaredError;
    let history = train(&spec, Some(&text));
    let (first, last) = (&history[0], history.last().unwrap());
    println!(
        "linear CSV: train loss {:.4} -> {:.4}, test MAE {:.4}",
        first.train_loss,
        last.train_loss,
        last.test_mae.unwrap()
    );
    assert!(last.train_loss < first.train_loss * 0.2, "{history:?}");
    // y spans about [-5.5, 6.5]; predicting its mean would leave an MAE near 1.8.
    assert!(last.test_mae.unwrap() < 0.3, "{last:?}");

    // The same file read as classification under a regression spec is a shape mismatch, and a
    // spec that says classification reads the column as classes (here, too many of them).
    let mut as_classes = spec.clone();
    as_classes.loss = Loss::CrossEntropy;
    as_classes.data.csv.as_mut().unwrap().task = Task::Classification;
    as_classes.data.csv.as_mut().unwrap().classes = 2;
    let error = Trainer::with_text(&as_classes, Some(&text)).err().unwrap();
    assert!(
        error.to_string().contains("more than the limit of 100"),
        "{error}"
    );
}
