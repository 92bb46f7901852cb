//! f32 matrix product for wasm32 with SIMD128, blocked in the usual way for packed kernels.
//! The product is split into blocks of `k` (KC), of `dst`'s rows (MC) and of its columns (NC).
//! Each block of `lhs` and `rhs` is copied ("packed") into contiguous panels whatever the input
//! strides, and a register-blocked micro-kernel computes one MR×NR tile of `dst` at a time.
//!
//! The micro-kernel multiplies and adds separately. In wasm, fused multiply-add exists only as
//! relaxed-simd's `f32x4.relaxed_madd`, which needs another target feature and may or may not
//! fuse depending on the CPU, so results would vary by machine.

use core::arch::wasm32::*;

/// Rows of `dst` per micro-kernel tile.
const MR: usize = 4;
/// Columns of `dst` per micro-kernel tile, as `NR_VECTORS` vectors of 4 lanes.
const NR_VECTORS: usize = 2;
const NR: usize = 4 * NR_VECTORS;
// The 4×8 tile keeps 8 accumulator vectors, 2 `rhs` vectors, 1 broadcast `lhs` value and 1
// product live: 12 of x86-64's 16 XMM registers, which leaves room for the JIT's scratch
// registers. A 6×8 or 4×12 tile would need 16 or more and likely spill (not measured).

/// Depth of a block. A packed `rhs` panel (KC×NR) takes 8 KiB and a packed `lhs` panel
/// (MR×KC) 4 KiB, so both stay in a 32 KiB L1 data cache while a tile is computed.
const KC: usize = 256;
/// Rows of a block. The packed `lhs` block (MC×KC, 128 KiB) is meant to stay in L2.
const MC: usize = 128;
/// Columns of a block. The packed `rhs` block (KC×NC, at most 1 MiB) is reused for every
/// MR-row panel of the `lhs` block.
const NC: usize = 1024;

/// A matrix view: the address of element (0, 0) and the column and row strides in elements.
#[derive(Clone, Copy)]
pub(crate) struct Matrix {
    pub ptr: *const f32,
    pub cs: isize,
    pub rs: isize,
}

impl Matrix {
    fn at(self, row: usize, col: usize) -> *const f32 {
        self.ptr
            .wrapping_offset(row as isize * self.rs + col as isize * self.cs)
    }

    fn transposed(self) -> Self {
        Matrix {
            ptr: self.ptr,
            cs: self.rs,
            rs: self.cs,
        }
    }
}

/// Computes `dst := alpha×dst + beta×lhs×rhs` (`dst := beta×lhs×rhs` when `read_dst` is false)
/// with the semantics of `crate::gemm`. `dst.ptr` must be writable.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemm_f32(
    m: usize,
    n: usize,
    k: usize,
    dst: Matrix,
    read_dst: bool,
    lhs: Matrix,
    rhs: Matrix,
    alpha: f32,
    beta: f32,
) {
    if m == 0 || n == 0 {
        return;
    }
    let alpha = if read_dst { alpha } else { 0.0 };

    // The tile's vectors run along a row of `dst`, so a column-oriented `dst` is computed as
    // dstᵀ = rhsᵀ·lhsᵀ, which makes its rows contiguous.
    let (m, n, dst, lhs, rhs) = if dst.cs.unsigned_abs() > dst.rs.unsigned_abs() {
        (n, m, dst.transposed(), rhs.transposed(), lhs.transposed())
    } else {
        (m, n, dst, lhs, rhs)
    };

    if k == 0 {
        scale(m, n, dst, alpha);
        return;
    }

    // Equal-sized blocks: k = 784 becomes 4 blocks of 196 rather than 3 of 256 and one of 16,
    // which would spend as long storing tiles as computing them.
    let kc = balanced_block(k, KC, 1);
    let mc = balanced_block(m, MC, MR);
    let nc = balanced_block(n, NC, NR);
    let mut packed_lhs = vec![0.0f32; mc * kc];
    let mut packed_rhs = vec![0.0f32; nc * kc];

    for col_block in (0..n).step_by(nc) {
        let cols = nc.min(n - col_block);
        for depth_block in (0..k).step_by(kc) {
            let depth = kc.min(k - depth_block);
            pack_rhs(
                depth,
                cols,
                rhs.at(depth_block, col_block),
                rhs,
                &mut packed_rhs,
            );
            // The first depth block applies alpha to `dst`; later ones add to the partial sums
            // that earlier blocks stored there.
            let tile_alpha = if depth_block == 0 { alpha } else { 1.0 };

            for row_block in (0..m).step_by(mc) {
                let rows = mc.min(m - row_block);
                pack_lhs(
                    rows,
                    depth,
                    lhs.at(row_block, depth_block),
                    lhs,
                    &mut packed_lhs,
                );

                for tile_col in (0..cols).step_by(NR) {
                    let rhs_panel = packed_rhs.as_ptr().add(tile_col * depth);
                    for tile_row in (0..rows).step_by(MR) {
                        let lhs_panel = packed_lhs.as_ptr().add(tile_row * depth);
                        let tile = Tile {
                            dst: dst.at(row_block + tile_row, col_block + tile_col) as *mut f32,
                            rs: dst.rs,
                            cs: dst.cs,
                            rows: MR.min(rows - tile_row),
                            cols: NR.min(cols - tile_col),
                        };
                        multiply_tile(depth, lhs_panel, rhs_panel, tile, tile_alpha, beta);
                    }
                }
            }
        }
    }
}

/// Splits `len` into the fewest blocks of at most `max` (rounded up to a multiple of `unit`)
/// and returns the size of each block, a multiple of `unit`.
fn balanced_block(len: usize, max: usize, unit: usize) -> usize {
    let blocks = len.div_ceil(max);
    len.div_ceil(blocks).div_ceil(unit) * unit
}

/// `dst := alpha×dst`, for k = 0. Zero `alpha` writes zeros without reading `dst`.
unsafe fn scale(m: usize, n: usize, dst: Matrix, alpha: f32) {
    if alpha == 1.0 {
        return;
    }
    for row in 0..m {
        for col in 0..n {
            let element = dst.at(row, col) as *mut f32;
            *element = if alpha == 0.0 { 0.0 } else { alpha * *element };
        }
    }
}

/// Copies `rows`×`depth` elements of `lhs`, starting at `src`, into panels of MR rows: panel
/// `i` contains rows `MR·i ..`, as `depth` groups of MR values, one per row. Rows past `rows` are
/// zero.
unsafe fn pack_lhs(rows: usize, depth: usize, src: *const f32, lhs: Matrix, out: &mut [f32]) {
    let out_len = rows.div_ceil(MR) * MR * depth;
    assert!(out.len() >= out_len);
    let mut out = out.as_mut_ptr();
    for panel_row in (0..rows).step_by(MR) {
        let panel_rows = MR.min(rows - panel_row);
        for p in 0..depth {
            for r in 0..MR {
                *out.add(r) = if r < panel_rows {
                    *src.wrapping_offset((panel_row + r) as isize * lhs.rs + p as isize * lhs.cs)
                } else {
                    0.0
                };
            }
            out = out.add(MR);
        }
    }
}

/// Copies `depth`×`cols` elements of `rhs`, starting at `src`, into panels of NR columns:
/// panel `j` contains columns `NR·j ..`, as `depth` groups of NR values, one per column. Columns
/// past `cols` are zero.
unsafe fn pack_rhs(depth: usize, cols: usize, src: *const f32, rhs: Matrix, out: &mut [f32]) {
    let out_len = cols.div_ceil(NR) * NR * depth;
    assert!(out.len() >= out_len);
    let mut out = out.as_mut_ptr();
    for panel_col in (0..cols).step_by(NR) {
        let panel_cols = NR.min(cols - panel_col);
        let panel_src = src.wrapping_offset(panel_col as isize * rhs.cs);
        if panel_cols == NR && rhs.cs == 1 {
            // Row-major `rhs`: each group of NR values is contiguous in the source.
            for p in 0..depth {
                let row = panel_src.wrapping_offset(p as isize * rhs.rs);
                for v in 0..NR_VECTORS {
                    let value = v128_load(row.add(4 * v) as *const v128);
                    v128_store(out.add(4 * v) as *mut v128, value);
                }
                out = out.add(NR);
            }
        } else {
            for p in 0..depth {
                let row = panel_src.wrapping_offset(p as isize * rhs.rs);
                for c in 0..NR {
                    *out.add(c) = if c < panel_cols {
                        *row.wrapping_offset(c as isize * rhs.cs)
                    } else {
                        0.0
                    };
                }
                out = out.add(NR);
            }
        }
    }
}

/// The destination of one tile in `dst`: its element (0, 0), the strides, and the number of
/// rows and columns of the MR×NR computed values that lie inside `dst`.
struct Tile {
    dst: *mut f32,
    rs: isize,
    cs: isize,
    rows: usize,
    cols: usize,
}

/// Computes one MR×NR tile from a packed `lhs` panel and a packed `rhs` panel of `depth`
/// steps, then stores `alpha×dst + beta×tile` (`beta×tile` when `alpha` is zero).
///
/// Not inlined, so that V8 compiles the accumulator loop once as a small function and keeps
/// the accumulators in registers.
#[inline(never)]
unsafe fn multiply_tile(
    depth: usize,
    lhs_panel: *const f32,
    rhs_panel: *const f32,
    tile: Tile,
    alpha: f32,
    beta: f32,
) {
    let mut acc = [[f32x4_splat(0.0); NR_VECTORS]; MR];
    let mut a = lhs_panel;
    let mut b = rhs_panel;
    for _ in 0..depth {
        let b_vectors: [v128; NR_VECTORS] =
            core::array::from_fn(|v| v128_load(b.add(4 * v) as *const v128));
        for (r, acc_row) in acc.iter_mut().enumerate() {
            let a_broadcast = f32x4_splat(*a.add(r));
            for (acc_vector, b_vector) in acc_row.iter_mut().zip(b_vectors) {
                *acc_vector = f32x4_add(*acc_vector, f32x4_mul(a_broadcast, b_vector));
            }
        }
        a = a.add(MR);
        b = b.add(NR);
    }

    if tile.rows == MR && tile.cols == NR && tile.cs == 1 {
        store_full_tile(&acc, &tile, alpha, beta);
    } else {
        store_partial_tile(&acc, &tile, alpha, beta);
    }
}

/// Stores a whole tile whose rows are contiguous in `dst`, a vector at a time.
#[inline(always)]
unsafe fn store_full_tile(acc: &[[v128; NR_VECTORS]; MR], tile: &Tile, alpha: f32, beta: f32) {
    let alpha_vector = f32x4_splat(alpha);
    let beta_vector = f32x4_splat(beta);
    for (r, acc_row) in acc.iter().enumerate() {
        let row = tile.dst.wrapping_offset(r as isize * tile.rs);
        for (v, acc_vector) in acc_row.iter().enumerate() {
            let element = row.add(4 * v) as *mut v128;
            let product = f32x4_mul(beta_vector, *acc_vector);
            let value = if alpha == 0.0 {
                product
            } else if alpha == 1.0 {
                f32x4_add(v128_load(element), product)
            } else {
                f32x4_add(f32x4_mul(alpha_vector, v128_load(element)), product)
            };
            v128_store(element, value);
        }
    }
}

/// Stores the `tile.rows`×`tile.cols` part of a tile element by element, with the same
/// arithmetic as `store_full_tile`.
#[inline(always)]
unsafe fn store_partial_tile(acc: &[[v128; NR_VECTORS]; MR], tile: &Tile, alpha: f32, beta: f32) {
    let mut values = [[0.0f32; NR]; MR];
    for (r, acc_row) in acc.iter().enumerate() {
        for (v, acc_vector) in acc_row.iter().enumerate() {
            v128_store(values[r].as_mut_ptr().add(4 * v) as *mut v128, *acc_vector);
        }
    }
    for (r, row_values) in values.iter().enumerate().take(tile.rows) {
        for (c, tile_value) in row_values.iter().enumerate().take(tile.cols) {
            let element = tile
                .dst
                .wrapping_offset(r as isize * tile.rs + c as isize * tile.cs);
            let product = beta * *tile_value;
            *element = if alpha == 0.0 {
                product
            } else if alpha == 1.0 {
                *element + product
            } else {
                alpha * *element + product
            };
        }
    }
}
