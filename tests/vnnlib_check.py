#!/usr/bin/env python3
"""Independent check of a counterexample for `nnhull verify` tests.

usage: vnnlib_check.py PROPERTY.vnnlib CEX_FILE EVAL_OUTPUT [TOL]
CEX_FILE is the VNN-COMP counterexample written by --cex ((X_i v) and (Y_j v)
lines); EVAL_OUTPUT is `nnhull eval NET X...` of its inputs (one comma-separated
line). Exits 0 when the evaluated outputs match the file's Y values and the
inputs and evaluated outputs satisfy every assert of the property (exactly, or
within TOL), 1 otherwise. A small s-expression evaluator written for the tests,
independent of the C reader: and, or, <=, >=, <, >, =, +, -, *, numbers, X_i, Y_j.
scripts/cex-check.py imports tokens/parse/holds from here (its own forward pass
replaces EVAL_OUTPUT).
"""
import re
import sys


def tokens(text):
    text = re.sub(r";[^\n]*", " ", text)
    return re.findall(r"\(|\)|[^\s()]+", text)


def parse(toks):
    stack, cur = [], []
    for t in toks:
        if t == "(":
            stack.append(cur)
            cur = []
        elif t == ")":
            done, cur = cur, stack.pop()
            cur.append(done)
        else:
            cur.append(t)
    return cur


def value(e, env):
    if isinstance(e, str):
        return env[e] if e in env else float(e)
    op, args = e[0], [value(a, env) for a in e[1:]]
    if op == "+":
        return sum(args)
    if op == "-":
        return -args[0] if len(args) == 1 else args[0] - sum(args[1:])
    if op == "*":
        p = 1.0
        for a in args:
            p *= a
        return p
    raise ValueError("unsupported term " + op)


def holds(e, env, tol):
    op = e[0]
    if op == "and":
        return all(holds(a, env, tol) for a in e[1:])
    if op == "or":
        return any(holds(a, env, tol) for a in e[1:])
    a = [value(x, env) for x in e[1:]]
    pairs = list(zip(a, a[1:]))
    if op in ("<=", "<"):
        return all(x <= y + tol for x, y in pairs)
    if op in (">=", ">"):
        return all(x + tol >= y for x, y in pairs)
    if op == "=":
        return all(abs(x - y) <= tol for x, y in pairs)
    raise ValueError("unsupported formula " + op)


def main():
    prop, cex, evaled = sys.argv[1:4]
    tol = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    env = {}
    for name, v in re.findall(r"\(\s*([XY]_\d+)\s+([^\s()]+)\s*\)", open(cex).read()):
        env[name] = float(v)
    ys = [float(v) for v in open(evaled).read().strip().split(",")]
    for j, y in enumerate(ys):
        rec = env.get("Y_%d" % j)
        if rec is None or abs(rec - y) > 1e-12 * (1 + abs(y)):
            print("Y_%d: file %s, nnhull eval %r" % (j, rec, y))
            return 1
        env["Y_%d" % j] = y
    for form in parse(tokens(open(prop).read())):
        if form and form[0] == "assert" and not holds(form[1], env, tol):
            print("assert not met: %s" % (form[1],))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
