#!/usr/bin/env bash
# Integration test of `nnhull envelope`: the test vectors of
# docs/convexification.md Section 9 and bad lines through the binary,
# checked with python3's json module (values to 1e-9, one line per input).
set -euo pipefail
NNHULL=${NNHULL:-nnhull}
command -v python3 >/dev/null || { echo "python3 absent: skip"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/in.jsonl" <<'JSON'
{"act":"sigmoid","w":[1,1],"b":0,"l":[-1,-1],"u":[1,1],"x":[0.5,-0.5],"y":0.9}
{"act":"sigmoid","w":[2,-3,1],"b":0.5,"l":[-1,-1,0],"u":[1,2,1],"x":[0.2,0.1,0.9]}
{"act":"sigmoid","w":[1.5,0.7,-2.2,0.4],"b":-1,"l":[0,0,0,0],"u":[1,1,1,1],"x":[0.9,0.3,0.4,0.6],"y":0.0}
{"act":"tanh","w":[1,2],"b":-0.5,"l":[-1,-1],"u":[1,1],"x":[0.3,-0.6],"y":0.0}
{"act":"tanh","w":[0.8,-1.2,2.0],"b":0.3,"l":[-1,-1,-1],"u":[1,1,1],"x":[0.1,0.2,-0.3]}
{"act":"softplus","w":[1,1,1],"b":-1,"l":[-1,-1,-1],"u":[1,1,1],"x":[0.5,-0.2,0.1],"y":2.0}

{"act":"relu","w":[1,-1],"b":0,"l":[-1,-1],"u":[1,1],"x":[0.2,0.3]}
{"act":"gelu","w":[1],"l":[0],"u":[1],"x":[0.5]}
{"act":"sigmoid","w":[1,2],"l":[0],"u":[1],"x":[0.5]}
{"act":"sigmoid","w":[1],"l":[1],"u":[0],"x":[0.5]}
{"act":"sigmoid","w":[1],"l":[0],"u":[1],"x":["a"]}
{"act":"tanh","alpha":0.5,"w":[1],"l":[0],"u":[1],"x":[0.5]}
this is not json
{"act":"leaky_relu","alpha":0.1,"w":[],"l":[],"u":[],"x":[],"b":-2,"y":-0.2}
JSON

set +e
"$NNHULL" envelope <"$tmp/in.jsonl" >"$tmp/out.jsonl"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "expected exit 1 (bad lines present), got $rc"; exit 1; }
help=$("$NNHULL" envelope --help)
grep -q "cav_region" <<<"$help" || { echo "--help lacks the output format"; exit 1; }

python3 - "$tmp/out.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 14, f"expected 14 output lines, got {len(rows)}"

def close(a, b, what, tol=1e-9):
    assert abs(a - b) <= tol, f"{what}: {a!r} vs {b!r}"

def vec(a, b, what):
    assert len(a) == len(b), what
    for i, (p, q) in enumerate(zip(a, b)):
        close(p, q, f"{what}[{i}]")

r = rows[0]
close(r["f"], 0.5, "v1 f"); close(r["cav"], 0.525368007080, "v1 cav")
close(r["vex"], 0.474631992920, "v1 vex")
close(r["cav1d"], 0.527312298711, "v1 cav1d"); close(r["vex1d"], 0.472687701289, "v1 vex1d")
vec(r["cav_grad"], [0.196057593405, 0.224157389901], "v1 cav_grad")
vec(r["vex_grad"], [0.224157389901, 0.196057593405], "v1 vex_grad")
assert r["cav_region"] == "i"
c = r["cut"]
assert c["sense"] == "<=", c
vec(c["a"], r["cav_grad"], "v1 cut a")
x = [0.5, -0.5]
rhs = sum(a * xi for a, xi in zip(c["a"], x)) + c["c"]
close(rhs, r["cav"], "v1 cut touches cav", 1e-12)
assert rhs >= r["cav"], "cut intercept must be relaxed outward, never inward"
close(c["violation"], 0.9 - rhs, "v1 violation", 1e-15)

r = rows[1]
close(r["cav"], 0.835378977404, "v2 cav"); close(r["cav1d"], 0.835378977404, "v2 cav1d")
close(r["vex"], 0.481257127399, "v2 vex"); close(r["vex1d"], 0.481257127399, "v2 vex1d")
assert r["cav_region"] in "fl" and r["vex_region"] in "fl" and "cut" not in r

r = rows[2]
close(r["f"], 0.480010659844, "v3 f"); close(r["cav"], 0.522076213155, "v3 cav")
close(r["cav1d"], 0.556876568341, "v3 cav1d"); close(r["vex"], 0.466566246934, "v3 vex")
vec(r["cav_grad"], [0.115299542287, 0.149942729723, -0.471248579131, 0.085681559842], "v3 grad")
assert r["cut"]["sense"] == ">=" and r["cut"]["violation"] > 0.46

r = rows[3]
close(r["f"], -0.885351648202, "v4 f"); close(r["cav"], -0.388149119507, "v4 cav")
close(r["cav1d"], -0.176644468926, "v4 cav1d"); close(r["vex"], -0.885351648202, "v4 vex")
vec(r["cav_grad"], [0.046514821983, 1.373898773814], "v4 grad")
close(r["cut"]["violation"], 0.388149119507, "v4 violation", 1e-9)

r = rows[4]
close(r["cav"], 0.215876950287, "v5 cav"); close(r["cav1d"], 0.215876950287, "v5 cav1d")
close(r["vex"], -0.587666866449, "v5 vex"); close(r["vex1d"], -0.587666866449, "v5 vex1d")

r = rows[5]
close(r["f"], 0.437487950486, "v6 f"); close(r["vex"], 0.437487950486, "v6 vex")
close(r["cav"], 0.984666365689, "v6 cav"); close(r["cav1d"], 1.213124175022, "v6 cav1d")
vec(r["cav_grad"], [0.054389041563, 0.716890415242, 0.283109584758], "v6 grad")
assert r["cut"]["sense"] == "<="

r = rows[6]  # relu, no y: no cut key; ReLU vex = f
assert "cut" not in r and r["vex_region"] == "f"
close(r["vex"], r["f"], "relu vex = f", 0)

errs = rows[7:13]
expect = ["line 9:", "line 10:", "line 11:", "line 12:", "line 13:", "line 14:"]
for e, pre in zip(errs, expect):
    assert set(e) == {"error"} and e["error"].startswith(pre), e
assert "gelu" in errs[0]["error"] and "entries" in errs[1]["error"]
assert "alpha" in errs[4]["error"]

r = rows[13]  # n = 0: everything is leaky(-2) = -0.2; y on it: no cut
close(r["cav"], -0.2, "n=0 cav", 1e-15); close(r["vex"], -0.2, "n=0 vex", 1e-15)
assert r["cut"] is None and r["cav_grad"] == []
print("it_envelope: test vectors and bad lines passed")
PY

# Numbers out of range (issue 15, defect 8): every number must be finite and
# at most 1e100 in magnitude; each offending line gives an error line naming
# the key, processing continues, exit 1; no output number is ever null
# (JSON's stand-in for NaN/inf): only "cut":null (no cut) is.
cat >"$tmp/range.jsonl" <<'JSON'
{"act":"sigmoid","w":[1,1],"b":0,"l":[-1,-1],"u":[1,1],"x":[0.5,-0.5],"y":1e999}
{"act":"sigmoid","w":[1e308,1e308],"b":0,"l":[-1,-1],"u":[1,1],"x":[0.5,-0.5],"y":0.5}
{"act":"tanh","w":[1,1],"b":0,"l":[-1e308,-1],"u":[1e308,1],"x":[0.5,-0.5],"y":0.5}
{"act":"tanh","w":[1,1],"b":-1e999,"l":[-1,-1],"u":[1,1],"x":[0.5,-0.5]}
{"act":"softplus","w":[1,2],"b":0,"l":[-1,-1],"u":[1,1],"x":[1e300,0]}
{"act":"leaky_relu","alpha":1e200,"w":[1],"l":[0],"u":[1],"x":[0.5]}
{"act":"sigmoid","w":[1],"l":[0],"u":[1],"x":[0.5],"y":-1e101}
{"act":"sigmoid","w":[1e100,-1e100],"b":1e100,"l":[-1e100,-1e100],"u":[1e100,1e100],"x":[3e99,-2e99],"y":0.75}
{"act":"tanh","w":[1e100,1],"b":-1e100,"l":[-1e100,-1],"u":[1e100,1],"x":[1,0.5],"y":-0.5}
{"act":"softplus","w":[1e-100,1e100],"b":0,"l":[-1e100,-1e-100],"u":[1e100,1e-100],"x":[0,0],"y":1e100}
{"act":"elu","alpha":1e100,"w":[1e100],"b":0,"l":[-1e100],"u":[1e100],"x":[-1],"y":-1e100}
{"act":"sigmoid","w":[1,1],"b":0,"l":[-1,-1],"u":[1,1],"x":[0.5,-0.5],"y":0.9}
JSON
set +e
"$NNHULL" envelope <"$tmp/range.jsonl" >"$tmp/range.out"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "numbers out of range: expected exit 1, got $rc"; exit 1; }
python3 - "$tmp/range.out" <<'PY'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 12, f"expected 12 output lines, got {len(rows)}"
keys = ["y", "w", "l", "b", "x", "alpha", "y"]
for i, key in enumerate(keys):
    e = rows[i]
    assert set(e) == {"error"}, f"line {i + 1}: expected an error, got {e}"
    assert e["error"].startswith(f"line {i + 1}: ") and f'"{key}"' in e["error"], e
def numbers(v, path):
    if isinstance(v, dict):
        for k, x in v.items():
            if not (k == "cut" and x is None):
                yield from numbers(x, path + "." + k)
    elif isinstance(v, list):
        for j, x in enumerate(v):
            yield from numbers(x, f"{path}[{j}]")
    else:
        yield path, v
for i, r in enumerate(rows[7:], 8):
    if set(r) == {"error"}:
        assert r["error"].startswith(f"line {i}: "), r
        continue
    for path, v in numbers(r, ""):
        assert v is not None and (isinstance(v, str) or math.isfinite(v)), f"line {i}{path} = {v!r}"
r = rows[11]
assert "error" not in r and r["cut"]["sense"] == "<=", r
print("it_envelope: all checks passed")
PY
