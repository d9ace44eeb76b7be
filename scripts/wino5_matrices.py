#!/usr/bin/env python3
"""Derives the matrices of Winograd F(2, 5) (interpolation points 0, 1, -1, 2, -2 and infinity)
used by dl-core/src/kernels/wino5.rs, and checks exactly, in rationals, that
Y = A^T [(G g G^T) * (B^T d B)] A is the 2x2 correlation of a 6x6 tile d with a 5x5 filter g.

A^T and G follow the Toom-Cook construction (Lagrange basis at the points, the point at infinity
taking the top coefficient); B^T is then the unique solution of the one-dimensional identity.
Needs sympy. Prints the three matrices; exits non-zero if a check fails."""
import random
import sys

from sympy import Matrix, Rational, linsolve, prod, symbols

PTS = [Rational(p) for p in (0, 1, -1, 2, -2)]
M, R = 2, 5
N = M + R - 1

at = Matrix(M, N, lambda i, p: PTS[p] ** i if p < N - 1 else int(i == M - 1))
f = [prod(PTS[p] - PTS[q] for q in range(N - 1) if q != p) for p in range(N - 1)]
g_m = Matrix(N, R, lambda p, k: PTS[p] ** k / f[p] if p < N - 1 else int(k == R - 1))
b = symbols(f"b0:{N * N}")
bt_s = Matrix(N, N, b)
eqs = [
    sum(at[i, p] * g_m[p, k] * bt_s[p, j] for p in range(N)) - int(j == i + k)
    for i in range(M)
    for k in range(R)
    for j in range(N)
]
sols = list(linsolve(eqs, b))
if len(sols) != 1 or bt_s.subs(dict(zip(b, sols[0]))).free_symbols:
    sys.exit("B^T is not unique")
bt = bt_s.subs(dict(zip(b, sols[0])))

# the constants written in wino5.rs
want_bt = Matrix(
    [
        [4, 0, -5, 0, 1, 0],
        [0, -4, -4, 1, 1, 0],
        [0, 4, -4, -1, 1, 0],
        [0, -2, -1, 2, 1, 0],
        [0, 2, -1, -2, 1, 0],
        [0, 4, 0, -5, 0, 1],
    ]
)
q = Rational
want_g = Matrix(
    [
        [q(1, 4), 0, 0, 0, 0],
        [q(-1, 6)] * 5,
        [q(-1, 6), q(1, 6), q(-1, 6), q(1, 6), q(-1, 6)],
        [q(1, 24), q(1, 12), q(1, 6), q(1, 3), q(2, 3)],
        [q(1, 24), q(-1, 12), q(1, 6), q(-1, 3), q(2, 3)],
        [0, 0, 0, 0, 1],
    ]
)
want_at = Matrix([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 1]])
ok = bt == want_bt and g_m == want_g and at == want_at

rng = random.Random(5)
for _ in range(20):
    d = Matrix(N, N, lambda *_: rng.randint(-9, 9))
    w = Matrix(R, R, lambda *_: rng.randint(-9, 9))
    y = at * (g_m * w * g_m.T).multiply_elementwise(bt * d * bt.T) * at.T
    direct = Matrix(M, M, lambda i, j: sum(w[a, c] * d[i + a, j + c] for a in range(R) for c in range(R)))
    ok &= y == direct

print("A^T =", at.tolist())
print("G   =", g_m.tolist())
print("B^T =", bt.tolist())
print("identity and constants:", "ok" if ok else "FAILED")
sys.exit(0 if ok else 1)
