//! Training on WebGPU with kernels of our own: dfdx 0.13 has no WebGPU device. Each kernel is a
//! WGSL file in `kernels/` with a CPU twin in `twins.rs`, and tests compare the two.

pub mod context;
pub mod kernels;
pub mod trainer;
pub mod twins;

pub use context::{Gpu, Kernel};
pub use trainer::GpuTrainer;
