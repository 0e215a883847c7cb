#!/usr/bin/env python3
"""Write tests/data/tiny_mlp.onnx: 3 -> 4 (Sigmoid) -> 3 (Tanh) -> 2, as
MatMul + Add with float32 weights that are exact multiples of 1/8 (so an
independent evaluation in tests/it_cli.sh can use them in double). Encodes the
protobuf wire format by hand: no onnx package needed. Weights are printed for
the test (W as in y = x W + b, rows = inputs)."""
import struct, sys

W0 = [[0.5, -1.25, 0.75, 2.0], [-0.5, 1.0, 0.25, -1.5], [1.5, 0.125, -0.875, 0.5]]
B0 = [0.25, -0.5, 0.0, 1.0]
W1 = [[1.0, -0.5, 0.25], [-1.0, 0.75, 0.5], [0.5, 0.5, -1.25], [2.0, -0.25, 0.125]]
B1 = [-0.125, 0.375, 0.0]
W2 = [[1.5, -2.0], [-0.75, 1.0], [0.5, 0.25]]
B2 = [0.5, -0.25]

def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out

def key(field, wire):
    return varint(field << 3 | wire)

def vint(field, n):
    return key(field, 0) + varint(n)

def ld(field, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return key(field, 2) + varint(len(payload)) + payload

def tensor(name, dims, values):
    raw = b"".join(struct.pack("<f", v) for v in values)
    return b"".join(vint(1, d) for d in dims) + vint(2, 1) + ld(8, name) + ld(9, raw)

def value_info(name, dims):
    shape = b"".join(ld(1, vint(1, d)) for d in dims)
    return ld(1, name) + ld(2, ld(1, vint(1, 1) + ld(2, shape)))

def node(op, ins, outs, name):
    return b"".join(ld(1, i) for i in ins) + b"".join(ld(2, o) for o in outs) + ld(3, name) + ld(4, op)

def flat(m):
    return [v for row in m for v in row]

nodes, inits = [], []
prev = "x"
for k, (W, B, act) in enumerate([(W0, B0, "Sigmoid"), (W1, B1, "Tanh"), (W2, B2, None)]):
    inits.append(tensor(f"W{k}", [len(W), len(W[0])], flat(W)))
    inits.append(tensor(f"B{k}", [len(B)], B))
    nodes.append(node("MatMul", [prev, f"W{k}"], [f"m{k}"], f"matmul{k}"))
    out = "y" if act is None else f"z{k}"
    nodes.append(node("Add", [f"m{k}", f"B{k}"], [out], f"add{k}"))
    if act:
        nodes.append(node(act, [out], [f"a{k}"], f"act{k}"))
        prev = f"a{k}"
graph = (b"".join(ld(1, n) for n in nodes) + ld(2, "tiny_mlp") + b"".join(ld(5, t) for t in inits)
         + ld(11, value_info("x", [1, 3])) + ld(12, value_info("y", [1, 2])))
model = vint(1, 7) + ld(8, ld(1, "") + vint(2, 13)) + ld(7, graph)
out = sys.argv[1] if len(sys.argv) > 1 else "tiny_mlp.onnx"
with open(out, "wb") as f:
    f.write(model)
