#!/usr/bin/python3
# Developer tool (not needed to build): trains the bundled example MLPs and
# small CNNs on scikit-learn's digits data, exports them to ONNX, and writes
# test inputs and float64 reference outputs computed from the exported weights
# (not by torch).
"""Train the nnhull example networks (digits_<act>_<arch>.onnx, cnn_digits_<act>_<arch>.onnx).

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
CNN_ACTIVATIONS = ["sigmoid", "tanh", "relu"]
CNN_ARCHS = ["conv", "strided"]
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


class DigitsCNN(torch.nn.Module):
    """A CNN on [N,1,8,8] images. "conv": Conv 3x3 (4 ch) - ZeroPad 1 - BatchNorm -
    act - AvgPool 2 - Conv 3x3 (8 ch) - act - flatten - Linear; "strided": two
    Conv 3x3 stride 2 pad 1 (8, 16 ch) with act, flatten, Linear. The flatten is
    h.view(h.size(0), -1): the exporter computes that Reshape target from Shape
    (the dynamic-batch pattern nnhull folds at load)."""

    def __init__(self, act, arch):
        super().__init__()
        nn = torch.nn
        if arch == "conv":
            self.features = nn.Sequential(
                nn.Conv2d(1, 4, 3), nn.ZeroPad2d(1), nn.BatchNorm2d(4), torch_activation(act),
                nn.AvgPool2d(2), nn.Conv2d(4, 8, 3), torch_activation(act))
            n = 8 * 2 * 2
        else:
            self.features = nn.Sequential(
                nn.Conv2d(1, 8, 3, stride=2, padding=1), torch_activation(act),
                nn.Conv2d(8, 16, 3, stride=2, padding=1), torch_activation(act))
            n = 16 * 2 * 2
        self.fc = nn.Linear(n, 10)

    def forward(self, x):
        h = self.features(x.reshape(-1, 1, 8, 8))
        return self.fc(h.view(h.size(0), -1))


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


def export(model, path, image=False):
    model.eval()
    dummy = torch.zeros(*((1, 1, 8, 8) if image else (1, 64)), dtype=torch.float32)
    dyn = {"input": {0: "N"}, "output": {0: "N"}} if image else None
    torch.onnx.export(model, dummy, path, opset_version=13, input_names=["input"],
                      output_names=["output"], do_constant_folding=True, dynamic_axes=dyn)
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


def _conv(x, w, b, node):
    """Direct 2-D convolution (group 1) of x [N,C,H,W] by w [M,C,kh,kw]."""
    s = _attr(node, "strides", [1, 1])
    d = _attr(node, "dilations", [1, 1])
    p = _attr(node, "pads", [0, 0, 0, 0])
    if _attr(node, "group", 1) != 1:
        raise SystemExit(f"reference: grouped Conv in node {node.name}")
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])))
    kh, kw = w.shape[2], w.shape[3]
    oh = (xp.shape[2] - (d[0] * (kh - 1) + 1)) // s[0] + 1
    ow = (xp.shape[3] - (d[1] * (kw - 1) + 1)) // s[1] + 1
    y = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for i in range(kh):
        for j in range(kw):
            r, c = i * d[0], j * d[1]
            patch = xp[:, :, r:r + s[0] * (oh - 1) + 1:s[0], c:c + s[1] * (ow - 1) + 1:s[1]]
            y += np.einsum("nchw,mc->nmhw", patch, w[:, :, i, j])
    return y if b is None else y + b[None, :, None, None]


def _avgpool(x, node):
    k = _attr(node, "kernel_shape", None)
    s = _attr(node, "strides", [1, 1])
    p = _attr(node, "pads", [0, 0, 0, 0])
    pad = ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3]))
    xp, mask = np.pad(x, pad), np.pad(np.ones_like(x), pad)
    oh = (xp.shape[2] - k[0]) // s[0] + 1
    ow = (xp.shape[3] - k[1]) // s[1] + 1
    tot, cnt = np.zeros(x.shape[:2] + (oh, ow)), np.zeros(x.shape[:2] + (oh, ow))
    for i in range(k[0]):
        for j in range(k[1]):
            tot += xp[:, :, i:i + s[0] * (oh - 1) + 1:s[0], j:j + s[1] * (ow - 1) + 1:s[1]]
            cnt += mask[:, :, i:i + s[0] * (oh - 1) + 1:s[0], j:j + s[1] * (ow - 1) + 1:s[1]]
    return tot / (k[0] * k[1] if _attr(node, "count_include_pad", 0) else cnt)


def _structural(op, node, ins):
    """Convolutional and shape operators; None when op is not one of them."""
    if op == "Conv":
        return _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, node)
    if op == "AveragePool":
        return _avgpool(ins[0], node)
    if op == "BatchNormalization":
        x, sc, b, mean, var = ins[:5]
        a = sc / np.sqrt(var + float(_attr(node, "epsilon", 1e-5)))
        return x * a[None, :, None, None] + (b - a * mean)[None, :, None, None]
    if op == "Pad":
        p = [int(v) for v in ins[1]]
        r = len(p) // 2
        value = float(ins[2]) if len(ins) > 2 else 0.0
        return np.pad(ins[0], [(p[i], p[r + i]) for i in range(r)], constant_values=value)
    if op == "Shape":
        return np.array(ins[0].shape, dtype=np.int64)
    if op == "Gather":
        return np.take(ins[0], ins[1].astype(np.int64), axis=_attr(node, "axis", 0))
    if op == "Unsqueeze":
        y = ins[0]
        for a in sorted(int(v) for v in ins[1]):
            y = np.expand_dims(y, a)
        return y
    if op == "Concat":
        return np.concatenate(ins, axis=_attr(node, "axis", 0))
    if op == "Reshape":
        return ins[0].reshape([int(v) for v in ins[1]])
    if op == "Constant":
        return numpy_helper.to_array(_attr(node, "value", None))
    if op == "ConstantOfShape":
        v = _attr(node, "value", None)
        fill = numpy_helper.to_array(v).ravel()[0] if v is not None else 0.0
        return np.full([int(d) for d in ins[0]], fill)
    if op == "Slice":
        y = ins[0]
        steps = ins[4] if len(ins) > 4 else np.ones(len(ins[1]), dtype=np.int64)
        axes = ins[3] if len(ins) > 3 else np.arange(len(ins[1]))
        sl = [slice(None)] * y.ndim
        for b, e, a, st in zip(ins[1], ins[2], axes, steps):
            sl[int(a)] = slice(int(b), int(e), int(st))
        return y[tuple(sl)]
    if op == "Transpose":
        return np.transpose(ins[0], _attr(node, "perm", None))
    if op == "Identity":
        return ins[0]
    if op == "Cast":
        return ins[0].astype(np.int64 if _attr(node, "to", 1) == 7 else np.float64)
    return None


def _dense(op, node, ins):
    """Gemm, MatMul, Add and the activations."""
    if op == "Gemm":
        A, B = ins[0], ins[1]
        if _attr(node, "transA", 0):
            A = A.T
        if _attr(node, "transB", 0):
            B = B.T
        y = float(_attr(node, "alpha", 1.0)) * (A @ B)
        if len(ins) > 2:
            y = y + float(_attr(node, "beta", 1.0)) * ins[2]
        return y
    if op == "MatMul":
        return ins[0] @ ins[1]
    if op == "Add":
        return ins[0] + ins[1]
    y = _act(op, node, ins[0])
    if y is None:
        raise SystemExit(f"reference: unsupported ONNX op {op} in node {node.name}")
    return y


def onnx_forward(model, X):
    """Evaluate rows X (n x 64, or n x 1 x 8 x 8 images) with the graph's float32
    initializers in float64."""
    g = model.graph
    vals = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    vals[g.input[0].name] = np.asarray(X, dtype=np.float64)
    for node in g.node:
        ins = [vals[i] for i in node.input if i]
        y = _structural(node.op_type, node, ins)
        vals[node.output[0]] = y if y is not None else _dense(node.op_type, node, ins)
    return vals[g.output[0].name]


def fmt(v):
    return "%.17g" % v


def write_rows(path, X, y):
    with open(path, "w") as f:
        f.write("label," + ",".join(f"x{j}" for j in range(X.shape[1])) + "\n")
        for r in range(len(X)):
            f.write(str(int(y[r])) + "," + ",".join(fmt(v) for v in X[r]) + "\n")


def train_all(out, epochs, nets, prefix, Xtr, ytr, Xte, yte):
    """Train, export and check each (file name, model builder, image input);
    write <prefix>_reference_outputs.csv and <prefix>_accuracy.csv."""
    ref_lines = ["network,row," + ",".join(f"o{j}" for j in range(10))]
    acc_lines = ["network,n_test,correct_torch32,correct_ref64,accuracy,first20_correct"]
    for name, build, image in nets:
        torch.manual_seed(TORCH_SEED)  # every network starts from the same seed
        model = build()
        loss = train(model, Xtr, ytr, epochs)
        model.eval()
        with torch.no_grad():
            pred32 = model(torch.tensor(Xte, dtype=torch.float32)).argmax(1).numpy()
        m = export(model, os.path.join(out, name), image)
        out64 = onnx_forward(m, Xte.reshape(-1, 1, 8, 8) if image else Xte)
        pred64 = out64.argmax(1)
        c32, c64 = int((pred32 == yte).sum()), int((pred64 == yte).sum())
        c20 = int((pred64[:N_REF_ROWS] == yte[:N_REF_ROWS]).sum())
        acc = c64 / len(yte)
        size = os.path.getsize(os.path.join(out, name))
        print(f"{name:40s} loss {loss:.4f}  test acc {acc:.4f} ({c64}/{len(yte)}; "
              f"torch float32 {c32}/{len(yte)})  first {N_REF_ROWS}: {c20}  {size} bytes")
        acc_lines.append(f"{name},{len(yte)},{c32},{c64},{acc:.4f},{c20}")
        for r in range(N_REF_ROWS):
            ref_lines.append(f"{name},{r}," + ",".join(fmt(v) for v in out64[r]))
    with open(os.path.join(out, f"{prefix}_reference_outputs.csv"), "w") as f:
        f.write("\n".join(ref_lines) + "\n")
    with open(os.path.join(out, f"{prefix}_accuracy.csv"), "w") as f:
        f.write("\n".join(acc_lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "examples"),
                    help="output directory (default: the repository's examples/)")
    ap.add_argument("--epochs", type=int, default=400, help="training epochs (default 400)")
    ap.add_argument("--cnn-epochs", type=int, default=150,
                    help="training epochs of the CNNs (default 150)")
    ap.add_argument("--only", choices=["all", "mlp", "cnn"], default="all",
                    help="which networks to (re)generate (default all)")
    args = ap.parse_args()
    if args.epochs < 1 or args.cnn_epochs < 1:
        ap.error("--epochs and --cnn-epochs must be >= 1")
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

    t0 = time.time()
    if args.only in ("all", "mlp"):
        nets = [(f"digits_{act}_{arch}.onnx", lambda a=act, r=arch: build_model(a, r), False)
                for arch in ARCHS for act in ACTIVATIONS]
        train_all(args.out, args.epochs, nets, "digits", Xtr, ytr, Xte, yte)
    if args.only in ("all", "cnn"):
        nets = [(f"cnn_digits_{act}_{arch}.onnx", lambda a=act, r=arch: DigitsCNN(a, r), True)
                for arch in CNN_ARCHS for act in CNN_ACTIVATIONS]
        train_all(args.out, args.cnn_epochs, nets, "cnn_digits", Xtr, ytr, Xte, yte)
    print(f"done in {time.time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
