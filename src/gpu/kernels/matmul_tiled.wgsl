// Matrix product C (m×n) = op(A)·op(B), all row-major f32, through tiles in workgroup memory.
// Same uniform and flags as matmul.wgsl: bit 0 (1), A is stored transposed, as k×m; bit 1 (2),
// B is stored transposed, as n×k. Any shape.
//
// Workgroup size 16×16, each thread computing a 4×4 block of C, so one workgroup covers 64×64
// outputs and the host dispatches [ceil(n / 64), ceil(m / 64), 1]. For each run of DEPTH steps
// of the inner dimension, the workgroup copies a 64×DEPTH tile of op(A) and a DEPTH×64 tile of
// op(B) into workgroup memory, waits at a barrier, and every thread then reads its operands
// from there. Each value read from a storage buffer thus serves 64 outputs, which on a GPU
// with fast workgroup memory saves most of the trips to device memory. TensorFlow.js's WebGPU
// backend tiles its matmul the same way (matmul_packed_webgpu.js in
// @tensorflow/tfjs-backend-webgpu 4.22). On SwiftShader, the software adapter, the barriers
// cost more than they save: for the products of a 784-256-256-10 network at batch 128
// (bench/matmul.mjs) this kernel ran as fast as matmul.wgsl or up to 1.5× slower, and 7–12×
// slower than matmul_vec4.wgsl. So the trainer uses it only on hardware adapters
// (`MatmulVariant` in kernels.rs).
// NOTE: the choice for hardware adapters follows how GPUs usually behave. It was not measured
// here, where the only adapters are software ones.

struct MatmulParams {
    m: u32,
    n: u32,
    k: u32,
    flags: u32,
}

@group(0) @binding(0) var<uniform> params: MatmulParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const TILE: u32 = 64u;
const DEPTH: u32 = 16u;
const THREADS: u32 = 256u;

// a_tile[p][r] is op(A)[row_base + r, p0 + p] and b_tile[p][j] is op(B)[p0 + p, col_base + j],
// or 0 past the edge of the matrix, which adds nothing to the sums.
var<workgroup> a_tile: array<array<f32, TILE>, DEPTH>;
var<workgroup> b_tile: array<array<f32, TILE>, DEPTH>;

@compute @workgroup_size(16, 16)
fn main(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_id) local: vec3<u32>,
    @builtin(local_invocation_index) index: u32,
) {
    let m = params.m;
    let n = params.n;
    let k = params.k;
    let a_transposed = (params.flags & 1u) != 0u;
    let b_transposed = (params.flags & 2u) != 0u;
    let a_row = select(k, 1u, a_transposed);
    let a_inner = select(1u, m, a_transposed);
    let b_inner = select(n, 1u, b_transposed);
    let b_col = select(1u, k, b_transposed);
    let row_base = group.y * TILE;
    let col_base = group.x * TILE;

    // sums[i][j] is C[row_base + 4 · local.y + i, col_base + 4 · local.x + j]. Each sum adds the
    // products for p = 0, 1, …, k - 1 in order, like the CPU twin's loop.
    var sums: array<vec4<f32>, 4>;
    // Every thread reaches every barrier: threads outside C load zeros and skip the store.
    for (var p0 = 0u; p0 < k; p0 += DEPTH) {
        // Each thread copies TILE · DEPTH / THREADS = 4 values of each tile. Neighbouring
        // threads copy neighbouring values of the stored matrix, so that their reads combine.
        for (var t = 0u; t < 4u; t++) {
            let e = index + t * THREADS;
            let a_r = select(e / DEPTH, e % TILE, a_transposed);
            let a_p = select(e % DEPTH, e / TILE, a_transposed);
            let row = row_base + a_r;
            let p = p0 + a_p;
            var a_value = 0.0;
            if (row < m && p < k) {
                a_value = a[row * a_row + p * a_inner];
            }
            a_tile[a_p][a_r] = a_value;

            let b_p = select(e / TILE, e % DEPTH, b_transposed);
            let b_j = select(e % TILE, e / DEPTH, b_transposed);
            let q = p0 + b_p;
            let col = col_base + b_j;
            var b_value = 0.0;
            if (q < k && col < n) {
                b_value = b[q * b_inner + col * b_col];
            }
            b_tile[b_p][b_j] = b_value;
        }
        workgroupBarrier();
        for (var p = 0u; p < DEPTH; p++) {
            let j = local.x * 4u;
            let b_values = vec4<f32>(b_tile[p][j], b_tile[p][j + 1u], b_tile[p][j + 2u], b_tile[p][j + 3u]);
            for (var i = 0u; i < 4u; i++) {
                sums[i] = sums[i] + a_tile[p][local.y * 4u + i] * b_values;
            }
        }
        workgroupBarrier();
    }

    for (var i = 0u; i < 4u; i++) {
        let row = row_base + local.y * 4u + i;
        for (var j = 0u; j < 4u; j++) {
            let col = col_base + local.x * 4u + j;
            if (row < m && col < n) {
                c[row * n + col] = sums[i][j];
            }
        }
    }
}
