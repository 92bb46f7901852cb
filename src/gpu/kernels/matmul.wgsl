// Matrix product C (m×n) = op(A)·op(B), all row-major f32. Flags bit 0 (1): A is stored
// transposed, as k×m. Flags bit 1 (2): B is stored transposed, as n×k.
//
// Workgroup size 8×8 with a 4×4 block of C per thread, so one workgroup covers 32×32 outputs and
// the host dispatches [ceil(n / 32), ceil(m / 32), 1]. The kernel uses no workgroup barriers or
// shared-memory tiles because, measured on SwiftShader (Chrome's software WebGPU), tiled kernels
// with barriers ran 5–10× slower than this form. Software adapters run this kernel for the
// shapes that matmul_vec4.wgsl does not take, and hardware adapters run matmul_tiled.wgsl.

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

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let m = params.m;
    let n = params.n;
    let k = params.k;
    let row0 = id.y * 4u;
    let col0 = id.x * 4u;
    if (row0 >= m || col0 >= n) {
        return;
    }

    // Element (r, p) of op(A) is a[r * a_row + p * a_inner], and element (p, j) of op(B) is
    // b[p * b_inner + j * b_col], so one loop serves all four flag combinations.
    let a_transposed = (params.flags & 1u) != 0u;
    let b_transposed = (params.flags & 2u) != 0u;
    let a_row = select(k, 1u, a_transposed);
    let a_inner = select(1u, m, a_transposed);
    let b_inner = select(n, 1u, b_transposed);
    let b_col = select(1u, k, b_transposed);

    // Rows and columns past the edge of C read the last valid row or column, which keeps every
    // read in bounds without a branch. Their sums are discarded below.
    var rows: array<u32, 4>;
    var cols: array<u32, 4>;
    for (var i = 0u; i < 4u; i++) {
        rows[i] = min(row0 + i, m - 1u);
        cols[i] = min(col0 + i, n - 1u);
    }

    // sums[i][j] is C[row0 + i, col0 + j]. Each sum starts at 0 and adds the products for
    // p = 0, 1, …, k - 1 in order, like the CPU twin's loop.
    var sums: array<vec4<f32>, 4>;
    for (var p = 0u; p < k; p++) {
        let b_values = vec4<f32>(
            b[p * b_inner + cols[0] * b_col],
            b[p * b_inner + cols[1] * b_col],
            b[p * b_inner + cols[2] * b_col],
            b[p * b_inner + cols[3] * b_col],
        );
        for (var i = 0u; i < 4u; i++) {
            sums[i] = sums[i] + a[rows[i] * a_row + p * a_inner] * b_values;
        }
    }

    for (var i = 0u; i < 4u; i++) {
        let row = row0 + i;
        for (var j = 0u; j < 4u; j++) {
            let col = col0 + j;
            if (row < m && col < n) {
                c[row * n + col] = sums[i][j];
            }
        }
    }
}
