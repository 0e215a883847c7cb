#!/usr/bin/python3
# Developer tool (not needed to build): trains the bundled example MLPs on
# scikit-learn's digits data, exports them to ONNX, and writes test inputs and
# float64 reference outputs computed from the exported weights (not by torch).
"""Train the nnhull example networks (digits_<act>_<arch>.onnx).

Needs Debian's python3-torch, python3-sklearn, python3-onnx, python3-numpy
(run with /usr/bin/python3 if another python3 is first on PATH).
Deterministic: fixed seeds, one thread, torch deterministic algorithms.
"""
import argparse
import os
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ACTIVATIONS = ["sigmoid", "tanh", "softplus", "elu", "selu", "relu", "leaky_relu"]
ARCHS = ["64x10x10x10x10x10", "64x32x32x10"]
N_REF_ROWS = 20
SPLIT_SEED = 0
TORCH_SEED = 0
BATCH = 64
LR = 3e-3

# SELU constants as ONNX stores its defaults (float32), used when the
# exported node carries no attribute.
ONNX_SELU_ALPHA = float(np.float32(1.67326319217681884765625))
ONNX_SELU_GAMMA = float(np.float32(1.05070102214813232421875))


def torch_activation(name):
    # default parameters: ELU alpha=1, LeakyReLU 0.01, standard SELU
    return {
        "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "softplus": torch.nn.Softplus,
        "elu": torch.nn.ELU, "selu": torch.nn.SELU, "relu": torch.nn.ReLU,
        "leaky_relu": torch.nn.LeakyReLU,
    }[name]()


def build_model(act, arch):
    sizes = [int(s) for s in arch.split("x")]
    layers = []
    for k in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[k], sizes[k + 1]))
        if k < len(sizes) - 2:  # no activation on the output layer
            layers.append(torch_activation(act))
    return torch.nn.Sequential(*layers)


def load_split():
    d = load_digits()
    X = d.data.astype(np.float64) / 16.0
    y = d.target.astype(np.int64)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=SPLIT_SEED)


def train(model, Xtr, ytr, epochs):
    Xt = torch.tensor(Xtr, dtype=torch.float32)
    yt = torch.tensor(ytr, dtype=torch.int64)
    gen = torch.Generator().manual_seed(TORCH_SEED)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()  # on logits: no softmax in the model
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(Xt), generator=gen)
        for i in range(0, len(Xt), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return float(loss_fn(model(Xt), yt))


def export(model, path):
    model.eval()
    dummy = torch.zeros(1, 64, dtype=torch.float32)
    torch.onnx.export(model, dummy, path, opset_version=13, input_names=["input"],
                      output_names=["output"], do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return m


# ---- float64 reference forward pass from the ONNX file alone ---------------

def _attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _act(op, node, z):
    if op == "Relu":
        return np.maximum(z, 0.0)
    if op == "LeakyRelu":
        a = float(_attr(node, "alpha", 0.01))
        return np.where(z >= 0, z, a * z)
    if op == "Sigmoid":
        e = np.exp(-np.abs(z))  # stable for both signs
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    if op == "Tanh":
        return np.tanh(z)
    if op == "Softplus":
        return np.logaddexp(0.0, z)
    if op == "Elu":
        a = float(_attr(node, "alpha", 1.0))
        return np.where(z >= 0, z, a * np.expm1(np.minimum(z, 0.0)))
    if op == "Selu":
        a = float(_attr(node, "alpha", ONNX_SELU_ALPHA))
        g = float(_attr(node, "gamma", ONNX_SELU_GAMMA))
        return g * np.where(z >= 0, z, a * np.expm1(np.minimum(z, 0.0)))
    return None


def onnx_forward(model, X):
    """Evaluate rows X (n x 64) with the graph's float32 initializers in float64."""
    g = model.graph
    vals = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    vals[g.input[0].name] = np.asarray(X, dtype=np.float64)
    for node in g.node:
        op = node.op_type
        ins = [vals[i] for i in node.input if i]
        if op == "Gemm":
            A, B = ins[0], ins[1]
            if _attr(node, "transA", 0):
                A = A.T
            if _attr(node, "transB", 0):
                B = B.T
            y = float(_attr(node, "alpha", 1.0)) * (A @ B)
            if len(ins) > 2:
                y = y + float(_attr(node, "beta", 1.0)) * ins[2]
        elif op == "MatMul":
            y = ins[0] @ ins[1]
        elif op == "Add":
            y = ins[0] + ins[1]
        else:
            y = _act(op, node, ins[0])
            if y is None:
                raise SystemExit(f"reference: unsupported ONNX op {op} in node {node.name}")
        vals[node.output[0]] = y
    return vals[g.output[0].name]


def fmt(v):
    return "%.17g" % v


def write_rows(path, X, y):
    with open(path, "w") as f:
        f.write("label," + ",".join(f"x{j}" for j in range(X.shape[1])) + "\n")
        for r in range(len(X)):
            f.write(str(int(y[r])) + "," + ",".join(fmt(v) for v in X[r]) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "examples"),
                    help="output directory (default: the repository's examples/)")
    ap.add_argument("--epochs", type=int, default=400, help="training epochs (default 400)")
    args = ap.parse_args()
    if args.epochs < 1:
        ap.error("--epochs must be >= 1")
    os.makedirs(args.out, exist_ok=True)

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.use_deterministic_algorithms(True)

    Xtr, Xte, ytr, yte = load_split()
    print(f"digits: {len(Xtr)} train, {len(Xte)} test, epochs {args.epochs}")

    # the first rows (with reference outputs) and the whole held-out split
    # (so a C test can re-measure the accuracy table)
    write_rows(os.path.join(args.out, "digits_test_inputs.csv"), Xte[:N_REF_ROWS], yte)
    write_rows(os.path.join(args.out, "digits_test_set.csv"), Xte, yte)

    ref_lines = ["network,row," + ",".join(f"o{j}" for j in range(10))]
    acc_lines = ["network,n_test,correct_torch32,correct_ref64,accuracy,first20_correct"]
    t0 = time.time()
    for arch in ARCHS:
        for act in ACTIVATIONS:
            name = f"digits_{act}_{arch}.onnx"
            torch.manual_seed(TORCH_SEED)  # every network starts from the same seed
            model = build_model(act, arch)
            loss = train(model, Xtr, ytr, args.epochs)
            model.eval()
            with torch.no_grad():
                pred32 = model(torch.tensor(Xte, dtype=torch.float32)).argmax(1).numpy()
            m = export(model, os.path.join(args.out, name))
            out64 = onnx_forward(m, Xte)
            pred64 = out64.argmax(1)
            c32, c64 = int((pred32 == yte).sum()), int((pred64 == yte).sum())
            c20 = int((pred64[:N_REF_ROWS] == yte[:N_REF_ROWS]).sum())
            acc = c64 / len(yte)
            size = os.path.getsize(os.path.join(args.out, name))
            print(f"{name:40s} loss {loss:.4f}  test acc {acc:.4f} ({c64}/{len(yte)}; "
                  f"torch float32 {c32}/{len(yte)})  first {N_REF_ROWS}: {c20}  {size} bytes")
            acc_lines.append(f"{name},{len(yte)},{c32},{c64},{acc:.4f},{c20}")
            for r in range(N_REF_ROWS):
                ref_lines.append(f"{name},{r}," + ",".join(fmt(v) for v in out64[r]))
    with open(os.path.join(args.out, "digits_reference_outputs.csv"), "w") as f:
        f.write("\n".join(ref_lines) + "\n")
    with open(os.path.join(args.out, "digits_accuracy.csv"), "w") as f:
        f.write("\n".join(acc_lines) + "\n")
    print(f"done in {time.time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
