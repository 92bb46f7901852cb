// Bias of a dense layer: adding it to the pre-activations Z (rows×cols, row-major), and its
// gradient, the column sums of dZ.
//
// The two entry points bind different arrays at bindings 1 and 2. WGSL allows two variables to
// share a binding as long as no single entry point uses both.

struct ShapeParams {
    rows: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: ShapeParams;

// Bindings of `add_bias`.
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> z: array<f32>;

// Bindings of `bias_grad`.
@group(0) @binding(1) var<storage, read> dz: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;

// z[r, c] += bias[c]. Workgroup size 256, one element per thread, dispatched as
// [ceil(rows * cols / 256), 1, 1]: elementwise work needs no cooperation between threads, and 256
// is the largest workgroup WebGPU guarantees. One dimension of at most 65535 workgroups covers
// up to 16,776,960 elements.
@compute @workgroup_size(256)
fn add_bias(@builtin(global_invocation_id) id: vec3<u32>) {
    let index = id.x;
    if (index >= params.rows * params.cols) {
        return;
    }
    z[index] = z[index] + bias[index % params.cols];
}

// db[c] = sum over r of dz[r, c], added from r = 0 upward. Workgroup size 64, one column per
// thread, dispatched as [ceil(cols / 64), 1, 1]. A layer has at most 1024 units
// (spec::MAX_UNITS) and usually far fewer, so larger workgroups would leave most threads idle.
@compute @workgroup_size(64)
fn bias_grad(@builtin(global_invocation_id) id: vec3<u32>) {
    let col = id.x;
    let cols = params.cols;
    if (col >= cols) {
        return;
    }
    var sum = 0.0;
    for (var row = 0u; row < params.rows; row++) {
        sum = sum + dz[row * cols + col];
    }
    db[col] = sum;
}
