#!/usr/bin/env python3
# Markdown tables of the mnist_fc 256x4 / 256x6 campaigns: the BaB campaign
# (results/verify/final/mnist_fc_<net>_bab.csv and .../mnist_fc_<net>_bab/*.json) and, where it
# exists, the refine campaign over the instances the BaB campaign left open
# (results/verify/refine/refine.csv and .../out/*.json). Per instance the result of each run,
# wall s and CPU s, and the final answer (a refine-campaign verdict replaces a timeout; two
# verdicts that disagree are reported and never merged). Usage, from the repository root:
#   python3 scripts/verify_campaign_table.py [results/verify]
import csv, json, os, sys, collections

root = sys.argv[1] if len(sys.argv) > 1 else 'results/verify'


def cpu_of(path):
    try:
        return '%.1f' % json.load(open(path))['cpu_s']
    except Exception:
        return ''


refine = {}
rf = os.path.join(root, 'refine', 'refine.csv')
if os.path.exists(rf):
    for r in csv.DictReader(open(rf)):
        net = os.path.basename(r['onnx']).replace('mnist-net_', '').replace('.onnx', '')
        prop = os.path.basename(r['vnnlib']).replace('.vnnlib', '')
        stem = f'mnist-net_{net}__{prop}'
        refine[(net, prop)] = (r['result'], float(r['time_s']),
                               cpu_of(os.path.join(root, 'refine', 'out', stem + '.json')))

total_solved = 0
conflicts = []
for net in ['256x4', '256x6']:
    f = os.path.join(root, 'final', f'mnist_fc_{net}_bab.csv')
    if not os.path.exists(f):
        continue
    bab = {}
    for r in csv.DictReader(open(f)):
        prop = os.path.basename(r['vnnlib']).replace('.vnnlib', '')
        stem = f'mnist-net_{net}__{prop}'
        bab[prop] = (r['result'], float(r['time_s']),
                     cpu_of(os.path.join(root, 'final', f'mnist_fc_{net}_bab', stem + '.json')))
    props = [f'prop_{i}_{e}' for e in ('0.03', '0.05') for i in range(15)]
    final = {}
    lines = []
    for p in props:
        b = bab.get(p)
        r = refine.get((net, p))
        answers = {x[0] for x in (b, r) if x and x[0] in ('sat', 'unsat')}
        if len(answers) > 1:
            conflicts.append((net, p))
            final[p] = 'CONFLICT'
        elif answers:
            final[p] = answers.pop()
        elif b or r:
            final[p] = (r or b)[0]
        else:
            final[p] = 'not run'
        cell = lambda x: f'{x[0]} | {x[1]:.1f} | {x[2]}' if x else ' | | '
        lines.append(f'| {p} | {cell(b)} | {cell(r)} | **{final[p]}** |')
    c = collections.Counter(final.values())
    solved = c['sat'] + c['unsat']
    total_solved += solved
    print(f'\n**{net}**: {c["unsat"]} unsat, {c["sat"]} sat, {c["timeout"]} timeout, '
          f'{c["unknown"]} unknown, {c["not run"]} not run: solved {solved} of 30\n')
    print('| property | BaB campaign | wall s | CPU s | refine campaign | wall s | CPU s | answer |')
    print('|---|---|---:|---:|---|---:|---:|---|')
    print('\n'.join(lines))
print(f'\nsolved on 256x4 + 256x6: {total_solved}; conflicting verdicts: {conflicts or "none"}')
