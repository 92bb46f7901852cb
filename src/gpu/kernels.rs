//! WGSL sources of the training kernels and the uniform structs they read at binding 0. Each
//! struct matches its WGSL declaration field for field and is padded to a multiple of 16 bytes,
//! which every backend's uniform layout accepts (D3D12 constant buffers come in 16-byte
//! registers). `twins.rs` has a CPU version of every entry point, and each WGSL file documents
//! its bindings, workgroup size and dispatch.

/// Includes a WGSL file with its `//` comments and indentation and trailing blanks removed at
/// compile time,
/// which took 7.2 KB off the gzipped (gzip -9) module that scripts/build.sh wrote. Every line
/// break stays, so line numbers in shader compile errors still match the file.
macro_rules! wgsl {
    ($path:literal) => {{
        const SOURCE: &[u8] = include_bytes!($path);
        const LEN: usize = strip_comments::<0>(SOURCE).1;
        const CODE: [u8; LEN] = strip_comments::<LEN>(SOURCE).0;
        match std::str::from_utf8(&CODE) {
            Ok(code) => code,
            Err(_) => panic!(concat!($path, " is not UTF-8")),
        }
    }};
}

/// Matrix product for any shape: entry point `main`, uniform [`MatmulParams`].
pub const MATMUL: &str = wgsl!("kernels/matmul.wgsl");
/// Matrix product on vec4 reads, for the shapes that [`matmul_vec4_entry`] accepts: entry
/// points `nn`, `tn` and `nt`, uniform [`MatmulParams`].
pub const MATMUL_VEC4: &str = wgsl!("kernels/matmul_vec4.wgsl");
/// Matrix product through tiles in workgroup memory, for any shape: entry point `main`,
/// uniform [`MatmulParams`].
pub const MATMUL_TILED: &str = wgsl!("kernels/matmul_tiled.wgsl");
/// Bias addition and bias gradient: entry points `add_bias` and `bias_grad`, uniform
/// [`ShapeParams`].
pub const BIAS: &str = wgsl!("kernels/bias.wgsl");
/// Activation functions: entry points `forward` and `backward`, uniform [`ActivationParams`].
pub const ACTIVATION: &str = wgsl!("kernels/activation.wgsl");
/// Inverted dropout: entry points `forward` and `backward`, uniform [`DropoutParams`].
pub const DROPOUT: &str = wgsl!("kernels/dropout.wgsl");
/// Loss, its gradient and per-row statistics: entry point `main`, uniform [`LossParams`].
pub const LOSS: &str = wgsl!("kernels/loss.wgsl");
/// Sum of per-row statistics into epoch totals: entry point `main`, uniform [`ReduceParams`].
pub const REDUCE: &str = wgsl!("kernels/reduce.wgsl");
/// Optimizer updates: entry points `sgd`, `adam` and `rmsprop`, uniform [`OptimizerParams`].
pub const OPTIMIZER: &str = wgsl!("kernels/optimizer.wgsl");
/// Kernel penalty and its gradient: entry point `main`, uniform [`PenaltyParams`].
pub const PENALTY: &str = wgsl!("kernels/penalty.wgsl");
/// Batch gathering from the shuffled training set: entry point `main`, uniform
/// [`GatherParams`].
pub const GATHER: &str = wgsl!("kernels/gather.wgsl");
/// Convolution input unfolding (im2col) and its backward pass (col2im): entry points `unfold`
/// and `fold`, uniform [`WindowParams`].
pub const UNFOLD: &str = wgsl!("kernels/unfold.wgsl");
/// Max pooling with the chosen index per window: entry points `forward` and `backward`,
/// uniform [`WindowParams`].
pub const MAX_POOL: &str = wgsl!("kernels/max_pool.wgsl");
/// Average pooling: entry points `forward` and `backward`, uniform [`WindowParams`].
pub const AVERAGE_POOL: &str = wgsl!("kernels/average_pool.wgsl");
/// Batch normalization: entry points `statistics`, `forward` and `backward`, uniform
/// [`NormParams`].
pub const BATCH_NORM: &str = wgsl!("kernels/batch_norm.wgsl");
/// Layer normalization: entry points `forward` and `backward`, uniform [`NormParams`].
pub const LAYER_NORM: &str = wgsl!("kernels/layer_norm.wgsl");
/// Gradients of a normalization layer's gamma and beta: entry point `grad`, uniform
/// [`NormParams`].
pub const SCALE_SHIFT: &str = wgsl!("kernels/scale_shift.wgsl");

/// Copies `source` without `//` comments or the blanks at line starts and ends into the first
/// bytes of the array, and returns it with the stripped length. With `N` = 0 it only measures that
/// length. WGSL has no string literals, so every `//` starts a comment.
const fn strip_comments<const N: usize>(source: &[u8]) -> ([u8; N], usize) {
    let mut out = [0; N];
    let mut len = 0;
    let mut line_start = 0;
    while line_start < source.len() {
        let mut line_end = line_start;
        while line_end < source.len() && source[line_end] != b'\n' {
            line_end += 1;
        }
        let mut code_start = line_start;
        while code_start < line_end && matches!(source[code_start], b' ' | b'\t') {
            code_start += 1;
        }
        let mut code_end = code_start;
        while code_end < line_end
            && !(source[code_end] == b'/'
                && code_end + 1 < line_end
                && source[code_end + 1] == b'/')
        {
            code_end += 1;
        }
        while code_end > code_start && matches!(source[code_end - 1], b' ' | b'\t' | b'\r') {
            code_end -= 1;
        }
        let mut i = code_start;
        while i < code_end {
            if N > 0 {
                out[len] = source[i];
            }
            len += 1;
            i += 1;
        }
        if line_end < source.len() {
            if N > 0 {
                out[len] = b'\n';
            }
            len += 1;
        }
        line_start = line_end + 1;
    }
    (out, len)
}

/// Values of [`ActivationParams::kind`].
pub mod activation_kind {
    pub const LINEAR: u32 = 0;
    pub const RELU: u32 = 1;
    pub const SIGMOID: u32 = 2;
    pub const TANH: u32 = 3;
    pub const LEAKY_RELU: u32 = 4;
    pub const GELU: u32 = 5;
}

/// Values of [`LossParams::kind`].
pub mod loss_kind {
    pub const CROSS_ENTROPY: u32 = 0;
    pub const BINARY_CROSS_ENTROPY: u32 = 1;
    pub const MEAN_SQUARED_ERROR: u32 = 2;
    pub const HUBER: u32 = 3;
}

/// Matmul flag: operand A is stored transposed, as k×m.
pub const TRANSPOSE_A: u32 = 1;
/// Matmul flag: operand B is stored transposed, as n×k.
pub const TRANSPOSE_B: u32 = 2;

/// Outputs of C per `matmul.wgsl` workgroup along each axis (8 threads × 4 outputs).
pub const MATMUL_TILE: usize = 32;
/// Outputs of C per `matmul_vec4.wgsl` workgroup along each axis (8 threads × 8 outputs).
pub const MATMUL_VEC4_TILE: usize = 64;
/// Outputs of C per `matmul_tiled.wgsl` workgroup along each axis (16 threads × 4 outputs).
pub const MATMUL_TILED_TILE: usize = 64;

/// The matmul kernels a trainer runs, chosen by the kind of adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatmulVariant {
    /// `matmul_vec4.wgsl` for the shapes it takes and `matmul.wgsl` for the rest, with no
    /// workgroup memory: the fastest measured on software adapters (SwiftShader).
    Registers,
    /// `matmul_tiled.wgsl` for every shape: tiles in workgroup memory, as TensorFlow.js's
    /// WebGPU backend multiplies. Chosen for hardware adapters, where no timing exists yet.
    Tiled,
}

impl MatmulVariant {
    /// Returns the variant for a software adapter (`software`, such as SwiftShader or
    /// lavapipe) or a hardware one.
    pub fn for_adapter(software: bool) -> Self {
        if software {
            Self::Registers
        } else {
            Self::Tiled
        }
    }
}

/// Returns the `matmul_vec4.wgsl` entry point that computes `params`, or None when the product
/// needs `matmul.wgsl`. The vec4 kernels read the rows of each stored operand four values at a
/// time, so every row length they read whole must be divisible by 4. The batch's row count
/// never decides: it is m for `nn` and `nt` and k for `tn`, and those kernels take any value
/// there, so one choice holds for every batch of a layer.
pub fn matmul_vec4_entry(params: &MatmulParams) -> Option<&'static str> {
    let divisible = |value: u32| value.is_multiple_of(4);
    match params.flags {
        0 if divisible(params.k) && divisible(params.n) => Some("nn"),
        TRANSPOSE_A if divisible(params.m) && divisible(params.n) => Some("tn"),
        TRANSPOSE_B if divisible(params.k) && divisible(params.n) => Some("nt"),
        _ => None,
    }
}

/// Uniform of `matmul.wgsl`, `matmul_vec4.wgsl` and `matmul_tiled.wgsl`: C (m×n) = op(A)·op(B) with inner dimension k, and the
/// [`TRANSPOSE_A`] and [`TRANSPOSE_B`] bits in `flags`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct MatmulParams {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub flags: u32,
}

/// Uniform of `bias.wgsl`: the shape of Z or dZ.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ShapeParams {
    pub rows: u32,
    pub cols: u32,
    pub _pad0: u32,
    pub _pad1: u32,
}

/// Uniform of `activation.wgsl`. `kind`: 0 linear, 1 relu, 2 sigmoid, 3 tanh, 4 leaky relu
/// with `slope`, 5 exact GELU.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ActivationParams {
    pub len: u32,
    pub kind: u32,
    pub slope: f32,
    pub _pad: u32,
}

/// Uniform of `dropout.wgsl`. Each element's draw is a hash of `seed`, `step` and the element's
/// index, and `rate` is the probability of zeroing an element.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct DropoutParams {
    pub len: u32,
    pub seed: u32,
    pub step: u32,
    pub rate: f32,
}

/// Uniform of `loss.wgsl`. `kind`: 0 softmax cross-entropy, 1 binary cross-entropy with logits
/// (`cols` = 1), 2 mean squared error and 3 Huber loss with `delta`, each against the one-hot
/// label or the real-valued target. `targets`: one of [`target_kind`]. Only kind 3 reads
/// `delta`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct LossParams {
    pub rows: u32,
    pub cols: u32,
    pub kind: u32,
    pub targets: u32,
    pub delta: f32,
    pub _pad0: u32,
    pub _pad1: u32,
    pub _pad2: u32,
}

/// Values of [`LossParams::targets`]: what the loss kernel's labels buffer holds.
pub mod target_kind {
    /// One class index per row.
    pub const CLASSES: u32 = 0;
    /// The f32 bits of one real-valued regression target per row (`f32::to_bits`).
    pub const VALUES: u32 = 1;
}

/// Uniform of `reduce.wgsl`: the number of rows whose statistics are added.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ReduceParams {
    pub rows: u32,
    pub _pad0: u32,
    pub _pad1: u32,
    pub _pad2: u32,
}

/// Uniform of `optimizer.wgsl`. Each rule reads only its own fields. SGD reads `lr` and
/// `momentum`. Adam reads `lr`, `beta1`, `beta2`, `eps`, the bias corrections
/// 1 / (1 - beta^t) and `decoupled_decay`, which is AdamW's weight_decay * lr (0 for Adam).
/// RMSprop reads `lr`, `rho`, `eps` and `momentum`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct OptimizerParams {
    pub len: u32,
    pub _pad: u32,
    pub lr: f32,
    pub momentum: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub rho: f32,
    pub bias_correction1: f32,
    pub bias_correction2: f32,
    pub decoupled_decay: f32,
    pub _pad2: u32,
}

/// Uniform of `penalty.wgsl`: a kernel of `len` elements, the L1 and L2 rates, and the rows
/// of the batch, by which the kernel weighs the penalty it adds to the epoch total.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct PenaltyParams {
    pub len: u32,
    pub rows: u32,
    pub l1: f32,
    pub l2: f32,
}

/// Uniform of `gather.wgsl`: batch row r is training row order[offset + r], with `cols`
/// features per row.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GatherParams {
    pub rows: u32,
    pub cols: u32,
    pub offset: u32,
    pub _pad: u32,
}

/// Uniform of `unfold.wgsl`, `max_pool.wgsl` and `average_pool.wgsl`: a batch of `rows` images
/// and the window of a convolution or pooling layer, as [`crate::spec::Window`] resolves it.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct WindowParams {
    pub rows: u32,
    pub input_height: u32,
    pub input_width: u32,
    pub channels: u32,
    pub size: u32,
    pub stride: u32,
    pub pad_top: u32,
    pub pad_left: u32,
    pub output_height: u32,
    pub output_width: u32,
    pub _pad0: u32,
    pub _pad1: u32,
}

impl WindowParams {
    pub fn new(window: &crate::spec::Window, rows: usize) -> Self {
        Self {
            rows: rows as u32,
            input_height: window.input_height as u32,
            input_width: window.input_width as u32,
            channels: window.channels as u32,
            size: window.size as u32,
            stride: window.stride as u32,
            pad_top: window.pad_top as u32,
            pad_left: window.pad_left as u32,
            output_height: window.output_height as u32,
            output_width: window.output_width as u32,
            ..Default::default()
        }
    }

    /// Values per image at the window's input.
    pub fn image_len(&self) -> usize {
        (self.input_height * self.input_width * self.channels) as usize
    }

    /// Output positions per image.
    pub fn positions(&self) -> usize {
        (self.output_height * self.output_width) as usize
    }

    /// Values per unfolded row: the size × size × channels patch.
    pub fn patch(&self) -> usize {
        (self.size * self.size * self.channels) as usize
    }
}

/// Uniform of `batch_norm.wgsl`, `layer_norm.wgsl` and `scale_shift.wgsl`: `groups` rows of
/// `channels` values. `training` (1 or 0) and `momentum` matter only to batch normalization's
/// statistics.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct NormParams {
    pub groups: u32,
    pub channels: u32,
    pub training: u32,
    pub _pad0: u32,
    pub momentum: f32,
    pub epsilon: f32,
    pub _pad1: u32,
    pub _pad2: u32,
}

// Checks the 16-byte padding at compile time.
const _: () = {
    assert!(std::mem::size_of::<MatmulParams>().is_multiple_of(16));
    assert!(std::mem::size_of::<ShapeParams>().is_multiple_of(16));
    assert!(std::mem::size_of::<ActivationParams>().is_multiple_of(16));
    assert!(std::mem::size_of::<DropoutParams>().is_multiple_of(16));
    assert!(std::mem::size_of::<LossParams>().is_multiple_of(16));
    assert!(std::mem::size_of::<ReduceParams>().is_multiple_of(16));
    assert!(std::mem::size_of::<OptimizerParams>().is_multiple_of(16));
    assert!(std::mem::size_of::<GatherParams>().is_multiple_of(16));
    assert!(std::mem::size_of::<PenaltyParams>().is_multiple_of(16));
    assert!(std::mem::size_of::<WindowParams>().is_multiple_of(16));
    assert!(std::mem::size_of::<NormParams>().is_multiple_of(16));
};

#[cfg(test)]
mod tests {
    use super::*;

    fn stripped(source: &str) -> String {
        let (bytes, len) = strip_comments::<4096>(source.as_bytes());
        String::from_utf8(bytes[..len].to_vec()).unwrap()
    }

    #[test]
    fn strip_comments_keeps_code_and_lines() {
        let source = "// header\nlet a = 1; // one\n    let b = a / 2;  \n\t// indented\n}\n";
        assert_eq!(stripped(source), "\nlet a = 1;\nlet b = a / 2;\n\n}\n");
        assert_eq!(
            strip_comments::<0>(source.as_bytes()).1,
            stripped(source).len()
        );
    }

    #[test]
    fn strip_comments_without_final_newline() {
        assert_eq!(stripped("x = y; // z"), "x = y;");
        assert_eq!(stripped(""), "");
    }

    #[test]
    fn kernels_keep_lines_without_comments() {
        let kernels = [
            (MATMUL, include_str!("kernels/matmul.wgsl")),
            (MATMUL_VEC4, include_str!("kernels/matmul_vec4.wgsl")),
            (MATMUL_TILED, include_str!("kernels/matmul_tiled.wgsl")),
            (BIAS, include_str!("kernels/bias.wgsl")),
            (ACTIVATION, include_str!("kernels/activation.wgsl")),
            (DROPOUT, include_str!("kernels/dropout.wgsl")),
            (LOSS, include_str!("kernels/loss.wgsl")),
            (REDUCE, include_str!("kernels/reduce.wgsl")),
            (OPTIMIZER, include_str!("kernels/optimizer.wgsl")),
            (PENALTY, include_str!("kernels/penalty.wgsl")),
            (GATHER, include_str!("kernels/gather.wgsl")),
            (UNFOLD, include_str!("kernels/unfold.wgsl")),
            (MAX_POOL, include_str!("kernels/max_pool.wgsl")),
            (AVERAGE_POOL, include_str!("kernels/average_pool.wgsl")),
            (BATCH_NORM, include_str!("kernels/batch_norm.wgsl")),
            (LAYER_NORM, include_str!("kernels/layer_norm.wgsl")),
            (SCALE_SHIFT, include_str!("kernels/scale_shift.wgsl")),
        ];
        for (index, (code, file)) in kernels.into_iter().enumerate() {
            assert!(file.contains("//"), "kernel {index}: the file has comments");
            assert!(!code.contains("//"), "kernel {index}: a comment is left");
            assert_eq!(
                code.lines().count(),
                file.lines().count(),
                "kernel {index}: lines"
            );
            assert!(
                code.len() < file.len(),
                "kernel {index}: nothing was stripped"
            );
        }
    }
}
