//! The public API of the `gemm` 0.15 crate, as dfdx 0.13 uses it, with one change: on wasm32
//! with the `simd128` target feature, f32 products run on this crate's SIMD128 kernel
//! (`simd128.rs`). The crates.io `gemm` 0.15.5 has no wasm32 kernel, so there it runs scalar
//! code. Every other target and element type forwards to the gemm-f16, gemm-f32, gemm-f64,
//! gemm-c32 and gemm-c64 crates, as `gemm` 0.15.5 does.
#![warn(rust_2018_idioms)]

use core::any::TypeId;

pub use gemm_common::Parallelism;
pub use gemm_f16::f16;

#[allow(non_camel_case_types)]
pub type c32 = num_complex::Complex32;
#[allow(non_camel_case_types)]
pub type c64 = num_complex::Complex64;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128;

/// Computes `dst := alpha×dst + beta×lhs×rhs`, or `dst := beta×lhs×rhs` when `read_dst` is
/// false. `lhs` is m×k, `rhs` is k×n and `dst` is m×n. Each matrix is given by a pointer to its
/// element (0, 0), a column stride (`*_cs`) and a row stride (`*_rs`), in elements, and strides
/// may be negative. When `alpha` is zero, `dst` is not read, so NaNs in it do not propagate.
/// The `conj_*` flags conjugate complex operands and are ignored for real types.
///
/// # Safety
///
/// Every element that the sizes and strides address must be valid to read (`lhs`, `rhs`, and
/// `dst` when `read_dst`) and to write (`dst`), and `dst` must not overlap `lhs` or `rhs`.
///
/// # Panics
///
/// Panics if `T` is not `f16`, `f32`, `f64`, `c32` or `c64`.
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm<T: 'static>(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut T,
    dst_cs: isize,
    dst_rs: isize,
    read_dst: bool,
    lhs: *const T,
    lhs_cs: isize,
    lhs_rs: isize,
    rhs: *const T,
    rhs_cs: isize,
    rhs_rs: isize,
    alpha: T,
    beta: T,
    conj_dst: bool,
    conj_lhs: bool,
    conj_rhs: bool,
    parallelism: Parallelism,
) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        // wasm32 has one thread per Worker, so `parallelism` has nothing to choose.
        simd128::gemm_f32(
            m,
            n,
            k,
            simd128::Matrix {
                ptr: dst as *const f32,
                cs: dst_cs,
                rs: dst_rs,
            },
            read_dst,
            simd128::Matrix {
                ptr: lhs as *const f32,
                cs: lhs_cs,
                rs: lhs_rs,
            },
            simd128::Matrix {
                ptr: rhs as *const f32,
                cs: rhs_cs,
                rs: rhs_rs,
            },
            *(&alpha as *const T as *const f32),
            *(&beta as *const T as *const f32),
        );
        return;
    }

    forward_to_gemm_crates(
        m,
        n,
        k,
        dst,
        dst_cs,
        dst_rs,
        read_dst,
        lhs,
        lhs_cs,
        lhs_rs,
        rhs,
        rhs_cs,
        rhs_rs,
        alpha,
        beta,
        conj_dst,
        conj_lhs,
        conj_rhs,
        parallelism,
    );
}

/// Normalizes the layout as `gemm` 0.15.5 does, then calls the kernel crate for `T`.
///
/// The kernels of the gemm-* crates are written for a column-oriented `dst` (the row stride
/// the smaller one) with non-negative strides. A row-oriented `dst` is handled as the transposed
/// product `dstᵀ = rhsᵀ·lhsᵀ`, and a negative stride by starting from the other end.
#[allow(clippy::too_many_arguments)]
unsafe fn forward_to_gemm_crates<T: 'static>(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut T,
    dst_cs: isize,
    dst_rs: isize,
    read_dst: bool,
    lhs: *const T,
    lhs_cs: isize,
    lhs_rs: isize,
    rhs: *const T,
    rhs_cs: isize,
    rhs_rs: isize,
    alpha: T,
    beta: T,
    conj_dst: bool,
    conj_lhs: bool,
    conj_rhs: bool,
    parallelism: Parallelism,
) {
    let transpose = dst_cs.abs() < dst_rs.abs();
    let (m, n, mut dst_cs, mut dst_rs) = if transpose {
        (n, m, dst_rs, dst_cs)
    } else {
        (m, n, dst_cs, dst_rs)
    };
    // After a transpose, the left operand is rhsᵀ: its rows are rhs's columns.
    let (mut lhs, lhs_cs, mut lhs_rs, mut rhs, mut rhs_cs, rhs_rs) = if transpose {
        (rhs, rhs_rs, rhs_cs, lhs, lhs_rs, lhs_cs)
    } else {
        (lhs, lhs_cs, lhs_rs, rhs, rhs_cs, rhs_rs)
    };
    let (conj_lhs, conj_rhs) = if transpose {
        (conj_rhs, conj_lhs)
    } else {
        (conj_lhs, conj_rhs)
    };

    let mut dst = dst;
    if dst_rs < 0 && m > 0 {
        let last_row = (m - 1) as isize;
        dst = dst.wrapping_offset(last_row * dst_rs);
        lhs = lhs.wrapping_offset(last_row * lhs_rs);
        dst_rs = -dst_rs;
        lhs_rs = -lhs_rs;
    }
    if dst_cs < 0 && n > 0 {
        let last_column = (n - 1) as isize;
        dst = dst.wrapping_offset(last_column * dst_cs);
        rhs = rhs.wrapping_offset(last_column * rhs_cs);
        dst_cs = -dst_cs;
        rhs_cs = -rhs_cs;
    }

    macro_rules! call {
        ($kernel:expr, $ty:ty, $conj_dst:expr, $conj_lhs:expr, $conj_rhs:expr) => {
            $kernel(
                m,
                n,
                k,
                dst as *mut $ty,
                dst_cs,
                dst_rs,
                read_dst,
                lhs as *const $ty,
                lhs_cs,
                lhs_rs,
                rhs as *const $ty,
                rhs_cs,
                rhs_rs,
                *(&alpha as *const T as *const $ty),
                *(&beta as *const T as *const $ty),
                $conj_dst,
                $conj_lhs,
                $conj_rhs,
                parallelism,
            )
        };
    }

    // Like gemm 0.15.5, real types get no conjugation, because the kernels take the small-size
    // shortcuts (gevv, gemv) only when every conj flag is false.
    let id = TypeId::of::<T>();
    if id == TypeId::of::<f32>() {
        call!(*gemm_f32::gemm::f32::GEMM, f32, false, false, false)
    } else if id == TypeId::of::<f64>() {
        call!(*gemm_f64::gemm::f64::GEMM, f64, false, false, false)
    } else if id == TypeId::of::<f16>() {
        call!(*gemm_f16::gemm::f16::GEMM, f16, false, false, false)
    } else if id == TypeId::of::<c32>() {
        call!(
            *gemm_c32::gemm::f32::GEMM_CPLX,
            c32,
            conj_dst,
            conj_lhs,
            conj_rhs
        )
    } else if id == TypeId::of::<c64>() {
        call!(
            *gemm_c64::gemm::f64::GEMM_CPLX,
            c64,
            conj_dst,
            conj_lhs,
            conj_rhs
        )
    } else {
        panic!(
            "gemm supports f16, f32, f64, c32 and c64, not {}",
            core::any::type_name::<T>()
        );
    }
}
