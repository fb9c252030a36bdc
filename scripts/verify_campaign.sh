#!/usr/bin/env bash
# One run of one binary over the VNN-COMP benchmarks the verification issue scores: mnist_fc (90
# instances, official timeouts 120/300/300 s), ERAN mnist_relu_9_200 (36 instances, 300 s) and
# ACAS Xu (186 instances, 116 s), one instance at a time with both cores, resumable across
# sittings.
#
#   scripts/verify_campaign.sh DIR [--threads N] [--only mnist_fc|eran|acasxu] [--expected CSV]
#
# Answers are checked against the published 256x2 verdicts in the shared data and, with
# --expected, against a CSV of onnx,vnnlib,expected rows (file names are enough), such as the one
# scripts/vnncomp_expected.py writes from the VNN-COMP results repository.
#
# The first call freezes build/src/cli/nnmip and the independent re-checker into DIR/bin and
# records the commit they were built from (DIR/commit); every later call runs that frozen binary,
# so every row of DIR/*.csv comes from the same commit even when the tree has moved on. Delete
# DIR to start a new campaign. After the runs every sat result file is re-checked by
# verify_check_result (not the engine's own witness check) and the per-network summary is
# printed and written to DIR/summary.md.
set -euo pipefail

usage() {
  echo "usage: $0 DIR [--threads N] [--only mnist_fc|eran|acasxu] [--expected CSV]" >&2
  exit 2
}
[[ $# -ge 1 ]] || usage
dir=$1; shift
threads=2
only=""
expected_csv=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --threads) threads=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    --expected)
      [[ -f ${2:?} ]] || { echo "$0: $2: no such file (--expected)" >&2; exit 1; }
      expected_csv=$(realpath "$2"); shift 2 ;;
    *) usage ;;
  esac
done

here=$(cd "$(dirname "$0")/.." && pwd)
data=${NNMIP_DATA_DIR:-$here/../shared/data}
[[ -d $data/vnncomp ]] || { echo "$0: $data/vnncomp: not found (set NNMIP_DATA_DIR)" >&2; exit 1; }

mkdir -p "$dir/bin"
if [[ ! -x $dir/bin/nnmip ]]; then
  for f in build/src/cli/nnmip build/tests/verify/verify_check_result; do
    [[ -x $here/$f ]] || { echo "$0: $here/$f: not built (scripts/build.sh first)" >&2; exit 1; }
  done
  commit=$(git -C "$here" rev-parse HEAD)
  [[ -z $(git -C "$here" status --porcelain --untracked-files=no) ]] || commit+=" (+local changes)"
  cp "$here/build/src/cli/nnmip" "$here/build/tests/verify/verify_check_result" "$dir/bin/"
  echo "$commit" > "$dir/commit"
  (cd "$dir/bin" && sha256sum nnmip verify_check_result) > "$dir/bin.sha256"
  { echo "started $(date -u '+%F %T UTC') on $(uname -n), $(nproc) cores"; } > "$dir/machine"
fi
(cd "$dir/bin" && sha256sum -c --quiet ../bin.sha256) ||
  { echo "$0: $dir/bin changed since the campaign began" >&2; exit 1; }
echo "campaign $dir: binary of $(cat "$dir/commit")" >&2

sets="mnist_fc eran acasxu"
bench_of() { [[ $1 == eran ]] && echo eran_mnist_relu_9_200 || echo "$1"; }  # its vnncomp folder
for name in $sets; do
  [[ -z $only || $only == "$name" ]] || continue
  "$dir/bin/nnmip" -v vnncomp "$data/vnncomp/$(bench_of "$name")/instances.csv" \
    -o "$dir/$name.csv" --result-dir "$dir/$name" --threads "$threads"
done

# Independent re-check of every sat, then the summary.
recheck=$dir/recheck.txt
: > "$recheck"
for name in $sets; do
  [[ -f $dir/$name.csv ]] || continue
  bench=$data/vnncomp/$(bench_of "$name")
  tail -n +2 "$dir/$name.csv" | while IFS=, read -r onnx vnnlib _ result _; do
    [[ $result == sat ]] || continue
    stem="$(basename "$onnx" .onnx)__$(basename "$vnnlib" .vnnlib)"
    if "$dir/bin/verify_check_result" "$bench/$onnx" "$bench/$vnnlib" "$dir/$name/$stem.txt" \
        > /dev/null 2>&1; then
      echo "valid $name $stem" >> "$recheck"
    else
      echo "INVALID $name $stem" >> "$recheck"
    fi
  done
done

python3 - "$dir" "$data" "$expected_csv" <<'EOF' | tee "$dir/summary.md"
import csv, os, sys, collections
d, data, extra = sys.argv[1], sys.argv[2], sys.argv[3]
expected = {}  # (onnx file name, vnnlib file name) -> sat|unsat
for exp in (os.path.join(data, 'mnist_fc_vnncomp2022_results_256x2', 'expected.csv'), extra):
    if exp and os.path.exists(exp):
        for r in csv.DictReader(open(exp)):
            expected[(os.path.basename(r['onnx']), os.path.basename(r['vnnlib']))] = \
                r['expected'].strip()
recheck = {}
if os.path.exists(os.path.join(d, 'recheck.txt')):
    for line in open(os.path.join(d, 'recheck.txt')):
        ok, _, stem = line.split()
        recheck[stem] = ok == 'valid'
print(f"binary of {open(os.path.join(d, 'commit')).read().strip()}\n")
print('| network | instances | run | sat | unsat | timeout/unknown | solved | with an expected answer | wrong vs expected | sat re-checked |')
print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
sets = (('mnist_fc', 'mnist_fc'), ('eran', 'eran_mnist_relu_9_200'), ('acasxu', 'acasxu'))
# One row per network, except ACAS Xu's 45 networks: one row for all of them.
row_of = lambda name, onnx: 'ACAS Xu (45 networks).onnx' if name == 'acasxu' else os.path.basename(onnx)
for name, bench in sets:
    inst = os.path.join(data, 'vnncomp', bench, 'instances.csv')
    res = os.path.join(d, name + '.csv')
    total = collections.Counter(row_of(name, r[0]) for r in csv.reader(open(inst)) if r)
    rows = list(csv.DictReader(open(res))) if os.path.exists(res) else []
    per = collections.defaultdict(collections.Counter)
    for r in rows:
        net = os.path.basename(r['onnx'])
        c = per[row_of(name, r['onnx'])]
        c['run'] += 1
        c[r['result'] if r['result'] in ('sat', 'unsat') else 'open'] += 1
        e = expected.get((net, os.path.basename(r['vnnlib'])))
        c['known'] += e is not None
        if e and r['result'] in ('sat', 'unsat') and r['result'] != e:
            c['wrong'] += 1
        if r['result'] == 'sat':
            stem = net[:-5] + '__' + os.path.basename(r['vnnlib'])[:-7]
            c['rechecked'] += recheck.get(stem, False)
    for net in sorted(total):
        c = per[net]
        print(f"| {net[:-5]} | {total[net]} | {c['run']} | {c['sat']} | {c['unsat']} | {c['open']} "
              f"| {c['sat'] + c['unsat']} | {c['known']} | {c['wrong']} | {c['rechecked']} of {c['sat']} |")

# What stopped each instance left open: its unstable ReLUs per hidden layer after the alpha tier and
# at the end (after refinement), the largest upper bound of an open disjunct's margin (it must fall
# below 0 to prove unsat) and the branch-and-bound nodes searched.
import json, re
print('\n| instance | result | unstable after alpha | unstable at the end | largest open margin bound | bab nodes |')
print('|---|---|---|---|---:|---:|')
for name, _ in sets:
    res = os.path.join(d, name + '.csv')
    for r in (csv.DictReader(open(res)) if os.path.exists(res) else []):
        if r['result'] in ('sat', 'unsat'):
            continue
        stem = os.path.basename(r['onnx'])[:-5] + '__' + os.path.basename(r['vnnlib'])[:-7]
        try:
            rep = json.load(open(os.path.join(d, name, stem + '.json')))
        except (OSError, ValueError):
            print(f"| {stem} | {r['result']} | | | | |")
            continue
        alpha, final, bound, nodes = [], [], float('-inf'), 0
        for b in rep.get('boxes', []):
            final.append('/'.join(map(str, b.get('unstable_per_layer', []))))
            for ph in b.get('phases', []):
                m = re.match(r'unstable ([0-9/]+)', ph.get('detail', ''))
                if ph['phase'] == 'alpha' and m:
                    alpha.append(m.group(1))
                nodes += ph.get('nodes', 0)
            for dj in b.get('disjuncts', []):
                if dj.get('state') == 'open':
                    bound = max(bound, dj.get('margin_upper_bound', float('-inf')))
        print(f"| {stem} | {r['result']} | {' '.join(alpha)} | {' '.join(final)} | {bound:.3g} | {nodes} |")
EOF
