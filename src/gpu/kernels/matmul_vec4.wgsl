// Matrix product C (m×n) = op(A)·op(B), all row-major f32, for shapes whose inner rows hold
// whole vec4s. Same uniform as matmul.wgsl; the entry point fixes the layout instead of the
// flags:
//   nn: A is m×k, B is k×n; needs k and n divisible by 4.
//   tn: A is stored transposed, as k×m; B is k×n; needs m and n divisible by 4.
//   nt: A is m×k; B is stored transposed, as n×k; needs k and n divisible by 4.
// The host (`matmul_vec4_entry` in kernels.rs) sends every other shape to matmul.wgsl.
//
// Each thread computes an 8×8 block of C as four 4×4 matrices and each step multiplies 4×4
// blocks of A and B read as vec4s. Workgroup size 8×8, so one workgroup covers 64×64 outputs
// and the host dispatches [ceil(n / 64), ceil(m / 64), 1]. Measured in Chromium on
// SwiftShader, the software adapter, for the products of a 784-256-256-10 network at batch
// 128 (bench/matmul.mjs), this form ran 5–9× faster than matmul.wgsl's scalar loads. The
// likely reason: SwiftShader runs invocations side by side in the lanes of one CPU core and
// loads from storage buffers lane by lane, so a vec4 load costs about what a scalar one does,
// and the 8×8 block reuses each loaded value 8 times.
// Like matmul.wgsl, it uses no workgroup barriers or shared memory, which ran 5–10× slower on
// SwiftShader. Hardware adapters get matmul_tiled.wgsl instead.

struct MatmulParams {
    m: u32,
    n: u32,
    k: u32,
    flags: u32,
}

@group(0) @binding(0) var<uniform> params: MatmulParams;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;

// Block (i, j) of a thread is the 4×4 part of C from row row0 + 4i and vec4 column col0 + j.
// A block is held as a mat4x4 whose column r is row r of the block (WGSL matrices are indexed
// by column). With that layout, adding B·A to a block, where B's columns are four rows of
// op(B) and A's columns are four rows of op(A) over the same four steps of the inner
// dimension, adds those four steps' products: column r gains Σ_t A[r][t] · B[t].

// Writes the rows of `block` that lie inside C; `col` is a vec4 column index below n / 4.
fn store(block: mat4x4<f32>, row0: u32, col: u32) {
    let n4 = params.n / 4u;
    for (var r = 0u; r < 4u; r++) {
        if (row0 + r < params.m) {
            c[(row0 + r) * n4 + col] = block[r];
        }
    }
}

// Returns where rows first … first + 3 of the row-major m×k operand A start, in vec4s. A row
// past the edge of C starts where the last row does, which keeps its reads in bounds.
fn row_starts(first: u32, k4: u32) -> vec4<u32> {
    let last = params.m - 1u;
    let rows = vec4<u32>(first, first + 1u, first + 2u, first + 3u);
    return min(rows, vec4<u32>(last)) * k4;
}

fn store_all(blocks: array<mat4x4<f32>, 4>, row0: u32, col0: u32) {
    store(blocks[0], row0, col0);
    store(blocks[2], row0 + 4u, col0);
    if (col0 + 1u < params.n / 4u) {
        store(blocks[1], row0, col0 + 1u);
        store(blocks[3], row0 + 4u, col0 + 1u);
    }
}

@compute @workgroup_size(8, 8)
fn nn(@builtin(global_invocation_id) id: vec3<u32>) {
    let m = params.m;
    let n4 = params.n / 4u;
    let k4 = params.k / 4u;
    let row0 = id.y * 8u;
    let col0 = id.x * 2u;
    if (row0 >= m || col0 >= n4) {
        return;
    }
    // Rows and the second vec4 column past the edge of C read the last valid one, which keeps
    // every read in bounds without a branch; store_all drops their results.
    let col1 = min(col0 + 1u, n4 - 1u);
    let low = row_starts(row0, k4);
    let high = row_starts(row0 + 4u, k4);
    var s00 = mat4x4<f32>();
    var s01 = mat4x4<f32>();
    var s10 = mat4x4<f32>();
    var s11 = mat4x4<f32>();
    for (var q = 0u; q < k4; q++) {
        let p = 4u * q * n4;
        let b0 = mat4x4<f32>(b[p + col0], b[p + n4 + col0], b[p + 2u * n4 + col0], b[p + 3u * n4 + col0]);
        let b1 = mat4x4<f32>(b[p + col1], b[p + n4 + col1], b[p + 2u * n4 + col1], b[p + 3u * n4 + col1]);
        let a0 = mat4x4<f32>(a[low.x + q], a[low.y + q], a[low.z + q], a[low.w + q]);
        let a1 = mat4x4<f32>(a[high.x + q], a[high.y + q], a[high.z + q], a[high.w + q]);
        s00 += b0 * a0;
        s01 += b1 * a0;
        s10 += b0 * a1;
        s11 += b1 * a1;
    }
    store_all(array(s00, s01, s10, s11), row0, col0);
}

@compute @workgroup_size(8, 8)
fn tn(@builtin(global_invocation_id) id: vec3<u32>) {
    let m4 = params.m / 4u;
    let n4 = params.n / 4u;
    let k = params.k;
    let row0 = id.y * 8u;
    let col0 = id.x * 2u;
    if (row0 >= params.m || col0 >= n4) {
        return;
    }
    // Row p of the stored A holds column p of op(A), so one vec4 of it is four rows of op(A)
    // at step p, and transposing four such vec4s gives a block over four steps.
    let col1 = min(col0 + 1u, n4 - 1u);
    let g0 = id.y * 2u;
    let g1 = min(g0 + 1u, m4 - 1u);
    var s00 = mat4x4<f32>();
    var s01 = mat4x4<f32>();
    var s10 = mat4x4<f32>();
    var s11 = mat4x4<f32>();
    var p = 0u;
    for (; p + 4u <= k; p += 4u) {
        let b0 = mat4x4<f32>(b[p * n4 + col0], b[(p + 1u) * n4 + col0], b[(p + 2u) * n4 + col0], b[(p + 3u) * n4 + col0]);
        let b1 = mat4x4<f32>(b[p * n4 + col1], b[(p + 1u) * n4 + col1], b[(p + 2u) * n4 + col1], b[(p + 3u) * n4 + col1]);
        let a0 = transpose(mat4x4<f32>(a[p * m4 + g0], a[(p + 1u) * m4 + g0], a[(p + 2u) * m4 + g0], a[(p + 3u) * m4 + g0]));
        let a1 = transpose(mat4x4<f32>(a[p * m4 + g1], a[(p + 1u) * m4 + g1], a[(p + 2u) * m4 + g1], a[(p + 3u) * m4 + g1]));
        s00 += b0 * a0;
        s01 += b1 * a0;
        s10 += b0 * a1;
        s11 += b1 * a1;
    }
    // k is the batch's row count, which need not be divisible by 4: the last steps go one at
    // a time, each adding an outer product.
    for (; p < k; p++) {
        let b0 = b[p * n4 + col0];
        let b1 = b[p * n4 + col1];
        let a0 = a[p * m4 + g0];
        let a1 = a[p * m4 + g1];
        s00 += mat4x4<f32>(b0 * a0.x, b0 * a0.y, b0 * a0.z, b0 * a0.w);
        s01 += mat4x4<f32>(b1 * a0.x, b1 * a0.y, b1 * a0.z, b1 * a0.w);
        s10 += mat4x4<f32>(b0 * a1.x, b0 * a1.y, b0 * a1.z, b0 * a1.w);
        s11 += mat4x4<f32>(b1 * a1.x, b1 * a1.y, b1 * a1.z, b1 * a1.w);
    }
    store_all(array(s00, s01, s10, s11), row0, col0);
}

@compute @workgroup_size(8, 8)
fn nt(@builtin(global_invocation_id) id: vec3<u32>) {
    let m = params.m;
    let n4 = params.n / 4u;
    let k4 = params.k / 4u;
    let row0 = id.y * 8u;
    let col0 = id.x * 2u;
    if (row0 >= m || col0 >= n4) {
        return;
    }
    // Row j of the stored B holds column j of op(B): four of its vec4s are a block with rows
    // and columns swapped, so each is transposed.
    let j0 = col0 * 4u * k4;
    let j1 = min(col0 + 1u, n4 - 1u) * 4u * k4;
    let low = row_starts(row0, k4);
    let high = row_starts(row0 + 4u, k4);
    var s00 = mat4x4<f32>();
    var s01 = mat4x4<f32>();
    var s10 = mat4x4<f32>();
    var s11 = mat4x4<f32>();
    for (var q = 0u; q < k4; q++) {
        let b0 = transpose(mat4x4<f32>(b[j0 + q], b[j0 + k4 + q], b[j0 + 2u * k4 + q], b[j0 + 3u * k4 + q]));
        let b1 = transpose(mat4x4<f32>(b[j1 + q], b[j1 + k4 + q], b[j1 + 2u * k4 + q], b[j1 + 3u * k4 + q]));
        let a0 = mat4x4<f32>(a[low.x + q], a[low.y + q], a[low.z + q], a[low.w + q]);
        let a1 = mat4x4<f32>(a[high.x + q], a[high.y + q], a[high.z + q], a[high.w + q]);
        s00 += b0 * a0;
        s01 += b1 * a0;
        s10 += b0 * a1;
        s11 += b1 * a1;
    }
    store_all(array(s00, s01, s10, s11), row0, col0);
}
