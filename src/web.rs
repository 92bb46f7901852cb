//! The wasm API: every `#[wasm_bindgen]` item. The page builds it into three modules from one
//! crate (scripts/build.sh), so that the module every visit loads stays small. `training`
//! builds, trains and inspects networks on the CPU, and every visit loads it. `webgpu` trains
//! on WebGPU, and the Worker imports it when it first picks that backend. `tools` contains the
//! code export and model files, which the Worker imports when the code panel first comes into
//! view or a visitor saves or loads a model file. Values and errors cross the boundary through
//! `convert`.

mod convert;
#[cfg(feature = "web-tools")]
pub mod tools;
#[cfg(feature = "web-training")]
mod training;
#[cfg(feature = "web-gpu")]
mod webgpu;

#[cfg(feature = "web-training")]
pub use training::*;
#[cfg(feature = "web-gpu")]
pub use webgpu::*;
