"""Verification from Python: a hand-checked toy property (sat / unsat) and, with the shared
data, mnist-net_256x2 on prop_0_0.03 (unsat) and prop_0_0.05 (sat, counterexample re-checked in
numpy)."""
import numpy as np
import pytest

import nnmip
from conftest import numpy_forward, two_relu_toy

TOY = """(declare-const X_0 Real)
(declare-const X_1 Real)
(declare-const Y_0 Real)
(assert (>= X_0 -1.0))
(assert (<= X_0 1.0))
(assert (>= X_1 -1.0))
(assert (<= X_1 1.0))
(assert (>= Y_0 {t}))
"""


def test_toy_property_sat_and_unsat():
    net = two_relu_toy()  # max y = 2 on [-1, 1]^2
    prop = nnmip.parse_vnnlib(TOY.format(t=2.5))
    assert prop.num_inputs == 2 and prop.num_outputs == 1
    assert np.array_equal(prop.lo, [-1, -1]) and len(prop.disjuncts) == 1
    r = nnmip.verify(net, prop, time_limit=30)
    assert r["status"] == "unsat" and r["x"] is None
    r = nnmip.verify(net, nnmip.parse_vnnlib(TOY.format(t=1.9)), time_limit=30)
    assert r["status"] == "sat"
    y = numpy_forward(net.layers, r["x"])[0]
    assert np.all(r["x"] >= -1) and np.all(r["x"] <= 1) and y[0] >= 1.9
    assert abs(r["y"][0] - y[0]) <= 1e-12
    assert r["phases"] and [p["phase"] for p in r["phases"]][-1] == "attack"


def prop(data_dir, name):
    p = data_dir / "vnncomp" / "mnist_fc" / "vnnlib" / name
    if not p.exists():
        pytest.skip("no %s" % p)
    return p


def test_mnist_256x2_prop_0_0_03_unsat(mnist_256x2, data_dir):
    r = nnmip.verify(mnist_256x2, prop(data_dir, "prop_0_0.03.vnnlib"), time_limit=120)
    assert r["status"] == "unsat", r["reason"]


def test_mnist_256x2_prop_0_0_05_sat_rechecked_in_numpy(mnist_256x2, data_dir):
    p = nnmip.read_vnnlib(prop(data_dir, "prop_0_0.05.vnnlib"))
    r = nnmip.verify(mnist_256x2, p, time_limit=120)
    assert r["status"] == "sat", r["reason"]
    x = r["x"]
    assert np.all(x >= p.lo) and np.all(x <= p.hi)
    y = numpy_forward(mnist_256x2.layers, x)[0]
    assert p.output_unsafe(list(y))
    # the unsafe region re-checked by hand: some disjunct's atoms coef . y <= rhs all hold
    assert any(all(coef @ y <= rhs for coef, rhs in d) for d in p.disjuncts)
