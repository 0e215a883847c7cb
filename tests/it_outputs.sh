#!/usr/bin/env bash
# Output files under faults and hostile directories (issue 15, defects 2, 5,
# 6, 7), through the nnhull binary on tests/data/tiny_mlp.onnx:
# - a full disk (RLIMIT_FSIZE via `ulimit -f` with SIGXFSZ ignored, so write()
#   fails with EFBIG; works as root and in containers, unlike a small tmpfs):
#   exit 1 with a message, no crash, nothing under the final name, no temporary;
# - symlinks planted at every predictable temporary name leave their target
#   untouched;
# - --out/--cex naming an input file (same device and inode, any spelling,
#   hard link) is refused and the input stays intact;
# - --resume's cleanup of stale temporaries never removes files that merely
#   match a glob pattern made of --out.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"
command -v h5dump >/dev/null || { echo "h5dump not found: skipped"; exit 77; }
cp "$NNH_SOURCE_DIR/tests/data/tiny_mlp.onnx" "$T/net.onnx"
NET="$T/net.onnx"
REGION=(--center 0.1,0.2,0.3 --eps 0.1)
# a property of tiny_mlp (3 inputs, 2 outputs) that is sat: some y_0 >= -100
{
  for i in 0 1 2; do echo "(declare-const X_$i Real)"; done
  for j in 0 1; do echo "(declare-const Y_$j Real)"; done
  for i in 0 1 2; do echo "(assert (>= X_$i -0.5))"; echo "(assert (<= X_$i 0.5))"; done
  echo "(assert (>= Y_0 -100))"
} >"$T/prop.vnnlib"
SPEC="$T/prop.vnnlib"

# run CMD..., expecting exit status $1; stdout in $T/out, stderr in $T/err
nothing_left() { # directory: no file at all (final or temporary)
  [[ -z "$(ls -A "$1")" ]] || { fail "left behind in $1: $(ls -A "$1" | tr '\n' ' ')"; return 1; }
}

# ---- 2. a full disk ------------------------------------------------------------
# at most N KiB per file; the bound files of tiny_mlp are larger than 4 KiB
full() { local kib=$1; shift; (ulimit -f "$kib"; trap '' XFSZ; exec "$@"); }
for m in ibp crown; do
  mkdir "$T/full_$m"
  expect 1 full 4 "$NNHULL" bounds "$NET" "${REGION[@]}" --method $m --quiet --out "$T/full_$m/o.h5" &&
    err_has "$T/full_$m/o.h5" && err_has "File too large" && nothing_left "$T/full_$m" &&
    ok "full disk, bounds --method $m: exit 1, named, nothing left"
done
mkdir "$T/full_v"
expect 1 full 4 "$NNHULL" verify "$NET" "$SPEC" --quiet --out "$T/full_v/v.h5" &&
  err_has "$T/full_v/v.h5" && err_has "File too large" && nothing_left "$T/full_v" &&
  ok "full disk, verify --out: exit 1, named, nothing left"
# room for the checkpoint but not for the output (the smallest limit that
# lets the checkpoint through): the finished work is kept in the checkpoint,
# and --resume with room completes the run
mkdir "$T/full_r"
for kib in $(seq 5 64); do
  rm -f "$T/full_r/"*
  full "$kib" "$NNHULL" bounds "$NET" "${REGION[@]}" --method crown --quiet --out "$T/full_r/o.h5" \
    >"$T/out" 2>"$T/err" && { fail "crown succeeded with $kib KiB but not with less"; break; }
  grep -q "cannot write its checkpoint" "$T/err" || break
done
err_has "--resume continues it" && [[ ! -e "$T/full_r/o.h5" && -e "$T/full_r/o.partial.h5" ]] &&
  expect 0 "$NNHULL" bounds "$NET" "${REGION[@]}" --method crown --quiet --resume --out "$T/full_r/o.h5" &&
  expect 0 "$NNHULL" bounds "$NET" "${REGION[@]}" --method crown --quiet --out "$T/full_r/ref.h5" &&
  [[ "$(ls -A "$T/full_r" | tr '\n' ' ')" == "o.h5 ref.h5 " ]] &&
  cmp -s <(h5dump -d /layers/2/pre_upper "$T/full_r/o.h5" | tail -n +2) \
         <(h5dump -d /layers/2/pre_upper "$T/full_r/ref.h5" | tail -n +2) &&
  ok "full disk after the checkpoint ($kib KiB): exit 1, work kept; --resume completes it"
# with room the same commands succeed (the limit is what failed above)
expect 0 "$NNHULL" bounds "$NET" "${REGION[@]}" --method ibp --quiet --out "$T/full_ibp/o.h5" &&
  expect 0 "$NNHULL" report "$T/full_ibp/o.h5" && ok "the same run without the limit"

# ---- 5. symlinks at the temporary names ----------------------------------------
# The old names were OUT.tmp.<pid>, OUT.verify.<pid> (and its .tmp.<pid>),
# OUT.partial.h5.tmp.<pid> and CEX.tmp.<pid>: run nnhull under a known pid
# (exec keeps the shell's) with a link to the victim at each of them.
printf 'precious\n' >"$T/victim"
planted() { # out cex cmd...
  local out=$1 cex=$2; shift 2
  bash -c 'o=$1 c=$2 v=$3; shift 3; p=${o%.h5}.partial.h5
    for n in "$o.tmp.$$" "$o.verify.$$" "$o.verify.$$.tmp.$$" "$p.tmp.$$" "$c.tmp.$$"; do ln -s "$v" "$n"; done
    exec "$@"' _ "$out" "$cex" "$T/victim" "$@"
}
mkdir "$T/links"
for m in ibp crown; do
  expect 0 planted "$T/links/$m.h5" "$T/links/cex" "$NNHULL" bounds "$NET" "${REGION[@]}" --method $m --quiet \
    --out "$T/links/$m.h5" && expect 0 "$NNHULL" report "$T/links/$m.h5" &&
    [[ $(cat "$T/victim") == precious ]] && ok "bounds --method $m: planted symlinks are not followed" ||
    fail "bounds --method $m wrote through a planted symlink (victim: $(head -c 40 "$T/victim" | tr -c '[:print:]' '?'))"
  printf 'precious\n' >"$T/victim"
done
expect 0 planted "$T/links/v.h5" "$T/links/cex" "$NNHULL" verify "$NET" "$SPEC" --quiet --out "$T/links/v.h5" \
  --cex "$T/links/cex" && grep -q sat "$T/out" && expect 0 "$NNHULL" report "$T/links/v.h5" &&
  grep -q '(X_0 ' "$T/links/cex" && [[ $(cat "$T/victim") == precious ]] &&
  ok "verify --out --cex: planted symlinks are not followed" ||
  fail "verify wrote through a planted symlink (victim: $(head -c 40 "$T/victim" | tr -c '[:print:]' '?'))"
# the output replaces a symlink at the final name itself, never its target
ln -sf "$T/victim" "$T/links/final.h5"
printf 'precious\n' >"$T/victim"
expect 0 "$NNHULL" bounds "$NET" "${REGION[@]}" --method ibp --quiet --out "$T/links/final.h5" &&
  [[ ! -L "$T/links/final.h5" && $(cat "$T/victim") == precious ]] && ok "a symlink at --out is replaced, its target kept" ||
  fail "a symlink at --out: target written"
# temporaries are created in the output's directory with mode 0666 & ~umask
expect 0 bash -c "umask 027; exec \"\$@\"" _ "$NNHULL" bounds "$NET" "${REGION[@]}" --method ibp --quiet --out "$T/links/mode.h5" &&
  [[ $(stat -c %a "$T/links/mode.h5") == 640 ]] && ok "the output's mode follows the umask" ||
  fail "mode of the output: $(stat -c %a "$T/links/mode.h5" 2>&1)"

# ---- 6. an output over an input ------------------------------------------------
sum() { sha256sum "$1" | cut -c1-64; }
NSUM=$(sum "$NET") SSUM=$(sum "$SPEC")
mkdir "$T/sub"
ln "$NET" "$T/hard.h5"
printf '%s\n' '-1 0' '0 1' '0 0.5' >"$T/box.txt"
for out in "$NET" "$T/sub/../net.onnx" "$T/hard.h5"; do
  for m in ibp crown; do
    expect 2 "$NNHULL" bounds "$NET" "${REGION[@]}" --method $m --out "$out" && err_has "$NET"
  done
done
expect 2 "$NNHULL" bounds "$NET" --box "$T/box.txt" --method ibp --out "$T/box.txt" && err_has "$T/box.txt"
expect 2 "$NNHULL" bounds "$NET" --spec "$SPEC" --method ibp --out "$SPEC" && err_has "$SPEC"
expect 2 "$NNHULL" verify "$NET" "$SPEC" --out "$NET" && err_has "$NET"
expect 2 "$NNHULL" verify "$NET" "$SPEC" --out "$T/sub/../prop.vnnlib" && err_has "$SPEC"
expect 2 "$NNHULL" verify "$NET" "$SPEC" --cex "$SPEC" && err_has "$SPEC"
[[ $(sum "$NET") == "$NSUM" && $(sum "$SPEC") == "$SSUM" && $(cat "$T/box.txt" | wc -l) == 3 ]] &&
  ok "--out/--cex over the network, property or box file: refused, inputs intact" ||
  fail "an input was overwritten"
# the checkpoint OUT.partial.h5 is an output too
cp "$NET" "$T/ck.partial.h5"
expect 2 "$NNHULL" bounds "$T/ck.partial.h5" "${REGION[@]}" --method crown --out "$T/ck.h5" &&
  err_has "$T/ck.partial.h5" && ok "the checkpoint name over the network: refused"

# ---- 7. --resume with glob characters in --out ---------------------------------
cp "$NNH_SOURCE_DIR/tests/data/tiny_mlp.onnx" "$T/net7.onnx"
NET="$T/net7.onnx"
mkdir "$T/glob"
DEAD=2147483000   # above any pid_max: never a live process
touch "$T/glob/a.partial.h5.tmp.$DEAD" "$T/glob/b.partial.h5.tmp.$DEAD.x7Rq2Z" "$T/glob/keep.partial.h5.tmp.$DEAD"
touch "$T/glob/[ab].partial.h5.tmp.$DEAD" "$T/glob/[ab].partial.h5.tmp.$DEAD.Qm3xYz" "$T/glob/[ab].partial.h5.tmp.$$.Qm3xYz"
expect 0 "$NNHULL" bounds "$NET" "${REGION[@]}" --method crown --quiet --resume --out "$T/glob/[ab].h5" &&
  [[ -e "$T/glob/a.partial.h5.tmp.$DEAD" && -e "$T/glob/b.partial.h5.tmp.$DEAD.x7Rq2Z" && -e "$T/glob/keep.partial.h5.tmp.$DEAD" ]] &&
  ok "--resume --out '[ab].h5' keeps a.partial.h5.tmp.* and b.partial.h5.tmp.*" ||
  fail "--resume removed unrelated files: $(ls "$T/glob" | tr '\n' ' ')"
[[ ! -e "$T/glob/[ab].partial.h5.tmp.$DEAD" && ! -e "$T/glob/[ab].partial.h5.tmp.$DEAD.Qm3xYz" &&
   -e "$T/glob/[ab].partial.h5.tmp.$$.Qm3xYz" && -e "$T/glob/[ab].h5" ]] &&
  ok "--resume removes its own stale temporaries (dead pid), keeps a live one's" ||
  fail "stale temporaries of '[ab].partial.h5': $(ls "$T/glob" | tr '\n' ' ')"

it_finish it_outputs
