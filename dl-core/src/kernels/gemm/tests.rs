use super::*;
#[cfg(feature = "std")]
use std::vec::Vec;

#[allow(clippy::too_many_arguments)]
fn reference(m: usize, n: usize, k: usize, a: Mat, b: Mat, beta: f32, c: &mut [f32], ldc: usize) {
    for i in 0..m {
        for j in 0..n {
            let s: f64 = (0..k)
                .map(|p| a.data[i * a.rs + p * a.cs] as f64 * b.data[p * b.rs + j * b.cs] as f64)
                .sum();
            let o = &mut c[i * ldc + j];
            *o = s as f32 + if beta == 0.0 { 0.0 } else { beta * *o };
        }
    }
}

#[test]
fn products_agree_with_the_definition() {
    let (m, k, n) = (3, 4, 5);
    let a: [f32; 12] = core::array::from_fn(|i| i as f32 * 0.5 - 2.0);
    let b: [f32; 20] = core::array::from_fn(|i| (i as f32 * 0.3).sin());
    let mut want = [0.0f32; 15];
    for i in 0..m {
        for j in 0..n {
            want[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    let mut c = [1.0f32; 15];
    super::nn(m, k, n, &a, &b, 0.0, &mut c);
    assert!(c.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-5));
    // Bᵀ stored n×k
    let mut bt = [0.0f32; 20];
    for p in 0..k {
        for j in 0..n {
            bt[j * k + p] = b[p * n + j];
        }
    }
    let mut c2 = [0.0f32; 15];
    super::nt(m, k, n, &a, &bt, 0.0, &mut c2);
    assert!(c2.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-5));
    let mut at = [0.0f32; 12];
    for i in 0..m {
        for p in 0..k {
            at[p * m + i] = a[i * k + p];
        }
    }
    let mut c3 = [1.0f32; 15];
    super::tn(m, k, n, &at, &b, 1.0, &mut c3);
    assert!(c3
        .iter()
        .zip(&want)
        .all(|(x, y)| (x - 1.0 - y).abs() < 1e-5));
}

/// Every edge (partial tiles, several K/M/N blocks, packed and in-place operands, strided
/// views, rows at offsets, beta 0/1/other, NaN in C with beta 0) against a float64 reference,
/// with both kernels.
#[cfg(feature = "std")]
#[test]
fn blocked_products_on_every_edge() {
    let mut rng = crate::rng::Rng::new(7);
    let sizes = [
        (1, 1, 1),
        (6, 16, 3),
        (7, 17, 5),
        (8, 32, 7),
        (12, 48, 20),
        (13, 40, 300),
        (100, 33, 9),
        (5, 300, 260),
        (97, 257, 513),
    ];
    for path in paths() {
        force_path(Some(path));
        for &(m, n, k) in &sizes {
            for layout in 0..4 {
                let (ta, tb) = (layout & 1 == 1, layout & 2 == 2);
                let av: Vec<f32> = (0..m * k).map(|_| rng.normal()).collect();
                let bv: Vec<f32> = (0..k * n).map(|_| rng.normal()).collect();
                let a = if ta {
                    Mat::t(&av, m)
                } else {
                    Mat::rows(&av, k)
                };
                let b = if tb {
                    Mat::t(&bv, k)
                } else {
                    Mat::rows(&bv, n)
                };
                // the same matrices as rows at offsets, in reverse order with gaps
                let (a_rows, a_offs) = as_rows(m, k, a);
                let (b_rows, b_offs) = as_rows(k, n, b);
                let mut packed = vec![0.0; packed_len(m, k)];
                pack_a(m, k, a, &mut packed);
                let lhs = [
                    Some(Lhs::Mat(a)),
                    Some(Lhs::Packed(&packed)),
                    if ta { None } else { Some(Lhs::InPlace(a)) },
                    Some(Lhs::Rows(Rows {
                        data: &a_rows,
                        offs: Offsets::Table(&a_offs),
                    })),
                ];
                // Bᵀ as rows at offsets
                let (bt_rows, bt_offs) = as_rows(
                    n,
                    k,
                    Mat {
                        data: b.data,
                        rs: b.cs,
                        cs: b.rs,
                    },
                );
                let rhs = [
                    Rhs::Mat(b),
                    Rhs::Rows(Rows {
                        data: &b_rows,
                        offs: Offsets::Table(&b_offs),
                    }),
                    Rhs::RowsT(Rows {
                        data: &bt_rows,
                        offs: Offsets::Table(&bt_offs),
                    }),
                ];
                for beta in [0.0f32, 1.0, -0.5] {
                    let ldc = n + 3;
                    let c0: Vec<f32> = (0..m * ldc)
                        .map(|i| {
                            if beta == 0.0 {
                                f32::NAN
                            } else {
                                (i % 7) as f32
                            }
                        })
                        .collect();
                    let mut want = c0.clone();
                    reference(m, n, k, a, b, beta, &mut want, ldc);
                    for (li, l) in lhs.iter().enumerate() {
                        let Some(l) = *l else { continue };
                        for (ri, &r) in rhs.iter().enumerate() {
                            let mut ws = vec![0.0; ws_len(m, n, k, true)];
                            let mut got = c0.clone();
                            gemm(m, n, k, l, r, beta, &mut got, ldc, &mut ws);
                            let what = format!("{path:?} lhs {li} rhs {ri} m{m} n{n} k{k} ta{ta} tb{tb} beta{beta}");
                            for i in 0..m {
                                for j in 0..ldc {
                                    let (g, w) = (got[i * ldc + j], want[i * ldc + j]);
                                    if j >= n {
                                        assert!(
                                            g.to_bits() == c0[i * ldc + j].to_bits(),
                                            "{what}: wrote outside C"
                                        );
                                    } else {
                                        let tol = 1e-4 * (k as f32).sqrt() * (1.0 + w.abs());
                                        assert!(
                                            (g - w).abs() <= tol,
                                            "{what} [{i},{j}]: {g} vs {w}"
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    force_path(None);
}

/// `x` (`r×c`) copied as rows at offsets: row `i` stored at `offs[i]`, in reverse order, 3
/// floats apart.
#[cfg(feature = "std")]
fn as_rows(r: usize, c: usize, x: Mat) -> (Vec<f32>, Vec<usize>) {
    let mut data = vec![f32::NAN; r * (c + 3) + 3];
    let offs: Vec<usize> = (0..r).map(|i| (r - 1 - i) * (c + 3) + 1).collect();
    for i in 0..r {
        for j in 0..c {
            data[offs[i] + j] = x.data[i * x.rs + j * x.cs];
        }
    }
    (data, offs)
}

/// The matrix-vector product, both code paths, every row group and tail.
#[cfg(feature = "std")]
#[test]
fn matrix_vector_products() {
    let mut outs = Vec::new();
    for path in paths() {
        force_path(Some(path));
        let mut rng = crate::rng::Rng::new(3); // the same inputs on every path
        let mut out = Vec::new();
        for &(rows, n) in &[
            (1, 1),
            (4, 16),
            (7, 37),
            (23, 400),
            (5, 15),
            (120, 400),
            (10, 84),
            (84, 120),
            (16, 31),
            (9, 8),
            (8, 24),
        ] {
            let w: Vec<f32> = (0..rows * n).map(|_| rng.normal()).collect();
            let x: Vec<f32> = (0..n).map(|_| rng.normal()).collect();
            let b: Vec<f32> = (0..rows).map(|_| rng.normal()).collect();
            let mut y = vec![f32::NAN; rows];
            crate::kernels::gemv(&w, &x, &b, &mut y);
            for i in 0..rows {
                let want: f64 = b[i] as f64
                    + (0..n)
                        .map(|j| w[i * n + j] as f64 * x[j] as f64)
                        .sum::<f64>();
                assert!(
                    (y[i] as f64 - want).abs() < 1e-4 * (n as f64).sqrt(),
                    "{path:?} {rows}x{n} [{i}]"
                );
            }
            out.extend(y.iter().map(|v| v.to_bits()));
        }
        outs.push((path, out));
    }
    force_path(None);
    // the AVX-512 rows are the AVX2 arithmetic, eight rows at a time: the same bits
    let bits = |p: Path| outs.iter().find(|o| o.0 == p).map(|o| &o.1);
    if let (Some(a), Some(b)) = (bits(Path::Avx2), bits(Path::Avx512)) {
        assert!(a == b, "AVX-512 and AVX2 matrix-vector products differ");
    }
}

/// Forcing a path selects its tile kernel, and every path the CPU has is among those tested.
#[cfg(feature = "std")]
#[test]
fn each_path_the_cpu_allows_is_selected() {
    let ps = paths();
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        assert_eq!(ps.contains(&Path::Avx2), avx2);
        let avx512 = avx2 && std::is_x86_feature_detected!("avx512f");
        assert_eq!(ps.contains(&Path::Avx512), avx512);
    }
    assert!(ps.contains(&Path::Portable));
    for p in ps {
        force_path(Some(p));
        let k = tile::kernel() as usize;
        let f = |k: tile::Kernel| k as usize;
        let want = match p {
            Path::Portable => f(tile::portable),
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => f(tile::avx2::block),
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => f(avx512::block),
            #[cfg(not(target_arch = "x86_64"))]
            _ => unreachable!("no x86 path off x86"),
        };
        assert_eq!(k, want, "{p:?}");
    }
    force_path(None);
}

#[test]
fn window_offsets_are_the_im2col_rows() {
    // 2 channels of 4×5, 3×3 kernel, dilation 2 → rows (c, ki, kj) at c·20 + ki·2·5 + kj·2
    let o = Offsets::Window {
        kh: 3,
        kw: 3,
        plane: 20,
        row: 10,
        col: 2,
    };
    assert_eq!(o.at(0), 0);
    assert_eq!(o.at(5), 10 + 4);
    assert_eq!(o.at(9 + 7), 20 + 20 + 2);
    let mut all = [0usize; 18];
    o.fill(0, &mut all);
    assert!(all.iter().enumerate().all(|(i, &v)| v == o.at(i)));
    let mut tail = [0usize; 7];
    o.fill(11, &mut tail);
    assert!(tail.iter().enumerate().all(|(i, &v)| v == o.at(11 + i)));
    // a 2×3 kernel over 2 planes of 30: row (c, ki, kj) = (c·2 + ki)·3 + kj
    let r = Offsets::Window {
        kh: 2,
        kw: 3,
        plane: 30,
        row: 6,
        col: 1,
    };
    assert_eq!(r.at(4), 6 + 1);
    assert_eq!(r.at(6 + 5), 30 + 6 + 2);
    let mut all = [0usize; 12];
    r.fill(0, &mut all);
    assert!(all.iter().enumerate().all(|(i, &v)| v == r.at(i)));
    r.fill(5, &mut all[..7]);
    assert!(all[..7].iter().enumerate().all(|(i, &v)| v == r.at(5 + i)));
}

#[cfg(feature = "std")]
std::thread_local!(pub(super) static FORCE_PATH: core::cell::Cell<Option<Path>> = const { core::cell::Cell::new(None) });
