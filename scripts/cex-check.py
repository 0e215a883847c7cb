#!/usr/bin/env python3
"""Re-check a `nnhull verify --cex` counterexample independently of nnhull.

usage: cex-check.py NET PROPERTY.vnnlib CEX [--nnet-normalized] [--nnet-output-relu]
                    [--strip-softmax] [--nnhull PATH]
The network is evaluated by a small numpy forward pass written here (ONNX graph
interpreter for the ops of the shared benchmarks, or a .nnet reader), never by
nnhull; the property by the s-expression evaluator of tests/vnnlib_check.py.
Exit 0 when the counterexample reproduces: the evaluated outputs match the
file's Y values (relative 1e-9) and inputs + evaluated outputs meet every
assert of the property exactly (a pass only within 1e-9 is reported as such).
Exit 1 when it does not reproduce, 2 when it cannot be checked. Without numpy
or onnx (python), the forward pass falls back to `nnhull eval` (--nnhull PATH),
and the output says so.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import vnnlib_check  # noqa: E402  (the tests' independent VNNLIB evaluator)

try:
    import numpy as np
except ImportError:  # the nnhull eval fallback needs no numpy
    np = None


def nnet_forward(path, x, normalized, output_relu):
    """The .nnet format: raw inputs clamped to the header domain, normalised with
    (x - mean) / range, ReLU hidden layers, output scaled back by range/mean."""
    lines = [l for l in open(path) if l.strip() and not l.startswith("//")]
    rows = [[float(v) for v in l.replace(",", " ").split()] for l in lines]
    n_layers = int(rows[0][0])
    n_in = int(rows[0][1])
    sizes = [int(v) for v in rows[1][: n_layers + 1]]
    lo, hi, mean, rng = rows[3][:n_in], rows[4][:n_in], rows[5], rows[6]
    v = np.asarray(x, dtype=np.float64)
    if normalized:  # inputs already normalised: clamp to the normalised domain
        v = np.clip(v, (np.array(lo) - mean[:n_in]) / rng[:n_in], (np.array(hi) - mean[:n_in]) / rng[:n_in])
    else:
        v = (np.clip(v, lo, hi) - np.array(mean[:n_in])) / np.array(rng[:n_in])
    r = 7
    for k in range(n_layers):
        W = np.array(rows[r : r + sizes[k + 1]], dtype=np.float64)
        r += sizes[k + 1]
        b = np.array([row[0] for row in rows[r : r + sizes[k + 1]]], dtype=np.float64)
        r += sizes[k + 1]
        v = W @ v + b
        if k < n_layers - 1 or output_relu:
            v = np.maximum(v, 0.0)
    if not normalized:
        v = v * rng[n_in] + mean[n_in]
    return v


def onnx_attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            import onnx

            return onnx.helper.get_attribute_value(a)
    return default


def onnx_forward(path, x, strip_softmax):
    """Interpret the graph node by node in float64 (nodes are topologically
    sorted by the ONNX standard)."""
    import onnx
    from onnx import numpy_helper

    g = onnx.load(path).graph
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    inp = [i for i in g.input if i.name not in env][0]
    shape = [d.dim_value if d.dim_value > 0 else 1 for d in inp.type.tensor_type.shape.dim]
    env[inp.name] = np.asarray(x, dtype=np.float64).reshape(shape)
    nodes = list(g.node)
    if strip_softmax and nodes and nodes[-1].op_type == "Softmax":
        env[g.output[0].name] = None
        nodes[-1] = onnx.helper.make_node("Identity", [nodes[-1].input[0]], [nodes[-1].output[0]])
    for n in nodes:
        a = [env[i] if i else None for i in n.input]
        op = n.op_type
        if op == "Constant":
            out = numpy_helper.to_array(onnx_attr(n, "value", None)).astype(np.float64)
        elif op == "Identity":
            out = a[0]
        elif op in ("Add", "Sub", "Mul", "Div"):
            out = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](a[0], a[1])
        elif op == "MatMul":
            out = np.matmul(a[0], a[1])
        elif op == "Gemm":
            A = a[0].T if onnx_attr(n, "transA", 0) else a[0]
            B = a[1].T if onnx_attr(n, "transB", 0) else a[1]
            out = onnx_attr(n, "alpha", 1.0) * (A @ B)
            if len(a) > 2 and a[2] is not None:
                out = out + onnx_attr(n, "beta", 1.0) * a[2]
        elif op == "Relu":
            out = np.maximum(a[0], 0.0)
        elif op == "LeakyRelu":
            out = np.where(a[0] >= 0, a[0], onnx_attr(n, "alpha", 0.01) * a[0])
        elif op == "Elu":
            out = np.where(a[0] > 0, a[0], onnx_attr(n, "alpha", 1.0) * np.expm1(np.minimum(a[0], 0.0)))
        elif op == "Selu":
            al, ga = onnx_attr(n, "alpha", 1.67326319217681884765625), onnx_attr(n, "gamma", 1.05070102214813232421875)
            out = ga * np.where(a[0] > 0, a[0], al * np.expm1(np.minimum(a[0], 0.0)))
        elif op == "Softplus":
            out = np.logaddexp(0.0, a[0])
        elif op == "Sigmoid":
            out = 1.0 / (1.0 + np.exp(-a[0]))
        elif op == "Tanh":
            out = np.tanh(a[0])
        elif op == "Flatten":
            ax = onnx_attr(n, "axis", 1)
            out = a[0].reshape(int(np.prod(a[0].shape[:ax])), -1)
        elif op == "Reshape":
            out = a[0].reshape([int(s) if s != 0 else a[0].shape[i] for i, s in enumerate(a[1])])
        elif op == "Transpose":
            out = np.transpose(a[0], onnx_attr(n, "perm", None))
        elif op == "Softmax":
            e = np.exp(a[0] - a[0].max(axis=onnx_attr(n, "axis", -1), keepdims=True))
            out = e / e.sum(axis=onnx_attr(n, "axis", -1), keepdims=True)
        else:
            raise NotImplementedError("ONNX op %s (node %s)" % (op, n.name))
        env[n.output[0]] = out
    return np.asarray(env[g.output[0].name], dtype=np.float64).ravel()


def forward(net, x, opts, nnhull):
    """(outputs, how) by numpy, or by `nnhull eval` when numpy/onnx is missing."""
    try:
        if np is None:
            raise ImportError("numpy")
        if net.endswith(".nnet"):
            y = nnet_forward(net, x, "--nnet-normalized" in opts, "--nnet-output-relu" in opts)
        else:
            import onnx  # noqa: F401

            y = onnx_forward(net, x, "--strip-softmax" in opts)
        return [float(v) for v in y], "numpy"
    except ImportError as e:
        if not nnhull:
            raise RuntimeError("no %s and no --nnhull for the fallback" % e)
        out = subprocess.run([nnhull, "eval", net, ",".join(repr(v) for v in x)] + opts,
                             capture_output=True, text=True, check=True).stdout
        return [float(v) for v in out.strip().split(",")], "nnhull eval (no numpy/onnx)"


def main(argv):
    pos = [a for a in argv if not a.startswith("--")]
    opts = [a for a in argv if a in ("--nnet-normalized", "--nnet-output-relu", "--strip-softmax")]
    nnhull = argv[argv.index("--nnhull") + 1] if "--nnhull" in argv else None
    if nnhull in pos:
        pos.remove(nnhull)
    if len(pos) != 3:
        print(__doc__.strip().split("\n")[2])
        return 2
    net, prop, cex = pos
    env = {}
    for name, v in re.findall(r"\(\s*([XY]_\d+)\s+([^\s()]+)\s*\)", open(cex).read()):
        try:
            env[name] = float(v)
        except ValueError:
            print("%s: %s is not a number: %s" % (cex, name, v))
            return 1
    n_x = len([k for k in env if k.startswith("X_")])
    if n_x == 0:
        print("no X values in %s" % cex)
        return 1
    x = [env["X_%d" % i] for i in range(n_x)]
    try:
        y, how = forward(net, x, opts, nnhull)
    except Exception as e:  # an unsupported graph: say so, do not guess
        print("cannot evaluate %s: %s" % (net, e))
        return 2
    for j, v in enumerate(y):
        rec = env.get("Y_%d" % j)
        if rec is None or abs(rec - v) > 1e-9 * (1 + abs(v)):
            print("Y_%d: cex file %s, %s %r" % (j, rec, how, v))
            return 1
        env["Y_%d" % j] = v
    forms = [f[1] for f in vnnlib_check.parse(vnnlib_check.tokens(open(prop).read()))
             if f and f[0] == "assert"]
    if all(vnnlib_check.holds(f, env, 0.0) for f in forms):
        print("reproduces (%s)" % how)
        return 0
    if all(vnnlib_check.holds(f, env, 1e-9) for f in forms):
        print("reproduces only within 1e-9 (%s)" % how)
        return 0
    bad = [f for f in forms if not vnnlib_check.holds(f, env, 1e-9)]
    print("assert not met (%s): %s" % (how, str(bad[0])[:200]))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
