#!/usr/bin/env bash
# nnmip adversarial end to end: usage errors (exit 2), bad input (exit 3), and short real runs on
# the VNN-COMP mnist-net_256x2 (identity logits): value <= bound in the table and the JSON, the
# PNGs written, the softmax-l1 bound at most 2.
# usage: adversarial_cli_test.sh NNMIP_BINARY   (run from the project root)
set -u
NNMIP=$1
NET=../shared/data/vnncomp/mnist_fc/onnx/mnist-net_256x2.onnx
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
# shellcheck source=expect.sh
source "$(dirname "$0")/expect.sh"

expect_rc 2 "$NNMIP" adversarial "$NET" --domain neighbours:0 --time-limit 0
expect_rc 2 "$NNMIP" adversarial "$NET" --domain neighbours:0 --time-limit -5
expect_rc 2 "$NNMIP" adversarial "$NET" --domain neighbours:0 --objective nosuch
expect_rc 2 "$NNMIP" adversarial "$NET" --domain neighbours:0 --method nosuch
expect_rc 3 "$NNMIP" adversarial "$NET" --domain nosuch:1
expect_rc 3 "$NNMIP" adversarial "$NET" --domain box:0,1 --reference "$TMP/missing.txt"

if data_missing "$NET"; then
  :
else
  for obj in margin softmax-l1; do
    expect_rc 0 "$NNMIP" adversarial "$NET" --domain neighbours:0,eps=0.18 --objective "$obj" \
      --method interval --time-limit 8 --json "$TMP/$obj.json" --png-dir "$TMP/png_$obj"
    python3 - "$TMP/$obj.json" "$obj" <<'PY' || fail "$obj JSON checks"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["objective"] == sys.argv[2], d["objective"]
assert d["value"] is not None and d["bound"] is not None
assert d["value"] <= d["bound"] + 1e-9, (d["value"], d["bound"])
if sys.argv[2] == "softmax-l1":
    assert 0 <= d["value"] <= d["bound"] <= 2.0
assert d["reference"]["class"] == 7  # test image 0 is a 7
assert len(d["found"]["x"]) == 784
print("ok:   %s value %.4f bound %.4f" % (sys.argv[2], d["value"], d["bound"]))
PY
    for f in reference.png found.png difference.png; do
      [ -s "$TMP/png_$obj/$f" ] || fail "$obj: $f not written"
    done
  done
fi
[ "$failures" -eq 0 ] && echo "all passed" || echo "$failures failed"
exit $((failures > 0))
