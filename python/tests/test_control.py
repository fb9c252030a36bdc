"""Errors, Ctrl-C and fork: ErrorKind -> Python exception with the library's one-line message;
SIGINT during a long MILP bound computation returns within seconds with valid partial bounds;
the solves that run in a forked child (PV's hard-limited MILPs, the BDNN engine's isolated MILP)
give the right answers while another Python thread runs."""
import os
import signal
import threading
import time

import numpy as np
import pytest

import nnmip
from conftest import random_layers, two_relu_toy


def one_line(exc):
    msg = str(exc.value)
    assert msg and "\n" not in msg
    return msg


def test_error_kinds_map_to_python_exceptions(tmp_path):
    with pytest.raises(OSError) as e:  # kIo
        nnmip.Network.from_onnx(tmp_path / "missing.onnx")
    assert "missing.onnx" in one_line(e)
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x08\x07not a model at all")
    with pytest.raises(ValueError) as e:  # kInvalidInput
        nnmip.Network.from_onnx(garbage)
    assert "garbage.onnx" in one_line(e)
    with pytest.raises(ValueError) as e:  # kInvalidInput: shapes
        nnmip.Network.from_layers([(np.ones((3, 2)), np.zeros(3), "relu"),
                                   (np.ones((1, 2)), np.zeros(1), "identity")])
    one_line(e)
    with pytest.raises(ValueError) as e:
        nnmip.Domain([0.0, 1.0], [1.0, 0.0])
    one_line(e)
    with pytest.raises(ValueError) as e:
        nnmip.bounds(two_relu_toy(), nnmip.Domain(-np.ones(2), np.ones(2)), method="exact")
    assert "exact" in one_line(e)
    step = nnmip.Network.from_layers([(np.ones((2, 2)), None, "step"),
                                      (np.ones((1, 2)), None, "identity")])
    with pytest.raises(NotImplementedError) as e:  # kUnsupported
        nnmip.bounds(step, nnmip.Domain(np.zeros(2), np.ones(2)), method="interval")
    one_line(e)
    with pytest.raises(ValueError):
        nnmip.parse_vnnlib("(declare-const X_0 Real)\n(assert (<= X_0 1.0))\n")  # no lower bound


def deep_net():
    # 30 inputs, three ReLU layers of 60: thousands of MILPs for the milp tier (minutes).
    return nnmip.Network.from_layers(random_layers([30, 60, 60, 60, 5], seed=17))


def test_ctrl_c_ends_a_600s_milp_bound_run_within_seconds():
    net = deep_net()
    d = nnmip.Domain(np.zeros(30), np.ones(30))
    sym = nnmip.bounds(net, d, method="symbolic")
    timer = threading.Timer(3.0, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    with pytest.raises(nnmip.Interrupted) as e:
        nnmip.bounds(net, d, method="milp", time_limit=600)
    returned = time.monotonic() - t0 - 3.0
    timer.join()
    print("milp bounds: returned %.2f s after SIGINT" % returned)
    assert returned < 5.0
    assert isinstance(e.value, KeyboardInterrupt)
    b = e.value.result
    assert isinstance(b, nnmip.Bounds) and b.method == "milp"
    # What it has: valid bounds (never looser than the symbolic tier it started from) ...
    for (ls, hs), (lo, hi) in zip(sym.layers, b.layers):
        assert np.all(lo >= ls - 1e-9) and np.all(hi <= hs + 1e-9)
    X = np.random.default_rng(0).uniform(0, 1, (2000, 30))
    h = X
    for (W, bias, act), (lo, hi) in zip(net.layers, b.layers):
        a = h @ W.T + bias
        assert np.all(a >= lo - 1e-6) and np.all(a <= hi + 1e-6)
        h = np.maximum(a, 0) if act == "relu" else a
    # ... and unfinished: the deepest layer has not been solved by MILP.
    assert b.stats[3]["milps"] == 0


def test_a_handler_that_does_not_raise_leaves_the_call_alone():
    seen = []
    old = signal.signal(signal.SIGINT, lambda s, f: seen.append(s))
    try:
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
        net = nnmip.Network.from_layers(random_layers([6, 10, 10, 2], seed=3))
        b = nnmip.bounds(net, nnmip.Domain(np.zeros(6), np.ones(6)), method="milp",
                         time_limit=60)
        time.sleep(0.3)
    finally:
        signal.signal(signal.SIGINT, old)
    assert seen == [signal.SIGINT] and b.method == "milp"


class Busy:
    """A Python thread that keeps taking and dropping the GIL while the library forks."""

    def __enter__(self):
        self.stop = False
        self.n = 0

        def spin():
            while not self.stop:
                sum(range(1000))
                self.n += 1
        self.t = threading.Thread(target=spin)
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.t.join()


def test_forked_solves_are_safe_next_to_python_threads():
    # PV's MILPs run in a forked child under a hard time limit (verify/pv.cpp): same optimum as
    # the `enum` backend (in process), with a busy Python thread.
    layers = random_layers([2, 5, 5, 3], 3)
    net = nnmip.Network.from_layers(layers)
    x0 = np.array([0.1, -0.2])
    d = nnmip.Domain(x0 - 0.6, x0 + 0.6)
    enum = nnmip.pv(net, d, x0, objective="logit-l1", method="interval", backend="enum")
    with Busy() as busy:
        for _ in range(5):
            r = nnmip.pv(net, d, x0, objective="logit-l1", method="interval", time_limit=30)
            assert r["proven"] and abs(r["bound"] - enum["bound"]) <= 1e-5 * (1 + enum["bound"])
    assert busy.n > 0
    # The BDNN engine's full MILP runs in a child killed at the deadline (isolate=True).
    rng = np.random.default_rng(8)
    X = rng.uniform(0, 1, (40, 4))
    y = (X[:, 0] + 0.3 * rng.normal(size=40) > 0.5).astype(int)
    lines = []  # the engine's log: its forked child drops its own lines (no lock taken there)
    with Busy():
        net_e, rep = nnmip.bdnn.train(X, y, hidden=3, method="engine", time_limit=20,
                                      isolate=True, log=lambda level, m: lines.append(m))
    assert rep["forward_check_ok"] is True
    assert rep["errors"] == nnmip.bdnn.evaluate(net_e, X, y)["margin_errors"]
    assert rep["bound"] <= rep["errors"]


def test_ctrl_c_reaches_a_forked_pv_milp():
    # PV's MILP runs in a forked child (hard time limit); the stop reaches it as SIGUSR1 and it
    # returns its incumbent: the partial result keeps a value (exact, at x) and a valid bound.
    layers = random_layers([20, 40, 40, 10], seed=5)
    net = nnmip.Network.from_layers(layers)
    x0 = np.full(20, 0.5)
    d = nnmip.linf(x0, 0.3)
    timer = threading.Timer(6.0, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    with pytest.raises(nnmip.Interrupted) as e:
        nnmip.pv(net, d, x0, "logit-l1", method="interval", time_limit=600)
    returned = time.monotonic() - t0 - 6.0
    timer.join()
    print("pv: returned %.2f s after SIGINT" % returned)
    assert returned < 5.0
    r = e.value.result
    assert "interrupted" in r["milps"][-1]["termination"]
    z = lambda x: net.forward(x)
    assert abs(r["value"] - np.abs(z(r["x"]) - z(x0)).sum()) <= 1e-9
    assert r["value"] <= r["bound"]


def test_log_and_progress_callables():
    rng = np.random.default_rng(5)
    X = rng.uniform(0, 1, (300, 4))
    y = (X[:, 0] > 0.5).astype(np.int64)
    events = []
    net, rep = nnmip.train(X, y, arch=[8], reg="none", epochs=3, batch_size=32,
                           progress=events.append)
    # Progress arrives on the calling thread (latest event per 50 ms wake-up, and the last one).
    assert events and events[-1]["phase"] == "epoch 3/3"
    assert events[-1]["done"] == events[-1]["total"] == 10  # ceil(300 / 32) batches
    lines = []
    nnmip.train(X, y, arch=[8], reg="none", epochs=2, log=lambda level, m: lines.append((level, m)))
    assert len(lines) == 2 and all(level == "info" for level, _ in lines)  # one line per epoch

    def boom(event):
        raise ZeroDivisionError("from the progress callable")
    with pytest.raises(ZeroDivisionError):  # re-raised as it is; the call was stopped
        nnmip.train(X, y, arch=[8], reg="none", epochs=200, batch_size=8, progress=boom)
