import os
os.environ.setdefault('OMP_NUM_THREADS','1'); os.environ.setdefault('MKL_NUM_THREADS','1')
import csv, io, subprocess, numpy as np
from load import load
NV = 7583
def hist():
    p = subprocess.run(['zstdcat','/work/shared/data/kuairand-pure/user_sequences_before_20220425.csv.zst'],capture_output=True,text=True).stdout
    H = {}
    for d in csv.DictReader(io.StringIO(p)):
        H[int(d['user_id'])] = [int(x) for x in d['watch_seq'].split()]
    return H
def logs():
    w = load('/tmp/split/warm.csv.zst'); e = load('/tmp/split/eval.csv.zst')
    return w, e
# columns: 0 user,1 video,2 time,3 lv,4 click,5 like,6 follow,7 comment,8 forward,9 rand,10 tab,11 author,12 date
