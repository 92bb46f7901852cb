// Average pooling without padding over images of height × width × channels values, channels
// last. `forward` writes each window's mean: the sum in kernel-height, kernel-width order
// divided by size², as on the CPU path (image_ops::pool). `backward` gives each input value
// dy / size² from every window that covers it.
//
// `backward` runs one thread per input value, which adds the shares of the covering windows,
// so every sum has a single writer. Scattering from the outputs instead would need float
// atomics, which WGSL lacks, because windows overlap when the stride is smaller than the
// window. Each sum runs over output positions in row-major order, the order in which the CPU
// path adds them.
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

// Bindings of `forward`.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// Bindings of `backward`.
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) id: vec3<u32>) {
    let channels = params.channels;
    let output_len = params.output_height * params.output_width * channels;
    let index = id.x;
    if (index >= params.rows * output_len) {
        return;
    }
    let row = index / output_len;
    let channel = index % channels;
    let position = (index % output_len) / channels;
    let top = (position / params.output_width) * params.stride;
    let left = (position % params.output_width) * params.stride;
    let base = row * params.input_height * params.input_width * channels;

    var sum = 0.0;
    for (var ky = 0u; ky < params.size; ky++) {
        for (var kx = 0u; kx < params.size; kx++) {
            sum = sum + x[base + ((top + ky) * params.input_width + left + kx) * channels + channel];
        }
    }
    y[index] = sum / f32(params.size * params.size);
}

// The output indices along one axis whose windows cover input coordinate `coordinate`, as the
// range [first, end). The range is empty when the stride is larger than the window and no
// window covers the coordinate.
fn covering(coordinate: u32, output_len: u32) -> vec2<u32> {
    let stride = params.stride;
    let size = params.size;
    // Windows out with out · stride <= coordinate < out · stride + size.
    var first = 0u;
    if (coordinate + 1u > size) {
        first = (coordinate + 1u - size + stride - 1u) / stride;
    }
    let last = min(coordinate / stride, output_len - 1u);
    return vec2<u32>(first, last + 1u);
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) id: vec3<u32>) {
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
    let ys = covering(value / (channels * width), params.output_height);
    let xs = covering((value / channels) % width, params.output_width);
    let output_len = params.output_height * params.output_width * channels;
    let area = f32(params.size * params.size);

    var sum = 0.0;
    for (var out_y = ys.x; out_y < ys.y; out_y++) {
        for (var out_x = xs.x; out_x < xs.y; out_x++) {
            let out = row * output_len + (out_y * params.output_width + out_x) * channels + channel;
            sum = sum + dy[out] / area;
        }
    }
    dx[index] = sum;
}
