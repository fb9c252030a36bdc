"""Shared fixtures of the nnmip Python tests (run: PYTHONPATH=build/python python3 -m pytest
python/tests). Tests that need ../shared/data skip when it is absent."""
import gzip
import os
import pathlib

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def shared_data():
    env = os.environ.get("NNMIP_DATA_DIR")
    d = pathlib.Path(env) if env else REPO.parent / "shared" / "data"
    return d if d.is_dir() else None


@pytest.fixture
def data_dir():
    d = shared_data()
    if d is None:
        pytest.skip("no ../shared/data")
    return d


@pytest.fixture
def mnist_256x2(data_dir):
    import nnmip
    path = data_dir / "vnncomp" / "mnist_fc" / "onnx" / "mnist-net_256x2.onnx"
    if not path.exists():
        pytest.skip("no %s" % path)
    return nnmip.Network.from_onnx(path)


def read_idx(path):
    """An IDX file (.gz or plain) as a numpy array, read here with numpy alone."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist_test(data_dir, n=None):
    """The first n MNIST test images as rows of floats in [0, 1], and their labels."""
    def find(stem):
        for name in (stem, stem + ".gz"):
            p = data_dir / "mnist" / name
            if p.exists():
                return p
        pytest.skip("no MNIST %s" % stem)
    X = read_idx(find("t10k-images-idx3-ubyte")).reshape(-1, 784).astype(np.float64) / 255.0
    y = read_idx(find("t10k-labels-idx1-ubyte")).astype(np.int64)
    return (X, y) if n is None else (X[:n], y[:n])


def numpy_forward(layers, X):
    """Forward pass of (W, b, activation) layers in numpy (rows = samples)."""
    h = np.atleast_2d(X)
    for W, b, act, *rest in layers:
        a = h @ W.T + b
        if act == "relu":
            h = np.maximum(a, 0.0)
        elif act == "identity":
            h = a
        elif act == "softmax":
            e = np.exp(a - a.max(axis=1, keepdims=True))
            h = e / e.sum(axis=1, keepdims=True)
        elif act == "step":
            p = rest[0]
            h = np.where(a < p["lambda"], p["beta"], p["gamma"])
        else:
            raise ValueError(act)
    return h


def random_layers(sizes, seed, scale=1.5, final="identity"):
    """Dense ReLU layers with normal(0, scale / sqrt(in)) weights and small biases."""
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(1, len(sizes)):
        W = rng.normal(0.0, scale / np.sqrt(sizes[i - 1]), (sizes[i], sizes[i - 1]))
        b = rng.normal(0.0, 0.1, sizes[i])
        layers.append((W, b, "relu" if i < len(sizes) - 1 else final))
    return layers


def two_relu_toy():
    """y = relu(x0 - x1) + relu(x0 + x1) (tests/encode/tiny_nets.hpp twoReluToy)."""
    import nnmip
    return nnmip.Network.from_layers([
        (np.array([[1.0, -1.0], [1.0, 1.0]]), np.zeros(2), "relu"),
        (np.array([[1.0, 1.0]]), np.zeros(1), "identity"),
    ])
