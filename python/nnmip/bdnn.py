"""Binary-activation networks (Bah & Kurtz): train(X, y, hidden=25, method='heuristic'|'milp'|
'engine', ...) -> (step_net, report), predict(step_net, X), evaluate, perturbations."""
from ._nnmip.bdnn import evaluate, perturbations, predict, train  # noqa: F401

__all__ = ["evaluate", "perturbations", "predict", "train"]
