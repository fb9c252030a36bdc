"""Bounds per tier on the C++ tests' tiny networks (tests/bounds/tiers_test.cpp,
solver_tiers_test.cpp, alpha_test.cpp), validity on sampled inputs, linear_bound, Domain parts,
and the big-M model (encode) solved and written."""
import numpy as np
import pytest

import nnmip
from conftest import numpy_forward, random_layers, two_relu_toy

MIP_TOL = 1e-6


# y = relu(x0 - x1) + relu(x0 + x1), x in [-1, 1]^2 (tiers_test.cpp, solver_tiers_test.cpp):
# naive |a1| <= 2, |y| <= 4; interval y in [0, 4]; symbolic [0, 3]; lp [0, 3]; milp [0, 2].
def test_two_relu_toy_literals_per_tier():
    net = two_relu_toy()
    box = nnmip.Domain(-np.ones(2), np.ones(2))
    b = {m: nnmip.bounds(net, box, method=m) for m in
         ("naive", "interval", "symbolic", "alpha", "lp", "milp")}
    assert b["naive"][0][0][0] == -2.0 and b["naive"][0][1][1] == 2.0
    assert b["naive"][1][0][0] == -4.0 and b["naive"][1][1][0] == 4.0
    assert b["interval"][0][0][0] == -2.0 and b["interval"][0][1][0] == 2.0
    assert b["interval"][1][0][0] == 0.0 and b["interval"][1][1][0] == 4.0
    assert b["symbolic"][1][0][0] == 0.0 and b["symbolic"][1][1][0] == 3.0
    assert abs(b["alpha"][1][1][0] - 3.0) <= 1e-9  # one ReLU layer: the triangle LP's value
    assert abs(b["lp"][1][1][0] - 3.0) <= MIP_TOL and abs(b["lp"][1][0][0]) <= MIP_TOL
    assert abs(b["milp"][1][1][0] - 2.0) <= MIP_TOL and abs(b["milp"][1][0][0]) <= MIP_TOL
    st = b["interval"].stats
    assert st[0]["unstable"] == 2 and st[0]["mean_width"] == 4.0 and not st[1]["relu"]
    assert b["interval"].unstable == [2]
    assert b["lp"].stats[0]["lps"] == 0  # layer 0 is exact by interval arithmetic
    assert b["milp"].method == "milp"


# x in [-1, 2]; y = relu(x) - relu(x) (alpha_test.cpp): symbolic [-1, 1], alpha -> [-2/3, 2/3].
def test_alpha_reaches_the_lp_value_on_the_cancelling_pair():
    net = nnmip.Network.from_layers([(np.array([[1.0], [1.0]]), None, "relu"),
                                     (np.array([[1.0, -1.0]]), None, "identity")])
    d = nnmip.Domain([-1.0], [2.0])
    sym = nnmip.bounds(net, d, method="symbolic")
    assert abs(sym[1][0][0] + 1.0) <= 1e-12 and abs(sym[1][1][0] - 1.0) <= 1e-12
    a = nnmip.bounds(net, d, method="alpha", alpha_iterations=200)
    assert -2 / 3 - 1e-3 <= a[1][0][0] <= -2 / 3 + 1e-12
    assert 2 / 3 - 1e-12 <= a[1][1][0] <= 2 / 3 + 1e-3


def test_every_tier_valid_on_sampled_inputs_and_ordered():
    layers = random_layers([3, 8, 8, 2], seed=7)
    net = nnmip.Network.from_layers(layers)
    d = nnmip.Domain(-np.ones(3), np.ones(3))
    X = np.random.default_rng(0).uniform(-1, 1, (5000, 3))
    # pre-activations of every layer, by numpy
    pre, h = [], X
    for W, b, act in layers:
        a = h @ W.T + b
        pre.append(a)
        h = np.maximum(a, 0) if act == "relu" else a
    order = ["naive", "interval", "symbolic", "alpha", "lp", "milp"]
    res = {m: nnmip.bounds(net, d, method=m) for m in order}
    for m in order:
        for l, (lo, hi) in enumerate(res[m].layers):
            assert np.all(lo <= pre[l].min(axis=0) + 1e-9), (m, l)
            assert np.all(hi >= pre[l].max(axis=0) - 1e-9), (m, l)
    for weak, strong in [("naive", "interval"), ("interval", "symbolic"), ("symbolic", "alpha"),
                         ("symbolic", "lp"), ("lp", "milp")]:
        for (lw, hw), (ls, hs) in zip(res[weak].layers, res[strong].layers):
            assert np.all(ls >= lw - 1e-7) and np.all(hs <= hw + 1e-7), (weak, strong)


def test_linear_bound_and_splits():
    net = two_relu_toy()
    d = nnmip.Domain(-np.ones(2), np.ones(2))
    lo, hi, argmin, argmax = nnmip.linear_bound(net, d, np.array([1.0]), method="milp")
    assert abs(lo) <= MIP_TOL and abs(hi - 2.0) <= MIP_TOL
    assert argmax is not None and abs(net.forward(argmax)[0] - 2.0) <= MIP_TOL
    lo, hi, argmin, argmax = nnmip.linear_bound(net, d, np.array([1.0]), method="interval")
    assert (lo, hi) == (0.0, 4.0) and argmin is None and argmax is None
    # Splits: neuron (0, 0) (a = x0 - x1) inactive leaves y = relu(x0 + x1) <= 2 on x0 <= x1.
    ds = nnmip.Domain(-np.ones(2), np.ones(2), splits={(0, 0): "inactive"})
    assert ds.splits == {(0, 0): "inactive"}
    b = nnmip.bounds(net, ds, method="interval")
    assert b[0][1][0] == 0.0  # clamped
    lo, hi, _, argmax = nnmip.linear_bound(net, ds, np.array([1.0]), method="milp")
    assert abs(hi - 2.0) <= MIP_TOL and argmax[0] <= argmax[1] + 1e-9
    # Input rows (LP / MILP honour them). x0 + x1 <= 0.5 keeps the optimum (1, -1), y = 2:
    dr = nnmip.Domain(-np.ones(2), np.ones(2), input_rows=[(np.array([1.0, 1.0]), None, 0.5)])
    lo, hi, _, argmax = nnmip.linear_bound(net, dr, np.array([1.0]), method="milp")
    assert abs(hi - 2.0) <= MIP_TOL  # relu(x0 - x1) = 2 at (1, -1), which satisfies the row
    dr2 = nnmip.Domain(-np.ones(2), np.ones(2), input_rows=[(np.array([1.0, 0.0]), None, 0.5)])
    lo, hi, _, argmax = nnmip.linear_bound(net, dr2, np.array([1.0]), method="milp")
    # x0 <= 0.5: y = |x0 - x1| + ... is largest at x0 = 0.5, x1 = +-1: 1.5 + 0 = 1.5.
    assert abs(hi - 1.5) <= MIP_TOL and argmax[0] <= 0.5 + 1e-9
    assert abs(net.forward(argmax)[0] - 1.5) <= MIP_TOL


def test_encode_solve_arrays_and_write(tmp_path):
    net = two_relu_toy()
    d = nnmip.Domain(-np.ones(2), np.ones(2))
    model = nnmip.encode(net, d, method="interval", objective=("max", 0))
    assert model.binaries == 2
    r = model.solve()
    assert r["termination"] == "optimal"
    assert abs(r["objective"] - 2.0) <= MIP_TOL  # the milp tier's upper bound
    assert abs(net.forward(r["x"])[0] - r["objective"]) <= MIP_TOL  # witness check
    relaxed = nnmip.encode(net, d, method="interval", objective=("max", 0), relax=True)
    assert abs(relaxed.solve()["objective"] - 3.0) <= MIP_TOL  # the lp tier's bound
    assert abs(model.solve(backend="enum")["objective"] - 2.0) <= MIP_TOL
    arr = model.arrays()
    A = arr["A"]
    rows, cols, vals = arr["A_coo"]
    assert A.shape == arr["shape"] == (model.num_rows, model.num_vars)
    B = np.zeros_like(A)
    np.add.at(B, (rows, cols), vals)
    assert np.array_equal(A, B)
    assert arr["integrality"].sum() == 2 and arr["sense"] == "max"
    assert list(arr["input_columns"]) == model.input_columns
    x = r["values"]
    assert np.all(A @ x >= arr["row_lo"] - 1e-7) and np.all(A @ x <= arr["row_hi"] + 1e-7)
    assert abs(arr["c"] @ x + arr["c0"] - r["objective"]) <= 1e-9
    model.write(tmp_path / "toy.mps")
    model.write(tmp_path / "toy.lp")
    mps = (tmp_path / "toy.mps").read_text()
    assert "L1N1_on" in mps and (tmp_path / "toy.lp").stat().st_size > 0
    # Bounds from the user (a Bounds object or [(lo, hi), ...]) give the same model.
    b = nnmip.bounds(net, d, method="interval")
    m2 = nnmip.encode(net, d, bounds=b.layers, objective=("max", 0))
    assert abs(m2.solve()["objective"] - 2.0) <= MIP_TOL


def test_linf_and_neighbours_domains():
    x0 = np.linspace(0, 1, 16)
    d = nnmip.linf(x0, 0.1)
    np.testing.assert_allclose(d.lo, np.clip(x0 - 0.1, 0, 1))
    np.testing.assert_allclose(d.hi, np.clip(x0 + 0.1, 0, 1))
    img = np.zeros((4, 4))
    img[1, 1] = 0.9
    nb = nnmip.neighbours(img.ravel(), eps=0.18, m=3, p=2)
    # avg over the 3x3 window around (0, 0) contains pixel (1, 1): 0.9 / 9 = 0.1
    assert abs(nb.lo[0] - 0.82 * 0.1) <= 1e-12 and abs(nb.hi[0] - 1.18 * 0.1) <= 1e-12
    assert nb.lo[15] == 0.0 and nb.hi[15] == 0.0
    with pytest.raises(ValueError):
        nnmip.neighbours(np.zeros(15))


def test_attack_reaches_the_milp_optimum_on_the_toy():
    net = two_relu_toy()
    d = nnmip.Domain(-np.ones(2), np.ones(2))
    r = nnmip.attack(net, d, np.array([[1.0]]))
    assert abs(r["value"] - 2.0) <= 1e-9  # the exact maximum (milp tier), attained at x0 = 1
    assert d.contains(r["x"]) and abs(net.forward(r["x"])[0] - r["value"]) <= 1e-12
