//! Ready-made specs that the page offers in its preset menu.

use crate::spec::{
    Activation, DataSet, DataSpec, LayerSpec, Loss, NetworkSpec, OptimizerSpec, Padding,
};
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
            validation_percent: 0.0,
            noise: 0.0,
            samples: 150,
            standardize: true,
            csv: None,
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
            validation_percent: 0.0,
            noise: 0.0,
            samples: 500,
            standardize: false,
            csv: None,
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
            validation_percent: 0.0,
            noise: 10.0,
            samples: 500,
            standardize: false,
            csv: None,
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

/// One hidden layer of 128 ReLU units on the 8x8 digit images (pixels scaled to 0..1, not
/// standardized), Adam, batch 64, 20 epochs, with a seeded 20% test split.
pub fn digits() -> NetworkSpec {
    NetworkSpec {
        data: DataSpec {
            set: DataSet::Digits,
            train_percent: 80.0,
            validation_percent: 0.0,
            noise: 0.0,
            samples: 500,
            standardize: false,
            csv: None,
        },
        layers: vec![dense(128, Activation::Relu)],
        loss: Loss::CrossEntropy,
        optimizer: adam(0.001),
        batch_size: 64,
        epochs: 20,
        seed: 0,
    }
}

/// A small convolutional network on the 8x8 digit images: two 3x3 Conv2D layers with "same"
/// padding and 2x2 max pooling after each, then Flatten and Dense 64 ReLU, Adam, batch 32,
/// 15 epochs, with the seeded 20% test split of the digits preset.
pub fn digits_conv() -> NetworkSpec {
    let conv = |filters| LayerSpec::Conv2d {
        filters,
        kernel_size: 3,
        stride: 1,
        padding: Padding::Same,
        activation: Activation::Relu,
    };
    let pool = LayerSpec::MaxPool2d {
        pool_size: 2,
        stride: None,
    };
    NetworkSpec {
        layers: vec![
            conv(16),
            pool.clone(),
            conv(32),
            pool,
            LayerSpec::Flatten,
            dense(64, Activation::Relu),
        ],
        batch_size: 32,
        epochs: 15,
        ..digits()
    }
}

/// The 13 standardized wine measurements through one layer of 16 ReLU units, with a seeded 20%
/// test split.
pub fn wine() -> NetworkSpec {
    NetworkSpec {
        data: DataSpec {
            set: DataSet::Wine,
            train_percent: 80.0,
            validation_percent: 0.0,
            noise: 0.0,
            samples: 500,
            standardize: true,
            csv: None,
        },
        layers: vec![dense(16, Activation::Relu)],
        loss: Loss::CrossEntropy,
        optimizer: adam(0.001),
        batch_size: 16,
        epochs: 50,
        seed: 0,
    }
}

/// Malignant or benign from the 30 standardized breast cancer features: one layer of 16 ReLU
/// units and a single sigmoid output with binary cross-entropy, with a seeded 20% test split.
pub fn breast_cancer() -> NetworkSpec {
    NetworkSpec {
        data: DataSpec {
            set: DataSet::BreastCancer,
            train_percent: 80.0,
            validation_percent: 0.0,
            noise: 0.0,
            samples: 500,
            standardize: true,
            csv: None,
        },
        layers: vec![dense(16, Activation::Relu)],
        loss: Loss::BinaryCrossEntropy,
        optimizer: adam(0.001),
        batch_size: 32,
        epochs: 30,
        seed: 0,
    }
}

/// TensorFlow Playground's plane regression: one real-valued target, (x + y) / 10, learned by
/// a small tanh network with mean squared error and a linear output, holding out 20% for
/// testing and 10% of the training rows for validation.
pub fn plane() -> NetworkSpec {
    NetworkSpec {
        data: DataSpec {
            set: DataSet::Plane,
            train_percent: 80.0,
            validation_percent: 10.0,
            noise: 0.0,
            samples: 500,
            standardize: true,
            csv: None,
        },
        layers: vec![dense(8, Activation::Tanh)],
        loss: Loss::MeanSquaredError,
        optimizer: adam(0.01),
        batch_size: 10,
        epochs: 30,
        seed: 0,
    }
}

/// Adam with Keras's default constants.
fn adam(learning_rate: f64) -> OptimizerSpec {
    OptimizerSpec::Adam {
        learning_rate,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
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
        Preset {
            id: "wine",
            spec: wine(),
        },
        Preset {
            id: "breast-cancer",
            spec: breast_cancer(),
        },
        Preset {
            id: "plane",
            spec: plane(),
        },
        Preset {
            id: "digits",
            spec: digits(),
        },
        Preset {
            id: "digits-conv",
            spec: digits_conv(),
        },
    ]
}
