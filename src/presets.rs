//! Ready-made specs that the page offers in its preset menu.

use crate::spec::{Activation, DataSet, DataSpec, LayerSpec, Loss, NetworkSpec, OptimizerSpec};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preset {
    /// Stable identifier, used in URLs and translated into a title by the page.
    pub id: &'static str,
    pub spec: NetworkSpec,
}

fn dense(units: i64, activation: Activation) -> LayerSpec {
    LayerSpec::Dense { units, activation }
}

/// The classic Keras tutorial run on Iris: every row standardized and used for training,
/// Dense 64 ReLU, Dense 64 ReLU, Dense 3 softmax, Adam with Keras's defaults, sparse
/// categorical cross-entropy, batch 32, 10 epochs.
pub fn keras_iris() -> NetworkSpec {
    NetworkSpec {
        data: DataSpec {
            set: DataSet::Iris,
            train_percent: 100.0,
            noise: 0.0,
            samples: 150,
            standardize: true,
        },
        layers: vec![dense(64, Activation::Relu), dense(64, Activation::Relu)],
        loss: Loss::CrossEntropy,
        optimizer: OptimizerSpec::Adam {
            learning_rate: 0.001,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-7,
        },
        batch_size: 32,
        epochs: 10,
        seed: 0,
    }
}

/// The same network with a seeded 20% test split (the scaler sees only the training rows),
/// trained for 100 epochs.
pub fn iris_test_split() -> NetworkSpec {
    let mut spec = keras_iris();
    spec.data.train_percent = 80.0;
    spec.epochs = 100;
    spec
}

/// TensorFlow Playground's two spirals with a small tanh network and plain SGD.
pub fn spiral() -> NetworkSpec {
    NetworkSpec {
        data: DataSpec {
            set: DataSet::Spiral,
            train_percent: 50.0,
            noise: 0.0,
            samples: 500,
            standardize: false,
        },
        layers: vec![
            dense(8, Activation::Tanh),
            dense(8, Activation::Tanh),
            dense(8, Activation::Tanh),
        ],
        loss: Loss::BinaryCrossEntropy,
        optimizer: OptimizerSpec::Adam {
            learning_rate: 0.01,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-7,
        },
        batch_size: 10,
        epochs: 200,
        seed: 0,
    }
}

/// TensorFlow Playground's circle set with one small ReLU layer.
pub fn circle() -> NetworkSpec {
    NetworkSpec {
        data: DataSpec {
            set: DataSet::Circle,
            train_percent: 50.0,
            noise: 10.0,
            samples: 500,
            standardize: false,
        },
        layers: vec![dense(8, Activation::Relu)],
        loss: Loss::BinaryCrossEntropy,
        optimizer: OptimizerSpec::Sgd {
            learning_rate: 0.03,
            momentum: 0.9,
        },
        batch_size: 10,
        epochs: 50,
        seed: 0,
    }
}

pub fn all() -> Vec<Preset> {
    vec![
        Preset {
            id: "keras-iris",
            spec: keras_iris(),
        },
        Preset {
            id: "iris-test-split",
            spec: iris_test_split(),
        },
        Preset {
            id: "circle",
            spec: circle(),
        },
        Preset {
            id: "spiral",
            spec: spiral(),
        },
    ]
}
