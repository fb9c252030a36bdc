import numpy as np, nnmip                      # PYTHONPATH=build/python, from the repository root

D = "../shared/data/vnncomp/mnist_fc/"
net = nnmip.Network.from_onnx(D + "onnx/mnist-net_256x2.onnx")
prop = lambda eps: nnmip.read_vnnlib(D + f"vnnlib/prop_0_{eps}.vnnlib")
print("alpha bounds, unstable ReLUs per layer:", nnmip.bounds(net, prop("0.05"), "alpha").unstable)
for eps in ("0.03", "0.05"):
    r = nnmip.verify(net, prop(eps), time_limit=60)
    if r["status"] == "sat":                   # re-check the counterexample in numpy
        h = r["x"]
        for W, b, act in net.layers:
            h = np.maximum(W @ h + b, 0) if act == "relu" else W @ h + b
        print(eps, "sat; numpy forward pass unsafe:", prop(eps).output_unsafe(list(h)))
    else:
        print(eps, r["status"])
X, y = nnmip.load_dataset("mnist", split="test")
r = nnmip.pv(net, nnmip.neighbours(X[0]), X[0], "softmax-l1", method="lp", time_limit=60)
print("PV image 0: value %.6g bound %.6g, class %d -> %d" % (r["value"], r["bound"], r["class0"], r["found_class"]))
Xtr, ytr, Xte, yte = nnmip.split(*nnmip.load_dataset("bcw", split="all"), train_fraction=0.8, seed=1)
step, rep = nnmip.bdnn.train(Xtr, ytr, hidden=25, method="heuristic", seed=1)
print("BDNN heur. d1=25: test %.1f%%, %d training errors" % (100 * np.mean(nnmip.bdnn.predict(step, Xte) == yte), rep["errors"]))
pruned, _ = nnmip.prune(net, percent=90, scope="global")  # compare against a 90%-pruned copy
r = nnmip.compare(net, pruned, "maxdiff-logit", nnmip.linf(X[0], 0.01), x0=X[0], time_limit=30)
print("max ||z1 - z2||_1 vs 90%%-pruned, linf 0.01 of image 0: value %.6g bound %.6g (%s), class %d vs %d" % (r["value"], r["bound"], r["status"], r["n1"]["class"], r["n2"]["class"]))
