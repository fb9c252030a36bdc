#!/usr/bin/env python3
# Markdown table of a vnncomp campaign over mnist_fc 256x4 / 256x6 (run from the folder holding
# mnist_fc_<net>_bab.csv and mnist_fc_<net>_bab/): result, wall s and CPU s per instance, and the
# solved counts. Usage: cd results/verify/final && python3 ../../../scripts/verify_campaign_table.py
import csv, json, os, collections
for net in ['256x4', '256x6']:
    f = f'mnist_fc_{net}_bab.csv'
    if not os.path.exists(f):
        continue
    rows = list(csv.DictReader(open(f)))
    c = collections.Counter(r['result'] for r in rows)
    print(f'\n**{net}**: {len(rows)} of 30 run: {c["unsat"]} unsat, {c["sat"]} sat, '
          f'{c["timeout"]} timeout, {c["unknown"]} unknown, solved {c["unsat"] + c["sat"]}\n')
    print('| property | result | wall s | CPU s |')
    print('|---|---|---:|---:|')
    for r in rows:
        stem = f'mnist-net_{net}__' + os.path.basename(r['vnnlib']).replace('.vnnlib', '')
        cpu = ''
        try:
            cpu = '%.1f' % json.load(open(f'mnist_fc_{net}_bab/{stem}.json'))['cpu_s']
        except Exception:
            pass
        print(f"| {os.path.basename(r['vnnlib'])} | {r['result']} | {float(r['time_s']):.1f} | {cpu} |")
