#!/usr/bin/env python3
"""Phase times of a verify campaign (scripts/verify_campaign.sh DIR): per phase of the relu engine,
over the input boxes that reached the MILP refinement, the runs, summed and min-max wall seconds,
the disjuncts closed and the boxes the phase finished.  usage: verify_phase_times.py DIR"""
import collections
import glob
import json
import sys

d = sys.argv[1]
st=collections.defaultdict(lambda: [0,0.0,1e9,0.0,0,0])  # runs, sum, min, max, closed, finished
n=0
for f in glob.glob(d+'/mnist_fc/*.json')+glob.glob(d+'/eran/*.json'):
    j=json.load(open(f))
    for b in j.get('boxes',[]):
        ph=b.get('phases',[])
        if not any(p['phase']=='refine' for p in ph): continue
        n+=1
        for i,p in enumerate(ph):
            s=st[p['phase']]
            s[0]+=1; s[1]+=p['wall_s']; s[2]=min(s[2],p['wall_s']); s[3]=max(s[3],p['wall_s']); s[4]+=p['closed']
            s[5]+= (p['open_after']==0 and p['closed']>0)
print('instances that reached refine:',n)
for k,(r,sm,mn,mx,c,fin) in st.items():
    print(f'{k}: runs {r}, sum {sm:.0f} s, {mn:.1f}-{mx:.1f} s, closed {c}, finished {fin}')
