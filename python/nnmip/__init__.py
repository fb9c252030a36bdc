"""nnmip: mixed-integer optimisation over neural networks, from Python.

numpy float64 arrays in and out (images as flat vectors, samples as rows). The C++ library does
the work with the GIL released; Ctrl-C ends a long call with what it has found and raises
nnmip.Interrupted (a KeyboardInterrupt) whose `.result` holds it. Library errors raise
ValueError (invalid input, usage), NotImplementedError (unsupported), OSError (I/O) or
RuntimeError (solver, internal) with the library's one-line message.

Some solves run in a forked child process (MILPs under a hard time limit: the verifier's and
PV's MILPs, the MILP bound refinement, the BDNN engine's full MILP with isolate=True). The child
only runs C++ (it never takes the GIL) and leaves by _exit, so this is safe in a Python process
that runs other threads; see the README section "Python".
"""
import os as _os

from . import _nnmip
from ._nnmip import (  # noqa: F401  (re-exported)
    Bounds,
    Domain,
    Interrupted,
    Model,
    Network,
    Property,
    attack,
    encode,
    linear_bound,
    linf,
    load_dataset,
    neighbours,
    parse_vnnlib,
    prune,
    pv,
    split,
    stack,
    train,
)
from . import bdnn  # noqa: F401

__all__ = [
    "Bounds", "Domain", "Interrupted", "Model", "Network", "Property", "attack", "bdnn", "bounds",
    "certify_prune", "compare", "encode",
    "linear_bound", "linf", "load_dataset", "neighbours", "parse_vnnlib", "prune", "pv",
    "read_vnnlib", "split", "stack", "train", "verify",
]


def _path(p):
    return _os.fspath(p)


def read_vnnlib(path):
    """Reads a VNN-LIB property file."""
    return _nnmip.read_vnnlib(_path(path))


def _as_domain(domain):
    """A Domain, a Property (its single input box) or a .vnnlib path."""
    if isinstance(domain, (str, _os.PathLike)):
        domain = read_vnnlib(domain)
    if isinstance(domain, Property):
        if len(domain.boxes) != 1:
            raise ValueError("the property has %d input boxes: pass prop.domain(box=i)"
                             % len(domain.boxes))
        return domain.domain(0)
    return domain


def bounds(net, domain, method="alpha", time_limit=None, threads=1, **kwargs):
    """Pre-activation bounds of every layer over `domain` (a Domain, a Property or a .vnnlib
    path: its input box) by naive|interval|symbolic|alpha|lp|milp. Returns a Bounds:
    b.layers[l] = (lo, hi), b.stats (per-layer dicts), b.unstable (per ReLU layer)."""
    return _nnmip.bounds(net, _as_domain(domain), method, time_limit, threads, **kwargs)


def verify(net, prop, time_limit=60.0, **kwargs):
    """Verifies a VNN-LIB property (a path or a Property): {'status', 'x', 'y', 'phases', ...}."""
    if not isinstance(prop, Property):
        prop = read_vnnlib(prop)
    return _nnmip.verify(net, prop, time_limit, **kwargs)


def compare(n1, n2, comparator="maxdiff-logit", domain=None, classes=None, method="alpha",
            time_limit=60.0, margin=1e-4, eps_max=1.0, swap=False, attack=True, diff_bounds=True,
            x0=None, **kwargs):
    """Compares two networks over one input domain (`nnmip compare`, thesis chapter 4).

    comparator: maxdiff-logit (max ||z1 - z2||_1 of the logits, exact), maxdiff (max
    ||p1 - p2||_1 of the probabilities, sound softmax sandwich), maxout (N1 picks classes[0],
    N2 classes[1]; classes="all": every ordered pair), maxflip (hidden neurons in different
    states; same architecture), mineps (the smallest L-inf eps <= eps_max around x0 where N1
    keeps its class and N2 does not). domain: a Domain, a Property or a .vnnlib path (its input
    box; mineps: optional, intersected with the eps_max ball); x0: the reference (default: the
    domain's centre). More keywords: bounds_domain ("query"|"full"), bounds_time_limit, class0,
    mineps_form ("per-class"|"single": one MILP per wrong class, or the thesis's single MILP),
    p2_side, threads, seed, backend ("cbc"|"enum"), log, progress.

    Returns a dict with the JSON report's names: 'value' (exact objective at 'x'), 'bound'
    (valid: an upper bound of the maximum, a lower bound of mineps), 'gap', 'proven', 'status',
    'found_by', 'n1'/'n2' ({'class', 'logits', 'probabilities', and their float32 ones}),
    'milps' (rows, columns, binaries, termination, nodes per MILP), timings and the settings.
    """
    return _nnmip.compare(n1, n2, None if domain is None else _as_domain(domain), x0=x0,
                          comparator=comparator, classes=classes, method=method,
                          time_limit=time_limit, margin=margin, eps_max=eps_max, swap=swap,
                          attack=attack, diff_bounds=diff_bounds, **kwargs)


def certify_prune(net, images, labels, levels, radius=0.01, max_diff=None, test_X=None,
                  test_y=None, method="alpha", time_limit=60.0, **kwargs):
    """`nnmip certify-prune`: per global pruning level (percent), whether the pruned network
    keeps the original's class on the L-inf ball of `radius` around every reference (one per
    row of `images`; a proof from infeasibility), or with max_diff whether maxdiff <= max_diff
    there. {'levels': [{'percent', 'certified', 'total', 'all', 'accuracy', 'worst_bound',
    'statuses'}], 'largest_certified', ...}."""
    import numpy as _np
    images = _np.atleast_2d(_np.asarray(images, dtype=float))
    return _nnmip.certify_prune(net, images, [int(c) for c in labels],
                                [float(p) for p in levels], radius=radius, max_diff=max_diff,
                                test_X=test_X,
                                test_y=None if test_y is None else [int(c) for c in test_y],
                                method=method, time_limit=time_limit, **kwargs)


_from_onnx = Network.from_onnx
_to_onnx = Network.to_onnx
Network.from_onnx = staticmethod(lambda path: _from_onnx(_path(path)))
Network.from_onnx.__doc__ = _from_onnx.__doc__
Network.to_onnx = lambda self, path, precision="float": _to_onnx(self, _path(path), precision)
Network.to_onnx.__doc__ = _to_onnx.__doc__
_write = Model.write
Model.write = lambda self, path: _write(self, _path(path))
Model.write.__doc__ = _write.__doc__
