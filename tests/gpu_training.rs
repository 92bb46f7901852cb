//! The WebGPU path trains the same epochs as the CPU path. Natively the kernels run on Vulkan;
//! CI installs Mesa's lavapipe for that, and these tests fail, not skip, without an adapter.
#![cfg(not(target_arch = "wasm32"))]

use dfdx_playground::gpu::context::block_on;
use dfdx_playground::gpu::kernels::MatmulVariant;
use dfdx_playground::gpu::{Gpu, GpuTrainer};
use dfdx_playground::optimizer::{state_buffer_names, OptimizerState};
use dfdx_playground::presets;
use dfdx_playground::spec::{
    Activation, Decay, KernelRegularizer, LayerSpec, Loss, OptimizerSpec, Padding, ScheduleSpec,
};
use dfdx_playground::{EpochMetrics, NetworkSpec, PlaygroundError, Trainer};

/// Relative tolerance per epoch. Both paths run f32 arithmetic on identical batches, but the
/// GPU sums the epoch's row losses itself and its exp, ln and tanh round differently.
const TOLERANCE: f64 = 1e-4;

fn cpu_history(spec: &NetworkSpec, text: Option<&str>) -> Vec<EpochMetrics> {
    let mut trainer = Trainer::with_text(spec, text).expect("valid spec");
    while trainer
        .train_epoch()
        .expect("CPU training succeeds")
        .is_some()
    {}
    trainer.history().to_vec()
}

fn gpu_history(spec: &NetworkSpec, text: Option<&str>) -> Vec<EpochMetrics> {
    let gpu = block_on(Gpu::new(true)).expect("a Vulkan adapter (install mesa-vulkan-drivers)");
    gpu_history_on(gpu, spec, text)
}

fn gpu_history_on(gpu: Gpu, spec: &NetworkSpec, text: Option<&str>) -> Vec<EpochMetrics> {
    let mut trainer = GpuTrainer::with_parameters(spec, text, gpu, None).expect("valid spec");
    while let Some(pending) = trainer.train_epoch().expect("GPU submission succeeds") {
        let result = block_on(pending);
        trainer.record(&result);
        result.expect("GPU epoch succeeds");
    }
    trainer.history().to_vec()
}

fn assert_close(name: &str, epoch: usize, what: &str, gpu: f64, cpu: f64) {
    let difference = (gpu - cpu).abs();
    assert!(
        difference <= TOLERANCE * cpu.abs().max(1e-3),
        "{name} epoch {epoch} {what}: GPU {gpu}, CPU {cpu}"
    );
}

fn assert_same_training(name: &str, spec: &NetworkSpec) {
    assert_same_training_on(name, spec, None);
}

/// Like `assert_same_training`, for a set whose rows come from the file text `text`.
fn assert_same_training_on(name: &str, spec: &NetworkSpec, text: Option<&str>) {
    let cpu = cpu_history(spec, text);
    let gpu = gpu_history(spec, text);
    assert_same_metrics(name, &gpu, &cpu);
    assert!(
        gpu.last().unwrap().train_loss < gpu[0].train_loss,
        "{name}: GPU loss did not fall: {gpu:?}"
    );
}

/// Compares every epoch's metrics of a run that used the GPU with those of a CPU run.
fn assert_same_metrics(name: &str, gpu: &[EpochMetrics], cpu: &[EpochMetrics]) {
    assert_eq!(gpu.len(), cpu.len(), "{name}: epoch count");
    for (g, c) in gpu.iter().zip(cpu) {
        assert_eq!(g.epoch, c.epoch, "{name}: epoch numbering");
        assert_close(name, c.epoch, "training loss", g.train_loss, c.train_loss);
        assert_close(
            name,
            c.epoch,
            "training penalty",
            g.train_penalty,
            c.train_penalty,
        );
        assert_eq!(
            g.learning_rate, c.learning_rate,
            "{name} epoch {}: learning rate",
            c.epoch
        );
        let pairs = [
            ("training accuracy", g.train_accuracy, c.train_accuracy),
            ("training MAE", g.train_mae, c.train_mae),
            ("validation loss", g.validation_loss, c.validation_loss),
            (
                "validation accuracy",
                g.validation_accuracy,
                c.validation_accuracy,
            ),
            ("validation MAE", g.validation_mae, c.validation_mae),
            ("test loss", g.test_loss, c.test_loss),
            ("test accuracy", g.test_accuracy, c.test_accuracy),
            ("test MAE", g.test_mae, c.test_mae),
        ];
        for (what, g_value, c_value) in pairs {
            assert_eq!(
                g_value.is_some(),
                c_value.is_some(),
                "{name}: {what} present"
            );
            if let (Some(g_value), Some(c_value)) = (g_value, c_value) {
                assert_close(name, c.epoch, what, g_value, c_value);
            }
        }
    }
}

const DIGITS: &str = include_str!("../data/digits.csv");

fn with_epochs(mut spec: NetworkSpec, epochs: i64) -> NetworkSpec {
    spec.epochs = epochs;
    spec
}

#[test]
fn wine_from_text_matches_cpu() {
    let text = include_str!("../data/wine_data.csv");
    assert_same_training_on("wine", &with_epochs(presets::wine(), 5), Some(text));
}

#[test]
fn plane_regression_matches_cpu() {
    // The preset holds out test and validation rows, so every split's MAE is compared.
    let spec = with_epochs(presets::plane(), 10);
    assert_same_training("plane", &spec);
    let last = gpu_history(&spec, None).pop().unwrap();
    assert!(
        last.train_mae.is_some() && last.train_accuracy.is_none(),
        "{last:?}"
    );
}

#[test]
fn multi_gaussian_with_noise_matches_cpu() {
    let mut spec = with_epochs(presets::plane(), 10);
    spec.data.set = dfdx_playground::spec::DataSet::MultiGaussian;
    spec.data.noise = 20.0;
    spec.data.standardize = false;
    spec.layers = vec![
        LayerSpec::Dense {
            units: 16,
            activation: Activation::Relu,
        },
        LayerSpec::Dense {
            units: 8,
            activation: Activation::Gelu,
        },
    ];
    assert_same_training("multi-gaussian", &spec);
}

#[test]
fn validation_split_matches_cpu() {
    let mut spec = with_epochs(presets::iris_test_split(), 10);
    spec.data.validation_percent = 25.0;
    assert_same_training("iris validation", &spec);
}

#[test]
fn keras_iris_matches_cpu() {
    assert_same_training("keras-iris", &presets::keras_iris());
}

#[test]
fn iris_test_split_matches_cpu() {
    assert_same_training(
        "iris-test-split",
        &with_epochs(presets::iris_test_split(), 20),
    );
}

#[test]
fn spiral_matches_cpu() {
    assert_same_training("spiral", &with_epochs(presets::spiral(), 20));
}

#[test]
fn circle_sgd_momentum_matches_cpu() {
    assert_same_training("circle", &with_epochs(presets::circle(), 20));
}

#[test]
fn every_activation_matches_cpu() {
    for activation in [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::LeakyRelu,
        Activation::Gelu,
        Activation::Linear,
    ] {
        let mut spec = with_epochs(presets::keras_iris(), 5);
        spec.layers = vec![
            LayerSpec::Dense {
                units: 16,
                activation,
            },
            LayerSpec::Dense {
                units: 7,
                activation,
            },
        ];
        assert_same_training(&format!("{activation:?}"), &spec);
    }
}

#[test]
fn rmsprop_mse_matches_cpu() {
    let mut spec = with_epochs(presets::iris_test_split(), 10);
    spec.loss = Loss::MeanSquaredError;
    spec.optimizer = OptimizerSpec::Rmsprop {
        learning_rate: 0.001,
        rho: 0.9,
        epsilon: 1e-7,
        momentum: 0.5,
    };
    assert_same_training("rmsprop-mse", &spec);
}

#[test]
fn tiled_matmul_matches_cpu() {
    // lavapipe is a software adapter, so the trainer would pick the other variant: this runs
    // the one that hardware adapters get. A short last batch (7), an output width that is not
    // a multiple of 4 (3 classes), and a conv net whose products have 9-value patches.
    let mut iris = with_epochs(presets::keras_iris(), 3);
    iris.batch_size = 7;
    let mut conv = with_epochs(presets::digits_conv(), 2);
    conv.batch_size = 16;
    for (name, spec, text) in [
        ("iris", iris, None),
        ("spiral", with_epochs(presets::spiral(), 5), None),
        ("digits-conv", conv, Some(DIGITS)),
    ] {
        let mut gpu = block_on(Gpu::new(true)).expect("a Vulkan adapter");
        assert_eq!(
            gpu.matmul,
            MatmulVariant::Registers,
            "lavapipe is a software adapter"
        );
        gpu.matmul = MatmulVariant::Tiled;
        let gpu_run = gpu_history_on(gpu, &spec, text);
        assert_same_metrics(name, &gpu_run, &cpu_history(&spec, text));
    }
}

#[test]
fn odd_batch_sizes_match_cpu() {
    // 150 rows in batches of 7 and 257: a short last batch, and one batch larger than the data.
    for batch_size in [1, 7, 257] {
        let mut spec = with_epochs(presets::keras_iris(), 3);
        spec.batch_size = batch_size;
        assert_same_training(&format!("batch {batch_size}"), &spec);
    }
}

#[test]
fn dropout_trains_on_gpu() {
    // Dropout masks come from different generators on the two paths, so only learning is
    // checked here, not equality.
    let mut spec = with_epochs(presets::keras_iris(), 30);
    spec.layers.insert(1, LayerSpec::Dropout { rate: 0.2 });
    let history = gpu_history(&spec, None);
    let (first, last) = (&history[0], history.last().unwrap());
    assert!(last.train_loss < first.train_loss, "{history:?}");
    assert!(last.train_accuracy.unwrap() > 0.8, "{last:?}");
}

#[test]
fn gpu_weights_resume_on_cpu() {
    let spec = presets::keras_iris();
    let gpu = block_on(Gpu::new(true)).expect("a Vulkan adapter");
    let mut trainer = GpuTrainer::new(&spec, gpu).unwrap();
    for _ in 0..4 {
        let pending = trainer.train_epoch().unwrap().unwrap();
        let result = block_on(pending);
        trainer.record(&result);
    }
    let values = block_on(trainer.reader().read()).unwrap();
    let mut cpu = Trainer::resume(&spec, None, &values, 4).unwrap();
    assert_eq!(cpu.epoch(), 4);
    let metrics = cpu.train_epoch().unwrap().expect("epochs remain");
    assert_eq!(metrics.epoch, 5);
    // The weights carried over: the resumed loss is close to the GPU run's last loss, far
    // below an untrained network's.
    let gpu_last = trainer.history().last().unwrap().train_loss;
    let fresh = Trainer::new(&spec)
        .unwrap()
        .train_epoch()
        .unwrap()
        .unwrap()
        .train_loss;
    assert!(
        metrics.train_loss < gpu_last * 1.1,
        "resumed {} vs GPU {gpu_last}",
        metrics.train_loss
    );
    assert!(
        metrics.train_loss < fresh * 0.8,
        "resumed {} vs fresh {fresh}",
        metrics.train_loss
    );
}

#[test]
fn checkpoint_matches_device_buffers() {
    // Momentum SGD keeps one state buffer per tensor and Adam two; batch normalization adds
    // stored tensors that are not trained.
    let mut iris = with_epochs(presets::keras_iris(), 3);
    iris.layers.insert(1, LayerSpec::BatchNorm);
    for (name, spec) in [("adam", iris), ("sgd", with_epochs(presets::circle(), 3))] {
        let gpu = block_on(Gpu::new(true)).expect("a Vulkan adapter");
        let mut trainer = GpuTrainer::new(&spec, gpu).unwrap();
        assert_eq!(
            trainer.checkpoint(),
            None,
            "{name}: checkpoint before the first epoch"
        );
        for _ in 0..3 {
            let pending = trainer.train_epoch().unwrap().unwrap();
            let result = block_on(pending);
            trainer.record(&result);
            result.unwrap();
        }
        let checkpoint = trainer.checkpoint().expect("a checkpoint after 3 epochs");
        assert_eq!(checkpoint.epoch, 3, "{name}: epoch");
        let values = block_on(trainer.reader().read()).unwrap();
        assert_eq!(checkpoint.values, values, "{name}: values");
        let optimizer = block_on(trainer.optimizer_reader().read()).unwrap();
        assert_eq!(checkpoint.optimizer, optimizer, "{name}: optimizer state");
    }
}

#[test]
fn lost_device_fails_with_gpu_error() {
    let spec = presets::keras_iris();
    let gpu = block_on(Gpu::new(true)).expect("a Vulkan adapter");
    let mut trainer = GpuTrainer::new(&spec, gpu).unwrap();
    let pending = trainer.train_epoch().unwrap().unwrap();
    let result = block_on(pending);
    trainer.record(&result);
    assert!(result.is_ok(), "{result:?}");

    trainer.destroy_device();
    // The checkpoint of epoch 1 is on the host, so the device's loss leaves it readable.
    assert_eq!(
        trainer.checkpoint().map(|checkpoint| checkpoint.epoch),
        Some(1)
    );
    // The next epoch and the read-backs fail with a GPU error instead of panicking, so the page
    // can switch to the CPU.
    let epoch = trainer.train_epoch().and_then(|pending| {
        let pending = pending.expect("epochs remain");
        block_on(pending)
    });
    assert!(
        matches!(epoch, Err(PlaygroundError::Gpu { .. })),
        "{epoch:?}"
    );
    let values = block_on(trainer.reader().read());
    assert!(
        matches!(values, Err(PlaygroundError::Gpu { .. })),
        "{values:?}"
    );
}

#[test]
fn huber_adamw_matches_cpu() {
    let mut spec = with_epochs(presets::iris_test_split(), 10);
    spec.loss = Loss::Huber;
    spec.huber_delta = 0.5;
    spec.optimizer = OptimizerSpec::Adamw {
        learning_rate: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
        weight_decay: 0.05,
    };
    assert_same_training("huber-adamw", &spec);
}

#[test]
fn regularizer_matches_cpu() {
    for (l1, l2) in [(0.01, 0.0), (0.0, 0.01), (0.001, 0.005)] {
        let mut spec = with_epochs(presets::iris_test_split(), 10);
        spec.kernel_regularizer = KernelRegularizer { l1, l2 };
        assert_same_training(&format!("l1 {l1} l2 {l2}"), &spec);
        let cpu = cpu_history(&spec, None);
        assert!(cpu[0].train_penalty > 0.0, "l1 {l1} l2 {l2}: {cpu:?}");
    }
}

#[test]
fn schedules_match_cpu() {
    let decays = [
        Decay::Step {
            factor: 0.5,
            step_epochs: 3,
        },
        Decay::Cosine { alpha: 0.1 },
    ];
    for decay in decays {
        let mut spec = with_epochs(presets::circle(), 12);
        spec.schedule = ScheduleSpec {
            decay,
            warmup_epochs: 2,
        };
        assert_same_training(&format!("{decay:?}"), &spec);
    }
}

#[test]
fn digits_conv_matches_cpu() {
    // Conv2D "same" 3×3 with ReLU as the first layer (no input gradient), max pooling, a second
    // convolution whose gradient is folded back, Flatten and Dense.
    let mut spec = with_epochs(presets::digits_conv(), 3);
    spec.batch_size = 16;
    assert_same_training_on("digits-conv", &spec, Some(DIGITS));
}

#[test]
fn pooling_and_strided_conv_match_cpu() {
    // A leading average pooling with overlapping windows (its input needs no gradient), an
    // even "same" kernel with stride 2, a "valid" kernel, max pooling with a stride larger than
    // its window, so that some values get no gradient, and dropout-free dense output.
    let conv = |filters, kernel_size, stride, padding, activation| LayerSpec::Conv2d {
        filters,
        kernel_size,
        stride,
        padding,
        activation,
    };
    let mut spec = with_epochs(presets::digits_conv(), 3);
    spec.batch_size = 50;
    spec.layers = vec![
        LayerSpec::AvgPool2d {
            pool_size: 2,
            stride: Some(1),
        },
        conv(6, 2, 2, Padding::Same, Activation::Tanh),
        conv(5, 3, 1, Padding::Valid, Activation::LeakyRelu),
        LayerSpec::MaxPool2d {
            pool_size: 1,
            stride: Some(2),
        },
        LayerSpec::Flatten,
        LayerSpec::Dense {
            units: 16,
            activation: Activation::Gelu,
        },
    ];
    assert_same_training_on("pooling-strided-conv", &spec, Some(DIGITS));
}

#[test]
fn gpu_conv_weights_resume_on_cpu() {
    let mut spec = with_epochs(presets::digits_conv(), 3);
    spec.batch_size = 64;
    let gpu = block_on(Gpu::new(true)).expect("a Vulkan adapter");
    let mut trainer = GpuTrainer::with_parameters(&spec, Some(DIGITS), gpu, None).unwrap();
    for _ in 0..2 {
        let pending = trainer.train_epoch().unwrap().unwrap();
        let result = block_on(pending);
        trainer.record(&result);
        result.expect("GPU epoch succeeds");
    }
    let values = block_on(trainer.reader().read()).unwrap();
    // Kernel and bias of each Conv2D and Dense layer, in the order of the model file.
    let shapes: Vec<usize> = values.iter().map(Vec::len).collect();
    assert_eq!(
        shapes,
        [
            9 * 16,
            16,
            9 * 16 * 32,
            32,
            2 * 2 * 32 * 64,
            64,
            64 * 10,
            10
        ]
    );

    // The same two epochs on the CPU end at nearly the same weights.
    let mut reference = Trainer::with_text(&spec, Some(DIGITS)).unwrap();
    reference.train_epoch().unwrap();
    reference.train_epoch().unwrap();
    for (index, (gpu_tensor, cpu_tensor)) in values
        .iter()
        .zip(reference.network().parameter_values())
        .enumerate()
    {
        let largest = gpu_tensor
            .iter()
            .zip(&cpu_tensor)
            .map(|(g, c)| (g - c).abs())
            .fold(0.0f32, f32::max);
        assert!(
            largest < 1e-3,
            "tensor {index}: GPU and CPU weights differ by {largest}"
        );
    }

    // The conv kernels' optimizer buffers come back in the CPU optimizer's layout.
    let state = block_on(trainer.optimizer_reader().read()).unwrap();
    assert_state_close("digits-conv", &spec, &state, &reference.optimizer_state());

    // Training resumes on the CPU from the GPU's weights, with the optimizer state started
    // afresh: the next loss stays near the GPU run's last loss, far below an untrained
    // network's.
    let mut cpu = Trainer::resume(&spec, Some(DIGITS), &values, 2).unwrap();
    assert_eq!(cpu.epoch(), 2);
    let metrics = cpu.train_epoch().unwrap().expect("epochs remain");
    assert_eq!(metrics.epoch, 3);
    let gpu_last = trainer.history().last().unwrap().train_loss;
    let fresh = Trainer::with_text(&spec, Some(DIGITS))
        .unwrap()
        .train_epoch()
        .unwrap()
        .unwrap()
        .train_loss;
    assert!(
        metrics.train_loss < gpu_last * 1.1,
        "resumed {} vs GPU {gpu_last}",
        metrics.train_loss
    );
    assert!(
        metrics.train_loss < fresh * 0.8,
        "resumed {} vs fresh {fresh}",
        metrics.train_loss
    );
}

#[test]
fn normalized_conv_net_matches_cpu() {
    // BatchNormalization over conv channels and over dense units, whose moving statistics the
    // test loss reads, and LayerNormalization over each position's channels.
    let conv = |filters| LayerSpec::Conv2d {
        filters,
        kernel_size: 3,
        stride: 1,
        padding: Padding::Same,
        activation: Activation::Relu,
    };
    let mut spec = with_epochs(presets::digits_conv(), 3);
    spec.batch_size = 32;
    spec.layers = vec![
        conv(8),
        LayerSpec::BatchNorm,
        LayerSpec::MaxPool2d {
            pool_size: 2,
            stride: None,
        },
        conv(8),
        LayerSpec::LayerNorm,
        LayerSpec::Flatten,
        LayerSpec::Dense {
            units: 16,
            activation: Activation::Relu,
        },
        LayerSpec::BatchNorm,
    ];
    assert_same_training_on("normalized-conv", &spec, Some(DIGITS));
}

#[test]
fn leading_normalization_matches_cpu() {
    // A normalization layer first, whose input needs no gradient, on flat rows with a test
    // split and a short last batch.
    for first in [LayerSpec::BatchNorm, LayerSpec::LayerNorm] {
        let mut spec = with_epochs(presets::iris_test_split(), 10);
        spec.batch_size = 7;
        spec.layers = vec![
            first.clone(),
            LayerSpec::Dense {
                units: 16,
                activation: Activation::Tanh,
            },
            LayerSpec::LayerNorm,
        ];
        assert_same_training(first.display_name(), &spec);
    }
}

#[test]
fn huber_regression_matches_cpu() {
    let mut spec = with_epochs(presets::plane(), 8);
    spec.loss = Loss::Huber;
    spec.huber_delta = 0.05;
    spec.kernel_regularizer = KernelRegularizer { l1: 0.0, l2: 0.001 };
    assert_same_training("plane huber", &spec);
}

#[test]
fn gpu_batch_norm_statistics_resume_on_cpu() {
    // The moving statistics come back with gamma and beta, in the model file's order, and
    // match the CPU path's after the same epochs.
    let mut spec = with_epochs(presets::iris_test_split(), 3);
    spec.layers = vec![
        LayerSpec::Dense {
            units: 8,
            activation: Activation::Relu,
        },
        LayerSpec::BatchNorm,
    ];
    let gpu = block_on(Gpu::new(true)).expect("a Vulkan adapter");
    let mut trainer = GpuTrainer::new(&spec, gpu).unwrap();
    for _ in 0..2 {
        let pending = trainer.train_epoch().unwrap().unwrap();
        let result = block_on(pending);
        trainer.record(&result);
        result.expect("GPU epoch succeeds");
    }
    let values = block_on(trainer.reader().read()).unwrap();
    let mut reference = Trainer::new(&spec).unwrap();
    reference.train_epoch().unwrap();
    reference.train_epoch().unwrap();
    let expected = reference.network().parameter_values();
    let lengths: Vec<usize> = values.iter().map(Vec::len).collect();
    assert_eq!(lengths, [4 * 8, 8, 8, 8, 8, 8, 8 * 3, 3]);
    for (index, (gpu_tensor, cpu_tensor)) in values.iter().zip(&expected).enumerate() {
        for (g, c) in gpu_tensor.iter().zip(cpu_tensor) {
            assert!(
                (g - c).abs() <= 1e-4 * c.abs().max(1.0),
                "tensor {index}: GPU {gpu_tensor:?}, CPU {cpu_tensor:?}"
            );
        }
    }
    // Moving variance started at 1 and moved, so the statistics were updated on the device.
    assert!(
        values[5].iter().any(|&v| (v - 1.0).abs() > 1e-3),
        "{:?}",
        values[5]
    );

    let mut cpu = Trainer::resume(&spec, None, &values, 2).unwrap();
    let metrics = cpu.train_epoch().unwrap().expect("epochs remain");
    assert_eq!(metrics.epoch, 3);
    assert!(metrics.test_loss.unwrap().is_finite());
}

#[test]
fn conv_penalty_matches_cpu() {
    // The kernel penalty covers Conv2D kernels as well as Dense ones, on both paths.
    let mut spec = with_epochs(presets::digits_conv(), 2);
    spec.batch_size = 64;
    spec.kernel_regularizer = KernelRegularizer {
        l1: 0.0005,
        l2: 0.001,
    };
    assert_same_training_on("digits-conv penalty", &spec, Some(DIGITS));
}

/// A WebGPU run stopped after `stop` epochs and continued on the CPU.
struct Switched {
    /// The WebGPU epochs, then the CPU epochs.
    history: Vec<EpochMetrics>,
    /// The optimizer state read back from the device at the switch.
    state: OptimizerState,
}

/// Trains `stop` epochs of `spec` on WebGPU, reads the weights and the optimizer state back
/// and trains the remaining epochs on the CPU, from the state when `carry_state` and from zero
/// state otherwise.
fn switch_to_cpu(spec: &NetworkSpec, stop: usize, carry_state: bool) -> Switched {
    let gpu = block_on(Gpu::new(true)).expect("a Vulkan adapter");
    let mut trainer = GpuTrainer::new(spec, gpu).unwrap();
    for _ in 0..stop {
        let pending = trainer.train_epoch().unwrap().unwrap();
        let result = block_on(pending);
        trainer.record(&result);
        result.expect("GPU epoch succeeds");
    }
    let values = block_on(trainer.reader().read()).unwrap();
    let state = block_on(trainer.optimizer_reader().read()).unwrap();
    let carried = carry_state.then_some(&state);
    let mut cpu = Trainer::resume_with_state(spec, None, &values, stop, carried).unwrap();
    while cpu.train_epoch().unwrap().is_some() {}
    let mut history = trainer.history().to_vec();
    history.extend_from_slice(cpu.history());
    Switched { history, state }
}

/// Largest relative difference of the training losses from epoch `from` (0-based) on.
fn largest_loss_difference(got: &[EpochMetrics], expected: &[EpochMetrics], from: usize) -> f64 {
    got[from..]
        .iter()
        .zip(&expected[from..])
        .map(|(g, c)| (g.train_loss - c.train_loss).abs() / c.train_loss.abs().max(1e-3))
        .fold(0.0, f64::max)
}

/// Specs with a rule that keeps state, each with the epoch after which WebGPU stops.
fn stateful_runs() -> Vec<(&'static str, NetworkSpec, usize)> {
    let mut adam = with_epochs(presets::iris_test_split(), 8);
    adam.optimizer = OptimizerSpec::Adam {
        learning_rate: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
    };
    let mut adamw = adam.clone();
    adamw.optimizer = OptimizerSpec::Adamw {
        learning_rate: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
        weight_decay: 0.05,
    };
    // The circle preset trains with SGD and momentum 0.9.
    let sgd = with_epochs(presets::circle(), 8);
    let mut rmsprop = with_epochs(presets::iris_test_split(), 8);
    rmsprop.optimizer = OptimizerSpec::Rmsprop {
        learning_rate: 0.001,
        rho: 0.9,
        epsilon: 1e-7,
        momentum: 0.5,
    };
    // The rate of each epoch depends on its index and on the run's length, which the CPU
    // trainer takes from the epochs done and the spec.
    let mut scheduled = with_epochs(presets::circle(), 10);
    scheduled.schedule = ScheduleSpec {
        decay: Decay::Cosine { alpha: 0.1 },
        warmup_epochs: 2,
    };
    let mut scheduled_adam = adam.clone();
    scheduled_adam.schedule = ScheduleSpec {
        decay: Decay::Step {
            factor: 0.5,
            step_epochs: 2,
        },
        warmup_epochs: 1,
    };
    vec![
        ("adam", adam, 3),
        ("adamw", adamw, 3),
        ("sgd momentum", sgd, 3),
        ("rmsprop momentum", rmsprop, 3),
        ("sgd warm-up cosine", scheduled, 4),
        ("adam warm-up step", scheduled_adam, 2),
    ]
}

#[test]
fn gpu_optimizer_state_resumes_on_cpu() {
    for (name, spec, stop) in stateful_runs() {
        let cpu = cpu_history(&spec, None);
        let switched = switch_to_cpu(&spec, stop, true);
        assert_same_metrics(name, &switched.history, &cpu);

        // Without the state, the optimizer restarts from zero and the epochs after the switch
        // move away from the uninterrupted run.
        let fresh = switch_to_cpu(&spec, stop, false);
        let difference = largest_loss_difference(&fresh.history, &cpu, stop);
        assert!(
            difference > 100.0 * TOLERANCE,
            "{name}: restarting the optimizer changed the losses by only {difference}"
        );
    }
}

#[test]
fn gpu_optimizer_state_matches_cpu() {
    // The device's buffers hold the values dfdx's kernels keep on the CPU, in the order that
    // `state_buffer_names` gives, after the same batches.
    for (name, spec, stop) in stateful_runs() {
        let state = switch_to_cpu(&spec, stop, true).state;
        let mut reference = Trainer::new(&spec).unwrap();
        for _ in 0..stop {
            reference.train_epoch().unwrap();
        }
        assert_state_close(name, &spec, &state, &reference.optimizer_state());
    }
}

/// Compares the optimizer state read back from the device with the CPU optimizer's after the
/// same batches: the same step count, and every buffer within 1e-3 of its largest entry,
/// since entries near zero differ by rounding only.
fn assert_state_close(name: &str, spec: &NetworkSpec, gpu: &OptimizerState, cpu: &OptimizerState) {
    assert_eq!(gpu.step, cpu.step, "{name}: step count");
    assert_eq!(gpu.buffers.len(), cpu.buffers.len(), "{name}: tensors");
    let names = state_buffer_names(&spec.optimizer);
    for (index, (gpu_tensor, cpu_tensor)) in gpu.buffers.iter().zip(&cpu.buffers).enumerate() {
        assert_eq!(gpu_tensor.len(), names.len(), "{name}: buffers per tensor");
        for ((buffer, gpu_values), cpu_values) in names.iter().zip(gpu_tensor).zip(cpu_tensor) {
            assert_eq!(gpu_values.len(), cpu_values.len());
            let scale = cpu_values.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(scale > 0.0, "{name}: tensor {index} {buffer} stayed zero");
            let largest = gpu_values
                .iter()
                .zip(cpu_values)
                .map(|(g, c)| (g - c).abs())
                .fold(0.0f32, f32::max);
            assert!(
                largest <= 1e-3 * scale,
                "{name}: tensor {index} {buffer} differs by {largest} (largest entry {scale})"
            );
        }
    }
}
