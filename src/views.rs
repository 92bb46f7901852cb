//! Numbers behind the page's teaching views: the network's output and every layer's
//! activations over a grid of 2-D inputs, predictions with a confusion matrix, and per-layer
//! gradient diagnostics. Everything here reads a [`Trainer`] and changes nothing.

use crate::data::{Dataset, Split};
use crate::error::{PlaygroundError, Result};
use crate::network::{Layer, Matrix, Mode, Network};
use crate::spec::{Activation, Loss, NetworkSpec, Task};
use crate::train::{batch_loss, regression_loss, Trainer};
use dfdx::prelude::*;
use serde::Serialize;

/// Rows of the training split, from the first in stored order, on which [`diagnostics`]
/// evaluates the loss, its gradients and the activations.
pub const DIAGNOSTIC_ROWS: usize = 256;

/// A sigmoid or tanh output within this distance of an asymptote (0 or 1 for the sigmoid,
/// -1 or 1 for tanh) counts as saturated. There the sigmoid's derivative is below 0.0099 and
/// tanh's below 0.02, so almost no gradient passes.
pub const SATURATION_MARGIN: f32 = 0.01;

/// The rows as the user sees them, before standardization, with the transform the engine
/// applies to them.
#[derive(Debug, Clone)]
pub struct RawData {
    pub train: Split,
    pub validation: Split,
    pub test: Split,
    pub features: usize,
    /// Per feature: the training rows' mean and the divisor, as `Dataset::load` standardizes
    /// them. None when the spec does not standardize.
    scaler: Option<Vec<(f64, f64)>>,
}

impl RawData {
    /// Loads the spec's data again without standardization: the split depends only on the
    /// seed, so the rows come in the same order as the trainer's.
    pub fn load(spec: &NetworkSpec, text: Option<&str>) -> Result<Self> {
        let mut raw_spec = spec.clone();
        raw_spec.data.standardize = false;
        let valid = raw_spec.validate()?;
        let data = Dataset::load(&valid, text)?;
        let scaler = spec
            .data
            .standardize
            .then(|| fit_scaler(&data.train, data.features));
        Ok(Self {
            train: data.train,
            validation: data.validation,
            test: data.test,
            features: data.features,
            scaler,
        })
    }

    /// Applies the trainer's standardization to rows of raw features, row-major.
    pub fn standardize(&self, raw: &[f32]) -> Vec<f32> {
        let Some(scaler) = &self.scaler else {
            return raw.to_vec();
        };
        raw.iter()
            .enumerate()
            .map(|(index, &x)| {
                let (mean, scale) = scaler[index % self.features];
                ((x as f64 - mean) / scale) as f32
            })
            .collect()
    }

    fn split(&self, name: SplitName) -> &Split {
        match name {
            SplitName::Train => &self.train,
            SplitName::Test => &self.test,
        }
    }

    /// Smallest and largest raw value of `feature` over every row of every split.
    fn bounds(&self, feature: usize) -> (f32, f32) {
        let values = [&self.train, &self.validation, &self.test]
            .into_iter()
            .flat_map(|split| split.features.iter().skip(feature).step_by(self.features));
        values.fold((f32::INFINITY, f32::NEG_INFINITY), |(low, high), &x| {
            (low.min(x), high.max(x))
        })
    }
}

/// Computes each feature's mean and population standard deviation over `train`, as
/// scikit-learn's StandardScaler does; a constant feature gets the divisor 1.
fn fit_scaler(train: &Split, width: usize) -> Vec<(f64, f64)> {
    let rows = train.rows() as f64;
    (0..width)
        .map(|column| {
            let values = || train.features.iter().skip(column).step_by(width);
            let mean = values().map(|&x| x as f64).sum::<f64>() / rows;
            let variance = values().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / rows;
            let scale = if variance > 0.0 { variance.sqrt() } else { 1.0 };
            (mean, scale)
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitName {
    Train,
    Test,
}

impl SplitName {
    /// Parses "train" or "test".
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "train" => Ok(Self::Train),
            "test" => Ok(Self::Test),
            other => Err(PlaygroundError::InvalidSpec {
                message: format!("there is no split {other:?}; use \"train\" or \"test\""),
            }),
        }
    }
}

/// Each layer's output for a batch of rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerValues {
    /// Index in the network's layers.
    pub layer: usize,
    pub units: usize,
    /// Shape (rows, units), row-major.
    pub values: Vec<f32>,
}

/// Runs `input` (standardized rows of shape (rows, features)) through the network in
/// evaluation mode and returns every layer's output. The last is the output layer's raw
/// values (logits for the cross-entropy losses). Each layer runs through [`Network::forward`],
/// so the values are those of training's forward pass.
pub fn layer_outputs(
    network: &Network,
    input: &[f32],
    features: usize,
) -> Result<Vec<LayerValues>> {
    if features == 0 || input.is_empty() || !input.len().is_multiple_of(features) {
        return Err(PlaygroundError::InvalidSpec {
            message: format!(
                "{} input values do not form rows of {features} features",
                input.len()
            ),
        });
    }
    let rows = input.len() / features;
    let mut single = network.clone();
    let mut x: Matrix = network
        .device()
        .try_tensor_from_vec(input.to_vec(), (rows, features))?;
    let mut outputs = Vec::with_capacity(network.layers.len());
    for (index, layer) in network.layers.iter().enumerate() {
        single.layers = vec![layer.clone()];
        x = single.forward(x, Mode::Evaluate)?;
        outputs.push(LayerValues {
            layer: index,
            units: x.shape().1,
            values: x.as_vec(),
        });
    }
    Ok(outputs)
}

/// Turns one row of raw output values into what the loss reads them as: softmax
/// probabilities for cross-entropy, the sigmoid's probability of class 1 for binary
/// cross-entropy, and the values themselves for mean squared error and Huber loss.
pub fn output_scores(loss: Loss, row: &[f32]) -> Vec<f32> {
    match loss {
        Loss::CrossEntropy => {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let exps: Vec<f32> = row.iter().map(|&z| (z - max).exp()).collect();
            let sum: f32 = exps.iter().sum();
            exps.iter().map(|&e| e / sum).collect()
        }
        Loss::BinaryCrossEntropy => row.iter().map(|&z| 1.0 / (1.0 + (-z).exp())).collect(),
        Loss::MeanSquaredError | Loss::Huber => row.to_vec(),
    }
}

/// Name of what [`output_scores`] returns: "softmax", "sigmoid" or "output".
pub fn score_kind(loss: Loss) -> &'static str {
    match loss {
        Loss::CrossEntropy => "softmax",
        Loss::BinaryCrossEntropy => "sigmoid",
        Loss::MeanSquaredError | Loss::Huber => "output",
    }
}

/// Returns the class a row of raw output values predicts: a logit above 0 for the single
/// sigmoid output, else the largest value (the first on ties), as training's accuracy counts it.
pub fn predicted_class(loss: Loss, row: &[f32]) -> usize {
    if loss == Loss::BinaryCrossEntropy {
        return usize::from(row[0] > 0.0);
    }
    let mut best = 0;
    for (index, &value) in row.iter().enumerate() {
        if value > row[best] {
            best = index;
        }
    }
    best
}

/// The network over a square grid of raw 2-D inputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridView {
    /// Points per side; point (i, j) has x1 = x_range[0] + j * step and x2 counting down from
    /// y_range[1] by rows, so row 0 is the top of a picture.
    pub size: usize,
    pub x_range: [f32; 2],
    pub y_range: [f32; 2],
    /// Hidden dense layers' outputs, (size * size, units) each, cut to the first `max_units`
    /// units of each layer; the output layer is in `output`.
    pub layers: Vec<LayerValues>,
    /// [`output_scores`] of every point, (size * size, output width).
    pub output: Vec<f32>,
    pub output_width: usize,
    pub score_kind: &'static str,
}

/// Range the grid spans for `feature`: the data's range with 10% of it added on each side.
fn padded_bounds(raw: &RawData, feature: usize) -> [f32; 2] {
    let (low, high) = raw.bounds(feature);
    let pad = ((high - low) * 0.1).max(1e-3);
    [low - pad, high + pad]
}

/// Evaluates the network on `size` x `size` points spanning the raw data's range, passed
/// through the same standardization as the training rows, and keeps the first `max_units`
/// units of each hidden layer. Needs data with 2 features.
pub fn grid_view(
    trainer: &Trainer,
    raw: &RawData,
    size: usize,
    max_units: usize,
) -> Result<GridView> {
    if raw.features != 2 {
        return Err(PlaygroundError::InvalidSpec {
            message: format!(
                "the decision-boundary view needs 2 features, and this data has {}",
                raw.features
            ),
        });
    }
    if !(2..=200).contains(&size) {
        return Err(PlaygroundError::InvalidSpec {
            message: format!("a grid of {size} points per side is out of range; use 2 to 200"),
        });
    }

    let x_range = padded_bounds(raw, 0);
    let y_range = padded_bounds(raw, 1);
    let step =
        |range: [f32; 2], i: usize| range[0] + (range[1] - range[0]) * i as f32 / (size - 1) as f32;
    let mut points = Vec::with_capacity(size * size * 2);
    for row in 0..size {
        for column in 0..size {
            points.push(step(x_range, column));
            points.push(step(y_range, size - 1 - row));
        }
    }

    let input = raw.standardize(&points);
    let mut layers = layer_outputs(trainer.network(), &input, 2)?;
    let last = layers.pop().expect("a network has an output layer");
    let loss = trainer.spec().loss;
    let output = last
        .values
        .chunks(last.units)
        .flat_map(|row| output_scores(loss, row))
        .collect();
    // Dropout layers pass values through in evaluation, so they add nothing to look at.
    layers.retain(|values| matches!(trainer.network().layers[values.layer], Layer::Dense { .. }));
    for layer in &mut layers {
        if layer.units > max_units {
            layer.values = layer
                .values
                .chunks(layer.units)
                .flat_map(|row| &row[..max_units])
                .copied()
                .collect();
            layer.units = max_units;
        }
    }
    Ok(GridView {
        size,
        x_range,
        y_range,
        layers,
        output,
        output_width: last.units,
        score_kind: score_kind(loss),
    })
}

/// Raw 2-D points with their classes (classification) or targets (regression), for drawing
/// over the grid. The validation rows are not drawn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Points {
    /// x1, x2 of each training row.
    pub train: Vec<f32>,
    /// Empty for regression.
    pub train_labels: Vec<usize>,
    /// Empty for classification.
    pub train_targets: Vec<f32>,
    /// x1, x2 of each test row.
    pub test: Vec<f32>,
    pub test_labels: Vec<usize>,
    pub test_targets: Vec<f32>,
}

pub fn points(raw: &RawData) -> Points {
    Points {
        train: raw.train.features.clone(),
        train_labels: raw.train.labels.clone(),
        train_targets: raw.train.targets.clone(),
        test: raw.test.features.clone(),
        test_labels: raw.test.labels.clone(),
        test_targets: raw.test.targets.clone(),
    }
}

/// One row's prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowPrediction {
    /// Index of the row in its split.
    pub id: usize,
    pub label: usize,
    pub predicted: usize,
    /// [`output_scores`] of the row.
    pub scores: Vec<f32>,
}

/// Predictions of the current weights on one split, with the confusion matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Predictions {
    /// The test split, or the training split when the spec has no test split.
    pub split: SplitName,
    pub class_names: Vec<String>,
    pub score_kind: &'static str,
    /// counts[actual][predicted].
    pub confusion: Vec<Vec<usize>>,
    pub rows: Vec<RowPrediction>,
}

/// Predicts every row of the test split, or of the training split when there is no test
/// split, in evaluation mode. A regression task has no classes, so it gets no rows and an
/// empty confusion matrix.
pub fn predictions(trainer: &Trainer) -> Result<Predictions> {
    let data = trainer.data();
    let (name, split) = if data.test.rows() > 0 {
        (SplitName::Test, &data.test)
    } else {
        (SplitName::Train, &data.train)
    };
    let loss = trainer.spec().loss;
    if data.task == Task::Regression {
        return Ok(Predictions {
            split: name,
            class_names: Vec::new(),
            score_kind: score_kind(loss),
            confusion: Vec::new(),
            rows: Vec::new(),
        });
    }
    let classes = data.class_names.len();
    let values = trainer.predict(split)?;
    let width = values.len() / split.rows().max(1);
    let mut confusion = vec![vec![0; classes]; classes];
    let mut rows = Vec::with_capacity(split.rows());
    for (id, (output, &label)) in values.chunks(width.max(1)).zip(&split.labels).enumerate() {
        let predicted = predicted_class(loss, output);
        if label < classes && predicted < classes {
            confusion[label][predicted] += 1;
        }
        let mut scores = output_scores(loss, output);
        if loss == Loss::BinaryCrossEntropy {
            // Both classes' probabilities, as for softmax.
            scores = vec![1.0 - scores[0], scores[0]];
        }
        rows.push(RowPrediction {
            id,
            label,
            predicted,
            scores,
        });
    }
    Ok(Predictions {
        split: name,
        class_names: data.class_names.clone(),
        score_kind: score_kind(loss),
        confusion,
        rows,
    })
}

/// Raw features of the rows `ids` of `split`, one vector each.
pub fn raw_rows(raw: &RawData, split: SplitName, ids: &[usize]) -> Result<Vec<Vec<f32>>> {
    let split = raw.split(split);
    let width = raw.features;
    ids.iter()
        .map(|&id| {
            if id >= split.rows() {
                return Err(PlaygroundError::InvalidSpec {
                    message: format!(
                        "row {id} is out of range; the split has {} rows",
                        split.rows()
                    ),
                });
            }
            Ok(split.features[id * width..(id + 1) * width].to_vec())
        })
        .collect()
}

/// Gradient and activation statistics of one dense or convolution layer, whose units are
/// its filters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerDiagnostics {
    /// Index in the network's layers.
    pub layer: usize,
    pub units: usize,
    /// The hidden activation's name; None for the output layer, whose function the loss sets.
    pub activation: Option<Activation>,
    pub output: bool,
    /// Frobenius norm of the kernel W (for a convolution, all its filters).
    pub weight_norm: f64,
    /// Frobenius norm of dL/dW on the diagnostic batch.
    pub gradient_norm: f64,
    /// Norm of dL/db on the diagnostic batch.
    pub bias_gradient_norm: f64,
    /// ReLU layers: the share of units that output 0 for every row of the diagnostic batch
    /// (and, for a convolution, at every position).
    pub dead_share: Option<f64>,
    /// Sigmoid and tanh layers: the share of outputs (rows x units) within
    /// [`SATURATION_MARGIN`] of an asymptote.
    pub saturated_share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostics {
    /// Rows in the diagnostic batch: the first [`DIAGNOSTIC_ROWS`] training rows, or all of
    /// them when there are fewer.
    pub rows: usize,
    /// Mean loss on the diagnostic batch, without dropout.
    pub loss: f64,
    pub saturation_margin: f32,
    pub layers: Vec<LayerDiagnostics>,
}

/// Evaluates the loss on the diagnostic batch in evaluation mode (no dropout, and
/// BatchNormalization with its moving averages), takes its gradients with respect to every
/// dense and convolution layer's weights, and measures those layers' outputs.
/// A fixed batch makes epochs comparable and gives the same numbers for every backend.
pub fn diagnostics(trainer: &Trainer) -> Result<Diagnostics> {
    let data = trainer.data();
    let rows = data.train.rows().min(DIAGNOSTIC_ROWS);
    if rows == 0 {
        return Err(PlaygroundError::Data {
            message: "the training split is empty, so there is nothing to diagnose".to_string(),
        });
    }
    let ids: Vec<usize> = (0..rows).collect();
    let batch = data.train.select(&ids, data.features);
    let network = trainer.network();
    let activations = layer_outputs(network, &batch.features, data.features)?;

    let input: Matrix = network
        .device()
        .try_tensor_from_vec(batch.features.clone(), (rows, data.features))?;
    let output = network.forward(input.leaky_traced(), Mode::Evaluate)?;
    let loss = match data.task {
        Task::Classification => batch_loss(trainer.spec().loss, output, &batch.labels)?,
        Task::Regression => regression_loss(trainer.spec().loss, output, &batch.targets)?,
    };
    let loss_value = loss.array() as f64;
    let mut grads = loss.try_backward()?;

    let last = network.layers.len() - 1;
    let mut layers = Vec::new();
    for (index, layer) in network.layers.iter().enumerate() {
        let (weight, bias, activation) = match layer {
            Layer::Dense {
                weight,
                bias,
                activation,
            } => (weight, bias, activation),
            Layer::Conv2d {
                kernel,
                bias,
                activation,
                ..
            } => (kernel, bias, activation),
            _ => continue,
        };
        // A convolution's outputs are channels-last, so the filter is the index modulo the
        // filter count, as a dense unit is.
        let units = bias.shape().0;
        let output = index == last;
        let weight_norm = norm(&weight.as_vec());
        let gradient_norm = norm(grads.get_or_alloc_mut(weight)?);
        let bias_gradient_norm = norm(grads.get_or_alloc_mut(bias)?);
        let values = &activations[index];
        let (dead_share, saturated_share) = if output {
            (None, None)
        } else {
            unit_health(*activation, &values.values, units)
        };
        layers.push(LayerDiagnostics {
            layer: index,
            units,
            activation: (!output).then_some(*activation),
            output,
            weight_norm,
            gradient_norm,
            bias_gradient_norm,
            dead_share,
            saturated_share,
        });
    }
    Ok(Diagnostics {
        rows,
        loss: loss_value,
        saturation_margin: SATURATION_MARGIN,
        layers,
    })
}

fn norm(values: &[f32]) -> f64 {
    values
        .iter()
        .map(|&x| (x as f64).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Returns the dead share for ReLU and the saturated share for sigmoid and tanh, from a
/// layer's outputs of shape (rows, units); None where the measure does not apply.
pub fn unit_health(
    activation: Activation,
    values: &[f32],
    units: usize,
) -> (Option<f64>, Option<f64>) {
    if units == 0 || values.is_empty() {
        return (None, None);
    }
    match activation {
        Activation::Relu => {
            let dead = (0..units)
                .filter(|&unit| values.iter().skip(unit).step_by(units).all(|&y| y <= 0.0))
                .count();
            (Some(dead as f64 / units as f64), None)
        }
        Activation::Sigmoid | Activation::Tanh => {
            let low = if activation == Activation::Sigmoid {
                0.0
            } else {
                -1.0
            };
            let saturated = values
                .iter()
                .filter(|&&y| y < low + SATURATION_MARGIN || y > 1.0 - SATURATION_MARGIN)
                .count();
            (None, Some(saturated as f64 / values.len() as f64))
        }
        _ => (None, None),
    }
}
