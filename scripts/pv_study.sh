#!/usr/bin/env bash
# PV runs of docs/results_pv.md on the VNN-COMP mnist-net_256x2 (identity logits), resumable:
# a run whose JSON exists is skipped. Needs the CLI built in $BUILD (default build-e).
#   scripts/pv_study.sh tiers [REF...]  test images REF (default 0), softmax-l1, naive/lp/milp
#                               over [0,1]^784, lp over the query domain, milp-img; 60 s each
#   scripts/pv_study.sh classes one reference per class (first test image of each class),
#                               softmax-l1, lp over the query domain, 60 s each, with PNGs
#   scripts/pv_study.sh thesis [NET.onnx]   the thesis's study (chapter 3.2-3.3) on NET
#                               (default results/nets/mnist_200x5_l1_2e-4_sum_s1_eps0.04.onnx,
#                               the L1 2e-4 net rounded at eps = 0.04 as the thesis does, from
#                               scripts/train_thesis_nets.sh): one reference per class (the
#                               first MNIST test image of each class), neighbours eps = 0.18,
#                               softmax-l1, tiers naive/lp/milp over [0,1]^784, milp-img, and
#                               symbolic/alpha over the reference domain; bounds get their own
#                               $BOUNDS_LIMIT s (default 120), then $TIME_LIMIT s (120) for
#                               attack + MILP.
#                               Reference by reference (all tiers of one reference, then the
#                               next), so a partial run compares the tiers on the same images.
#                               Results in results/pv/<net name>/, PNGs per run. REFS
#                               overrides the reference list, TIERS the tiers; ATTACK=1 runs
#                               the attack first (into .../attack, or .../attack_t$TIME_LIMIT
#                               when TIME_LIMIT is set); OBJECTIVE=margin|logit-l1 replaces
#                               softmax-l1 (into .../$OBJECTIVE/); TAG appends _$TAG to the
#                               folder (a rerun with another binary). summary takes the same
#                               variables.
#   scripts/pv_study.sh summary [NET.onnx]  per-instance table, the share of instances within
#                               gaps of 1/3/5/7.5% per tier (Figure 3.3) and the bound times
#                               per tier (Figure 3.5), from the JSON files done so far.
# NNMIP overrides the binary (default $BUILD/src/cli/nnmip); run long studies with a copy of
# it (e.g. results/pv/nnmip-pv) so that rebuilding does not disturb them.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${NNMIP:-${BUILD:-build-e}/src/cli/nnmip}
N=../shared/data/vnncomp/mnist_fc/onnx/mnist-net_256x2.onnx
OUT=results/pv
mkdir -p "$OUT"
run() {  # name, then the adversarial arguments
  local name=$1
  shift
  [ -f "$OUT/$name.json" ] && return 0
  "$B" adversarial "$N" "$@" --json "$OUT/$name.json" > "$OUT/$name.txt" 2>&1
}
# First MNIST test image of each class 0..9 (test labels: 7 2 1 0 4 1 4 9 5 9 0 6 ...).
FIRST_OF_CLASS="3 2 1 18 4 8 11 0 61 7"
THESIS_TIERS=${TIERS:-naive lp milp milp-img symbolic alpha}
OBJECTIVE=${OBJECTIVE:-softmax-l1}
thesis_net() { echo "${1:-results/nets/mnist_200x5_l1_2e-4_sum_s1_eps0.04.onnx}"; }
thesis_dir() {  # the results of the thesis study on network $1 under $OBJECTIVE and $ATTACK
  local d
  d=results/pv/$(basename "$1" .onnx)
  [ "$OBJECTIVE" = softmax-l1 ] || d=$d/$OBJECTIVE
  [ "${ATTACK:-0}" = 1 ] && d=$d/attack${TIME_LIMIT:+_t$TIME_LIMIT}
  echo "$d${TAG:+_$TAG}"
}
case "${1:-classes}" in
  tiers)
    shift
    for ref in "${@:-0}"; do
      run "img${ref}_lp_query" --domain "neighbours:$ref,eps=0.18" --objective softmax-l1 \
        --method lp --time-limit 60 --png-dir "$OUT/img${ref}_lp_query"
      for m in naive lp milp; do
        run "img${ref}_${m}_full" --domain "neighbours:$ref,eps=0.18" --objective softmax-l1 \
          --method "$m" --bounds-domain full --time-limit 60
      done
      run "img${ref}_milp-img" --domain "neighbours:$ref,eps=0.18" --objective softmax-l1 \
        --method milp-img --time-limit 60
    done
    ;;
  classes)
    for ref in $FIRST_OF_CLASS; do
      run "study_lp_ref$ref" --domain "neighbours:$ref,eps=0.18" --objective softmax-l1 \
        --method lp --time-limit 60 --png-dir "$OUT/png_ref$ref"
    done
    ;;
  thesis)
    N=$(thesis_net "${2:-}")
    [ -f "$N" ] || { echo "no network $N (scripts/train_thesis_nets.sh)" >&2; exit 3; }
    OUT=$(thesis_dir "$N")
    # As in the thesis, the incumbents come from the MILP alone (--no-attack); ATTACK=1 runs
    # the library attack first (its point is then the MIP start).
    ATTACK_ARGS=(--no-attack)
    [ "${ATTACK:-0}" = 1 ] && ATTACK_ARGS=()
    mkdir -p "$OUT"
    for ref in ${REFS:-$FIRST_OF_CLASS}; do
      for tier in $THESIS_TIERS; do
        case $tier in
          naive | lp | milp) over=full ;;
          *) over=query ;;
        esac
        name="ref${ref}_${tier}"
        [ -f "$OUT/$name.json" ] && continue
        echo "$(date -u +%H:%M:%S) $name" >&2
        run "$name" --domain "neighbours:$ref,eps=0.18" --objective "$OBJECTIVE" --method "$tier" \
          --bounds-domain "$over" --bounds-time-limit "${BOUNDS_LIMIT:-120}" --time-limit "${TIME_LIMIT:-120}" \
          --png-dir "$OUT/png_$name" "${ATTACK_ARGS[@]}" || echo "  $name failed (see $OUT/$name.txt)" >&2
      done
    done
    ;;
  summary)
    N=$(thesis_net "${2:-}")
    D=$(thesis_dir "$N")
    python3 - "$D" "${REFS:-$FIRST_OF_CLASS}" "$THESIS_TIERS" "$OBJECTIVE" <<'PY'
import json, os, statistics, sys
out, refs, tiers, objective = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4]
rows = {}
for ref in refs:
    for t in tiers:
        p = os.path.join(out, f"ref{ref}_{t}.json")
        if os.path.exists(p):
            rows[(ref, t)] = json.load(open(p))
print(f"{len(rows)} of {len(refs) * len(tiers)} runs done ({out})\n")
print("| ref | class | tier | bounds over | value | bound | gap | found class | found by | bounds s | MILP s | total s | binaries | nodes |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for (ref, t), d in rows.items():
    m = d["milps"][-1] if d.get("milps") else {}
    print(f"| {ref} | {d['reference']['class']} | {t} | {d['bounds_over'] if d['bounds_over'] == 'query' else 'full'} "
          f"| {d['value']:.4f} | {d['bound']:.4f} | {100 * d['gap']:.1f}% | {d['found']['class']} | {d['found_by']} "
          f"| {d['bounds_s']:.1f} | {d.get('milp_s', 0):.1f} | {d['wall_s']:.1f} | {m.get('binaries', '')} | {m.get('nodes', '')} |")
print("\n| ref (class) | " + " | ".join(tiers) + " |")  # dual bounds at a glance, value in brackets
print("|---|" + "---|" * len(tiers))
for ref in refs:
    ds = [rows.get((ref, t)) for t in tiers]
    if not any(ds):
        continue
    cls = next(d for d in ds if d)["reference"]["class"]
    cell = lambda d: f"{d['bound']:.4f} ({d['value']:.4f})" if d else ""
    print(f"| {ref} ({cls}) | " + " | ".join(cell(d) for d in ds) + " |")
by_tier = {t: [d for (r, tt), d in rows.items() if tt == t] for t in tiers}
print("\n| tier | runs | gap <= 1% | <= 3% | <= 5% | <= 7.5% | bounds s min / median / max |")
print("|---|---|---|---|---|---|---|")
for t, ds in by_tier.items():
    if not ds:
        print(f"| {t} | 0 | | | | | |")
        continue
    share = lambda g: f"{100 * sum(d['gap'] <= g for d in ds) / len(ds):.0f}%"
    bs = [d["bounds_s"] for d in ds]
    print(f"| {t} | {len(ds)} | {share(0.01)} | {share(0.03)} | {share(0.05)} | {share(0.075)} "
          f"| {min(bs):.1f} / {statistics.median(bs):.1f} / {max(bs):.1f} |")
if objective == "margin":
    # The margin max_j z_j - z_c answers a verification question: a dual bound < 0 proves that
    # every input of the domain keeps the reference's class, a value > 0 is an input that does not.
    # A MILP (one per other class) without a dual bound left its class at its interval bound.
    print("\n| tier | runs | class kept (bound < 0) | class changes (value > 0) | open | bound min / median / max | MILPs without a bound |")
    print("|---|---|---|---|---|---|---|")
    for t, ds in by_tier.items():
        if not ds:
            continue
        kept = sum(d["bound"] < 0 for d in ds)
        changed = sum(d["value"] > 0 for d in ds)
        b = [d["bound"] for d in ds]
        unbounded = sum(m["best_bound"] is None for d in ds for m in d["milps"])
        print(f"| {t} | {len(ds)} | {kept} | {changed} | {len(ds) - kept - changed} "
              f"| {min(b):.3f} / {statistics.median(b):.3f} / {max(b):.3f} "
              f"| {unbounded} of {sum(len(d['milps']) for d in ds)} |")
PY
    ;;
  *) echo "usage: $0 tiers|classes|thesis [NET]|summary [NET]" >&2; exit 2 ;;
esac
