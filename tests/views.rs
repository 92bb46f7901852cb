//! The numbers behind the page's views: grid activations agree with a forward pass written out
//! by hand, confusion matrices count every row once, and the gradient diagnostics measure what
//! they claim on hand-built networks.
#![cfg(not(target_arch = "wasm32"))]

use dfdx::prelude::*;
use dfdx_playground::network::Mode;
use dfdx_playground::presets;
use dfdx_playground::spec::{Activation, LayerSpec, Loss};
use dfdx_playground::views::{
    diagnostics, grid_view, layer_outputs, output_scores, predictions, raw_rows, unit_health,
    RawData, SplitName, DIAGNOSTIC_ROWS, SATURATION_MARGIN,
};
use dfdx_playground::{NetworkSpec, Trainer};

const DIGITS: &str = include_str!("../data/digits.csv");

fn trained(spec: &NetworkSpec, text: Option<&str>, epochs: usize) -> Trainer {
    let mut trainer = Trainer::with_text(spec, text).expect("valid spec");
    for _ in 0..epochs {
        trainer.train_epoch().expect("training succeeds");
    }
    trainer
}

/// Returns the circle preset with standardized inputs and two hidden layers.
fn standardized_circle() -> NetworkSpec {
    let mut spec = presets::circle();
    spec.data.standardize = true;
    spec.layers = vec![
        LayerSpec::Dense {
            units: 5,
            activation: Activation::Tanh,
        },
        LayerSpec::Dense {
            units: 3,
            activation: Activation::Relu,
        },
    ];
    spec
}

/// Dense layer by plain loops: act(x W + b), with W of shape (inputs, units).
fn dense(x: &[f32], inputs: usize, w: &[f32], b: &[f32], act: fn(f32) -> f32) -> Vec<f32> {
    let units = b.len();
    let rows = x.len() / inputs;
    let mut out = vec![0.0; rows * units];
    for r in 0..rows {
        for u in 0..units {
            let mut z = b[u];
            for i in 0..inputs {
                z += x[r * inputs + i] * w[i * units + u];
            }
            out[r * units + u] = act(z);
        }
    }
    out
}

#[test]
fn raw_data_standardizes_like_trainer() {
    let trainer = trained(&standardized_circle(), None, 0);
    let raw = RawData::load(trainer.spec(), None).expect("raw data loads");
    assert_eq!(raw.train.labels, trainer.data().train.labels);
    assert_eq!(raw.test.labels, trainer.data().test.labels);
    assert_eq!(
        raw.standardize(&raw.train.features),
        trainer.data().train.features
    );
    assert_eq!(
        raw.standardize(&raw.test.features),
        trainer.data().test.features
    );
    assert_ne!(raw.train.features, trainer.data().train.features);
}

#[test]
fn grid_activations_match_forward_pass() {
    let trainer = trained(&standardized_circle(), None, 3);
    let raw = RawData::load(trainer.spec(), None).expect("raw data loads");
    let size = 12;
    let grid = grid_view(&trainer, &raw, size, 16).expect("grid view");
    assert_eq!(grid.output.len(), size * size);
    assert_eq!(grid.layers.len(), 2);

    // The grid's corners are the padded data range, in raw coordinates.
    let x_low = raw
        .train
        .features
        .iter()
        .chain(&raw.test.features)
        .step_by(2)
        .fold(f32::MAX, |a, &b| a.min(b));
    assert!(grid.x_range[0] < x_low, "{:?} vs {x_low}", grid.x_range);

    let mut points = Vec::new();
    for row in 0..size {
        for column in 0..size {
            let t = |range: [f32; 2], i: usize| {
                range[0] + (range[1] - range[0]) * i as f32 / (size - 1) as f32
            };
            points.push(t(grid.x_range, column));
            points.push(t(grid.y_range, size - 1 - row));
        }
    }
    let x = raw.standardize(&points);
    let values = trainer.network().parameter_values();
    let h1 = dense(&x, 2, &values[0], &values[1], f32::tanh);
    let h2 = dense(&h1, 5, &values[2], &values[3], |z| z.max(0.0));
    let logits = dense(&h2, 3, &values[4], &values[5], |z| z);
    for (index, (&got, &want)) in grid.layers[0].values.iter().zip(&h1).enumerate() {
        assert!((got - want).abs() < 1e-5, "h1[{index}]: {got} vs {want}");
    }
    for (index, (&got, &want)) in grid.layers[1].values.iter().zip(&h2).enumerate() {
        assert!((got - want).abs() < 1e-5, "h2[{index}]: {got} vs {want}");
    }
    for (index, (&got, &logit)) in grid.output.iter().zip(&logits).enumerate() {
        let want = 1.0 / (1.0 + (-logit).exp());
        assert!(
            (got - want).abs() < 1e-5,
            "output[{index}]: {got} vs {want}"
        );
    }

    // Cutting the hidden layers to 2 units keeps each row's first 2 values.
    let cut = grid_view(&trainer, &raw, size, 2).expect("grid view");
    assert_eq!(cut.layers[0].units, 2);
    assert_eq!(cut.layers[0].values.len(), size * size * 2);
    assert_eq!(cut.layers[0].values[2..4], grid.layers[0].values[5..7]);

    // The whole network's forward pass gives the same output as the layer-by-layer one.
    let rows = x.len() / 2;
    let input = trainer
        .network()
        .device()
        .tensor_from_vec(x.clone(), (rows, 2));
    let forward = trainer
        .network()
        .forward(input, Mode::Evaluate)
        .expect("forward")
        .as_vec();
    let layered = layer_outputs(trainer.network(), &x, 2).expect("layer outputs");
    assert_eq!(layered.last().unwrap().values, forward);
}

#[test]
fn grid_view_rejects_non_2d_data() {
    let trainer = trained(&presets::keras_iris(), None, 0);
    let raw = RawData::load(trainer.spec(), None).expect("raw data loads");
    let error = grid_view(&trainer, &raw, 20, 16).unwrap_err().to_string();
    assert!(error.contains("needs 2 features"), "{error}");
    let circle = trained(&presets::circle(), None, 0);
    let raw = RawData::load(circle.spec(), None).expect("raw data loads");
    let error = grid_view(&circle, &raw, 1, 16).unwrap_err().to_string();
    assert!(error.contains("use 2 to 200"), "{error}");
}

#[test]
fn confusion_counts_sum_to_test_split() {
    let trainer = trained(&presets::iris_test_split(), None, 30);
    let result = predictions(&trainer).expect("predictions");
    assert_eq!(result.split, SplitName::Test);
    let total: usize = result.confusion.iter().flatten().sum();
    assert_eq!(total, trainer.data().test.rows());
    assert_eq!(result.rows.len(), total);
    let correct: usize = (0..3).map(|class| result.confusion[class][class]).sum();
    let (_, accuracy) = trainer.evaluate(&trainer.data().test).expect("evaluate");
    assert!((correct as f64 / total as f64 - accuracy).abs() < 1e-12);
    for row in &result.rows {
        let sum: f32 = row.scores.iter().sum();
        assert!((sum - 1.0).abs() < 1e-5, "row {}: {:?}", row.id, row.scores);
        assert_eq!(row.label, trainer.data().test.labels[row.id]);
        assert!(result.confusion[row.label][row.predicted] > 0);
    }
}

#[test]
fn confusion_uses_training_rows_without_test_split() {
    let trainer = trained(&presets::keras_iris(), None, 2);
    let result = predictions(&trainer).expect("predictions");
    assert_eq!(result.split, SplitName::Train);
    let total: usize = result.confusion.iter().flatten().sum();
    assert_eq!(total, 150);
}

#[test]
fn binary_predictions_give_both_probabilities() {
    let trainer = trained(&presets::circle(), None, 2);
    let result = predictions(&trainer).expect("predictions");
    assert_eq!(result.score_kind, "sigmoid");
    assert_eq!(result.confusion.len(), 2);
    for row in &result.rows {
        assert_eq!(row.scores.len(), 2);
        assert!((row.scores[0] + row.scores[1] - 1.0).abs() < 1e-6);
        assert_eq!(row.predicted, usize::from(row.scores[1] > 0.5));
    }
}

#[test]
fn digits_raw_rows_are_pixels() {
    let mut spec = presets::digits();
    spec.data.standardize = true;
    let trainer = trained(&spec, Some(DIGITS), 0);
    let raw = RawData::load(trainer.spec(), Some(DIGITS)).expect("raw data loads");
    let rows = raw_rows(&raw, SplitName::Test, &[0, 5]).expect("rows");
    assert_eq!(rows.len(), 2);
    for pixels in &rows {
        assert_eq!(pixels.len(), 64);
        // Pixels are counts from 0 to 16 divided by 16.
        assert!(pixels
            .iter()
            .all(|&p| (0.0..=1.0).contains(&p) && (p * 16.0).fract() == 0.0));
    }
    assert_eq!(
        raw.standardize(&rows[0]),
        trainer.data().test.features[..64].to_vec()
    );
    let error = raw_rows(&raw, SplitName::Test, &[10_000])
        .unwrap_err()
        .to_string();
    assert!(error.contains("out of range"), "{error}");
}

/// Two inputs into 4 ReLU units with zero kernels, so each unit outputs max(0, bias) on every
/// row: units with bias -1 and 0 are dead, units with bias 0.5 and 2 are not.
#[test]
fn dead_relu_share_on_hand_built_network() {
    let mut spec = presets::circle();
    spec.layers = vec![LayerSpec::Dense {
        units: 4,
        activation: Activation::Relu,
    }];
    let values = vec![
        vec![0.0; 8],
        vec![-1.0, 0.0, 0.5, 2.0],
        vec![1.0, -1.0, 0.5, 0.25],
        vec![0.1],
    ];
    let trainer = Trainer::resume(&spec, None, &values, 0).expect("resume");
    let report = diagnostics(&trainer).expect("diagnostics");
    assert_eq!(
        report.rows,
        DIAGNOSTIC_ROWS.min(trainer.data().train.rows())
    );
    assert_eq!(report.layers.len(), 2);
    let hidden = &report.layers[0];
    assert_eq!(hidden.dead_share, Some(0.5));
    assert_eq!(hidden.saturated_share, None);
    assert_eq!(hidden.weight_norm, 0.0);
    let output = &report.layers[1];
    assert!(output.output);
    assert_eq!(output.dead_share, None);
    let expected_norm = (1.0f64 + 1.0 + 0.25 + 0.0625).sqrt();
    assert!((output.weight_norm - expected_norm).abs() < 1e-6);
    assert!(
        hidden.gradient_norm > 0.0,
        "the live units pass gradient: {hidden:?}"
    );

    // With every unit dead, no gradient reaches the hidden kernel.
    let mut values = values;
    values[1] = vec![-1.0, -0.5, 0.0, -2.0];
    let trainer = Trainer::resume(&spec, None, &values, 0).expect("resume");
    let hidden = diagnostics(&trainer).expect("diagnostics").layers[0].clone();
    assert_eq!(hidden.dead_share, Some(1.0));
    assert_eq!(hidden.gradient_norm, 0.0);
    assert_eq!(hidden.bias_gradient_norm, 0.0);
}

#[test]
fn saturation_counts_outputs_near_asymptotes() {
    let near = 1.0 - SATURATION_MARGIN / 2.0;
    let values = [0.5, near, 1.0 - near, 0.2, 0.999, 0.3];
    let (dead, saturated) = unit_health(Activation::Sigmoid, &values, 3);
    assert_eq!(dead, None);
    assert_eq!(saturated, Some(0.5));
    let values = [-near, 0.0, near, -0.5];
    assert_eq!(unit_health(Activation::Tanh, &values, 2).1, Some(0.5));
    assert_eq!(unit_health(Activation::Gelu, &values, 2), (None, None));
    // A ReLU unit that is positive on one row of many is alive.
    let values = [0.0, 0.0, 0.0, 0.0, 0.0, 3.0];
    assert_eq!(unit_health(Activation::Relu, &values, 2).0, Some(0.5));
}

/// The reported gradient norm agrees with central differences of the reported loss.
#[test]
fn gradient_norm_matches_finite_differences() {
    let mut spec = standardized_circle();
    spec.loss = Loss::CrossEntropy;
    spec.layers = vec![LayerSpec::Dense {
        units: 3,
        activation: Activation::Tanh,
    }];
    let base = trained(&spec, None, 1).network().parameter_values();
    let loss_at = |values: &[Vec<f32>]| {
        let trainer = Trainer::resume(&spec, None, values, 0).expect("resume");
        diagnostics(&trainer).expect("diagnostics").loss
    };
    let trainer = Trainer::resume(&spec, None, &base, 0).expect("resume");
    let report = diagnostics(&trainer).expect("diagnostics");
    for (tensor, reported) in [
        (0, report.layers[0].gradient_norm),
        (3, report.layers[1].bias_gradient_norm),
    ] {
        let eps = 1e-2f32;
        let mut squares = 0.0;
        for index in 0..base[tensor].len() {
            let mut plus = base.clone();
            plus[tensor][index] += eps;
            let mut minus = base.clone();
            minus[tensor][index] -= eps;
            let slope = (loss_at(&plus) - loss_at(&minus)) / (2.0 * eps as f64);
            squares += slope * slope;
        }
        let numeric = squares.sqrt();
        assert!(
            (numeric - reported).abs() < 0.02 * reported.max(1e-3),
            "tensor {tensor}: reported {reported}, finite differences {numeric}"
        );
    }
}

#[test]
fn output_scores_follow_loss() {
    let softmax = output_scores(Loss::CrossEntropy, &[1.0, 1.0, 1.0, 1.0]);
    assert_eq!(softmax, vec![0.25; 4]);
    assert_eq!(output_scores(Loss::BinaryCrossEntropy, &[0.0]), vec![0.5]);
    assert_eq!(
        output_scores(Loss::MeanSquaredError, &[0.3, -2.0]),
        vec![0.3, -2.0]
    );
}

#[test]
fn conv_network_gets_diagnostics_and_predictions() {
    let trainer = trained(&presets::digits_conv(), Some(DIGITS), 0);
    let report = diagnostics(&trainer).expect("diagnostics");
    // Two convolutions and two dense layers; pooling and Flatten have no weights.
    let layers: Vec<(usize, usize)> = report.layers.iter().map(|l| (l.layer, l.units)).collect();
    assert_eq!(layers, vec![(0, 16), (2, 32), (5, 64), (6, 10)]);
    for layer in &report.layers {
        assert!(layer.gradient_norm > 0.0, "{layer:?}");
        assert!(layer.weight_norm > 0.0, "{layer:?}");
    }
    assert!(report.layers[0].dead_share.is_some());
    let result = predictions(&trainer).expect("predictions");
    let total: usize = result.confusion.iter().flatten().sum();
    assert_eq!(total, trainer.data().test.rows());
    // The layer-by-layer pass through convolution and pooling matches the whole network's.
    let rows = 5;
    let x = trainer.data().test.features[..rows * 64].to_vec();
    let input = trainer
        .network()
        .device()
        .tensor_from_vec(x.clone(), (rows, 64));
    let forward = trainer
        .network()
        .forward(input, Mode::Evaluate)
        .expect("forward")
        .as_vec();
    let layered = layer_outputs(trainer.network(), &x, 64).expect("layer outputs");
    assert_eq!(layered.len(), 7);
    assert_eq!(layered.last().unwrap().values, forward);
}

#[test]
fn plane_regression_views() {
    let trainer = trained(&presets::plane(), None, 30);
    let raw = RawData::load(trainer.spec(), None).expect("raw data loads");
    assert_eq!(
        raw.standardize(&raw.validation.features),
        trainer.data().validation.features
    );
    assert!(!raw.validation.targets.is_empty());

    // The heatmap of a regression network is its predicted value, (x1 + x2) / 10 after training.
    let size = 21;
    let grid = grid_view(&trainer, &raw, size, 16).expect("grid view");
    assert_eq!(grid.score_kind, "output");
    assert_eq!(grid.output_width, 1);
    let step =
        |range: [f32; 2], i: usize| range[0] + (range[1] - range[0]) * i as f32 / (size - 1) as f32;
    let mut error = 0.0;
    for row in 0..size {
        for column in 0..size {
            let x1 = step(grid.x_range, column);
            let x2 = step(grid.y_range, size - 1 - row);
            error +=
                (grid.output[row * size + column] - (x1 + x2) / 10.0).abs() / (size * size) as f32;
        }
    }
    assert!(error < 0.1, "mean absolute error over the grid {error}");

    let report = diagnostics(&trainer).expect("diagnostics");
    assert!(report.loss.is_finite(), "{report:?}");
    assert!(report.loss < 0.05, "{report:?}");
    let result = predictions(&trainer).expect("predictions");
    assert!(result.confusion.is_empty());
    assert!(result.rows.is_empty());
    let shown = dfdx_playground::views::points(&raw);
    assert!(shown.train_labels.is_empty());
    assert_eq!(shown.train_targets.len(), trainer.data().train.rows());
}
