//! Browser tests of `gemm::gemm` for f32 on wasm32, which runs the SIMD128 kernel in
//! crates/gemm. Each product is compared with a triple loop in f64. Run with
//! `wasm-pack test --headless --chrome --release -- --test gemm_simd`; add
//! `-- --include-ignored --nocapture` to run and print the throughput measurement.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`, in milliseconds.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// How a matrix is laid out in its buffer.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Layout {
    RowMajor,
    ColumnMajor,
    /// Row-major with every other column skipped and 3 unused elements after each row, so
    /// neither stride is 1 and writes outside the matrix show up in the gaps.
    Strided,
    /// Row-major with the last row first: a negative row stride.
    ReversedRows,
}

const LAYOUTS: [Layout; 4] = [
    Layout::RowMajor,
    Layout::ColumnMajor,
    Layout::Strided,
    Layout::ReversedRows,
];

/// A rows×cols matrix in a buffer with the given layout. Elements outside the matrix hold
/// `GAP`, so tests can check that `gemm` left them alone.
struct Matrix {
    rows: usize,
    cols: usize,
    buffer: Vec<f32>,
    /// Index of element (0, 0) in `buffer`.
    origin: usize,
    rs: isize,
    cs: isize,
}

const GAP: f32 = 1234.5;

impl Matrix {
    /// Fills the matrix with `value(row, col)`.
    fn new(rows: usize, cols: usize, layout: Layout, value: impl Fn(usize, usize) -> f32) -> Self {
        let (len, origin, rs, cs) = match layout {
            Layout::RowMajor => (rows * cols, 0, cols as isize, 1),
            Layout::ColumnMajor => (rows * cols, 0, 1, rows as isize),
            Layout::Strided => {
                let rs = 2 * cols + 3;
                (rows * rs, 0, rs as isize, 2)
            }
            Layout::ReversedRows => (
                rows * cols,
                rows.saturating_sub(1) * cols,
                -(cols as isize),
                1,
            ),
        };
        let mut matrix = Matrix {
            rows,
            cols,
            buffer: vec![GAP; len],
            origin,
            rs,
            cs,
        };
        for row in 0..rows {
            for col in 0..cols {
                let index = matrix.index(row, col);
                matrix.buffer[index] = value(row, col);
            }
        }
        matrix
    }

    fn index(&self, row: usize, col: usize) -> usize {
        (self.origin as isize + row as isize * self.rs + col as isize * self.cs) as usize
    }

    fn get(&self, row: usize, col: usize) -> f32 {
        self.buffer[self.index(row, col)]
    }

    fn ptr(&self) -> *const f32 {
        self.buffer[self.origin..].as_ptr()
    }

    fn ptr_mut(&mut self) -> *mut f32 {
        self.buffer[self.origin..].as_mut_ptr()
    }

    /// Number of buffer elements that are outside the matrix.
    fn gap_count(&self) -> usize {
        self.buffer.len() - self.rows * self.cols
    }
}

/// Returns a deterministic value in [-1, 1) for element (row, col) of matrix `salt`.
fn pseudo_random(salt: u32, row: usize, col: usize) -> f32 {
    let mut x = salt
        .wrapping_mul(0x9e37_79b9)
        .wrapping_add((row as u32).wrapping_mul(0x85eb_ca6b))
        .wrapping_add((col as u32).wrapping_mul(0xc2b2_ae35));
    x ^= x >> 15;
    x = x.wrapping_mul(0x2c1b_3c6d);
    x ^= x >> 12;
    x = x.wrapping_mul(0x297a_2d39);
    x ^= x >> 15;
    (x >> 8) as f32 / (1u32 << 23) as f32 - 1.0
}

/// One product to check: dst (m×n) := alpha·dst + beta·lhs (m×k)·rhs (k×n).
#[derive(Clone, Copy, Debug)]
struct Case {
    m: usize,
    k: usize,
    n: usize,
    lhs: Layout,
    rhs: Layout,
    dst: Layout,
    read_dst: bool,
    alpha: f32,
    beta: f32,
}

impl Case {
    fn new(m: usize, k: usize, n: usize, layouts: [Layout; 3]) -> Self {
        Case {
            m,
            k,
            n,
            lhs: layouts[0],
            rhs: layouts[1],
            dst: layouts[2],
            read_dst: true,
            alpha: 1.0,
            beta: 1.0,
        }
    }
}

/// Runs `gemm::gemm` on `case` and compares every element with an f64 triple loop.
///
/// The tolerance is the standard bound on rounding in a length-k dot product, (k + 2)·ε times
/// the sum of |terms| (including |alpha·dst|), because the kernel's summation order differs
/// from the loop's. A wrong index or stride gives errors of the order of the terms themselves.
/// When `dst` is not read (`read_dst` false or `alpha` zero), it starts as NaN, which must not
/// reach the result.
fn check(case: Case) {
    let Case { m, k, n, .. } = case;
    let lhs = Matrix::new(m, k, case.lhs, |i, j| pseudo_random(1, i, j));
    let rhs = Matrix::new(k, n, case.rhs, |i, j| pseudo_random(2, i, j));
    let dst_is_read = case.read_dst && case.alpha != 0.0;
    let initial = |i, j| {
        if dst_is_read {
            pseudo_random(3, i, j)
        } else {
            f32::NAN
        }
    };
    let mut dst = Matrix::new(m, n, case.dst, initial);

    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.ptr_mut(),
            dst.cs,
            dst.rs,
            case.read_dst,
            lhs.ptr(),
            lhs.cs,
            lhs.rs,
            rhs.ptr(),
            rhs.cs,
            rhs.rs,
            case.alpha,
            case.beta,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }

    for i in 0..m {
        for j in 0..n {
            let mut sum = 0.0f64;
            let mut magnitude = 0.0f64;
            for p in 0..k {
                let term = lhs.get(i, p) as f64 * rhs.get(p, j) as f64;
                sum += term;
                magnitude += term.abs();
            }
            let beta = case.beta as f64;
            let mut expected = beta * sum;
            let mut scale = beta.abs() * magnitude;
            if dst_is_read {
                let kept = case.alpha as f64 * initial(i, j) as f64;
                expected += kept;
                scale += kept.abs();
            }
            let tolerance = (k + 2) as f64 * f32::EPSILON as f64 * scale + 1e-30;
            let actual = dst.get(i, j) as f64;
            assert!(
                (actual - expected).abs() <= tolerance,
                "{case:?}: dst[{i}][{j}] is {actual}, expected {expected} (tolerance {tolerance:e})"
            );
        }
    }
    let untouched = dst.buffer.iter().filter(|&&x| x == GAP).count();
    assert_eq!(
        untouched,
        dst.gap_count(),
        "{case:?}: gemm wrote outside dst"
    );
}

const SIZES: [usize; 6] = [1, 3, 7, 17, 100, 257];

#[wasm_bindgen_test]
fn gemm_cubes_row_and_column_major() {
    for size in SIZES {
        for lhs in [Layout::RowMajor, Layout::ColumnMajor] {
            for rhs in [Layout::RowMajor, Layout::ColumnMajor] {
                for dst in [Layout::RowMajor, Layout::ColumnMajor] {
                    check(Case::new(size, size, size, [lhs, rhs, dst]));
                }
            }
        }
    }
}

#[wasm_bindgen_test]
fn gemm_mixed_shapes() {
    let small = [1, 3, 7, 17];
    for m in small {
        for k in small {
            for n in small {
                check(Case::new(m, k, n, [Layout::RowMajor; 3]));
                check(Case::new(
                    m,
                    k,
                    n,
                    [Layout::ColumnMajor, Layout::ColumnMajor, Layout::RowMajor],
                ));
            }
        }
    }
    let large = [
        (1, 257, 100),
        (257, 1, 17),
        (100, 257, 1),
        (7, 3, 257),
        (257, 100, 3),
        (17, 257, 100),
        (100, 17, 257),
        (5, 600, 9),
    ];
    for (m, k, n) in large {
        for layouts in [
            [Layout::RowMajor; 3],
            [Layout::RowMajor, Layout::ColumnMajor, Layout::RowMajor],
            [Layout::ColumnMajor, Layout::RowMajor, Layout::ColumnMajor],
        ] {
            check(Case::new(m, k, n, layouts));
        }
    }
}

#[wasm_bindgen_test]
fn gemm_every_layout_combination() {
    for lhs in LAYOUTS {
        for rhs in LAYOUTS {
            for dst in LAYOUTS {
                check(Case::new(17, 100, 7, [lhs, rhs, dst]));
                check(Case::new(9, 13, 20, [lhs, rhs, dst]));
            }
        }
    }
}

#[wasm_bindgen_test]
fn gemm_alpha_beta_read_dst() {
    for read_dst in [true, false] {
        for alpha in [0.0, 1.0, 2.5] {
            for beta in [0.0, 1.0, -0.75] {
                for (m, k, n) in [(7, 17, 3), (100, 257, 17), (8, 300, 16)] {
                    for layouts in [
                        [Layout::RowMajor; 3],
                        [Layout::ColumnMajor, Layout::Strided, Layout::ColumnMajor],
                    ] {
                        let case = Case {
                            read_dst,
                            alpha,
                            beta,
                            ..Case::new(m, k, n, layouts)
                        };
                        check(case);
                    }
                }
            }
        }
    }
}

#[wasm_bindgen_test]
fn gemm_empty_dimensions() {
    for (m, k, n) in [(0, 5, 3), (4, 5, 0), (4, 0, 3), (0, 0, 0)] {
        for read_dst in [true, false] {
            for alpha in [0.0, 1.0, 2.5] {
                let case = Case {
                    read_dst,
                    alpha,
                    beta: 2.0,
                    ..Case::new(
                        m,
                        k,
                        n,
                        [Layout::RowMajor, Layout::ColumnMajor, Layout::Strided],
                    )
                };
                check(case);
            }
        }
    }
}

/// Checks the strides that dfdx 0.13's `Cpu` matmul passes for `lhs (m×k) · rhs (k×n)` and for
/// its two backward products. A dfdx Linear layer stores its weight as (out, in) and multiplies
/// by its transpose, so `rhs` is column-major.
#[wasm_bindgen_test]
fn gemm_dfdx_linear_layer_products() {
    for (batch, inputs, outputs) in [(128, 784, 256), (32, 4, 64), (10, 8, 1)] {
        // forward: y = x · Wᵀ
        check(Case {
            read_dst: false,
            alpha: 0.0,
            ..Case::new(
                batch,
                inputs,
                outputs,
                [Layout::RowMajor, Layout::ColumnMajor, Layout::RowMajor],
            )
        });
        // grad_x += grad_y · W
        check(Case::new(batch, outputs, inputs, [Layout::RowMajor; 3]));
        // grad_Wᵀ += xᵀ · grad_y, stored into the column-major Wᵀ view
        check(Case::new(
            inputs,
            batch,
            outputs,
            [Layout::ColumnMajor, Layout::RowMajor, Layout::ColumnMajor],
        ));
    }
}

/// Prints GFLOP/s of `gemm::gemm` for the products of the wide MLP in bench/page.mjs
/// (784-256-256-10, batch 128). Ignored by default because it only measures; run it with
/// `-- --include-ignored --nocapture`.
#[wasm_bindgen_test]
#[ignore]
fn gemm_throughput() {
    use Layout::{ColumnMajor as Col, RowMajor as Row};
    let products = [
        (
            "forward 128x784 · 784x256",
            128,
            784,
            256,
            [Row, Col, Row],
            false,
        ),
        (
            "forward 128x256 · 256x256",
            128,
            256,
            256,
            [Row, Col, Row],
            false,
        ),
        (
            "grad_x 128x256 · 256x784",
            128,
            256,
            784,
            [Row, Row, Row],
            true,
        ),
        (
            "grad_x 128x256 · 256x256",
            128,
            256,
            256,
            [Row, Row, Row],
            true,
        ),
        (
            "grad_W 784x128 · 128x256",
            784,
            128,
            256,
            [Col, Row, Col],
            true,
        ),
        (
            "grad_W 256x128 · 128x256",
            256,
            128,
            256,
            [Col, Row, Col],
            true,
        ),
    ];
    for (name, m, k, n, layouts, read_dst) in products {
        let lhs = Matrix::new(m, k, layouts[0], |i, j| pseudo_random(1, i, j));
        let rhs = Matrix::new(k, n, layouts[1], |i, j| pseudo_random(2, i, j));
        let mut dst = Matrix::new(m, n, layouts[2], |_, _| 0.0);
        let mut run = || unsafe {
            gemm::gemm(
                m,
                n,
                k,
                dst.ptr_mut(),
                dst.cs,
                dst.rs,
                read_dst,
                lhs.ptr(),
                lhs.cs,
                lhs.rs,
                rhs.ptr(),
                rhs.cs,
                rhs.rs,
                if read_dst { 1.0 } else { 0.0 },
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            )
        };
        // Warm up (V8 tiers up hot functions), then time batches of 10 calls for about 0.5 s,
        // because Chromium coarsens performance.now() to 0.1 ms without cross-origin isolation.
        for _ in 0..3 {
            run();
        }
        const BATCH: usize = 10;
        let mut best_ms = f64::INFINITY;
        let started = performance_now();
        while performance_now() - started < 500.0 {
            let start = performance_now();
            for _ in 0..BATCH {
                run();
            }
            best_ms = best_ms.min((performance_now() - start) / BATCH as f64);
        }
        let gflops = 2.0 * (m * k * n) as f64 / (best_ms * 1e6);
        console_log!("{name}: {best_ms:.3} ms, {gflops:.1} GFLOP/s");
    }
}
