#!/usr/bin/env python3
"""Phase times of a verify campaign (scripts/verify_campaign.sh DIR): per phase of the relu engine,
over the input boxes that reached the MILP refinement, the runs, summed and min-max wall seconds,
the disjuncts closed and the boxes the phase finished (closed the last open disjuncts).

usage: verify_phase_times.py DIR"""
import collections
import glob
import json
import os
import sys

if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
    sys.exit('usage: verify_phase_times.py DIR (a campaign directory of scripts/verify_campaign.sh)')
campaign = sys.argv[1]

Phase = lambda: {'runs': 0, 'sum': 0.0, 'min': float('inf'), 'max': 0.0, 'closed': 0, 'finished': 0}
phases = collections.defaultdict(Phase)
boxes = 0
for path in sorted(glob.glob(os.path.join(campaign, '*', '*.json'))):
    with open(path) as f:
        report = json.load(f)
    for box in report.get('boxes', []):
        box_phases = box.get('phases', [])
        if not any(p['phase'] == 'refine' for p in box_phases):
            continue
        boxes += 1
        for p in box_phases:
            s = phases[p['phase']]
            s['runs'] += 1
            s['sum'] += p['wall_s']
            s['min'] = min(s['min'], p['wall_s'])
            s['max'] = max(s['max'], p['wall_s'])
            s['closed'] += p['closed']
            s['finished'] += p['open_after'] == 0 and p['closed'] > 0
print('boxes that reached refine:', boxes)
for name, s in phases.items():
    print(f"{name}: runs {s['runs']}, sum {s['sum']:.0f} s, {s['min']:.1f}-{s['max']:.1f} s, "
          f"closed {s['closed']}, finished {s['finished']}")
