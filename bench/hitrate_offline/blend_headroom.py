"""How much better could another blend of WatchNext's score parts rank the target?

Reads the file of `foryou replay --feed-hits N --feed-hits-parts FILE` (docs/formats/
feed_hits_parts.md) and reports hit@50 among each sample's listed videos (the best 400 not yet
shown, plus the target) for: the run's own score; each part alone; the parts re-weighted by
coordinate ascent (weights tuned on one random half of the samples, reported on the other, both
ways); the same with pairwise products of the parts added. Ties count against the target.
Note this is WatchNext's top 50, before the feed's retrieval merge and rules (which cost ~0.01).

Usage: /usr/bin/python3 blend_headroom.py PARTS.txt [PARTS2.txt ...]   (numpy)
"""
import sys
import numpy as np

GRID = [-1, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 10, 20, 30, 45, 60]


def hits(seg, y, s, mask, k=50):
    n = seg.max() + 1
    ts = np.full(n, np.inf)
    ts[seg[y]] = s[y]
    beaten = np.bincount(seg, weights=(s >= ts[seg]) & ~y, minlength=n)
    has = np.zeros(n, bool)
    has[seg[y]] = True
    return (has & (beaten < k))[mask].mean()


def tune(seg, y, x, mask, w):
    best = hits(seg, y, x @ w, mask)
    for _ in range(3):
        for j in range(x.shape[1]):
            for g in GRID:
                w2 = w.copy()
                w2[j] = g
                h = hits(seg, y, x @ w2, mask)
                if h > best + 1e-9:
                    best, w = h, w2
    return w


def main(path):
    with open(path) as f:
        names = f.readline().split()
    a = np.loadtxt(path, skiprows=1)
    seg, y = a[:, 0].astype(int), a[:, 1].astype(bool)
    parts, pnames = a[:, 2:-1], names[2:-1]
    score = a[:, -1]
    n = seg.max() + 1
    every = np.ones(n, bool)
    print(f"{path}: {n} samples; hit@50 of the run's score {hits(seg, y, score, every):.4f}")
    for j, name in enumerate(pnames):
        print(f"  {name:16s} alone {hits(seg, y, parts[:, j], every):.4f}")
    # The run's weights, recovered by least squares (score = parts @ w).
    w_run, *_ = np.linalg.lstsq(parts, score, rcond=None)
    print("  run's weights:", {k: round(float(v), 3) for k, v in zip(pnames, w_run)})
    prods = [parts[:, i] * parts[:, j] for i in range(len(pnames)) for j in range(i + 1, len(pnames))]
    with_prods = np.column_stack([parts] + prods)
    perm = np.random.RandomState(7).permutation(n)
    half = np.zeros(n, bool)
    half[perm[: n // 2]] = True
    for label, x in (("re-weighted parts", parts), ("parts + pairwise products", with_prods)):
        got, base = [], []
        for train, test in ((half, ~half), (~half, half)):
            w0 = np.zeros(x.shape[1])
            w0[: len(w_run)] = w_run
            w = tune(seg, y, x, train, w0)
            got.append(hits(seg, y, x @ w, test))
            base.append(hits(seg, y, score, test))
        print(f"  {label:26s} held-out half {np.mean(got):.4f} (the run's score on the same halves {np.mean(base):.4f})")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for p in sys.argv[1:]:
        main(p)
