#!/usr/bin/env bash
# nnmip compare end to end: usage errors (exit 2), bad input (exit 3), and short real runs on the
# VNN-COMP mnist-net_256x2 against its 50%-pruned copy: maxdiff-logit value <= bound in the JSON,
# the PNGs written; the network against itself: maxdiff-logit 0 and mineps infeasible (proved).
# usage: compare_cli_test.sh NNMIP_BINARY   (run from the project root)
set -u
NNMIP=$1
NET=../shared/data/vnncomp/mnist_fc/onnx/mnist-net_256x2.onnx
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
# shellcheck source=expect.sh
source "$(dirname "$0")/expect.sh"

expect_rc 2 "$NNMIP" compare "$NET" "$NET" --domain box:0,1 --time-limit 0
expect_rc 2 "$NNMIP" compare "$NET" "$NET" --domain box:0,1 --comparator nosuch
expect_rc 2 "$NNMIP" compare "$NET" "$NET" --domain box:0,1 --margin -1
expect_rc 2 "$NNMIP" compare "$NET" "$NET" --domain box:0,1 --margin nan
expect_rc 2 "$NNMIP" compare "$NET" "$NET" --comparator mineps --reference 0 --eps-max 2
expect_rc 2 "$NNMIP" compare "$NET" "$NET" --comparator maxout --domain box:0,1
expect_rc 2 "$NNMIP" compare "$NET" "$NET" --comparator maxdiff
expect_rc 3 "$NNMIP" compare "$NET" "$TMP/missing.onnx" --domain box:0,1
expect_rc 3 "$NNMIP" compare "$NET" "$NET" --domain nosuch:1

if [ ! -f "$NET" ]; then
  echo "skip: $NET not found"
else
  "$NNMIP" -q prune "$NET" --percent 50 -o "$TMP/p50.onnx" >/dev/null || fail "prune"
  expect_rc 0 "$NNMIP" compare "$NET" "$TMP/p50.onnx" --comparator maxdiff-logit \
    --domain linf:0,0.005 --time-limit 20 --json "$TMP/ml.json" --png-dir "$TMP/png"
  python3 - "$TMP/ml.json" <<'PY' || fail "maxdiff-logit JSON checks"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["results"][0]
assert r["comparator"] == "maxdiff-logit"
assert r["value"] is not None and r["bound"] is not None
assert 0 < r["value"] <= r["bound"] + 1e-9, (r["value"], r["bound"])
assert len(r["x"]) == 784 and r["n1"]["class"] == 7 and r["n1"]["class_f32"] == 7
print("ok:   maxdiff-logit value %.4f bound %.4f %s" % (r["value"], r["bound"], r["status"]))
PY
  for f in reference.png found.png difference.png; do
    [ -s "$TMP/png/$f" ] || fail "$f not written"
  done
  expect_rc 0 "$NNMIP" compare "$NET" "$NET" --comparator maxdiff-logit --domain linf:0,0.01 \
    --time-limit 20 --json "$TMP/same.json"
  expect_rc 0 "$NNMIP" compare "$NET" "$NET" --comparator mineps --reference 0 --eps-max 0.01 \
    --method interval --time-limit 20 --json "$TMP/mineps.json"
  python3 - "$TMP/same.json" "$TMP/mineps.json" <<'PY' || fail "N1 = N1 JSON checks"
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
assert r["value"] == 0 and r["bound"] <= 1e-5 and r["proven"], r
m = json.load(open(sys.argv[2]))["results"][0]
assert m["status"] == "infeasible" and m["proven"] and m["bound"] is None, m
print("ok:   N1 = N1: maxdiff-logit bound %.2e, mineps infeasible" % r["bound"])
PY
fi
[ "$failures" -eq 0 ] && echo "all passed" || echo "$failures failed"
exit $((failures > 0))
