//! Stepwise training: the page requests a few batches at a time, so the Worker can stream
//! metrics, pause and stop between calls.

use crate::data::{DataSummary, Dataset, Split, STREAM_DROPOUT, STREAM_SHUFFLE};
use crate::error::{PlaygroundError, Result};
use crate::network::{Matrix, Mode, Network};
use crate::optimizer::{Optimizer, OptimizerState};
use crate::rng::SplitMix64;
use crate::spec::{Activation, LayerPlan, Loss, NetworkSpec, PoolKind, Task, ValidSpec};
use crate::{regularizer, schedule};
use dfdx::losses::{
    binary_cross_entropy_with_logits_loss, cross_entropy_with_logits_loss, huber_loss, mse_loss,
};
use dfdx::prelude::*;
use serde::Serialize;

/// Metrics of one finished epoch. As in Keras's `fit`, the training loss and metric are
/// averaged over the epoch's batches while the weights change; the validation and test metrics
/// are computed after the epoch. Classification reports accuracy, regression the mean absolute
/// error (MAE) of the raw targets; the other metric is None. Unlike Keras, the losses are data
/// losses and the kernel penalty is reported on its own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochMetrics {
    /// Counts from 1.
    pub epoch: usize,
    pub train_loss: f64,
    /// The kernel regularizer's penalty, averaged over the epoch's batches like the loss; the
    /// training objective is `train_loss + train_penalty`. 0 without a regularizer.
    pub train_penalty: f64,
    /// The learning rate of this epoch, after the schedule.
    pub learning_rate: f64,
    pub train_accuracy: Option<f64>,
    pub train_mae: Option<f64>,
    /// None when the spec has no validation split.
    pub validation_loss: Option<f64>,
    pub validation_accuracy: Option<f64>,
    pub validation_mae: Option<f64>,
    /// None when the spec has no test split.
    pub test_loss: Option<f64>,
    pub test_accuracy: Option<f64>,
    pub test_mae: Option<f64>,
    pub examples: usize,
}

/// Loss and metric of the current weights on one split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    pub loss: f64,
    /// Accuracy for classification, mean absolute error for regression.
    pub metric: f64,
}

impl EpochMetrics {
    /// Assembles the metrics of `task` from the training sums and the evaluations of the
    /// validation and test splits (None where the split is empty). The penalty and the
    /// learning rate start at 0, for the caller to set.
    pub fn new(
        task: Task,
        epoch: usize,
        train: Evaluation,
        validation: Option<Evaluation>,
        test: Option<Evaluation>,
        examples: usize,
    ) -> Self {
        let classification = |e: Option<Evaluation>| match task {
            Task::Classification => e.map(|e| e.metric),
            Task::Regression => None,
        };
        let regression = |e: Option<Evaluation>| match task {
            Task::Classification => None,
            Task::Regression => e.map(|e| e.metric),
        };
        Self {
            epoch,
            train_loss: train.loss,
            train_penalty: 0.0,
            learning_rate: 0.0,
            train_accuracy: classification(Some(train)),
            train_mae: regression(Some(train)),
            validation_loss: validation.map(|e| e.loss),
            validation_accuracy: classification(validation),
            validation_mae: regression(validation),
            test_loss: test.map(|e| e.loss),
            test_accuracy: classification(test),
            test_mae: regression(test),
            examples,
        }
    }
}

/// One layer as the editor shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerSummary {
    /// The layer's spec tag: "dense", "dropout", "conv2d", "max_pool2d", "avg_pool2d",
    /// "flatten", "batch_norm" or "layer_norm".
    pub kind: &'static str,
    /// Values per row that the layer outputs.
    pub units: usize,
    /// Output shape without the batch dimension: [units], or [height, width, channels].
    pub shape: Vec<usize>,
    pub parameters: u64,
    /// "relu", …; for the output layer, the function the loss applies ("softmax", "sigmoid",
    /// "linear", which regression always uses).
    pub activation: Option<String>,
    pub output: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkSummary {
    pub inputs: usize,
    /// The shape the first layer receives: [inputs], or [height, width, channels].
    pub input_shape: Vec<usize>,
    pub layers: Vec<LayerSummary>,
    pub parameters: u64,
    pub data: DataSummary,
    /// The scheduled learning rate of each epoch, in order, which the page draws.
    pub learning_rates: Vec<f64>,
}

#[derive(Debug, Clone)]
pub struct Trainer {
    valid: ValidSpec,
    data: Dataset,
    network: Network,
    optimizer: Optimizer,
    shuffle: SplitMix64,
    /// Row order of the current epoch and the next row to take from it.
    order: Vec<usize>,
    cursor: usize,
    epoch: usize,
    running: Running,
    history: Vec<EpochMetrics>,
    /// Whether finished epochs are kept in `history`. The page streams each epoch's metrics
    /// as it ends, so its sessions turn this off and their memory stays flat over a long run.
    keep_history: bool,
    /// Set once the loss has diverged; every later call returns it.
    failure: Option<PlaygroundError>,
}

/// Sums over the batches of the epoch in progress.
#[derive(Debug, Clone, Default)]
struct Running {
    loss: f64,
    /// Sum of each batch's penalty times its rows.
    penalty: f64,
    /// Correct rows (classification) or absolute errors (regression).
    metric: f64,
    rows: usize,
}

impl Trainer {
    /// Validates the spec, loads the data and builds the network with its initial weights.
    /// The wine, breast cancer, digits and CSV sets need their file's text: use
    /// [`Trainer::with_text`] for them.
    pub fn new(spec: &NetworkSpec) -> Result<Self> {
        Self::with_text(spec, None)
    }

    /// Builds the trainer like [`Trainer::new`], reading the rows from `text` for the sets
    /// whose rows come from a file (see [`crate::spec::DataSet::needs_text`]).
    pub fn with_text(spec: &NetworkSpec, text: Option<&str>) -> Result<Self> {
        let valid = spec.validate()?;
        let data = Dataset::load(&valid, text)?;
        let device = Cpu::seed_from_u64(SplitMix64::stream(valid.seed, STREAM_DROPOUT).next_u64());
        let network = Network::build(&valid, &device)?;
        let optimizer = Optimizer::new(&valid.spec.optimizer, &network)?;
        let shuffle = SplitMix64::stream(valid.seed, STREAM_SHUFFLE);
        Ok(Self {
            valid,
            data,
            network,
            optimizer,
            shuffle,
            order: Vec::new(),
            cursor: 0,
            epoch: 0,
            running: Running::default(),
            history: Vec::new(),
            keep_history: true,
            failure: None,
        })
    }

    pub fn spec(&self) -> &NetworkSpec {
        &self.valid.spec
    }

    /// Continues a run that another backend started: builds the spec's trainer, replaces its
    /// weights and biases with `values` (layer by layer, weight then bias) and advances it to
    /// `epochs_done`, shuffling as many times as the finished epochs did. `text` is as for
    /// [`Trainer::with_text`]. The optimizer starts from zero state, so when `epochs_done` is
    /// above 0 the updates differ from those of an uninterrupted run. [`Trainer::resume_with_state`]
    /// carries the state over.
    pub fn resume(
        spec: &NetworkSpec,
        text: Option<&str>,
        values: &[Vec<f32>],
        epochs_done: usize,
    ) -> Result<Self> {
        Self::resume_with_state(spec, text, values, epochs_done, None)
    }

    /// Continues a run like [`Trainer::resume`] and, when `optimizer` is given, also takes over
    /// the optimizer's step count and buffers, so that the following updates are those of an
    /// uninterrupted run.
    pub fn resume_with_state(
        spec: &NetworkSpec,
        text: Option<&str>,
        values: &[Vec<f32>],
        epochs_done: usize,
        optimizer: Option<&OptimizerState>,
    ) -> Result<Self> {
        let mut trainer = Self::with_text(spec, text)?;
        trainer.network.set_parameter_values(values)?;
        if let Some(state) = optimizer {
            trainer.optimizer.set_state(state)?;
        }
        let rows = trainer.data.train.rows();
        for _ in 0..epochs_done.min(trainer.valid.epochs) {
            let mut order: Vec<usize> = (0..rows).collect();
            trainer.shuffle.shuffle(&mut order);
            trainer.epoch += 1;
        }
        Ok(trainer)
    }

    /// Returns a copy of the optimizer's step count and buffers.
    pub fn optimizer_state(&self) -> OptimizerState {
        self.optimizer.state()
    }

    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Replaces the weights and biases, as [`Network::set_parameter_values`] does, and keeps
    /// the optimizer state and the epoch count.
    pub fn set_parameter_values(&mut self, values: &[Vec<f32>]) -> Result<()> {
        self.network.set_parameter_values(values)
    }

    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// Epochs finished so far.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Returns the metrics of every finished epoch, or none after `discard_history`.
    pub fn history(&self) -> &[EpochMetrics] {
        &self.history
    }

    /// Stops keeping finished epochs' metrics, for callers that take each epoch's metrics
    /// from `run_batches` or `train_epoch` as it ends.
    pub fn discard_history(&mut self) {
        self.keep_history = false;
        self.history = Vec::new();
    }

    pub fn is_finished(&self) -> bool {
        self.epoch >= self.valid.epochs
    }

    pub fn summary(&self) -> NetworkSummary {
        summarize(&self.valid, self.data.summary())
    }

    /// Trains at most `max_batches` batches and returns the metrics if an epoch ended. Past
    /// the spec's last epoch it returns None without training.
    pub fn run_batches(&mut self, max_batches: usize) -> Result<Option<EpochMetrics>> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }
        for _ in 0..max_batches {
            if self.is_finished() {
                return Ok(None);
            }
            if self.cursor == 0 {
                self.order = (0..self.data.train.rows()).collect();
                self.shuffle.shuffle(&mut self.order);
            }
            let end = (self.cursor + self.valid.batch_size).min(self.order.len());
            let rows = self.order[self.cursor..end].to_vec();
            self.cursor = end;
            if let Err(failure) = self.train_batch(&rows) {
                self.failure = Some(failure.clone());
                return Err(failure);
            }
            if self.cursor == self.order.len() {
                return self.finish_epoch().map(Some);
            }
        }
        Ok(None)
    }

    /// Trains the rest of the current epoch; None once every epoch is done.
    pub fn train_epoch(&mut self) -> Result<Option<EpochMetrics>> {
        loop {
            if self.is_finished() {
                return Ok(None);
            }
            if let Some(metrics) = self.run_batches(usize::MAX)? {
                return Ok(Some(metrics));
            }
        }
    }

    fn train_batch(&mut self, rows: &[usize]) -> Result<()> {
        let learning_rate = schedule::learning_rate(&self.valid, self.epoch);
        self.optimizer.set_learning_rate(learning_rate);
        let batch = self.data.train.select(rows, self.data.features);
        let input = self.input(&batch)?.leaky_traced();
        let (output, statistics) = self.network.forward_with_statistics(input, Mode::Train)?;
        let metric = metric_sum(&output.retaped::<NoneTape>(), &batch, self.loss());
        let loss = split_loss(self.loss_function(), output, &batch)?;
        let value = loss.array();
        let regularizer = self.valid.spec.kernel_regularizer;
        let penalty = if regularizer.is_active() {
            regularizer::penalty(&regularizer, &self.network)
        } else {
            0.0
        };
        if !value.is_finite() || !penalty.is_finite() {
            return Err(PlaygroundError::Diverged {
                epoch: self.epoch + 1,
                loss: value + penalty as f32,
                learning_rate,
            });
        }
        let mut grads = loss.try_backward()?;
        if regularizer.is_active() {
            regularizer::add_gradients(&regularizer, &self.network, &mut grads)?;
        }
        self.optimizer.update(&mut self.network, &mut grads)?;
        self.network.update_moving_statistics(&statistics);
        self.running.loss += value as f64 * rows.len() as f64;
        self.running.penalty += penalty * rows.len() as f64;
        self.running.metric += metric;
        self.running.rows += rows.len();
        Ok(())
    }

    fn finish_epoch(&mut self) -> Result<EpochMetrics> {
        let running = std::mem::take(&mut self.running);
        let learning_rate = schedule::learning_rate(&self.valid, self.epoch);
        self.cursor = 0;
        self.epoch += 1;
        let evaluate = |split: &Split| -> Result<Option<Evaluation>> {
            if split.rows() == 0 {
                return Ok(None);
            }
            let (loss, metric) = self.evaluate(split)?;
            Ok(Some(Evaluation { loss, metric }))
        };
        let validation = evaluate(&self.data.validation)?;
        let test = evaluate(&self.data.test)?;
        let train = Evaluation {
            loss: running.loss / running.rows as f64,
            metric: running.metric / running.rows as f64,
        };
        let metrics = EpochMetrics {
            train_penalty: running.penalty / running.rows as f64,
            learning_rate,
            ..EpochMetrics::new(
                self.valid.task,
                self.epoch,
                train,
                validation,
                test,
                running.rows,
            )
        };
        if self.keep_history {
            self.history.push(metrics.clone());
        }
        Ok(metrics)
    }

    /// Loss and metric (accuracy, or for regression the mean absolute error) of the current
    /// weights on `split`, without dropout.
    pub fn evaluate(&self, split: &Split) -> Result<(f64, f64)> {
        if split.rows() == 0 {
            return Ok((f64::NAN, f64::NAN));
        }
        let mut loss_sum = 0.0;
        let mut metric = 0.0;
        for rows in self.chunks(split) {
            let chunk = split.select(&rows, self.data.features);
            let output = self.network.forward(self.input(&chunk)?, Mode::Evaluate)?;
            metric += metric_sum(&output, &chunk, self.loss());
            let loss = split_loss(self.loss_function(), output, &chunk)?.array() as f64;
            loss_sum += loss * rows.len() as f64;
        }
        let total = split.rows() as f64;
        Ok((loss_sum / total, metric / total))
    }

    /// Output-layer values for `split` (logits for the cross-entropy losses), row-major.
    pub fn predict(&self, split: &Split) -> Result<Vec<f32>> {
        let mut values = Vec::new();
        for rows in self.chunks(split) {
            let chunk = split.select(&rows, self.data.features);
            let output = self.network.forward(self.input(&chunk)?, Mode::Evaluate)?;
            values.extend(output.as_vec());
        }
        Ok(values)
    }

    /// Row indices of `split` in batches of the spec's batch size. Evaluation runs batch by
    /// batch, as the WebGPU path does, so that a large test split needs no more activation
    /// memory than training, which validation caps.
    fn chunks(&self, split: &Split) -> Vec<Vec<usize>> {
        let rows: Vec<usize> = (0..split.rows()).collect();
        rows.chunks(self.valid.batch_size)
            .map(<[usize]>::to_vec)
            .collect()
    }

    fn loss(&self) -> Loss {
        self.valid.spec.loss
    }

    fn loss_function(&self) -> LossFunction {
        LossFunction::of(&self.valid.spec)
    }

    fn input(&self, split: &Split) -> Result<Matrix> {
        let shape = (split.rows(), self.data.features);
        Ok(self
            .network
            .device()
            .try_tensor_from_vec(split.features.clone(), shape)?)
    }
}

/// Computes the mean data loss of a batch. `loss` is a [`Loss`] or, for Huber with another
/// delta than 1, a [`LossFunction`]. `output` contains raw output-layer values of shape
/// (rows, width). `labels` contains one class index per row, which must be 0 or 1 for binary
/// cross-entropy and below `width` otherwise (a larger one panics).
pub fn batch_loss<T: Tape<f32, Cpu>>(
    loss: impl Into<LossFunction>,
    output: Matrix<T>,
    labels: &[usize],
) -> Result<Tensor<Rank0, f32, Cpu, T>> {
    let loss = loss.into();
    let (rows, width) = *output.shape();
    let device = output.device().clone();
    let target: Vec<f32> = match loss.loss {
        Loss::BinaryCrossEntropy => labels.iter().map(|&label| label as f32).collect(),
        Loss::CrossEntropy | Loss::MeanSquaredError | Loss::Huber => one_hot(labels, width),
    };
    let target: Matrix = device.try_tensor_from_vec(target, (rows, width))?;
    Ok(loss.mean(output, target))
}

/// Computes the mean `loss` of a batch against one real-valued target per row, which every
/// output column is compared with (a regression network has one column).
pub fn regression_loss<T: Tape<f32, Cpu>>(
    loss: impl Into<LossFunction>,
    output: Matrix<T>,
    targets: &[f32],
) -> Result<Tensor<Rank0, f32, Cpu, T>> {
    let loss = loss.into();
    let (rows, width) = *output.shape();
    let target: Vec<f32> = targets
        .iter()
        .flat_map(|&value| std::iter::repeat_n(value, width))
        .collect();
    let target: Matrix = output.device().try_tensor_from_vec(target, (rows, width))?;
    Ok(loss.mean(output, target))
}

/// Computes the mean `loss` of a batch against the class labels or the regression targets of
/// `split`, whichever it holds.
fn split_loss<T: Tape<f32, Cpu>>(
    loss: LossFunction,
    output: Matrix<T>,
    split: &Split,
) -> Result<Tensor<Rank0, f32, Cpu, T>> {
    if split.targets.is_empty() {
        batch_loss(loss, output, &split.labels)
    } else {
        regression_loss(loss, output, &split.targets)
    }
}

/// A loss with its parameter: the spec's `loss` and `huber_delta`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossFunction {
    pub loss: Loss,
    /// Read only by [`Loss::Huber`].
    pub huber_delta: f64,
}

impl From<Loss> for LossFunction {
    /// Takes Keras's default Huber delta, 1.0.
    fn from(loss: Loss) -> Self {
        Self {
            loss,
            huber_delta: 1.0,
        }
    }
}

impl LossFunction {
    pub fn of(spec: &NetworkSpec) -> Self {
        Self {
            loss: spec.loss,
            huber_delta: spec.huber_delta,
        }
    }

    /// Computes the mean loss between `output` and a `target` matrix of the same shape: class
    /// probabilities for cross-entropy, 0 or 1 for binary cross-entropy, target values for
    /// MSE and Huber.
    pub fn mean<T: Tape<f32, Cpu>>(
        self,
        output: Matrix<T>,
        target: Matrix,
    ) -> Tensor<Rank0, f32, Cpu, T> {
        match self.loss {
            Loss::CrossEntropy => cross_entropy_with_logits_loss(output, target),
            Loss::BinaryCrossEntropy => binary_cross_entropy_with_logits_loss(output, target),
            Loss::MeanSquaredError => mse_loss(output, target),
            // dfdx 0.13's huber_error takes the quadratic branch for |d| < delta and the linear
            // one otherwise; both give 0.5 * delta^2 at |d| = delta, where Keras's Huber takes
            // the quadratic one (|d| <= delta).
            Loss::Huber => huber_loss(output, target, self.huber_delta),
        }
    }
}

pub fn summarize(valid: &ValidSpec, data: DataSummary) -> NetworkSummary {
    let last = valid.layers.len() - 1;
    let layers = valid
        .layers
        .iter()
        .enumerate()
        .map(|(index, plan)| {
            let output = index == last;
            let (kind, activation) = match *plan {
                LayerPlan::Dense { .. } if output => {
                    let name = match (valid.task, valid.spec.loss) {
                        (Task::Regression, _) => "linear",
                        (_, Loss::CrossEntropy) => "softmax",
                        (_, Loss::BinaryCrossEntropy) => "sigmoid",
                        (_, Loss::MeanSquaredError | Loss::Huber) => "linear",
                    };
                    ("dense", Some(name.to_string()))
                }
                LayerPlan::Dense { activation, .. } => ("dense", Some(activation_name(activation))),
                LayerPlan::Conv2d { activation, .. } => {
                    ("conv2d", Some(activation_name(activation)))
                }
                LayerPlan::Dropout { .. } => ("dropout", None),
                LayerPlan::Pool2d {
                    kind: PoolKind::Max,
                    ..
                } => ("max_pool2d", None),
                LayerPlan::Pool2d {
                    kind: PoolKind::Average,
                    ..
                } => ("avg_pool2d", None),
                LayerPlan::Flatten { .. } => ("flatten", None),
                LayerPlan::BatchNorm { .. } => ("batch_norm", None),
                LayerPlan::LayerNorm { .. } => ("layer_norm", None),
            };
            LayerSummary {
                kind,
                units: plan.output_units(),
                shape: plan.output_shape().dims(),
                parameters: plan.parameters(),
                activation,
                output,
            }
        })
        .collect();
    NetworkSummary {
        inputs: valid.features,
        input_shape: valid.input_shape.dims(),
        layers,
        parameters: valid.parameters(),
        data,
        learning_rates: schedule::learning_rates(valid),
    }
}

fn activation_name(activation: Activation) -> String {
    serde_json::to_value(activation)
        .ok()
        .and_then(|value| value.as_str().map(String::from))
        .unwrap_or_default()
}

fn one_hot(labels: &[usize], classes: usize) -> Vec<f32> {
    let mut target = vec![0.0; labels.len() * classes];
    for (row, &label) in labels.iter().enumerate() {
        target[row * classes + label] = 1.0;
    }
    target
}

/// Sum over the rows of `split` of the metric: 1 per correctly classified row, or for
/// regression the absolute error of the first output column.
fn metric_sum(output: &Matrix, split: &Split, loss: Loss) -> f64 {
    if split.targets.is_empty() {
        return count_correct(output, &split.labels, loss) as f64;
    }
    let (_, width) = *output.shape();
    output
        .as_vec()
        .chunks(width)
        .zip(&split.targets)
        .map(|(row, &target)| (row[0] as f64 - target as f64).abs())
        .sum()
}

/// Rows whose predicted class equals the label: the largest output, or for the single
/// sigmoid output of binary cross-entropy, a logit above 0.
fn count_correct(output: &Matrix, labels: &[usize], loss: Loss) -> usize {
    let (_, width) = *output.shape();
    let values = output.as_vec();
    values
        .chunks(width)
        .zip(labels)
        .filter(|(row, &label)| {
            let predicted = match loss {
                Loss::BinaryCrossEntropy => usize::from(row[0] > 0.0),
                Loss::CrossEntropy | Loss::MeanSquaredError | Loss::Huber => argmax(row),
            };
            predicted == label
        })
        .count()
}

/// Index of the largest value; the first one on ties.
fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (index, &value) in row.iter().enumerate() {
        if value > row[best] {
            best = index;
        }
    }
    best
}
