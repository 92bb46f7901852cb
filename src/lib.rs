//! dfdx-playground: dense networks that a web page edits at run time, built and trained with
//! dfdx on runtime-shaped tensors. The core is free of the DOM and is tested natively; `web`
//! holds every `#[wasm_bindgen]` item.

pub mod codegen;
pub mod csv;
pub mod data;
pub mod error;
pub mod gpu;
pub mod image_ops;
pub mod model_file;
pub mod network;
pub mod optimizer;
pub mod presets;
pub mod regularizer;
pub mod rng;
pub mod schedule;
pub mod spec;
pub mod train;
pub mod views;

#[cfg(all(
    target_arch = "wasm32",
    any(feature = "web-training", feature = "web-tools", feature = "web-gpu")
))]
pub mod web;

pub use error::PlaygroundError;
pub use spec::NetworkSpec;
pub use train::{EpochMetrics, Trainer};
