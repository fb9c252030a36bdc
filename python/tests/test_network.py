"""Network: from_layers / layers / forward against numpy, the ONNX round trip checked with
Debian's python3-onnx, and the forward pass of mnist-net_256x2 on 100 MNIST test images."""
import numpy as np
import pytest

import nnmip
from conftest import mnist_test, numpy_forward, random_layers


def test_from_layers_forward_equals_numpy():
    layers = random_layers([7, 12, 9, 4], seed=3)
    net = nnmip.Network.from_layers(layers)
    assert net.sizes == [7, 12, 9, 4]
    assert net.input_size == 7 and net.output_size == 4
    assert net.num_parameters == 7 * 12 + 12 + 12 * 9 + 9 + 9 * 4 + 4
    X = np.random.default_rng(0).uniform(-1, 1, (50, 7))
    Y = net.forward(X)
    assert Y.shape == (50, 4) and Y.dtype == np.float64
    np.testing.assert_allclose(Y, numpy_forward(layers, X), rtol=0, atol=1e-12)
    # One input as a 1-D vector gives a 1-D output, the same numbers.
    np.testing.assert_allclose(net.forward(X[3]), Y[3], rtol=0, atol=0)
    # layers hands back exactly what went in.
    for (W, b, act), (W2, b2, act2) in zip(layers, net.layers):
        assert np.array_equal(W, W2) and np.array_equal(b, b2) and act == act2
    assert list(net.predict(X)) == list(np.argmax(Y, axis=1))


def test_onnx_round_trip_checked_with_onnx(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper
    layers = random_layers([5, 8, 6, 3], seed=11)
    net = nnmip.Network.from_layers(layers)
    for precision, dtype in (("double", np.float64), ("float", np.float32)):
        path = tmp_path / ("net_%s.onnx" % precision)
        net.to_onnx(path, precision=precision)
        model = onnx.load(str(path))
        onnx.checker.check_model(model, full_check=True)
        init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
        ops = [n.op_type for n in model.graph.node]
        assert ops == ["Gemm", "Relu", "Gemm", "Relu", "Gemm"]
        for i, (W, b, _) in enumerate(layers):
            assert init["W%d" % i].dtype == dtype
            assert np.array_equal(init["W%d" % i], W.astype(dtype))
            assert np.array_equal(init["b%d" % i], b.astype(dtype))
        back = nnmip.Network.from_onnx(path)
        for (W, b, act), (W2, b2, act2) in zip(layers, back.layers):
            # double: bit for bit; float: the float32 rounding of each weight, read back exactly
            assert np.array_equal(W2, W.astype(dtype).astype(np.float64))
            assert np.array_equal(b2, b.astype(dtype).astype(np.float64))
            assert act2 == act
        X = np.random.default_rng(1).uniform(0, 1, (100, 5))
        tol = 0.0 if precision == "double" else 1e-5
        np.testing.assert_allclose(back.forward(X), net.forward(X), rtol=0, atol=tol)


def test_step_layer_round_trip(tmp_path):
    onnx = pytest.importorskip("onnx")
    W1 = np.array([[1.0, -2.0], [0.5, 0.25], [-1.0, 1.0]])
    W2 = np.array([[1.0, -1.0, 0.5]])
    net = nnmip.Network.from_layers([
        (W1, None, "step", {"lambda": np.array([0.1, -0.2, 0.0]), "beta": 0.0, "gamma": 1.0}),
        (W2, None, "step", {"lambda": 0.25}),
    ])
    path = tmp_path / "step.onnx"
    net.to_onnx(path, precision="double")
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    assert [n.op_type for n in model.graph.node] == ["Gemm", "Less", "Where"] * 2
    back = nnmip.Network.from_onnx(path)
    X = np.random.default_rng(2).uniform(-1, 1, (200, 2))
    assert np.array_equal(back.forward(X), net.forward(X))
    np.testing.assert_array_equal(net.forward(X), numpy_forward(net.layers, X))


def test_mnist_256x2_forward_equals_numpy_on_100_test_images(mnist_256x2, data_dir):
    X, y = mnist_test(data_dir, 100)
    Xl, yl = nnmip.load_dataset("mnist", split="test", data_dir=str(data_dir))
    assert Xl.shape == (10000, 784) and np.array_equal(Xl[:100], X) and np.array_equal(yl[:100], y)
    layers = mnist_256x2.layers
    assert [l[2] for l in layers] == ["relu", "relu", "identity"]
    Y = mnist_256x2.forward(X)
    ref = numpy_forward(layers, X)
    assert np.max(np.abs(Y - ref)) <= 1e-12
    # The network classifies these 100 images as VNN-COMP's 0.9808 accuracy suggests.
    assert np.mean(np.argmax(Y, axis=1) == y) >= 0.95


def test_prune_percent_and_eps():
    layers = random_layers([10, 20, 5], seed=4)
    net = nnmip.Network.from_layers(layers)
    pruned, rep = nnmip.prune(net, percent=90)
    assert rep["total"] == 10 * 20 + 20 * 5
    # ceil(0.9 * 200) = 180 and ceil(0.9 * 100) = 90 weights per layer (no ties in random data)
    assert [l["zero_after"] for l in rep["layers"]] == [180, 90]
    assert pruned.num_zero_weights == 270 and net.num_zero_weights == 0  # the input is unchanged
    W0 = layers[0][0]
    eps = np.sort(np.abs(W0).ravel())[179]
    assert rep["layers"][0]["eps"] == eps
    np.testing.assert_array_equal(pruned.layers[0][0], np.where(np.abs(W0) <= eps, 0.0, W0))
    same, rep2 = nnmip.prune(net, eps=0.05)
    expect = sum(int(np.sum(np.abs(W) <= 0.05)) for W, _, _ in layers)
    assert rep2["zero_after"] == expect
    with pytest.raises(ValueError):
        nnmip.prune(net)


def test_train_learns_a_separable_set():
    rng = np.random.default_rng(5)
    X = rng.uniform(0, 1, (400, 4))
    y = (X[:, 0] + X[:, 1] > 1.0).astype(np.int64)
    net, rep = nnmip.train(X, y, arch=[16], reg="none", lam=0.0, epochs=30, seed=1, batch_size=32,
                           lr=1e-2)
    assert net.sizes == [4, 16, 2]
    assert len(rep["epochs"]) == 30 and not rep["stopped"]
    assert rep["train_accuracy"] == np.mean(net.predict(X) == y)
    assert rep["train_accuracy"] >= 0.95
    # Reproducible: the same seed gives the same weights.
    net2, _ = nnmip.train(X, y, arch=[16], reg="none", lam=0.0, epochs=30, seed=1, batch_size=32,
                          lr=1e-2)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(net.layers, net2.layers))
