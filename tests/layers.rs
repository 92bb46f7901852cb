//! Conv2D, pooling, Flatten, BatchNormalization and LayerNormalization: forward values against
//! direct loop implementations, gradients against central differences, Keras's moving
//! statistics, shape validation, model files, and a small conv net that learns the digits.
#![cfg(not(target_arch = "wasm32"))]

use dfdx::prelude::*;
use dfdx_playground::model_file::{decode, encode};
use dfdx_playground::network::{Matrix, Mode, Network, Parameter};
use dfdx_playground::presets;
use dfdx_playground::rng::SplitMix64;
use dfdx_playground::spec::{
    Activation, LayerSpec, Padding, ValidSpec, Window, BATCH_NORM_MOMENTUM, NORM_EPSILON,
};
use dfdx_playground::train::batch_loss;
use dfdx_playground::{NetworkSpec, PlaygroundError, Trainer};

const DIGITS: &str = include_str!("../data/digits.csv");
const ROWS: usize = 3;
/// Central-difference steps and tolerances: a gradient passes when it is within
/// ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * |central difference| for one of the steps. The
/// large step loses accuracy where max pooling switches its maximum or a normalization over
/// few values bends sharply. The small step loses it to f32 rounding of the loss. A flipped or
/// doubled gradient fails both.
const STEPS: [f32; 2] = [1e-2, 1e-3];
const ABSOLUTE_TOLERANCE: f64 = 3e-4;
const RELATIVE_TOLERANCE: f64 = 3e-3;

fn conv(
    filters: i64,
    size: i64,
    stride: i64,
    padding: Padding,
    activation: Activation,
) -> LayerSpec {
    LayerSpec::Conv2d {
        filters,
        kernel_size: size,
        stride,
        padding,
        activation,
    }
}

fn max_pool(size: i64, stride: Option<i64>) -> LayerSpec {
    LayerSpec::MaxPool2d {
        pool_size: size,
        stride,
    }
}

fn avg_pool(size: i64, stride: Option<i64>) -> LayerSpec {
    LayerSpec::AvgPool2d {
        pool_size: size,
        stride,
    }
}

fn digits_with(layers: Vec<LayerSpec>) -> NetworkSpec {
    NetworkSpec {
        layers,
        ..presets::digits()
    }
}

fn validate(spec: &NetworkSpec) -> ValidSpec {
    spec.validate().expect("test spec is valid")
}

fn random_values(rng: &mut SplitMix64, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.uniform(-1.5, 1.5) as f32).collect()
}

/// Builds the network of `layers` on the digits images, with biases, gammas and betas drawn
/// at random so that a gradient check exercises them.
fn random_network(layers: Vec<LayerSpec>, seed: u64) -> (ValidSpec, Network) {
    let valid = validate(&digits_with(layers));
    let mut network = Network::build(&valid, &Cpu::default()).expect("network builds");
    let mut rng = SplitMix64::new(seed);
    let values: Vec<Vec<f32>> = network
        .parameter_values()
        .into_iter()
        .map(|values| {
            values
                .iter()
                .map(|value| value + rng.uniform(-0.3, 0.3) as f32)
                .collect()
        })
        .collect();
    network.set_parameter_values(&values).expect("same sizes");
    (valid, network)
}

fn input(values: &[f32], features: usize) -> Matrix {
    Cpu::default().tensor_from_vec(values.to_vec(), (values.len() / features, features))
}

/// Runs the first `layers` layers of `network` on `values`.
fn forward_prefix(network: &Network, layers: usize, values: &[f32], mode: Mode) -> Vec<f32> {
    let mut prefix = network.clone();
    prefix.layers.truncate(layers);
    prefix
        .forward(input(values, 64), mode)
        .expect("forward pass")
        .as_vec()
}

/// Convolves channels-last images with a (size, size, channels, filters) kernel by direct
/// loops over TensorFlow's definition of the output position and padding.
fn direct_conv(images: &[f32], window: &Window, kernel: &[f32], bias: &[f32]) -> Vec<f32> {
    let filters = bias.len();
    let image_len = window.input_height * window.input_width * window.channels;
    let mut output = Vec::new();
    for image in images.chunks(image_len) {
        for out_y in 0..window.output_height {
            for out_x in 0..window.output_width {
                for filter in 0..filters {
                    let mut sum = bias[filter] as f64;
                    for ky in 0..window.size {
                        for kx in 0..window.size {
                            let y = (out_y * window.stride + ky) as i64 - window.pad_top as i64;
                            let x = (out_x * window.stride + kx) as i64 - window.pad_left as i64;
                            if y < 0
                                || x < 0
                                || y >= window.input_height as i64
                                || x >= window.input_width as i64
                            {
                                continue;
                            }
                            for channel in 0..window.channels {
                                let pixel = image[((y as usize * window.input_width) + x as usize)
                                    * window.channels
                                    + channel];
                                let weight = kernel[((ky * window.size + kx) * window.channels
                                    + channel)
                                    * filters
                                    + filter];
                                sum += pixel as f64 * weight as f64;
                            }
                        }
                    }
                    output.push(sum as f32);
                }
            }
        }
    }
    output
}

fn direct_pool(images: &[f32], window: &Window, max: bool) -> Vec<f32> {
    let image_len = window.input_height * window.input_width * window.channels;
    let mut output = Vec::new();
    for image in images.chunks(image_len) {
        for out_y in 0..window.output_height {
            for out_x in 0..window.output_width {
                for channel in 0..window.channels {
                    let mut values = Vec::new();
                    for ky in 0..window.size {
                        for kx in 0..window.size {
                            let y = out_y * window.stride + ky;
                            let x = out_x * window.stride + kx;
                            values.push(
                                image[(y * window.input_width + x) * window.channels + channel],
                            );
                        }
                    }
                    output.push(if max {
                        values.iter().copied().fold(f32::NEG_INFINITY, f32::max)
                    } else {
                        values.iter().sum::<f32>() / values.len() as f32
                    });
                }
            }
        }
    }
    output
}

fn assert_close(actual: &[f32], expected: &[f32], tolerance: f32, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (index, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tolerance * (1.0 + e.abs()),
            "{what}: value {index} is {a}, expected {e}"
        );
    }
}

fn window_of(valid: &ValidSpec, layer: usize) -> Window {
    match valid.layers[layer] {
        dfdx_playground::spec::LayerPlan::Conv2d { window, .. }
        | dfdx_playground::spec::LayerPlan::Pool2d { window, .. } => window,
        ref other => panic!("layer {layer} is {other:?}, not a window layer"),
    }
}

#[test]
fn window_sizes_follow_tensorflow() {
    // (input, size, stride, padding, output, padding before)
    let cases = [
        (8, 3, 1, Padding::Valid, 6, 0),
        (8, 3, 1, Padding::Same, 8, 1),
        (8, 3, 2, Padding::Valid, 3, 0),
        (8, 3, 2, Padding::Same, 4, 0),
        (8, 2, 1, Padding::Same, 8, 0),
        (7, 4, 2, Padding::Same, 4, 1),
        (5, 5, 1, Padding::Valid, 1, 0),
        (4, 9, 1, Padding::Same, 4, 4),
    ];
    for (input, size, stride, padding, output, before) in cases {
        let window = Window::resolve(input, input, 1, size, stride, padding)
            .unwrap_or_else(|| panic!("{size}x{size} over {input} fits"));
        let case = format!("{size}x{size} stride {stride} {padding:?} over {input}");
        assert_eq!(window.output_height, output, "{case}: output");
        assert_eq!(window.pad_top, before, "{case}: padding before");
        let (top, bottom, left, right) = window.padding();
        assert_eq!((top, left), (before, before), "{case}: padding sides");
        assert_eq!(top + bottom, right + left, "{case}: square padding");
    }
    assert_eq!(
        Window::resolve(4, 4, 1, 5, 1, Padding::Valid),
        None,
        "a 5x5 window does not fit a 4x4 input without padding"
    );
}

#[test]
fn conv_forward_matches_direct_loops() {
    let mut rng = SplitMix64::new(11);
    let images = random_values(&mut rng, ROWS * 64);
    let cases = [
        (3, 1, Padding::Valid),
        (3, 1, Padding::Same),
        (3, 2, Padding::Same),
        (2, 1, Padding::Same),
        (4, 2, Padding::Valid),
    ];
    for (size, stride, padding) in cases {
        let case = format!("{size}x{size} stride {stride} {padding:?}");
        // Two convolutions, so that the second one reads 3 input channels.
        let layers = vec![
            conv(3, size, stride, padding, Activation::Linear),
            conv(2, 2, 1, Padding::Same, Activation::Linear),
        ];
        let (valid, network) = random_network(layers, 5);
        let values = network.parameter_values();
        let first = direct_conv(&images, &window_of(&valid, 0), &values[0], &values[1]);
        let second = direct_conv(&first, &window_of(&valid, 1), &values[2], &values[3]);
        let output = forward_prefix(&network, 2, &images, Mode::Evaluate);
        assert_close(&output, &second, 1e-5, &case);
    }
}

#[test]
fn pooling_forward_matches_direct_loops() {
    let mut rng = SplitMix64::new(12);
    let images = random_values(&mut rng, ROWS * 64);
    for (size, stride) in [(2, None), (3, Some(1)), (3, Some(2)), (8, None)] {
        for max in [true, false] {
            let case = format!(
                "{} {size}x{size} stride {stride:?}",
                if max { "max" } else { "avg" }
            );
            let pool = if max {
                max_pool(size, stride)
            } else {
                avg_pool(size, stride)
            };
            let layers = vec![conv(2, 1, 1, Padding::Valid, Activation::Linear), pool];
            let (valid, network) = random_network(layers, 6);
            let channels = forward_prefix(&network, 1, &images, Mode::Evaluate);
            let expected = direct_pool(&channels, &window_of(&valid, 1), max);
            let output = forward_prefix(&network, 2, &images, Mode::Evaluate);
            assert_close(&output, &expected, 1e-6, &case);
        }
    }
}

/// Per-channel mean and biased variance of channels-last `values` with `channels` channels.
fn channel_statistics(values: &[f32], channels: usize) -> (Vec<f64>, Vec<f64>) {
    let count = (values.len() / channels) as f64;
    let mut mean = vec![0.0; channels];
    for (index, value) in values.iter().enumerate() {
        mean[index % channels] += *value as f64 / count;
    }
    let mut variance = vec![0.0; channels];
    for (index, value) in values.iter().enumerate() {
        variance[index % channels] += (*value as f64 - mean[index % channels]).powi(2) / count;
    }
    (mean, variance)
}

#[test]
fn batch_norm_follows_keras_formulas() {
    let mut rng = SplitMix64::new(13);
    let images = random_values(&mut rng, ROWS * 64);
    let layers = vec![
        conv(2, 3, 1, Padding::Valid, Activation::Tanh),
        LayerSpec::BatchNorm,
    ];
    let (_, mut network) = random_network(layers, 7);
    let before = network.parameter_values();
    let (gamma, beta) = (&before[2], &before[3]);
    let (moving_mean, moving_variance) = (&before[4], &before[5]);
    let conv_output = forward_prefix(&network, 1, &images, Mode::Evaluate);
    let epsilon = NORM_EPSILON;

    // Training normalizes with the batch's statistics over rows and positions.
    let (mean, variance) = channel_statistics(&conv_output, 2);
    let expected: Vec<f32> = conv_output
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let c = index % 2;
            let normalized = (*value as f64 - mean[c]) / (variance[c] + epsilon).sqrt();
            (gamma[c] as f64 * normalized + beta[c] as f64) as f32
        })
        .collect();
    assert_close(
        &forward_prefix(&network, 2, &images, Mode::Train),
        &expected,
        1e-4,
        "training output",
    );

    // Evaluation normalizes with the moving statistics.
    let expected: Vec<f32> = conv_output
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let c = index % 2;
            let normalized = (*value as f64 - moving_mean[c] as f64)
                / (moving_variance[c] as f64 + epsilon).sqrt();
            (gamma[c] as f64 * normalized + beta[c] as f64) as f32
        })
        .collect();
    assert_close(
        &forward_prefix(&network, 2, &images, Mode::Evaluate),
        &expected,
        1e-5,
        "evaluation output",
    );

    // One training batch moves the averages a step of 1 - momentum towards its statistics.
    network.layers.truncate(2);
    let (_, statistics) = network
        .forward_with_statistics(input(&images, 64), Mode::Train)
        .expect("forward pass");
    network.update_moving_statistics(&statistics);
    let after = network.parameter_values();
    let momentum = BATCH_NORM_MOMENTUM;
    for c in 0..2 {
        let expected_mean = moving_mean[c] as f64 * momentum + mean[c] * (1.0 - momentum);
        let expected_variance =
            moving_variance[c] as f64 * momentum + variance[c] * (1.0 - momentum);
        assert!(
            (after[4][c] as f64 - expected_mean).abs() < 1e-5,
            "moving mean {c}: {} vs {expected_mean}",
            after[4][c]
        );
        assert!(
            (after[5][c] as f64 - expected_variance).abs() < 1e-5,
            "moving variance {c}: {} vs {expected_variance}",
            after[5][c]
        );
    }
}

#[test]
fn layer_norm_normalizes_each_position() {
    let mut rng = SplitMix64::new(14);
    let images = random_values(&mut rng, ROWS * 64);
    let layers = vec![
        conv(3, 3, 1, Padding::Same, Activation::Tanh),
        LayerSpec::LayerNorm,
    ];
    let (_, network) = random_network(layers, 8);
    let values = network.parameter_values();
    let (gamma, beta) = (&values[2], &values[3]);
    let conv_output = forward_prefix(&network, 1, &images, Mode::Evaluate);
    let mut expected = Vec::new();
    for position in conv_output.chunks(3) {
        let mean = position.iter().map(|v| *v as f64).sum::<f64>() / 3.0;
        let variance = position
            .iter()
            .map(|v| (*v as f64 - mean).powi(2))
            .sum::<f64>()
            / 3.0;
        for (c, value) in position.iter().enumerate() {
            let normalized = (*value as f64 - mean) / (variance + NORM_EPSILON).sqrt();
            expected.push((gamma[c] as f64 * normalized + beta[c] as f64) as f32);
        }
    }
    for mode in [Mode::Train, Mode::Evaluate] {
        assert_close(
            &forward_prefix(&network, 2, &images, mode),
            &expected,
            1e-4,
            &format!("{mode:?}"),
        );
    }
}

fn loss_of(network: &Network, images: &[f32], labels: &[usize], mode: Mode) -> f32 {
    let output = network
        .forward(input(images, 64), mode)
        .expect("forward pass");
    batch_loss(dfdx_playground::spec::Loss::CrossEntropy, output, labels)
        .expect("loss")
        .array()
}

/// Compares dfdx's gradient of every trainable entry with central differences of the loss.
fn check_gradients(layers: Vec<LayerSpec>, mode: Mode, seed: u64) {
    let (_, network) = random_network(layers.clone(), seed);
    let mut rng = SplitMix64::new(seed + 100);
    let images = random_values(&mut rng, ROWS * 64);
    let labels: Vec<usize> = (0..ROWS).map(|row| (row * 3) % 10).collect();

    let traced = input(&images, 64).leaky_traced();
    let output = network.forward(traced, mode).expect("forward pass");
    let grads = batch_loss(dfdx_playground::spec::Loss::CrossEntropy, output, &labels)
        .expect("loss")
        .backward();
    let mut probe = network.clone();
    let backward: Vec<Vec<f32>> = probe
        .parameters_mut()
        .into_iter()
        .map(|parameter| match parameter {
            Parameter::Matrix(matrix) => grads.get(&*matrix).as_vec(),
            Parameter::Vector(vector) => grads.get(&*vector).as_vec(),
        })
        .collect();

    let originals = network.trainable_values();
    assert_eq!(backward.len(), originals.len(), "{layers:?}: tensor count");
    let mut largest = 0.0f64;
    for (tensor, values) in originals.iter().enumerate() {
        for entry in 0..values.len() {
            let loss_at = |delta: f32| {
                let mut changed = network.clone();
                let mut parameters = changed.parameters_mut();
                match &mut parameters[tensor] {
                    Parameter::Matrix(matrix) => {
                        let mut values = matrix.as_vec();
                        values[entry] += delta;
                        matrix.copy_from(&values);
                    }
                    Parameter::Vector(vector) => {
                        let mut values = vector.as_vec();
                        values[entry] += delta;
                        vector.copy_from(&values);
                    }
                }
                loss_of(&changed, &images, &labels, mode) as f64
            };
            let analytic = backward[tensor][entry] as f64;
            largest = largest.max(analytic.abs());
            let numeric: Vec<f64> = STEPS
                .iter()
                .map(|&step| (loss_at(step) - loss_at(-step)) / (2.0 * step as f64))
                .collect();
            assert!(
                numeric.iter().any(|numeric| {
                    (analytic - numeric).abs()
                        <= ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * numeric.abs()
                }),
                "{layers:?} {mode:?}: tensor {tensor} entry {entry}: backward {analytic}, \
                 central differences {numeric:?} for steps {STEPS:?}"
            );
        }
    }
    assert!(largest > 1e-2, "{layers:?}: every gradient is near 0");
}

#[test]
fn conv_and_pool_gradients_match_differences() {
    let layers = vec![
        conv(3, 3, 1, Padding::Same, Activation::Tanh),
        max_pool(2, None),
        conv(4, 2, 2, Padding::Valid, Activation::Tanh),
        avg_pool(2, None),
        LayerSpec::Flatten,
        LayerSpec::Dense {
            units: 5,
            activation: Activation::Tanh,
        },
    ];
    check_gradients(layers, Mode::Evaluate, 21);
}

#[test]
fn strided_same_conv_gradients_match_differences() {
    let layers = vec![
        conv(2, 3, 2, Padding::Same, Activation::Tanh),
        avg_pool(3, Some(1)),
        conv(3, 2, 1, Padding::Same, Activation::Sigmoid),
    ];
    check_gradients(layers, Mode::Evaluate, 22);
}

#[test]
fn norm_gradients_match_differences() {
    let image_norms = vec![
        conv(2, 3, 1, Padding::Valid, Activation::Tanh),
        LayerSpec::BatchNorm,
        LayerSpec::LayerNorm,
        avg_pool(3, None),
        LayerSpec::Flatten,
        LayerSpec::BatchNorm,
    ];
    let flat_norms = vec![
        LayerSpec::Dense {
            units: 6,
            activation: Activation::Tanh,
        },
        LayerSpec::BatchNorm,
        LayerSpec::Dense {
            units: 5,
            activation: Activation::Tanh,
        },
        LayerSpec::LayerNorm,
    ];
    for layers in [image_norms, flat_norms] {
        check_gradients(layers.clone(), Mode::Train, 23);
        check_gradients(layers, Mode::Evaluate, 24);
    }
}

#[test]
fn image_layers_reject_bad_shapes() {
    let cases: Vec<(NetworkSpec, &str)> = vec![
        (
            NetworkSpec {
                layers: vec![conv(4, 3, 1, Padding::Valid, Activation::Relu)],
                ..presets::keras_iris()
            },
            "Layer 1 (Conv2D) needs an image (height x width x channels) but receives 4 \
             flat values",
        ),
        (
            digits_with(vec![conv(4, 9, 1, Padding::Valid, Activation::Relu)]),
            "Layer 1 (Conv2D) has a 9x9 kernel, larger than its 8x8 input",
        ),
        (
            digits_with(vec![
                max_pool(4, None),
                max_pool(2, None),
                max_pool(2, None),
            ]),
            "Layer 3 (MaxPooling2D) has a 2x2 window, larger than its 1x1 input",
        ),
        (
            digits_with(vec![LayerSpec::Flatten, avg_pool(2, None)]),
            "Layer 2 (AveragePooling2D) needs an image (height x width x channels) but \
             receives 64 flat values",
        ),
        (
            digits_with(vec![
                LayerSpec::Dense {
                    units: 8,
                    activation: Activation::Relu,
                },
                conv(4, 3, 1, Padding::Same, Activation::Relu),
            ]),
            "Layer 2 (Conv2D) needs an image (height x width x channels) but receives 8 flat \
             values",
        ),
    ];
    for (spec, message) in cases {
        let error = spec.validate().expect_err("shape must be rejected");
        assert!(
            matches!(
                error,
                PlaygroundError::LayerNeedsImage { .. } | PlaygroundError::WindowTooLarge { .. }
            ),
            "{error:?}"
        );
        assert!(
            error.to_string().starts_with(message),
            "message {:?} should start with {message:?}",
            error.to_string()
        );
    }

    // "same" padding lets a kernel larger than the image through, as in Keras.
    let same = digits_with(vec![conv(2, 9, 1, Padding::Same, Activation::Relu)]);
    assert!(same.validate().is_ok());
    let out_of_range = digits_with(vec![conv(2, 0, 1, Padding::Same, Activation::Relu)]);
    assert!(matches!(
        out_of_range.validate(),
        Err(PlaygroundError::OutOfRange { ref field, .. }) if field == "layers[0].kernel_size"
    ));
}

#[test]
fn summary_shows_image_shapes() {
    let trainer = Trainer::with_text(&presets::digits_conv(), Some(DIGITS)).expect("preset");
    let summary = trainer.summary();
    assert_eq!(summary.input_shape, [8, 8, 1]);
    let shapes: Vec<(&str, Vec<usize>, u64)> = summary
        .layers
        .iter()
        .map(|layer| (layer.kind, layer.shape.clone(), layer.parameters))
        .collect();
    assert_eq!(
        shapes,
        [
            ("conv2d", vec![8, 8, 16], 3 * 3 * 16 + 16),
            ("max_pool2d", vec![4, 4, 16], 0),
            ("conv2d", vec![4, 4, 32], 3 * 3 * 16 * 32 + 32),
            ("max_pool2d", vec![2, 2, 32], 0),
            ("flatten", vec![128], 0),
            ("dense", vec![64], 128 * 64 + 64),
            ("dense", vec![10], 64 * 10 + 10),
        ]
    );
}

#[test]
fn model_file_keeps_conv_and_batch_norm() {
    let mut spec = presets::digits_conv();
    spec.layers.insert(1, LayerSpec::BatchNorm);
    spec.epochs = 2;
    let mut trainer = Trainer::with_text(&spec, Some(DIGITS)).expect("valid spec");
    while trainer.train_epoch().expect("training").is_some() {}
    let values = trainer.network().parameter_values();
    let file = encode(&spec, &values).expect("encodes");
    let (decoded_spec, decoded) = decode(&file).expect("decodes");
    assert_eq!(decoded_spec, spec);
    assert_eq!(decoded, values);

    let resumed = Trainer::resume(&spec, Some(DIGITS), &decoded, 2).expect("resumes");
    let test = &trainer.data().test;
    assert_eq!(
        resumed.predict(test).expect("predicts"),
        trainer.predict(test).expect("predicts"),
        "the moving statistics travel with the weights"
    );
    let header_len = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8_lossy(&file[8..8 + header_len]);
    for name in [
        "conv2d_0/kernel",
        "conv2d_1/bias",
        "batch_normalization_0/moving_variance",
        "dense_1/kernel",
    ] {
        assert!(header.contains(name), "{name} missing from {header}");
    }
}

#[test]
fn conv_net_learns_digits() {
    let mut trainer = Trainer::with_text(&presets::digits_conv(), Some(DIGITS)).expect("preset");
    while trainer.train_epoch().expect("training").is_some() {}
    let history = trainer.history();
    let first = &history[0];
    let last = history.last().expect("epochs ran");
    assert!(
        last.train_loss < first.train_loss / 5.0,
        "loss {} -> {}",
        first.train_loss,
        last.train_loss
    );
    let accuracy = last.test_accuracy.expect("test split");
    assert!(accuracy >= 0.95, "test accuracy {accuracy}");
}

#[test]
fn batch_norm_conv_net_trains() {
    let mut spec = presets::digits_conv();
    spec.layers.insert(1, LayerSpec::BatchNorm);
    spec.layers.insert(6, LayerSpec::LayerNorm);
    spec.epochs = 4;
    let mut trainer = Trainer::with_text(&spec, Some(DIGITS)).expect("valid spec");
    while trainer.train_epoch().expect("training").is_some() {}
    let history = trainer.history();
    let (first, last) = (&history[0], &history[3]);
    assert!(last.train_loss < first.train_loss, "loss must fall");
    assert!(
        last.train_accuracy > first.train_accuracy,
        "accuracy must rise"
    );
    assert!(
        last.test_accuracy.expect("test split") > 0.85,
        "test accuracy {:?} with the moving statistics",
        last.test_accuracy
    );
}
