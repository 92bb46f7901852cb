//! The wasm API: every `#[wasm_bindgen]` item. The page builds it into two modules from one crate
//! (scripts/build.sh). `training` builds, trains and inspects networks, and every visit loads
//! it. `tools` holds the code export and model files, which the Worker imports only when the
//! code panel first comes into view or a visitor saves or loads a model file, so that the first
//! module stays small. Values and errors cross the boundary through `convert`.

mod convert;
#[cfg(feature = "web-tools")]
pub mod tools;
#[cfg(feature = "web-training")]
mod training;

#[cfg(feature = "web-training")]
pub use training::*;
