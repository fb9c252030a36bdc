"""BDNN from numpy arrays: the exact training MILP's optimum against exhaustive enumeration
(tests/bdnn/exact_trainer_test.cpp, here in numpy), the forward-pass check, predict/evaluate,
and the heuristic on Breast Cancer Wisconsin (seed 1 split, d1 = 25: 92.9 % test accuracy as in
docs/results_bdnn.md)."""
import itertools

import numpy as np
import pytest

import nnmip


def exhaustive_pm1_zero(X, y, hidden):
    """Fewest margin-consistent errors over step nets with weights in {-1, 1}, thresholds 0,
    step output (class 1 iff a >= 0); margin 1e-3: a unit is inactive iff a <= -1e-3."""
    n, d = X.shape
    margin = 1e-3
    best = n
    for w1 in itertools.product([-1.0, 1.0], repeat=hidden * d):
        A = X @ np.array(w1).reshape(hidden, d).T
        if np.any((A < 0) & (A > -margin)):
            continue
        H = (A >= 0).astype(float)
        for w2 in itertools.product([-1.0, 1.0], repeat=hidden):
            a2 = H @ np.array(w2)
            if np.any((a2 < 0) & (a2 > -margin)):
                continue
            best = min(best, int(np.sum((a2 >= 0) != (y == 1))))
    return best


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_milp_optimum_equals_enumeration(seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (8, 2))
    y = rng.integers(0, 2, 8)
    net, rep = nnmip.bdnn.train(X, y, hidden=2, method="milp", threshold="zero", weights="pm1",
                                time_limit=60)
    expected = exhaustive_pm1_zero(X, y, 2)
    assert rep["status"] == "optimal"
    assert rep["errors"] == expected
    assert abs(rep["objective"] - expected) <= 1e-6 and rep["gap"] == 0.0
    assert rep["forward_check_ok"] is True
    assert rep["train"]["margin_errors"] == expected and rep["train"]["band_points"] == 0
    pred = nnmip.bdnn.predict(net, X)
    assert int(np.sum(pred != y)) == rep["train"]["errors"] == expected
    assert nnmip.bdnn.evaluate(net, X, y)["errors"] == expected
    assert set(np.unique(net.layers[0][0])) <= {-1.0, 1.0}


def test_xor_is_learned_exactly():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    net, rep = nnmip.bdnn.train(X, y, hidden=2, method="milp", threshold="neuron", time_limit=60)
    assert rep["errors"] == 0 and rep["forward_check_ok"]
    assert list(nnmip.bdnn.predict(net, X)) == [0, 1, 1, 0]


def read_bcw(path):
    """UCI breast-cancer-wisconsin.data with numpy: '?' -> the column median, (v - 1) / 9,
    class 4 (malignant) -> 1: the library's reading (data/csv_io.hpp)."""
    rows = [l.strip().split(",") for l in open(path) if l.strip()]
    F = np.array([[np.nan if v == "?" else float(v) for v in r[1:10]] for r in rows])
    med = np.nanmedian(F, axis=0)
    F = np.where(np.isnan(F), med, F)
    return (F - 1.0) / 9.0, np.array([1 if r[10] == "4" else 0 for r in rows])


def test_heuristic_on_bcw_matches_the_table(data_dir):
    X, y = read_bcw(data_dir / "breast_cancer_wisconsin" / "breast-cancer-wisconsin.data")
    Xl, yl = nnmip.load_dataset("bcw", split="all", data_dir=str(data_dir))
    assert np.array_equal(X, Xl) and np.array_equal(y, yl)  # numpy reads it as the library does
    Xtr, ytr, Xte, yte = nnmip.split(X, y, train_fraction=0.8, seed=1)
    assert len(ytr) == 559 and len(yte) == 140
    net, rep = nnmip.bdnn.train(Xtr, ytr, hidden=25, method="heuristic", seed=1, time_limit=120)
    test_acc = np.mean(nnmip.bdnn.predict(net, Xte) == yte)
    assert round(100 * test_acc, 1) == 92.9  # docs/results_bdnn.md, BDNN heur. d1 = 25
    assert rep["errors"] == 2 and round(100 * rep["train_accuracy"], 1) == 99.6
