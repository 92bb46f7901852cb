//! Gradient checks: the gradients that dfdx's backward pass gives for every activation, every
//! loss, dense layers and dropout agree with central differences of the loss, and one optimizer
//! step moves the weights as SGD and Adam define it.
#![cfg(not(target_arch = "wasm32"))]

use dfdx::prelude::*;
use dfdx_playground::network::{activate, Layer, Matrix, Mode, Network};
use dfdx_playground::optimizer::Optimizer;
use dfdx_playground::presets::keras_iris;
use dfdx_playground::regularizer;
use dfdx_playground::rng::SplitMix64;
use dfdx_playground::spec::{
    Activation, DataSet, KernelRegularizer, LayerSpec, Loss, OptimizerSpec,
};
use dfdx_playground::train::{batch_loss, LossFunction};

/// Rows in each test batch.
const ROWS: usize = 6;
/// Central-difference step added to and subtracted from one parameter entry. In f32, a
/// smaller step loses more of the loss difference to rounding.
const STEP: f32 = 1e-2;
/// A backward gradient passes when it is within ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE *
/// |central difference| of the central difference. The largest difference that these checks
/// measured was 2.3e-5 (x86_64, debug build), so the tolerance leaves a margin of about 10.
const ABSOLUTE_TOLERANCE: f64 = 3e-4;
const RELATIVE_TOLERANCE: f64 = 3e-3;
/// A parameter tensor's check is meaningful only if some entry's gradient is at least this
/// large, so that a flipped or doubled gradient lies far outside the tolerance.
const SIGNIFICANT_GRADIENT: f64 = 1e-2;
/// Seed of the device that creates every input. Dropout draws its mask from the input's device,
/// so each evaluation of the same batch gets the same mask.
const DROPOUT_SEED: u64 = 7;

const ACTIVATIONS: [Activation; 6] = [
    Activation::Relu,
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::LeakyRelu,
    Activation::Gelu,
    Activation::Linear,
];

/// A network with a fixed batch, labels and loss: everything needed to evaluate the loss.
#[derive(Clone)]
struct Problem {
    network: Network,
    /// Row-major, shape (ROWS, features).
    input: Vec<f32>,
    features: usize,
    labels: Vec<usize>,
    loss: LossFunction,
    /// Kernel penalty added to the data loss; none unless a test sets one.
    regularizer: KernelRegularizer,
    mode: Mode,
}

fn dense(units: i64, activation: Activation) -> LayerSpec {
    LayerSpec::Dense { units, activation }
}

fn uniform_values(rng: &mut SplitMix64, len: usize, limit: f64) -> Vec<f32> {
    (0..len)
        .map(|_| rng.uniform(-limit, limit) as f32)
        .collect()
}

/// Builds a network for `set` with Glorot-uniform weights from `seed` and biases drawn from
/// U(-0.5, 0.5), plus a batch of ROWS inputs from U(-1.5, 1.5) and labels that cycle through
/// the classes.
fn problem(set: DataSet, hidden: Vec<LayerSpec>, loss: Loss, seed: u64) -> Problem {
    let mut spec = keras_iris();
    spec.data.set = set;
    spec.data.samples = 100;
    spec.layers = hidden;
    spec.loss = loss;
    spec.seed = seed as i64;
    let valid = spec.validate().expect("test spec is valid");

    let device = Cpu::default();
    let mut network = Network::build(&valid, &device).expect("network builds");
    let mut rng = SplitMix64::new(seed);
    for layer in &mut network.layers {
        if let Layer::Dense { bias, .. } = layer {
            let units = bias.shape().0;
            *bias = device.tensor_from_vec(uniform_values(&mut rng, units, 0.5), (units,));
        }
    }

    Problem {
        network,
        input: uniform_values(&mut rng, ROWS * valid.features, 1.5),
        features: valid.features,
        labels: (0..ROWS).map(|row| row % valid.classes).collect(),
        loss: loss.into(),
        regularizer: KernelRegularizer::default(),
        mode: Mode::Train,
    }
}

fn input_tensor(problem: &Problem) -> Matrix {
    let device = Cpu::seed_from_u64(DROPOUT_SEED);
    device.tensor_from_vec(problem.input.clone(), (ROWS, problem.features))
}

fn loss_value(problem: &Problem, network: &Network) -> f32 {
    let output = network
        .forward(input_tensor(problem), problem.mode)
        .expect("forward pass");
    let data_loss = batch_loss(problem.loss, output, &problem.labels)
        .expect("loss")
        .array();
    data_loss + regularizer::penalty(&problem.regularizer, network) as f32
}

/// Runs the forward pass with a tape and returns dfdx's gradients from the backward pass.
fn backward(problem: &Problem) -> Gradients<f32, Cpu> {
    let input = input_tensor(problem).leaky_traced();
    let output = problem
        .network
        .forward(input, problem.mode)
        .expect("forward pass");
    let loss = batch_loss(problem.loss, output, &problem.labels).expect("loss");
    let mut grads = loss.try_backward().expect("backward pass");
    regularizer::add_gradients(&problem.regularizer, &problem.network, &mut grads)
        .expect("penalty gradients");
    grads
}

/// Collects the gradient of every weight and bias from `grads`, in the order of
/// `Network::parameter_values`.
fn parameter_gradients(network: &Network, grads: &Gradients<f32, Cpu>) -> Vec<Vec<f32>> {
    let mut gradients = Vec::new();
    for layer in &network.layers {
        if let Layer::Dense { weight, bias, .. } = layer {
            gradients.push(grads.get(weight).as_vec());
            gradients.push(grads.get(bias).as_vec());
        }
    }
    gradients
}

fn backward_gradients(problem: &Problem) -> Vec<Vec<f32>> {
    parameter_gradients(&problem.network, &backward(problem))
}

/// Returns a copy of `network` with entry `entry` of parameter tensor `tensor` (counted as in
/// `Network::parameter_values`) set to `value`.
fn with_parameter(network: &Network, tensor: usize, entry: usize, value: f32) -> Network {
    let mut changed = network.clone();
    let device = network.device().clone();
    let mut index = 0;
    for layer in &mut changed.layers {
        let Layer::Dense { weight, bias, .. } = layer else {
            continue;
        };
        if index == tensor {
            let mut values = weight.as_vec();
            values[entry] = value;
            *weight = device.tensor_from_vec(values, *weight.shape());
        }
        if index + 1 == tensor {
            let mut values = bias.as_vec();
            values[entry] = value;
            *bias = device.tensor_from_vec(values, *bias.shape());
        }
        index += 2;
    }
    changed
}

/// Estimates every parameter's gradient as (L(w + h) - L(w - h)) / (2h), with h = STEP and
/// the loss computed in f32.
fn central_differences(problem: &Problem) -> Vec<Vec<f64>> {
    let mut gradients = Vec::new();
    for (tensor, values) in problem.network.parameter_values().iter().enumerate() {
        let mut tensor_gradients = Vec::with_capacity(values.len());
        for (entry, &value) in values.iter().enumerate() {
            let above = value + STEP;
            let below = value - STEP;
            let loss_above = loss_value(
                problem,
                &with_parameter(&problem.network, tensor, entry, above),
            );
            let loss_below = loss_value(
                problem,
                &with_parameter(&problem.network, tensor, entry, below),
            );
            // Dividing by the f32 step actually taken removes the rounding of value ± STEP.
            let difference =
                (loss_above as f64 - loss_below as f64) / (above as f64 - below as f64);
            tensor_gradients.push(difference);
        }
        gradients.push(tensor_gradients);
    }
    gradients
}

/// Lists the entries where `backward` lies outside the tolerance around `numeric`.
fn mismatches(backward: &[Vec<f32>], numeric: &[Vec<f64>]) -> Vec<String> {
    let mut found = Vec::new();
    for (tensor, (analytic, estimate)) in backward.iter().zip(numeric).enumerate() {
        assert_eq!(analytic.len(), estimate.len(), "tensor {tensor} sizes");
        for (entry, (&analytic, &estimate)) in analytic.iter().zip(estimate).enumerate() {
            let tolerance = ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * estimate.abs();
            if (analytic as f64 - estimate).abs() > tolerance {
                found.push(format!(
                    "tensor {tensor} entry {entry}: backward {analytic}, central difference {estimate}"
                ));
            }
        }
    }
    found
}

fn scaled(gradients: &[Vec<f32>], factor: f32) -> Vec<Vec<f32>> {
    gradients
        .iter()
        .map(|tensor| tensor.iter().map(|g| g * factor).collect())
        .collect()
}

/// Compares dfdx's gradients of every weight and bias with central differences, and checks
/// that the comparison would catch a gradient with its sign flipped or its size doubled.
fn check_gradients(name: &str, problem: &Problem) {
    let backward = backward_gradients(problem);
    let numeric = central_differences(problem);
    assert_eq!(backward.len(), numeric.len(), "{name}: tensor count");

    let wrong = mismatches(&backward, &numeric);
    assert!(wrong.is_empty(), "{name}: gradients differ: {wrong:#?}");

    for (tensor, estimate) in numeric.iter().enumerate() {
        let largest = estimate.iter().fold(0.0f64, |max, g| max.max(g.abs()));
        assert!(
            largest >= SIGNIFICANT_GRADIENT,
            "{name}: tensor {tensor} has no gradient of at least {SIGNIFICANT_GRADIENT} \
             (largest {largest}), so the check cannot tell a wrong gradient from a right one"
        );
    }
    let significant = numeric
        .iter()
        .flatten()
        .filter(|g| g.abs() >= SIGNIFICANT_GRADIENT)
        .count();
    let flipped = mismatches(&scaled(&backward, -1.0), &numeric).len();
    assert!(
        flipped >= significant,
        "{name}: only {flipped} flipped gradients rejected, expected at least {significant}"
    );
    let doubled = mismatches(&scaled(&backward, 2.0), &numeric).len();
    assert!(
        doubled >= significant,
        "{name}: only {doubled} doubled gradients rejected, expected at least {significant}"
    );
}

/// Pre-activations of the first dense layer, row-major.
fn first_layer_preactivations(problem: &Problem) -> Vec<f64> {
    let Some(Layer::Dense { weight, bias, .. }) = problem.network.layers.first() else {
        panic!("the first layer is not dense");
    };
    let (inputs, units) = *weight.shape();
    let weight = weight.as_vec();
    let bias = bias.as_vec();
    let mut values = Vec::with_capacity(ROWS * units);
    for row in problem.input.chunks(inputs) {
        for unit in 0..units {
            let mut z = bias[unit] as f64;
            for (input, &x) in row.iter().enumerate() {
                z += x as f64 * weight[input * units + unit] as f64;
            }
            values.push(z);
        }
    }
    values
}

#[test]
fn activation_gradients_match_differences() {
    for activation in ACTIVATIONS {
        let problem = problem(
            DataSet::Iris,
            vec![dense(5, activation)],
            Loss::CrossEntropy,
            11,
        );

        // A step of STEP on a weight moves a pre-activation by at most 1.5 * STEP, so every
        // pre-activation must stay farther than that from the kink of ReLU and leaky ReLU at 0.
        let closest = first_layer_preactivations(&problem)
            .iter()
            .fold(f64::INFINITY, |min, z| min.min(z.abs()));
        assert!(
            closest > 2.0 * STEP as f64,
            "{activation:?}: a pre-activation is {closest} from 0; pick another seed"
        );

        check_gradients(&format!("{activation:?}"), &problem);
    }
}

#[test]
fn loss_gradients_match_differences() {
    let cases = [
        (DataSet::Iris, Loss::CrossEntropy),
        (DataSet::Circle, Loss::CrossEntropy),
        (DataSet::Xor, Loss::BinaryCrossEntropy),
        (DataSet::Iris, Loss::MeanSquaredError),
    ];
    for (set, loss) in cases {
        let problem = problem(set, vec![dense(5, Activation::Tanh)], loss, 12);
        check_gradients(&format!("{loss:?} on {set:?}"), &problem);
    }
}

#[test]
fn huber_gradients_match_differences() {
    // Delta 0.3 puts some outputs' differences from the one-hot target in the quadratic part
    // and others in the linear part.
    let mut problem = problem(
        DataSet::Iris,
        vec![dense(5, Activation::Tanh)],
        Loss::Huber,
        12,
    );
    problem.loss.huber_delta = 0.3;
    let output = problem
        .network
        .forward(input_tensor(&problem), Mode::Evaluate)
        .unwrap()
        .as_vec();
    let differences: Vec<f32> = output
        .iter()
        .enumerate()
        .map(|(index, &o)| {
            let target = if index % 3 == problem.labels[index / 3] {
                1.0
            } else {
                0.0
            };
            (o - target).abs()
        })
        .collect();
    assert!(
        differences.iter().any(|&d| d < 0.3) && differences.iter().any(|&d| d > 0.3),
        "every difference is on one side of delta: {differences:?}"
    );
    check_gradients("Huber delta 0.3", &problem);
}

#[test]
fn penalty_gradients_match_differences() {
    // The objective is the data loss plus l1 * sum(|W|) + l2 * sum(W^2) over the kernels. The
    // L1 term has a kink at 0, so every kernel entry must lie farther than STEP from it.
    for (l1, l2) in [(0.05, 0.0), (0.0, 0.1), (0.02, 0.05)] {
        let mut problem = problem(
            DataSet::Iris,
            vec![dense(5, Activation::Tanh)],
            Loss::CrossEntropy,
            14,
        );
        problem.regularizer = KernelRegularizer { l1, l2 };
        for layer in &problem.network.layers {
            if let Layer::Dense { weight, .. } = layer {
                let closest = weight
                    .as_vec()
                    .iter()
                    .fold(f32::INFINITY, |min, w| min.min(w.abs()));
                assert!(
                    closest > 2.0 * STEP,
                    "a kernel entry is {closest} from 0; pick another seed"
                );
            }
        }
        check_gradients(&format!("L1 {l1} L2 {l2}"), &problem);
    }
}

#[test]
fn penalty_matches_formula() {
    // 0.1 * (|0.5| + |-2| + |0| + |1.5|) + 0.01 * (0.25 + 4 + 0 + 2.25) = 0.4 + 0.065.
    let kernel = [0.5f32, -2.0, 0.0, 1.5];
    let regularizer = KernelRegularizer { l1: 0.1, l2: 0.01 };
    let penalty = regularizer::kernel_penalty(&regularizer, &kernel);
    assert!((penalty - 0.465).abs() < 1e-9, "penalty {penalty}");

    // Gradient l1 * sign(w) + 2 * l2 * w, with sign(0) = 0, added to the data gradient 1.
    let mut grad = [1.0f32; 4];
    regularizer::add_kernel_gradient(&regularizer, &kernel, &mut grad);
    let expected = [1.11f32, 0.86, 1.0, 1.13];
    for (index, (&actual, &expected)) in grad.iter().zip(&expected).enumerate() {
        assert!(
            (actual - expected).abs() < 1e-6,
            "entry {index}: gradient {actual}, expected {expected}"
        );
    }
}

#[test]
fn deep_network_gradients_match_differences() {
    let hidden = vec![
        dense(6, Activation::Tanh),
        dense(5, Activation::Gelu),
        dense(4, Activation::Sigmoid),
    ];
    let problem = problem(DataSet::Iris, hidden, Loss::CrossEntropy, 13);
    check_gradients("tanh, gelu, sigmoid", &problem);
}

#[test]
fn dense_gradient_matches_formula() {
    // With no hidden layers and MSE, L = mean over rows r and units j of (o_rj - y_rj)^2 with
    // o = x W + b, so dL/do = 2 (o - y) / (rows * units), dL/dW = x^T dL/do, and dL/db sums
    // dL/do over the rows.
    let problem = problem(DataSet::Iris, Vec::new(), Loss::MeanSquaredError, 14);
    let values = problem.network.parameter_values();
    let (weight, bias) = (&values[0], &values[1]);
    let (inputs, units) = (4, 3);

    let mut output_gradient = vec![0.0f64; ROWS * units];
    for (row, x) in problem.input.chunks(inputs).enumerate() {
        for unit in 0..units {
            let mut output = bias[unit] as f64;
            for input in 0..inputs {
                output += x[input] as f64 * weight[input * units + unit] as f64;
            }
            let target = if problem.labels[row] == unit {
                1.0
            } else {
                0.0
            };
            output_gradient[row * units + unit] = 2.0 * (output - target) / (ROWS * units) as f64;
        }
    }
    let mut weight_gradient = vec![0.0f64; inputs * units];
    let mut bias_gradient = vec![0.0f64; units];
    for (row, x) in problem.input.chunks(inputs).enumerate() {
        for unit in 0..units {
            let g = output_gradient[row * units + unit];
            bias_gradient[unit] += g;
            for input in 0..inputs {
                weight_gradient[input * units + unit] += x[input] as f64 * g;
            }
        }
    }

    let backward = backward_gradients(&problem);
    for (name, actual, expected) in [
        ("weight", &backward[0], &weight_gradient),
        ("bias", &backward[1], &bias_gradient),
    ] {
        for (entry, (&actual, &expected)) in actual.iter().zip(expected).enumerate() {
            assert!(
                (actual as f64 - expected).abs() <= 1e-5 * expected.abs().max(1.0),
                "{name} entry {entry}: backward {actual}, formula {expected}"
            );
        }
    }
}

#[test]
fn loss_values_match_formulas() {
    // Keras's definitions: sparse categorical cross-entropy averages -log softmax(o)[label]
    // over rows. Binary cross-entropy averages -(y log s(o) + (1 - y) log(1 - s(o))), where s
    // is the logistic function. MSE averages (o - one_hot(y))^2 over every entry.
    let output = [2.0f32, -1.0, 0.5, -0.3, 0.8, 1.2];
    let device = Cpu::default();
    let tensor = |rows: usize, width: usize| -> Matrix {
        device.tensor_from_vec(output.to_vec(), (rows, width))
    };

    let labels = [2, 0];
    let mut expected = 0.0f64;
    for (row, &label) in output.chunks(3).zip(&labels) {
        let log_sum: f64 = row.iter().map(|&o| (o as f64).exp()).sum::<f64>().ln();
        expected += log_sum - row[label] as f64;
    }
    expected /= 2.0;
    let actual = batch_loss(Loss::CrossEntropy, tensor(2, 3), &labels)
        .unwrap()
        .array();
    assert!(
        (actual as f64 - expected).abs() < 1e-5,
        "cross-entropy {actual}, formula {expected}"
    );

    let labels = [1, 0, 0, 1, 1, 0];
    let mut expected = 0.0f64;
    for (&o, &label) in output.iter().zip(&labels) {
        let p = 1.0 / (1.0 + (-(o as f64)).exp());
        let y = label as f64;
        expected -= y * p.ln() + (1.0 - y) * (1.0 - p).ln();
    }
    expected /= 6.0;
    let actual = batch_loss(Loss::BinaryCrossEntropy, tensor(6, 1), &labels)
        .unwrap()
        .array();
    assert!(
        (actual as f64 - expected).abs() < 1e-5,
        "binary cross-entropy {actual}, formula {expected}"
    );

    let labels = [1, 1];
    let mut expected = 0.0f64;
    for (index, &o) in output.iter().enumerate() {
        let target = if index % 3 == labels[index / 3] {
            1.0
        } else {
            0.0
        };
        expected += (o as f64 - target).powi(2);
    }
    expected /= 6.0;
    let actual = batch_loss(Loss::MeanSquaredError, tensor(2, 3), &labels)
        .unwrap()
        .array();
    assert!(
        (actual as f64 - expected).abs() < 1e-5,
        "mean squared error {actual}, formula {expected}"
    );

    // Keras's Huber with delta 0.5, averaged over every entry: 0.5 d^2 where |d| <= 0.5,
    // else 0.5 |d| - 0.125, for d = o - one_hot(y). With labels [1, 1] the differences are
    // 2, -2, 0.5, -0.3, -0.2, 1.2, which give 0.875, 0.875, 0.125, 0.045, 0.02 and 0.475,
    // a mean of 2.415 / 6.
    let expected = 2.415 / 6.0;
    let huber = LossFunction {
        loss: Loss::Huber,
        huber_delta: 0.5,
    };
    let actual = batch_loss(huber, tensor(2, 3), &labels).unwrap().array();
    assert!(
        (actual as f64 - expected).abs() < 1e-6,
        "Huber {actual}, hand-computed {expected}"
    );
    // With Keras's default delta 1 the same differences give 1.5, 1.5, 0.125, 0.045, 0.02 and
    // 0.7.
    let expected = 3.89 / 6.0;
    let actual = batch_loss(Loss::Huber, tensor(2, 3), &labels)
        .unwrap()
        .array();
    assert!(
        (actual as f64 - expected).abs() < 1e-6,
        "Huber with delta 1 {actual}, hand-computed {expected}"
    );
}

#[test]
fn activations_match_formulas() {
    // Standard normal CDF at -2, -1, -0.5, 0.5, 1 and 2, for GELU(x) = x * Phi(x).
    let inputs = [-2.0f32, -1.0, -0.5, 0.5, 1.0, 2.0];
    let normal_cdf = [
        0.022_750_132,
        0.158_655_254,
        0.308_537_539,
        0.691_462_461,
        0.841_344_746,
        0.977_249_868,
    ];
    let device = Cpu::default();
    for activation in ACTIVATIONS {
        let z: Matrix = device.tensor_from_vec(inputs.to_vec(), (2, 3));
        let actual = activate(z, activation).unwrap().as_vec();
        for (index, &x) in inputs.iter().enumerate() {
            let x64 = x as f64;
            let expected = match activation {
                Activation::Relu => x64.max(0.0),
                Activation::Sigmoid => 1.0 / (1.0 + (-x64).exp()),
                Activation::Tanh => x64.tanh(),
                Activation::LeakyRelu => {
                    if x64 > 0.0 {
                        x64
                    } else {
                        0.01 * x64
                    }
                }
                Activation::Gelu => x64 * normal_cdf[index],
                Activation::Linear => x64,
            };
            assert!(
                (actual[index] as f64 - expected).abs() < 1e-5,
                "{activation:?}({x}) = {}, expected {expected}",
                actual[index]
            );
        }
    }
}

#[test]
fn gelu_derivative_matches_formula() {
    // d/dx x * Phi(x) = Phi(x) + x * phi(x), where Phi is the standard normal CDF and phi its
    // density. The derivative is 0.5 at 0, and it tends to 1 for large x and to 0 for very
    // negative x.
    let inputs = [
        -2.0f32, -1.0, -0.5, 0.5, 1.0, 2.0, 0.0, 1e-7, -1e-7, 8.0, -8.0, -30.0,
    ];
    let normal_cdf = [
        0.022_750_132,
        0.158_655_254,
        0.308_537_539,
        0.691_462_461,
        0.841_344_746,
        0.977_249_868,
        0.5,
        0.5,
        0.5,
        1.0,
        0.0,
        0.0,
    ];
    let device = Cpu::default();
    let z: Matrix = device.tensor_from_vec(inputs.to_vec(), (1, inputs.len()));
    let output = activate(z.leaky_trace(), Activation::Gelu).unwrap();
    let total: Tensor<Rank0, f32, Cpu, _> = output.sum();
    let grads = total.backward();
    let derivatives = grads.get(&z).as_vec();

    for (index, &x) in inputs.iter().enumerate() {
        let x64 = x as f64;
        let density = (-0.5 * x64 * x64).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let expected = normal_cdf[index] + x64 * density;
        assert!(
            (derivatives[index] as f64 - expected).abs() < 1e-5,
            "GELU'({x}) = {}, expected {expected}",
            derivatives[index]
        );
    }
}

#[test]
fn dropout_zero_matches_no_dropout() {
    let plain = problem(
        DataSet::Iris,
        vec![dense(5, Activation::Tanh), dense(4, Activation::Relu)],
        Loss::CrossEntropy,
        15,
    );
    let mut with_dropout = plain.clone();
    with_dropout
        .network
        .layers
        .insert(1, Layer::Dropout { rate: 0.0 });
    assert_eq!(with_dropout.mode, Mode::Train);

    let plain_loss = loss_value(&plain, &plain.network);
    let dropout_loss = loss_value(&with_dropout, &with_dropout.network);
    assert_eq!(dropout_loss, plain_loss, "loss with dropout rate 0");

    let plain_gradients = backward_gradients(&plain);
    let dropout_gradients = backward_gradients(&with_dropout);
    assert_eq!(
        dropout_gradients, plain_gradients,
        "gradients with dropout rate 0"
    );
}

#[test]
fn dropout_evaluation_passes_through() {
    let plain = problem(
        DataSet::Iris,
        vec![dense(5, Activation::Tanh), dense(4, Activation::Relu)],
        Loss::CrossEntropy,
        16,
    );
    let mut with_dropout = plain.clone();
    with_dropout
        .network
        .layers
        .insert(1, Layer::Dropout { rate: 0.5 });

    let evaluate = |problem: &Problem, mode: Mode| {
        problem
            .network
            .forward(input_tensor(problem), mode)
            .unwrap()
            .as_vec()
    };
    let expected = evaluate(&plain, Mode::Evaluate);
    assert_eq!(
        evaluate(&with_dropout, Mode::Evaluate),
        expected,
        "evaluation output with dropout rate 0.5"
    );
    assert_ne!(
        evaluate(&with_dropout, Mode::Train),
        expected,
        "training output with dropout rate 0.5 equals the output without dropout"
    );
}

#[test]
fn dropout_train_scales_kept_values() {
    let mut problem = problem(DataSet::Iris, Vec::new(), Loss::CrossEntropy, 17);
    problem.network.layers = vec![Layer::Dropout { rate: 0.25 }];
    let device = Cpu::seed_from_u64(DROPOUT_SEED);
    let ones: Matrix = device.tensor_from_vec(vec![1.0; 400], (100, 4));
    let output = problem.network.forward(ones, Mode::Train).unwrap().as_vec();

    let kept_value = 1.0 / 0.75;
    let dropped = output.iter().filter(|&&value| value == 0.0).count();
    let scaled = output.iter().filter(|&&value| value == kept_value).count();
    assert_eq!(
        dropped + scaled,
        400,
        "values other than 0 and {kept_value}: {output:?}"
    );
    assert!(
        (60..=140).contains(&dropped),
        "{dropped} of 400 values dropped at rate 0.25"
    );
}

#[test]
fn dropout_gradients_match_differences() {
    let mut problem = problem(
        DataSet::Iris,
        vec![dense(6, Activation::Tanh), dense(5, Activation::Sigmoid)],
        Loss::CrossEntropy,
        18,
    );
    problem
        .network
        .layers
        .insert(1, Layer::Dropout { rate: 0.5 });
    problem
        .network
        .layers
        .insert(3, Layer::Dropout { rate: 0.3 });
    check_gradients("dropout 0.5 and 0.3", &problem);
}

/// One optimizer step: the batch's gradients and the parameters before and after the update.
struct Update {
    gradients: Vec<Vec<f32>>,
    before: Vec<Vec<f32>>,
    after: Vec<Vec<f32>>,
}

fn one_update(problem: &mut Problem, optimizer: &mut Optimizer) -> Update {
    let mut grads = backward(problem);
    let gradients = parameter_gradients(&problem.network, &grads);
    let before = problem.network.parameter_values();
    optimizer
        .update(&mut problem.network, &mut grads)
        .expect("update");
    let after = problem.network.parameter_values();
    Update {
        gradients,
        before,
        after,
    }
}

fn tanh_problem(seed: u64) -> Problem {
    problem(
        DataSet::Iris,
        vec![dense(5, Activation::Tanh)],
        Loss::CrossEntropy,
        seed,
    )
}

#[test]
fn sgd_step_matches_hand_update() {
    let mut problem = tanh_problem(19);
    let spec = OptimizerSpec::Sgd {
        learning_rate: 0.1,
        momentum: 0.0,
    };
    let mut optimizer = Optimizer::new(&spec, &problem.network).unwrap();
    let Update {
        gradients,
        before,
        after,
    } = one_update(&mut problem, &mut optimizer);

    for (tensor, ((g, w), updated)) in gradients.iter().zip(&before).zip(&after).enumerate() {
        for entry in 0..g.len() {
            let expected = w[entry] - 0.1 * g[entry];
            assert!(
                (updated[entry] - expected).abs() <= 1e-6,
                "tensor {tensor} entry {entry}: {} - 0.1 * {} gave {}, expected {expected}",
                w[entry],
                g[entry],
                updated[entry]
            );
        }
    }
}

#[test]
fn sgd_momentum_second_step() {
    // Classic momentum: v1 = g1, v2 = 0.9 v1 + g2, and each step subtracts lr * v.
    let mut problem = tanh_problem(20);
    let spec = OptimizerSpec::Sgd {
        learning_rate: 0.1,
        momentum: 0.9,
    };
    let mut optimizer = Optimizer::new(&spec, &problem.network).unwrap();
    let first = one_update(&mut problem, &mut optimizer).gradients;
    let Update {
        gradients: second,
        before,
        after,
    } = one_update(&mut problem, &mut optimizer);

    for tensor in 0..first.len() {
        for entry in 0..first[tensor].len() {
            let velocity = 0.9 * first[tensor][entry] + second[tensor][entry];
            let expected = before[tensor][entry] - 0.1 * velocity;
            let actual = after[tensor][entry];
            assert!(
                (actual - expected).abs() <= 1e-6,
                "tensor {tensor} entry {entry}: {actual}, expected {expected}"
            );
        }
    }
}

#[test]
fn adam_first_step_moves_lr() {
    // At step 1 the bias-corrected moments are g and g^2, so each entry moves by
    // lr * g / (|g| + epsilon): about lr, against the gradient's sign.
    let mut problem = tanh_problem(21);
    let learning_rate = 0.01f32;
    let spec = OptimizerSpec::Adam {
        learning_rate: learning_rate as f64,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
    };
    let mut optimizer = Optimizer::new(&spec, &problem.network).unwrap();
    let Update {
        gradients,
        before,
        after,
    } = one_update(&mut problem, &mut optimizer);

    for (tensor, ((g, w), updated)) in gradients.iter().zip(&before).zip(&after).enumerate() {
        for entry in 0..g.len() {
            assert!(
                g[entry].abs() > 1e-4,
                "tensor {tensor} entry {entry}: gradient {} is too small to move by about lr",
                g[entry]
            );
            let moved = updated[entry] - w[entry];
            assert_eq!(
                moved.signum(),
                -g[entry].signum(),
                "tensor {tensor} entry {entry}: moved {moved} with gradient {}",
                g[entry]
            );
            assert!(
                (moved.abs() - learning_rate).abs() <= 2e-3 * learning_rate,
                "tensor {tensor} entry {entry}: moved {moved}, expected about {learning_rate}"
            );
        }
    }
}

#[test]
fn adamw_first_step_decays_weights() {
    // At step 1 the Adam step is lr * g / (|g| + epsilon), and AdamW also subtracts
    // lr * weight_decay * w from every weight and bias.
    let mut problem = tanh_problem(22);
    let (learning_rate, weight_decay) = (0.01f32, 0.5f32);
    let spec = OptimizerSpec::Adamw {
        learning_rate: learning_rate as f64,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
        weight_decay: weight_decay as f64,
    };
    let mut optimizer = Optimizer::new(&spec, &problem.network).unwrap();
    let Update {
        gradients,
        before,
        after,
    } = one_update(&mut problem, &mut optimizer);

    for (tensor, ((g, w), updated)) in gradients.iter().zip(&before).zip(&after).enumerate() {
        for entry in 0..g.len() {
            let adam = learning_rate * g[entry] / (g[entry].abs() + 1e-7);
            let expected = w[entry] - adam - learning_rate * weight_decay * w[entry];
            assert!(
                (updated[entry] - expected).abs() <= 1e-6,
                "tensor {tensor} entry {entry}: {}, expected {expected}",
                updated[entry]
            );
        }
    }
}
