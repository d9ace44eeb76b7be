//! Helpers shared by the deployment tests.
use dl::{Layer, Shape};

/// Runs `net` on every sample of `x` (batch-1 inference in one arena) and compares with `y`.
pub fn assert_matches<In: Shape, L: Layer<In>>(net: &L, x: &[f32], y: &[f32], tol: f32) {
    let (ni, no) = (In::NUMEL, <L::Out as Shape>::NUMEL);
    assert_eq!(x.len() / ni, y.len() / no);
    let mut arena = vec![0.0; L::SCRATCH];
    let mut out = vec![0.0; no];
    for (i, (xi, yi)) in x.chunks_exact(ni).zip(y.chunks_exact(no)).enumerate() {
        net.infer(xi, &mut out, &mut arena);
        for (j, (a, b)) in out.iter().zip(yi).enumerate() {
            assert!(
                (a - b).abs() <= tol,
                "sample {i} output {j}: dl {a} vs PyTorch {b} (tolerance {tol})"
            );
        }
    }
}
