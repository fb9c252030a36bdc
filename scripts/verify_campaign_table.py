#!/usr/bin/env python3
# Markdown tables of the mnist_fc 256x4 / 256x6 campaigns: the BaB campaign
# (results/verify/final/mnist_fc_<net>_bab.csv and .../mnist_fc_<net>_bab/*.json) and the later
# campaigns over the instances it left open, where they exist: refine (results/verify/refine/
# refine.csv, .../out/*.json), session5 (results/verify/session5/s5.csv, .../out/*.json) and
# session6 (results/verify/session6/s6.csv, .../out/*.json).
# Per instance the result of each run, wall s and CPU s, and the final answer (a verdict replaces
# a timeout; two verdicts that disagree are reported and never merged). Usage, from the
# repository root:
#   python3 scripts/verify_campaign_table.py [results/verify]
import csv, json, os, sys, collections

root = sys.argv[1] if len(sys.argv) > 1 else 'results/verify'
LATER = [('refine', 'refine.csv'), ('session5', 's5.csv'), ('session6', 's6.csv')]


def cpu_of(path):
    try:
        return '%.1f' % json.load(open(path))['cpu_s']
    except Exception:
        return ''


def read_campaign(folder, name):
    rows = {}
    f = os.path.join(root, folder, name)
    if not os.path.exists(f):
        return rows
    for r in csv.DictReader(open(f)):
        net = os.path.basename(r['onnx']).replace('mnist-net_', '').replace('.onnx', '')
        prop = os.path.basename(r['vnnlib']).replace('.vnnlib', '')
        stem = f'mnist-net_{net}__{prop}'
        rows[(net, prop)] = (r['result'], float(r['time_s']),
                             cpu_of(os.path.join(root, folder, 'out', stem + '.json')))
    return rows


later = [(folder, read_campaign(folder, name)) for folder, name in LATER]
later = [(folder, rows) for folder, rows in later if rows]

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
        runs = [bab.get(p)] + [rows.get((net, p)) for _, rows in later]
        answers = {x[0] for x in runs if x and x[0] in ('sat', 'unsat')}
        ran = [x for x in runs if x]
        if len(answers) > 1:
            conflicts.append((net, p))
            final[p] = 'CONFLICT'
        elif answers:
            final[p] = answers.pop()
        elif ran:
            final[p] = ran[-1][0]
        else:
            final[p] = 'not run'
        cell = lambda x: f'{x[0]} | {x[1]:.1f} | {x[2]}' if x else ' | | '
        lines.append(f'| {p} | ' + ' | '.join(cell(x) for x in runs) + f' | **{final[p]}** |')
    c = collections.Counter(final.values())
    solved = c['sat'] + c['unsat']
    total_solved += solved
    print(f'\n**{net}**: {c["unsat"]} unsat, {c["sat"]} sat, {c["timeout"]} timeout, '
          f'{c["unknown"]} unknown, {c["not run"]} not run: solved {solved} of 30\n')
    names = ['BaB'] + [folder for folder, _ in later]
    print('| property | ' + ' | '.join(f'{n} campaign | wall s | CPU s' for n in names) +
          ' | answer |')
    print('|---|' + '---|---:|---:|' * len(names) + '---|')
    print('\n'.join(lines))
print(f'\nsolved on 256x4 + 256x6: {total_solved}; conflicting verdicts: {conflicts or "none"}')
