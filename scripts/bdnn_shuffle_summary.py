#!/usr/bin/env python3
# Summary of the issue-12 shuffle tables (results/bdnn_bcw_issue12_det_shuffles{25,50}.jsonl):
# per width and method, rows run, rows where the MILP proved gap 0, rows with 0 training errors
# by the forward pass, and mean test accuracy; for the BDNN engine against the heuristic on the
# same shuffles. Usage: python3 scripts/bdnn_shuffle_summary.py [results]
import json, os, sys, collections

root = sys.argv[1] if len(sys.argv) > 1 else 'results'
for d1 in (25, 50):
    f = os.path.join(root, f'bdnn_bcw_issue12_det_shuffles{d1}.jsonl')
    if not os.path.exists(f):
        continue
    rows = [json.loads(l) for l in open(f) if l.strip()]
    by = collections.defaultdict(dict)
    for r in rows:
        shuffle = int(r['key'].split('|')[5])
        by[r['method']][shuffle] = r
    print(f'\n**d1 = {d1}**\n')
    print('| method | shuffles run | MILP gap 0 | 0 training errors (forward pass) | '
          'test acc. mean | test acc. of the gap-0 networks | heuristic on those shuffles |')
    print('|---|---:|---:|---:|---:|---:|---:|')
    heur = by.get('heuristic', {})
    for m, rs in sorted(by.items()):
        n = len(rs)
        gap0 = [s for s, r in rs.items() if r.get('gap') == 0.0]
        zero = sum(1 for r in rs.values() if r.get('train_errors') == 0)
        mean = sum(r['test_acc'] for r in rs.values()) / n
        g = [rs[s]['test_acc'] for s in gap0]
        h = [heur[s]['test_acc'] for s in gap0 if s in heur]
        fmt = lambda v: f'{100 * sum(v) / len(v):.1f}%' if v else '-'
        gap_col = f'{len(gap0)}' if m != 'heuristic' else '-'
        print(f'| {m} | {n} | {gap_col} | {zero} | {100 * mean:.1f}% | '
              f'{fmt(g) if m != "heuristic" else "-"} | {fmt(h) if m != "heuristic" else "-"} |')
