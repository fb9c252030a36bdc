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
    train,
)
from . import bdnn  # noqa: F401

__all__ = [
    "Bounds", "Domain", "Interrupted", "Model", "Network", "Property", "attack", "bdnn", "bounds",
    "encode",
    "linear_bound", "linf", "load_dataset", "neighbours", "parse_vnnlib", "prune", "pv",
    "read_vnnlib", "split", "train", "verify",
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


_from_onnx = Network.from_onnx
_to_onnx = Network.to_onnx
Network.from_onnx = staticmethod(lambda path: _from_onnx(_path(path)))
Network.from_onnx.__doc__ = _from_onnx.__doc__
Network.to_onnx = lambda self, path, precision="float": _to_onnx(self, _path(path), precision)
Network.to_onnx.__doc__ = _to_onnx.__doc__
_write = Model.write
Model.write = lambda self, path: _write(self, _path(path))
Model.write.__doc__ = _write.__doc__
