//! The WebGPU path trains the same epochs as the CPU path. Natively the kernels run on Vulkan;
//! CI installs Mesa's lavapipe for that, and these tests fail, not skip, without an adapter.
#![cfg(not(target_arch = "wasm32"))]

use dfdx_playground::gpu::context::block_on;
use dfdx_playground::gpu::{Gpu, GpuTrainer};
use dfdx_playground::presets;
use dfdx_playground::spec::{Activation, LayerSpec, Loss, OptimizerSpec};
use dfdx_playground::{EpochMetrics, NetworkSpec, Trainer};

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
    assert_eq!(gpu.len(), cpu.len(), "{name}: epoch count");
    for (g, c) in gpu.iter().zip(&cpu) {
        assert_eq!(g.epoch, c.epoch, "{name}: epoch numbering");
        assert_close(name, c.epoch, "training loss", g.train_loss, c.train_loss);
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
    assert!(
        gpu.last().unwrap().train_loss < gpu[0].train_loss,
        "{name}: GPU loss did not fall: {gpu:?}"
    );
}

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
