//! The Cortex-M kernels against a plain reference, in QEMU: `gemm` on every operand form and on
//! shapes that take each tile width (12, 8, 4) and the scalar edges (odd rows, 1–3 leftover
//! columns, packed `A`), with `beta` 0 and not, each element compared bit for bit with
//! `Σ_p a[i][p]·b[p][j]` taken in `p` order from 0.0 (then `+ beta·c`); and `gemv` within 1e-5
//! of an f64 reference. Exit status 0 when all agree.
#![no_std]
#![no_main]

#[path = "../board.rs"]
mod board;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use dl_core::kernels::gemm::{gemm, ws_a, ws_b, Lhs, Mat, Offsets, Rhs, Rows};

const MAXM: usize = 17;
const MAXN: usize = 41;
const MAXK: usize = 40;

/// Deterministic values in [-1, 1) (a 32-bit LCG).
struct Lcg(u32);
impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 >> 8) as f32 / (1u32 << 23) as f32 - 1.0
    }
}

static mut WS: [f32; 4096] = [0.0; 4096];

/// The operand forms checked: `A` in place or packed (`Lhs::Mat`), `B` read in place with a
/// row stride, through an offset table, or packed (`cs ≠ 1`).
#[derive(Clone, Copy, Debug)]
enum Form {
    InPlaceStrided,
    InPlaceTable,
    InPlacePackedB,
    PackedAStrided,
}

/// One product; returns the number of elements that differ from the reference.
fn check(form: Form, m: usize, n: usize, k: usize, beta: f32, rng: &mut Lcg) -> usize {
    let mut a = [0.0f32; MAXM * MAXK];
    // B stored k×(n+3) row-major (a row stride wider than n), and its transpose n×k
    let ldb = n + 3;
    let mut b = [0.0f32; MAXK * (MAXN + 3)];
    let mut bt = [0.0f32; MAXN * MAXK];
    let mut c = [0.0f32; MAXM * MAXN];
    let mut want = [0.0f32; MAXM * MAXN];
    a[..m * k].iter_mut().for_each(|v| *v = rng.next());
    b[..k * ldb].iter_mut().for_each(|v| *v = rng.next());
    for p in 0..k {
        for j in 0..n {
            bt[j * k + p] = b[p * ldb + j];
        }
    }
    c[..m * n].iter_mut().for_each(|v| *v = rng.next());
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f32;
            for p in 0..k {
                acc += a[i * k + p] * b[p * ldb + j];
            }
            let old = c[i * n + j];
            want[i * n + j] = if beta == 0.0 { acc } else { acc + beta * old };
        }
    }
    // row offsets of B for the table form: row p starts at p·ldb
    let mut offs = [0usize; MAXK];
    for (p, o) in offs[..k].iter_mut().enumerate() {
        *o = p * ldb;
    }
    // SAFETY: single-threaded; the only borrow of WS.
    let ws = unsafe { &mut *(&raw mut WS) };
    let lhs = match form {
        Form::PackedAStrided => Lhs::Mat(Mat::rows(&a[..m * k], k)),
        _ => Lhs::InPlace(Mat::rows(&a[..m * k], k)),
    };
    let rhs = match form {
        Form::InPlaceTable => Rhs::Rows(Rows {
            data: &b[..k * ldb],
            offs: Offsets::Table(&offs[..k]),
        }),
        Form::InPlacePackedB => Rhs::Mat(Mat::t(&bt[..n * k], k)),
        _ => Rhs::Mat(Mat::rows(&b[..k * ldb], ldb)),
    };
    assert!(ws_a(m, k) + ws_b(n, k) <= ws.len());
    gemm(m, n, k, lhs, rhs, beta, &mut c[..m * n], n, ws);
    c[..m * n]
        .iter()
        .zip(&want[..m * n])
        .filter(|(x, y)| x.to_bits() != y.to_bits())
        .count()
}

/// `gemv` against an f64 reference; returns the largest absolute difference.
fn check_gemv(rows: usize, cols: usize, rng: &mut Lcg) -> f32 {
    let mut w = [0.0f32; 24 * 70];
    let (mut x, mut b, mut y) = ([0.0f32; 70], [0.0f32; 24], [0.0f32; 24]);
    w[..rows * cols].iter_mut().for_each(|v| *v = rng.next());
    x[..cols].iter_mut().for_each(|v| *v = rng.next());
    b[..rows].iter_mut().for_each(|v| *v = rng.next());
    dl_core::kernels::gemv(&w[..rows * cols], &x[..cols], &b[..rows], &mut y[..rows]);
    let mut worst = 0.0f32;
    for r in 0..rows {
        let mut s = b[r] as f64;
        for j in 0..cols {
            s += w[r * cols + j] as f64 * x[j] as f64;
        }
        worst = worst.max((y[r] as f64 - s).abs() as f32);
    }
    worst
}

#[entry]
fn main() -> ! {
    let mut rng = Lcg(12345);
    let (mut products, mut bad) = (0u32, 0u32);
    let forms = [
        Form::InPlaceStrided,
        Form::InPlaceTable,
        Form::InPlacePackedB,
        Form::PackedAStrided,
    ];
    for form in forms {
        for m in [1, 2, 3, 6, 17] {
            for n in [1, 3, 4, 5, 8, 11, 12, 13, 16, 20, 24, 28, 41] {
                for k in [1, 2, 5, 25, 40] {
                    for beta in [0.0, 0.5] {
                        let d = check(form, m, n, k, beta, &mut rng);
                        products += 1;
                        if d > 0 {
                            bad += 1;
                            hprintln!(
                                "gemm {:?} m {} n {} k {} beta {}: {} elements differ",
                                form,
                                m,
                                n,
                                k,
                                beta,
                                d
                            );
                        }
                    }
                }
            }
        }
    }
    hprintln!(
        "gemm: {} products, {} with elements not bit-identical to the reference",
        products,
        bad
    );
    let mut worst = 0.0f32;
    for rows in [1, 3, 4, 5, 10, 24] {
        for cols in [1, 7, 16, 17, 40, 70] {
            worst = worst.max(check_gemv(rows, cols, &mut rng));
        }
    }
    let gemv_ok = worst <= 1e-5;
    hprintln!(
        "gemv: largest difference from the f64 reference {} (limit 1e-5)",
        worst
    );
    board::exit(bad == 0 && gemv_ok)
}
