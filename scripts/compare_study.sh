#!/usr/bin/env bash
# The comparator studies of the thesis's chapter 4 (issue 22), resumable: every run writes one
# JSON report ($OUT/<study>/<job>.json) and a job whose report exists is skipped, so an
# interrupted study resumes where it stopped (Ctrl-C is safe; rerun the same command).
#
#   scripts/compare_study.sh tables|maxout|mineps|flips|summary [FILTER_REGEX]
#
# The same studies run as campaigns on one JobStore each: `nnmip experiment compare|mineps
# --scale small|paper -o DIR` (src/experiments/campaign_compare.cpp, campaign_mineps.cpp), printed
# by `nnmip compare table --kind thesis|maxout|mineps|flips|certify -o DIR`. This script stays for
# single studies against networks of scripts/train_thesis_nets.sh.
#
#   tables   Tables 4.2-4.7: the pairs 800x2/200x5, 800x2/100x10, 200x5/100x10 (L1 2e-4 networks,
#            each pruned to 90% of its weights, global), maxdiff in probabilities, domains box
#            [0,1]^784, linf 0.05 and neighbours eps=0.05 around the first test image of each
#            class (REFS), bounds lp and alpha over the query domain, with and without attack;
#            PNGs beside each report.
#   maxout   800x2 vs 200x5 (90% pruned): --classes all over [0,1]^784, and over each linf 0.05
#            reference domain C1 = the reference's class against every C2.
#   mineps   the 15x2 network against its global prunings at 5%, 7.25%, ..., 92.75% (40 levels),
#            one reference per digit, eps_max 1, margin 1e-4, both role orders.
#   flips    maxflip of 15x2 against its prunings at every tenth level on the linf 0.05 balls.
#   summary  prints counts per study from the reports written so far.
#
# Environment: NNMIP (build/src/cli/nnmip), NETS (results/nets: the networks of
# scripts/train_thesis_nets.sh '_sum$'), OUT (results/compare), TL (seconds per MILP: 120 for
# tables, 60 otherwise), REFS (MNIST test indices; default the first test image of each class,
# 3 2 1 18 4 8 11 0 61 7; the mineps study wants the first one the 15x2 network classifies
# correctly: set REFS after checking with `nnmip eval`).
# Cost: tables alone is 3 pairs x 21 domains x 2 tiers x 2 attack settings = 252 MILPs of up to
# 120 s (about 8 h); mineps 40 levels x 10 references x 2 orders x up to 9 MILPs of 60 s.
set -uo pipefail
cd "$(dirname "$0")/.."
NNMIP=${NNMIP:-build/src/cli/nnmip}
NETS=${NETS:-results/nets}
OUT=${OUT:-results/compare}
REFS=${REFS:-"3 2 1 18 4 8 11 0 61 7"}
STUDY=${1:-summary}
FILTER=${2:-.}
mkdir -p "$OUT"

net() { echo "$NETS/mnist_$1_l1_2e-4_sum_s1.onnx"; }
pruned() {  # NAME PERCENT -> path of the global pruning (made once)
  local src p
  src=$(net "$1")
  p="$NETS/mnist_$1_l1_2e-4_sum_s1_p$2.onnx"
  [ -f "$p" ] || "$NNMIP" -q prune "$src" --percent "$2" --scope global -o "$p" >/dev/null
  echo "$p"
}
run() {  # JOB_ID ARGS... : one compare run unless its report exists
  local id=$1
  shift
  [[ "$id" =~ $FILTER ]] || return 0
  local json="$OUT/$id.json"
  [ -f "$json" ] && return 0
  mkdir -p "$(dirname "$json")"
  echo "== $id"
  nice "$NNMIP" compare "$@" --json "$json.tmp" && mv "$json.tmp" "$json"
}

case "$STUDY" in
  tables)
    TL=${TL:-120}
    for pair in "800x2 200x5" "800x2 100x10" "200x5 100x10"; do
      read -r a b <<<"$pair"
      A=$(pruned "$a" 90)
      B=$(pruned "$b" 90)
      domains="box:0,1"
      for r in $REFS; do domains+=" linf:$r,0.05 neighbours:$r,eps=0.05"; done
      for d in $domains; do
        for m in lp alpha; do
          for att in attack no-attack; do
            extra=()
            [ "$att" = no-attack ] && extra=(--no-attack)
            id="tables/${a}_${b}/${d//[:,=]/_}_${m}_${att}"
            run "$id" "$A" "$B" --comparator maxdiff --domain "$d" --method "$m" \
              --bounds-domain query --time-limit "$TL" "${extra[@]}" --png-dir "$OUT/$id.png"
          done
        done
      done
    done
    ;;
  maxout)
    TL=${TL:-60}
    A=$(pruned 800x2 90)
    B=$(pruned 200x5 90)
    run "maxout/box" "$A" "$B" --comparator maxout --classes all --domain box:0,1 \
      --time-limit "$TL"
    for r in $REFS; do
      c1=$("$NNMIP" -q compare "$A" "$A" --comparator maxdiff-logit --domain "linf:$r,1e-6" \
        --time-limit 5 --json /dev/stdout 2>/dev/null | python3 -c \
        'import json,sys; print(json.load(sys.stdin)["results"][0]["n1"]["class"])')
      for c2 in 0 1 2 3 4 5 6 7 8 9; do
        [ "$c2" = "$c1" ] && continue
        run "maxout/linf_${r}/${c1}_${c2}" "$A" "$B" --comparator maxout --classes "$c1,$c2" \
          --domain "linf:$r,0.05" --time-limit "$TL"
      done
    done
    ;;
  mineps)
    TL=${TL:-60}
    N=$(net 15x2)
    for i in $(seq 0 39); do
      level=$(python3 -c "print(f'{5 + 2.25 * $i:g}')")
      P=$(pruned 15x2 "$level")
      for r in $REFS; do
        for order in forward swap; do
          extra=()
          [ "$order" = swap ] && extra=(--swap)
          run "mineps/p${level}/ref${r}_${order}" "$N" "$P" --comparator mineps --reference "$r" \
            --eps-max 1 --margin 1e-4 --time-limit "$TL" "${extra[@]}"
        done
      done
    done
    ;;
  flips)
    TL=${TL:-60}
    N=$(net 15x2)
    for i in 0 10 20 30; do
      level=$(python3 -c "print(f'{5 + 2.25 * $i:g}')")
      P=$(pruned 15x2 "$level")
      for r in $REFS; do
        run "flips/p${level}/ref${r}" "$N" "$P" --comparator maxflip --domain "linf:$r,0.05" \
          --margin 1e-4 --time-limit "$TL"
      done
    done
    ;;
  summary)
    python3 - "$OUT" <<'PY'
import collections, glob, json, os, sys
out = sys.argv[1]
for study in ("tables", "maxout", "mineps", "flips"):
    files = sorted(glob.glob(os.path.join(out, study, "**", "*.json"), recursive=True))
    if not files:
        continue
    counts = collections.Counter()
    for f in files:
        for r in json.load(open(f))["results"]:
            counts[r["status"]] += 1
    print(f"{study}: {len(files)} reports; " +
          ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
PY
    ;;
  *)
    echo "usage: scripts/compare_study.sh tables|maxout|mineps|flips|summary [FILTER_REGEX]" >&2
    exit 2
    ;;
esac
