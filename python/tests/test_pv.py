"""PV (`nnmip.pv`) on tiny networks against independent oracles (tests/verify/pv_test.cpp): the
logit-l1 optimum of CBC equals the `enum` backend's (every activation/sign pattern, one LP
each) and a dense numpy grid; the margin optimum equals linear_bound's milp tier."""
import numpy as np
import pytest

import nnmip
from conftest import numpy_forward, random_layers


def logits(layers, X):
    h = np.atleast_2d(X)
    for W, b, act in layers:
        a = h @ W.T + b
        h = np.maximum(a, 0.0) if act == "relu" else a
    return a


def grid_max(layers, lo, hi, f, n=401):
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    X = np.stack([g0.ravel(), g1.ravel()], axis=1)
    return f(logits(layers, X)).max()


CASES = [(3, [2, 5, 5, 3]), (11, [2, 6, 4]), (29, [2, 4, 4, 4])]


@pytest.mark.parametrize("seed,sizes", CASES)
def test_logit_l1_equals_enumeration_and_grid(seed, sizes):
    layers = random_layers(sizes, seed)
    net = nnmip.Network.from_layers(layers)
    x0 = np.array([0.1, -0.2])
    d = nnmip.Domain(x0 - 0.6, x0 + 0.6)
    cbc = nnmip.pv(net, d, x0, objective="logit-l1", method="interval", time_limit=60)
    enum = nnmip.pv(net, d, x0, objective="logit-l1", method="interval", time_limit=60,
                    backend="enum")
    z0 = logits(layers, x0)[0]
    assert cbc["proven"]
    assert d.contains(cbc["x"])
    hand = np.abs(logits(layers, cbc["x"])[0] - z0).sum()
    assert abs(cbc["value"] - hand) <= 1e-12
    assert abs(cbc["bound"] - enum["bound"]) <= 1e-5 * (1 + enum["bound"])
    assert abs(cbc["value"] - cbc["bound"]) <= 1e-5 * (1 + cbc["bound"])
    sampled = grid_max(layers, d.lo, d.hi, lambda Z: np.abs(Z - z0).sum(axis=1))
    assert cbc["bound"] >= sampled - 1e-9
    assert cbc["value"] >= sampled - 1e-7
    assert cbc["value"] - sampled <= 2e-2 * (1 + sampled)
    assert cbc["found_class"] == int(np.argmax(logits(layers, cbc["x"])[0]))


@pytest.mark.parametrize("seed,sizes", CASES)
def test_margin_equals_linear_bound_milp(seed, sizes):
    layers = random_layers(sizes, seed)
    net = nnmip.Network.from_layers(layers)
    x0 = np.array([0.1, -0.2])
    d = nnmip.Domain(x0 - 0.6, x0 + 0.6)
    r = nnmip.pv(net, d, x0, objective="margin", method="lp", time_limit=60)
    c = r["class0"]
    oracle = -np.inf
    for j in range(sizes[-1]):
        if j == c:
            continue
        coef = np.zeros(sizes[-1])
        coef[j], coef[c] = 1.0, -1.0
        lo, hi, _, _ = nnmip.linear_bound(net, d, coef, method="milp")
        oracle = max(oracle, hi)
    assert abs(r["value"] - oracle) <= 1e-5 * (1 + abs(oracle))
    assert abs(r["bound"] - oracle) <= 1e-5 * (1 + abs(oracle))
    z = logits(layers, r["x"])[0]
    assert abs(r["value"] - max(z[j] - z[c] for j in range(len(z)) if j != c)) <= 1e-12


def test_softmax_l1_bound_above_value():
    layers = random_layers([2, 6, 4], 11)
    net = nnmip.Network.from_layers(layers)
    x0 = np.array([0.1, -0.2])
    d = nnmip.Domain(x0 - 0.6, x0 + 0.6)
    r = nnmip.pv(net, d, x0, objective="softmax-l1", method="lp", time_limit=60)
    def sm(Z):
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    p0 = sm(logits(layers, x0))[0]
    assert abs(r["value"] - np.abs(sm(logits(layers, r["x"]))[0] - p0).sum()) <= 1e-12
    sampled = grid_max(layers, d.lo, d.hi, lambda Z: np.abs(sm(Z) - p0).sum(axis=1), n=201)
    assert r["bound"] >= sampled - 1e-9 and r["bound"] <= 2.0 + 1e-6
    assert r["value"] <= r["bound"]
