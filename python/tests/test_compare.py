"""nnmip.compare / certify_prune / stack on tiny networks (2 inputs, 2 hidden layers, the shapes of
tests/compare/compare_test.cpp with numpy-seeded weights) against independent oracles: the enum
backend (every binary pattern, one LP each) on the same MILPs, numpy forward passes over a dense
grid of the box, and N2 = N1 (no difference anywhere, proved)."""
import numpy as np
import pytest

import nnmip
from conftest import numpy_forward, random_layers

SEEDS = (3, 7, 19)
BOX = nnmip.Domain(-np.ones(2), np.ones(2))


def pair(seed, same_arch=False):
    """Two different 2-3-3-3 / 2-4-2-3 networks, or a network and a perturbed copy."""
    la = random_layers([2, 3, 3, 3], seed)
    if same_arch:
        rng = np.random.default_rng(seed + 100)
        lb = [(W + rng.normal(0.0, 0.3, W.shape), b, act) for W, b, act in la]
    else:
        lb = random_layers([2, 4, 2, 3], seed + 50)
    return la, lb, nnmip.Network.from_layers(la), nnmip.Network.from_layers(lb)


def grid(n=401, lo=-1.0, hi=1.0):
    t = np.linspace(lo, hi, n)
    g0, g1 = np.meshgrid(t, t)
    return np.column_stack([g0.ravel(), g1.ravel()])


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def pre_activations(layers, x):
    h, pre = np.asarray(x, dtype=float), []
    for W, b, act in layers[:-1]:
        a = W @ h + b
        pre.append(a)
        h = np.maximum(a, 0.0)
    return np.concatenate(pre)


def rel(a, b, tol):
    return abs(a - b) <= tol * (1.0 + abs(b))


@pytest.mark.parametrize("seed", SEEDS)
def test_maxdiff_logit_equals_enum_and_grid(seed):
    la, lb, a, b = pair(seed)
    r = nnmip.compare(a, b, "maxdiff-logit", BOX, method="symbolic", time_limit=60)
    e = nnmip.compare(a, b, "maxdiff-logit", BOX, method="symbolic", backend="enum")
    nd = nnmip.compare(a, b, "maxdiff-logit", BOX, method="symbolic", diff_bounds=False)
    X = grid()
    sampled = np.abs(numpy_forward(la, X) - numpy_forward(lb, X)).sum(axis=1).max()
    print("maxdiff-logit seed %d: value %.6f bound %.6f enum %.6f grid %.6f" %
          (seed, r["value"], r["bound"], e["bound"], sampled))
    assert r["proven"] and e["proven"] and r["status"] == "proved"
    x = r["x"]
    assert np.all(x >= -1) and np.all(x <= 1)
    at_x = np.abs(numpy_forward(la, x) - numpy_forward(lb, x)).sum()
    assert abs(r["value"] - at_x) <= 1e-12 * (1 + at_x)
    assert rel(r["bound"], e["bound"], 1e-5)  # CBC and enumeration agree
    assert rel(r["value"], r["bound"], 1e-5)  # proved
    assert r["bound"] >= sampled and r["value"] >= sampled - 1e-9
    assert rel(nd["bound"], r["bound"], 1e-5)  # the differential rows change no optimum
    assert r["trivial_bound"] <= nd["trivial_bound"] + 1e-9
    np.testing.assert_allclose(r["n1"]["logits"], numpy_forward(la, x)[0], atol=1e-12)
    np.testing.assert_allclose(r["n2"]["probabilities"], softmax(numpy_forward(lb, x))[0],
                               atol=1e-12)
    assert r["n1"]["class"] == int(np.argmax(numpy_forward(la, x)))
    assert r["milps"] and all(m["binaries"] >= 0 for m in r["milps"])
    assert r["comparator"] == "maxdiff-logit" and r["method"] == "symbolic"


@pytest.mark.parametrize("seed", SEEDS)
def test_maxdiff_probabilities_bound_above_grid(seed):
    la, lb, a, b = pair(seed)
    r = nnmip.compare(a, b, "maxdiff", BOX, method="symbolic", time_limit=30)
    X = grid(201)
    vals = np.abs(softmax(numpy_forward(la, X)) - softmax(numpy_forward(lb, X))).sum(axis=1)
    at_x = np.abs(softmax(numpy_forward(la, r["x"])) - softmax(numpy_forward(lb, r["x"]))).sum()
    print("maxdiff seed %d: value %.6f bound %.6f grid %.6f" %
          (seed, r["value"], r["bound"], vals.max()))
    assert abs(r["value"] - at_x) <= 1e-12
    assert vals.max() <= r["bound"] <= 2.0
    assert r["value"] >= vals.max() - 0.02


@pytest.mark.parametrize("seed", SEEDS)
def test_mineps_equals_enum_and_grid(seed):
    la, lb, a, b = pair(seed)
    # x0: the point of [0, 1]^2 where both networks pick the same class by the largest margin
    # (the eps_max ball is clipped to [0, 1], as `nnmip compare`); seed 19's pair agrees
    # nowhere there (eps 0 at x0 = 0).
    X = grid(201, 0.0, 1.0)
    za, zb = numpy_forward(la, X), numpy_forward(lb, X)
    ca, cb = np.argmax(za, axis=1), np.argmax(zb, axis=1)
    margin = lambda z: np.sort(z, axis=1)[:, -1] - np.sort(z, axis=1)[:, -2]
    score = np.where(ca == cb, np.minimum(margin(za), margin(zb)), -np.inf)
    x0 = X[np.argmax(score)]
    c0 = int(np.argmax(numpy_forward(la, x0)))
    r = nnmip.compare(a, b, "mineps", x0=x0, method="symbolic", margin=1e-3)
    e = nnmip.compare(a, b, "mineps", x0=x0, method="symbolic", margin=1e-3,
                      backend="enum", attack=False)
    # The thesis's single MILP (one binary per wrong class) proves the same minimum.
    s = nnmip.compare(a, b, "mineps", x0=x0, method="symbolic", margin=1e-3,
                      mineps_form="single", attack=False)
    assert s["mineps_form"] == "single" and s["proven"] and s["status"] == r["status"]
    assert s["bound"] == r["bound"] or abs(s["bound"] - r["bound"]) <= 1e-5
    # Grid points where N1 picks c0 and N2 another class by 1e-3: each one's eps >= the minimum.
    sep = (ca == c0) & (za[:, c0] >= np.delete(za, c0, axis=1).max(axis=1) + 1e-3) & \
        (np.delete(zb, c0, axis=1).max(axis=1) >= zb[:, c0] + 1e-3)
    grid_min = np.abs(X[sep] - x0).max(axis=1).min() if sep.any() else np.inf
    print("mineps seed %d: x0 %s class %d %s value %.6f bound %.6f enum %.6f grid %.6f" %
          (seed, x0, c0, r["status"], r["value"], r["bound"], e["bound"], grid_min))
    assert r["proven"] and e["proven"] and r["class0"] == c0
    assert r["bound"] <= grid_min + 1e-9
    if r["status"] == "infeasible":
        assert e["status"] == "infeasible" and r["bound"] == np.inf and grid_min == np.inf
        return
    x = r["x"]
    if np.isfinite(score.max()):  # the networks agree at x0: separating them takes eps > 0
        assert r["value"] > 0.0
    assert abs(r["value"] - np.abs(x - x0).max()) <= 1e-12
    assert int(np.argmax(numpy_forward(la, x))) == c0
    assert int(np.argmax(numpy_forward(lb, x))) != c0
    assert r["bound"] <= e["bound"] + 1e-6 and e["bound"] <= r["value"] + 1e-6
    assert abs(r["value"] - r["bound"]) <= 1e-5
    assert r["value"] <= grid_min + 1e-9


def test_maxout_all_pairs_match_numpy_and_grid():
    la, lb, a, b = pair(3)
    out = nnmip.compare(a, b, "maxout", BOX, classes="all", method="symbolic", margin=1e-3)
    assert len(out["results"]) == 6
    X = grid(201)
    c1s = np.argmax(numpy_forward(la, X), axis=1)
    c2s = np.argmax(numpy_forward(lb, X), axis=1)
    found = 0
    for r in out["results"]:
        c1, c2 = r["class1"], r["class2"]
        assert r["proven"]
        if r["status"] == "found":
            found += 1
            za, zb = numpy_forward(la, r["x"])[0], numpy_forward(lb, r["x"])[0]
            assert np.argmax(za) == c1 and np.argmax(zb) == c2
            assert abs(r["value"] - (za[c1] + zb[c2])) <= 1e-12 * (1 + abs(r["value"]))
            assert rel(r["value"], r["bound"], 1e-5)
        else:
            assert r["status"] == "impossible"
            assert not np.any((c1s == c1) & (c2s == c2))  # no grid point has both argmaxes
    one = nnmip.compare(a, b, "maxout", BOX, classes=(out["results"][0]["class1"],
                                                       out["results"][0]["class2"]),
                        method="symbolic", margin=1e-3)
    assert one["status"] == out["results"][0]["status"]
    print("maxout seed 3: %d of 6 pairs found" % found)


@pytest.mark.parametrize("seed", SEEDS)
def test_maxflip_bound_above_enum_above_value(seed):
    la, lb, a, b = pair(seed, same_arch=True)
    r = nnmip.compare(a, b, "maxflip", BOX, method="symbolic", margin=1e-3)
    e = nnmip.compare(a, b, "maxflip", BOX, method="symbolic", margin=1e-3, backend="enum")
    pa, pb = pre_activations(la, r["x"]), pre_activations(lb, r["x"])
    d, tol = 1e-3, 1e-6
    strict = np.sum(((pa >= d) & (pb <= -d)) | ((pb >= d) & (pa <= -d)))
    loose = np.sum(((pa >= d - tol) & (pb <= -d + tol)) | ((pb >= d - tol) & (pa <= -d + tol)))
    print("maxflip seed %d: value %.0f bound %.0f enum %.0f" %
          (seed, r["value"], r["bound"], e["bound"]))
    assert r["proven"]
    assert strict <= r["value"] <= loose
    assert r["bound"] >= e["bound"] >= r["value"]


def test_identical_networks_differ_nowhere():
    la = random_layers([2, 3, 3, 3], 5)
    a = nnmip.Network.from_layers(la)
    r = nnmip.compare(a, a, "maxdiff-logit", BOX, method="symbolic")
    assert r["proven"] and r["value"] == 0.0 and r["bound"] <= 1e-5
    r = nnmip.compare(a, a, "maxflip", BOX, method="symbolic", margin=1e-3)
    assert r["proven"] and r["value"] == 0.0 and r["bound"] == 0.0
    r = nnmip.compare(a, a, "mineps", BOX, x0=np.zeros(2), method="symbolic")
    assert r["proven"] and r["status"] == "infeasible" and r["bound"] == np.inf
    assert r["x"] is None


def test_swap_and_refusals():
    la, lb, a, b = pair(7)
    r = nnmip.compare(a, b, "maxdiff-logit", BOX, method="symbolic")
    s = nnmip.compare(a, b, "maxdiff-logit", BOX, method="symbolic", swap=True)
    assert rel(s["bound"], r["bound"], 1e-5)  # symmetric objective
    np.testing.assert_allclose(s["n1"]["logits"], numpy_forward(lb, s["x"])[0], atol=1e-12)
    with pytest.raises(ValueError):
        nnmip.compare(a, b, "maxflip", BOX)  # architectures differ
    with pytest.raises(ValueError):
        nnmip.compare(a, b, "maxdif", BOX)
    with pytest.raises(ValueError):
        nnmip.compare(a, b, "maxdiff-logit", BOX, classes=(0, 1))
    with pytest.raises(ValueError):
        nnmip.compare(a, b, "maxout", BOX)  # no classes
    with pytest.raises(ValueError):
        nnmip.compare(a, b, "maxdiff-logit")  # no domain
    with pytest.raises(ValueError):
        nnmip.compare(a, b, "mineps", BOX, x0=np.zeros(3))


def test_backend_options_reach_the_milps():
    la, lb, a, b = pair(7)
    r = nnmip.compare(a, b, "maxdiff-logit", BOX, method="symbolic")
    s = nnmip.compare(a, b, "maxdiff-logit", BOX, method="symbolic",
                      backend_options={"cuts": "off", "heuristics": "off"})
    assert r["proven"] and s["proven"]
    assert rel(s["value"], r["value"], 1e-6)  # the same optimum without cuts
    solved = [m for m in s["milps"] if m["wall_s"] > 0]  # skipped MILPs take no time
    assert solved and all(m["detail"] for m in solved)
    with pytest.raises(ValueError):
        nnmip.compare(a, b, "maxdiff-logit", BOX, method="symbolic",
                      backend_options={"no_such_option": "1"})


def test_stack_forward_is_both_outputs():
    shapes = (([2, 3, 3, 3], [2, 4, 2, 3]), ([2, 3, 3, 3], [2, 4, 3]), ([5, 7, 2], [5, 3, 4, 6, 4]))
    for sa, sb in shapes:
        la, lb = random_layers(sa, 11), random_layers(sb, 12)
        s, info = nnmip.stack(nnmip.Network.from_layers(la), nnmip.Network.from_layers(lb))
        X = np.random.default_rng(1).uniform(-1, 1, (50, sa[0]))
        np.testing.assert_allclose(s.forward(X), np.hstack([numpy_forward(la, X),
                                                            numpy_forward(lb, X)]), atol=1e-12)
        assert info["outputs_a"] == sa[-1] and info["outputs_b"] == sb[-1]
        assert info["depth_a"] == len(sa) - 1 and info["depth_b"] == len(sb) - 1
    with pytest.raises(ValueError):
        nnmip.stack(nnmip.Network.from_layers(random_layers([2, 3, 2], 1)),
                    nnmip.Network.from_layers(random_layers([3, 3, 2], 1)))


def test_certify_prune_levels_hold_on_a_grid():
    la = random_layers([2, 4, 4, 3], 21)
    net = nnmip.Network.from_layers(la)
    refs = np.array([[0.3, 0.4], [0.7, 0.2], [0.5, 0.8]])
    labels = np.argmax(numpy_forward(la, refs), axis=1)
    radius = 0.15
    out = nnmip.certify_prune(net, refs, labels, [0, 30, 60, 90], radius=radius,
                              method="symbolic")
    assert [lv["percent"] for lv in out["levels"]] == [0, 30, 60, 90]
    assert out["levels"][0]["all"]  # N2 = N1
    certified = 0
    for lv in out["levels"]:
        pruned, _ = nnmip.prune(net, percent=lv["percent"], scope="global")
        for r, st in enumerate(lv["statuses"]):
            X = np.clip(grid(101, -radius, radius) + refs[r], 0.0, 1.0)
            sep = np.any((np.argmax(net.forward(X), axis=1) == labels[r]) &
                         (np.argmax(pruned.forward(X), axis=1) != labels[r]))
            assert not (st == "infeasible" and sep), (lv["percent"], r)
            certified += st == "infeasible"
    assert certified >= 3
    assert out["largest_certified"] is not None


def test_ctrl_c_ends_a_long_compare_with_its_partial_result():
    # maxdiff-logit of two 20-40-40-10 networks over a wide box, a 600 s limit: SIGINT after 6 s
    # returns within seconds; the partial result keeps an exact value at x and a valid bound.
    import os
    import signal
    import threading
    import time
    la, lb = random_layers([20, 40, 40, 10], 5), random_layers([20, 40, 40, 10], 6)
    a, b = nnmip.Network.from_layers(la), nnmip.Network.from_layers(lb)
    d = nnmip.linf(np.full(20, 0.5), 0.3)
    timer = threading.Timer(6.0, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    with pytest.raises(nnmip.Interrupted) as e:
        nnmip.compare(a, b, "maxdiff-logit", d, method="interval", time_limit=600)
    returned = time.monotonic() - t0 - 6.0
    timer.join()
    print("compare: returned %.2f s after SIGINT" % returned)
    assert returned < 5.0
    assert isinstance(e.value, KeyboardInterrupt)
    r = e.value.result
    assert not r["proven"] and "interrupted" in r["milps"][-1]["termination"]
    at_x = np.abs(numpy_forward(la, r["x"]) - numpy_forward(lb, r["x"])).sum()
    assert abs(r["value"] - at_x) <= 1e-9 * (1 + at_x)
    assert r["value"] <= r["bound"]
