#!/usr/bin/env python3
"""The official verdicts of one VNN-COMP category as a CSV of onnx,vnnlib,expected rows (file
names), for scripts/verify_campaign.sh --expected. Reads SCORING/results.txt of a checkout of the
competition's results repository (VNN-COMP 2022: ChristopherBrix/vnncomp2022_results), whose
"True Result" lines follow a "Row: ['<network>-<property>', ...]" line per instance. Instances
without a sat/unsat verdict are left out.

usage: vnncomp_expected.py RESULTS_DIR CATEGORY > expected.csv"""
import os
import re
import sys

if len(sys.argv) != 3:
    sys.exit('usage: vnncomp_expected.py RESULTS_DIR CATEGORY > expected.csv')
path = os.path.join(sys.argv[1], 'SCORING', 'results.txt')
if not os.path.isfile(path):
    sys.exit(f'vnncomp_expected.py: {path}: not found (a VNN-COMP results checkout?)')
category = sys.argv[2]

rows, current, instance = [], None, None
with open(path) as f:
    for line in f:
        m = re.match(r'Category (\S+):', line)
        if m:
            current = m.group(1)
            continue
        m = re.match(r"Row: \['([^']+)'", line)
        if m:
            instance = m.group(1)
            continue
        m = re.match(r'True Result: (\S+)', line)
        if m and current == category and instance and m.group(1) in ('sat', 'unsat'):
            network, prop = instance.rsplit('-', 1)
            rows.append((network + '.onnx', prop + '.vnnlib', m.group(1)))
            instance = None
if not rows:
    sys.exit(f'vnncomp_expected.py: {path}: no verdicts for category {category}')
print('onnx,vnnlib,expected')
for row in rows:
    print(','.join(row))
