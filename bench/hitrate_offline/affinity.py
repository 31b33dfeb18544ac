"""How often the sampled target shares a creator / category / sound with the user's pre-Apr-25
history, against the share of the catalog that does (docs/design/feed.md). Run:
/usr/bin/python3 affinity.py. 2026-11-28: creator 1.95% of targets (0.58% of the catalog),
category 71% (47%), sound 3.1%, the target in the history itself 1.15%.
"""
import os, sys; sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csv, numpy as np, random
from common import hist, logs
H = hist(); w, e = logs()
vid_auth = {}; vid_tag = {}; vid_music={}
for d in csv.DictReader(open('/work/shared/data/kuairand-pure/video_features_basic_pure.csv')):
    v=int(d['video_id']); vid_auth[v]=d['author_id']; vid_tag[v]=d['tag']; vid_music[v]=d['music_id']
allrows = np.concatenate([w,e])
lv = np.nonzero(e[:,3]==1)[0]
rng = random.Random(1); S = sorted(rng.sample(list(lv), 2000))
# per-user log rows
from collections import defaultdict
ulog = defaultdict(list)
for r in allrows: ulog[int(r[0])].append((int(r[2]), int(r[1])))
NV = len(vid_auth)
authcount = defaultdict(int)
for v,a in vid_auth.items(): authcount[a]+=1
stats = defaultdict(list)
for i in S:
    u,v,t = int(e[i,0]), int(e[i,1]), int(e[i,2])
    h = H.get(u, [])
    prior = [x for (tt,x) in ulog[u] if tt < t]
    ha = set(vid_auth.get(x) for x in h); pa = set(vid_auth.get(x) for x in prior)
    ht = set(vid_tag.get(x) for x in h)
    hm = set(vid_music.get(x) for x in h)
    stats['hist_len'].append(len(h)); stats['prior_len'].append(len(prior))
    stats['auth_in_hist'].append(vid_auth[v] in ha)
    stats['auth_in_prior'].append(vid_auth[v] in pa)
    stats['frac_cat_auth_hist'].append(sum(authcount[a] for a in ha if a)/NV)
    stats['tag_in_hist'].append(vid_tag[v] in ht)
    stats['frac_cat_tag_hist'].append(sum(1 for x in vid_tag if vid_tag[x] in ht)/NV)
    stats['music_in_hist'].append(vid_music[v] in hm)
    stats['in_hist'].append(v in set(h))
    stats['tab'].append(int(e[i,10])); stats['rand'].append(int(e[i,9]))
for k,vals in stats.items():
    if k=='tab': print(k, np.bincount(vals)); continue
    print(k, np.mean(vals))
