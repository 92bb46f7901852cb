// Copies one batch out of the training set: batch row r is training row order[offset + r], where
// `order` is the epoch's shuffled permutation of row indices. Workgroup size 256, one element of
// batch_x per thread, dispatched as [ceil(rows * cols / 256), 1, 1]: the copy needs no
// cooperation between threads, and 256 is the largest workgroup WebGPU guarantees. The thread of
// column 0 also copies the row's label.

struct GatherParams {
    rows: u32,
    cols: u32,
    offset: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: GatherParams;
// All training rows, rows × cols, row-major.
@group(0) @binding(1) var<storage, read> features: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read> order: array<u32>;
@group(0) @binding(4) var<storage, read_write> batch_x: array<f32>;
@group(0) @binding(5) var<storage, read_write> batch_labels: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let index = id.x;
    let cols = params.cols;
    if (index >= params.rows * cols) {
        return;
    }
    let row = index / cols;
    let col = index % cols;
    let source = order[params.offset + row];
    batch_x[index] = features[source * cols + col];
    if (col == 0u) {
        batch_labels[row] = labels[source];
    }
}
