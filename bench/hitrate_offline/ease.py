"""EASE (item-item, closed form) vs co-visitation as the personal part of a watch-next list.

Run: /usr/bin/python3 ease.py [LAMBDA] [WEIGHT ...]   (defaults 800 and 30 60 120)
Reads the full log and histories from /work/shared/data/kuairand-pure/. The samples are the
engine's (`replay --feed-hits`): 2,000 long-views of Apr 29-30 evenly spaced over the file, not
the random halves of the other scripts; the list of 50 excludes videos the user was shown before.
EASE is fitted once on the pre-Apr-25 watch histories plus the impressions of Apr 25-28 (what the
engine has at the start of the eval days). With Debian's reference BLAS the inverse takes ~9 min;
the engine's Eigen LLT takes 15 s. This file gathers the scratch scripts whose figures are in
docs/design/feed.md (2026-11-28); it has not been re-run as one file.
"""
import csv, io, subprocess, sys
import numpy as np

D = '/work/shared/data/kuairand-pure/'
H = 3600 * 1000


def zcsv(path):
    return csv.reader(io.StringIO(subprocess.run(['zstdcat', path], capture_output=True, text=True).stdout))


r = zcsv(D + 'log_standard_20220425_20220430.csv.zst')
ix = {c: i for i, c in enumerate(next(r))}
cols = ['user_id', 'video_id', 'date', 'time_ms', 'long_view']
a = np.array([[int(x[ix[c]]) for c in cols] for x in r], dtype=np.int64)
a = a[np.argsort(a[:, 3], kind='stable')]
U, V, DATE, T, LV = (a[:, i] for i in range(5))
NV = 7583 + 100
hist = {}
r = zcsv(D + 'user_sequences_before_20220425.csv.zst'); next(r)
for x in r:
    hist[int(x[0])] = [int(v) for v in x[3].split() if int(v) < NV]

lv_eval = np.where((DATE >= 20220429) & (LV == 1))[0]
stride = max(1.0, len(lv_eval) / 2000)
picks, nxt = [], 0.0
for i, row in enumerate(lv_eval):
    if i >= nxt:
        picks.append(row); nxt += stride

# Fit: users' distinct videos (history + warm-up impressions).
sets = {u: set(s) for u, s in hist.items()}
warm = DATE < 20220429
for u, v in zip(U[warm], V[warm]):
    sets.setdefault(int(u), set()).add(int(v))
lam = float(sys.argv[1]) if len(sys.argv) > 1 else 800.0
G = np.zeros((NV, NV))
for s in sets.values():
    s = np.fromiter(s, dtype=np.int64)
    G[np.ix_(s, s)] += 1
G[np.diag_indices(NV)] += lam
P = np.linalg.inv(G)
B = -P / np.diag(P)[None, :]
B[np.diag_indices(NV)] = 0
del P

# Co-visitation from the histories (window 10, normalised by sqrt(count)), for comparison.
C = np.zeros((NV, NV), np.float32); cnt = np.zeros(NV)
for s in hist.values():
    for i, x in enumerate(s):
        cnt[x] += 1
        for y in s[max(0, i - 10):i]:
            if x != y: C[x, y] += 1; C[y, x] += 1
C /= np.sqrt(cnt + 1)[None, :]

noise = 1e-3 * np.random.default_rng(0).random(NV)


def counts(lo, hi, lv_only):
    m = np.zeros(len(T), bool); m[lo:hi] = True
    if lv_only: m &= LV == 1
    return np.bincount(V[m], minlength=NV).astype(float)


def popular(row):
    t = T[row]
    w = lambda h: np.searchsorted(T, t - h * H)
    return (np.log1p(counts(w(6), row, True)) + np.log1p(counts(w(24), row, True)) +
            np.log1p(counts(w(1), row, False)))


def context(row):
    u = U[row]
    return np.unique(hist.get(int(u), []) + V[:row][U[:row] == u].tolist())


def hit_rate(name, score):
    hits = 0
    for row in picks:
        s = score(row).copy()
        s[V[:row][U[:row] == U[row]]] = -1e18  # shown before
        hits += V[row] in set(np.argpartition(-s, 50)[:50].tolist())
    print(f'{name}: hit@50={hits / len(picks):.4f}', flush=True)


hit_rate('popularity', lambda r: popular(r) + noise)
hit_rate('popularity + 3 x co-visitation', lambda r: popular(r) + 3 * np.log1p(C[context(r)].sum(0)) + noise)
for w in [float(x) for x in sys.argv[2:]] or [30.0, 60.0, 120.0]:
    hit_rate(f'popularity + {w} x EASE(lambda={lam})', lambda r: popular(r) + w * B[context(r)].sum(0) + noise)
