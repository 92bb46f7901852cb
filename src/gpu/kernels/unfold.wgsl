// Convolution input unfolding (im2col) and its backward pass (col2im). Images are rows of
// height × width × channels values, channels last. `unfold` writes one row of the unfolded
// matrix per image and output position: the size × size × channels patch read there, in
// kernel-height, kernel-width, channel order, with zeros where the window covers padding. A
// convolution is then the matrix product of that (rows · positions) × patch matrix with the
// patch × filters kernel.
//
// `fold` sums each input value's gradient over the unfolded entries that copied it. It runs one
// thread per input value, which visits the output positions whose windows cover that value, so
// every sum has a single writer. Scattering from the unfolded entries instead would need float
// atomics, which WGSL lacks. Each sum runs over output positions in row-major order, the order
// in which the CPU path (image_ops::unfold) adds them, so both give the same f32 sums.
//
// Both entry points use workgroup size 256, one output value per thread, dispatched as
// [ceil(values / 256), 1, 1]: the threads share nothing, so no barriers are needed (SwiftShader
// runs barrier-free kernels much faster, see matmul.wgsl), and 256 is the largest workgroup
// WebGPU guarantees.
//
// The two entry points bind different arrays at bindings 1 and 2. WGSL allows two variables to
// share a binding as long as no single entry point uses both.

struct WindowParams {
    rows: u32,
    input_height: u32,
    input_width: u32,
    channels: u32,
    size: u32,
    stride: u32,
    pad_top: u32,
    pad_left: u32,
    output_height: u32,
    output_width: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: WindowParams;

// Bindings of `unfold`.
@group(0) @binding(1) var<storage, read> images: array<f32>;
@group(0) @binding(2) var<storage, read_write> unfolded: array<f32>;

// Bindings of `fold`.
@group(0) @binding(1) var<storage, read> unfolded_grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> images_grad: array<f32>;

// unfolded[(row · positions + position) · patch_len + offset] for offset = (ky · size + kx) ·
// channels + channel is image value (y, x, channel) with y = out_y · stride + ky - pad_top and
// x = out_x · stride + kx - pad_left, or 0 outside the image.
@compute @workgroup_size(256)
fn unfold(@builtin(global_invocation_id) id: vec3<u32>) {
    let channels = params.channels;
    let size = params.size;
    let patch_len = size * size * channels;
    let positions = params.output_height * params.output_width;
    let index = id.x;
    if (index >= params.rows * positions * patch_len) {
        return;
    }
    let offset = index % patch_len;
    let position = (index / patch_len) % positions;
    let row = index / (patch_len * positions);
    let channel = offset % channels;
    let kx = (offset / channels) % size;
    let ky = offset / (channels * size);
    let out_y = position / params.output_width;
    let out_x = position % params.output_width;

    // Signed, because the window starts above or left of the image where there is padding.
    let y = i32(out_y * params.stride + ky) - i32(params.pad_top);
    let x = i32(out_x * params.stride + kx) - i32(params.pad_left);
    var value = 0.0;
    if (y >= 0 && y < i32(params.input_height) && x >= 0 && x < i32(params.input_width)) {
        let image_len = params.input_height * params.input_width * channels;
        value = images[row * image_len + (u32(y) * params.input_width + u32(x)) * channels + channel];
    }
    unfolded[index] = value;
}

// The output indices along one axis whose windows cover padded coordinate `padded` (the input
// coordinate plus the padding before it), as the range [first, end). The range is empty when
// no window covers the coordinate, which happens when the stride is larger than the window.
fn covering(padded: u32, output_len: u32) -> vec2<u32> {
    let stride = params.stride;
    let size = params.size;
    // Windows out with out · stride <= padded < out · stride + size.
    var first = 0u;
    if (padded + 1u > size) {
        first = (padded + 1u - size + stride - 1u) / stride;
    }
    let last = min(padded / stride, output_len - 1u);
    return vec2<u32>(first, last + 1u);
}

@compute @workgroup_size(256)
fn fold(@builtin(global_invocation_id) id: vec3<u32>) {
    let channels = params.channels;
    let width = params.input_width;
    let image_len = params.input_height * width * channels;
    let index = id.x;
    if (index >= params.rows * image_len) {
        return;
    }
    let row = index / image_len;
    let value = index % image_len;
    let channel = value % channels;
    let x = (value / channels) % width;
    let y = value / (channels * width);

    let size = params.size;
    let stride = params.stride;
    let patch_len = size * size * channels;
    let positions = params.output_height * params.output_width;
    let padded_y = y + params.pad_top;
    let padded_x = x + params.pad_left;
    let ys = covering(padded_y, params.output_height);
    let xs = covering(padded_x, params.output_width);
    var sum = 0.0;
    for (var out_y = ys.x; out_y < ys.y; out_y++) {
        let ky = padded_y - out_y * stride;
        for (var out_x = xs.x; out_x < xs.y; out_x++) {
            let kx = padded_x - out_x * stride;
            let position = out_y * params.output_width + out_x;
            let offset = (ky * size + kx) * channels + channel;
            sum = sum + unfolded_grad[(row * positions + position) * patch_len + offset];
        }
    }
    images_grad[index] = sum;
}
