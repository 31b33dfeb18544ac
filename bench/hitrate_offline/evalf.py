import sys, numpy as np, random, itertools
z = np.load(sys.argv[1], allow_pickle=True)
FN = list(z['FN']); meta = z['meta']; cand = z['cand']; Fs = z['F']; EX = z['excl']
N = len(meta); fi = {n:i for i,n in enumerate(FN)}
COUNT = {'exp1h','exp6h','exp24h','lv6h','lv24h','dec6_exp','dec6_eng','dec2_eng','cov','cov_n','covd','hcov','hcov_n','auth24','hpop','exp1h_24ago'}
# transformed features
G = []; Y = []
for i in range(N):
    F = Fs[i].astype(np.float64).copy()
    for n in FN:
        if n in COUNT: F[:,fi[n]] = np.log1p(F[:,fi[n]])
    G.append(F); Y.append(cand[i] == meta[i][2])
tb = fi['dec6_eng']
M = np.concatenate(G); SEG = np.concatenate([np.full(len(G[i]), i) for i in range(N)]); EXA = np.concatenate([EX[i] for i in range(N)]).astype(bool)
YA = np.concatenate(Y); tpos = np.nonzero(YA)[0]; assert len(tpos) == N
TB = 1e-7 * M[:, tb]
def hits(wvec, idx, excl=True, k=50):
    s = M @ wvec + TB; ts = s[tpos]
    beat = (s > ts[SEG]) & ~YA
    if excl: beat &= ~EXA
    cnt = np.bincount(SEG, weights=beat, minlength=N)
    ok = cnt < k
    if excl: ok &= ~EXA[tpos]
    return ok[idx].mean() if len(idx) else float('nan')
def one(n):
    w = np.zeros(len(FN)); w[fi[n]] = 1; return w
allidx = list(range(N)); d30 = [i for i in allidx if meta[i][4] == 20220430]
print('N', N, 'Apr30', len(d30), 'target excluded (already seen):', np.mean([EX[i][Y[i]].any() for i in allidx]))
res = {}
print(f"{'method':28s} {'all ex':>7s} {'all noex':>8s} {'A30 ex':>7s} {'A30 noex':>8s}")
for n in FN:
    r = (hits(one(n), allidx), hits(one(n), allidx, False), hits(one(n), d30), hits(one(n), d30, False)); res[n] = r
    print(f"{n:28s} {r[0]:7.4f} {r[1]:8.4f} {r[2]:7.4f} {r[3]:8.4f}")
POP = ['exp1h','exp6h','exp24h','lv6h','lv24h','dec6_exp','dec6_eng','dec2_eng']
bp = max(POP, key=lambda n: res[n][0]); bp30 = max(POP, key=lambda n: res[n][2])
print('best pop (all):', bp, res[bp][0], ' best pop (Apr30):', bp30, res[bp30][2])
# blends: 2-fold random halves; tune by coordinate ascent on one half, report on other
rng = random.Random(7); perm = allidx[:]; rng.shuffle(perm); A = sorted(perm[:N//2]); B = sorted(perm[N//2:])
GRID = [0, 0.1, 0.3, 0.5, 1, 2, 3, 5, 8]
def tune(feats, tr, base):
    w = np.zeros(len(FN)); w[fi[base]] = 1.0
    best = hits(w, tr)
    for rnd in range(2):
        for n in feats:
            if n == base: continue
            for g in GRID:
                w2 = w.copy(); w2[fi[n]] = g; h = hits(w2, tr)
                if h > best + 1e-9: best, w = h, w2
    return w, best
def blend(name, feats, base, idx_all):
    tr_te = []
    idx_set = set(idx_all); a = [i for i in A if i in idx_set]; b = [i for i in B if i in idx_set]
    out = []
    for tr, te in ((a, b), (b, a)):
        w, bt = tune(feats, tr, base)
        out.append((hits(w, te), hits(w, te, False), hits(one(base), te), bt, {FN[j]: w[j] for j in np.nonzero(w)[0]}))
    ex = np.mean([o[0] for o in out]); nx = np.mean([o[1] for o in out]); pb = np.mean([o[2] for o in out])
    print(f"BLEND {name:22s} test(ex) {ex:.4f} test(noex) {nx:.4f} | base {base} on same test {pb:.4f} ratio {ex/pb:.3f} | tune-half scores {[round(o[3],4) for o in out]} weights {[o[4] for o in out]}", flush=True)
which = sys.argv[2] if len(sys.argv) > 2 else 'all'
blends = [
  ('pop-mix', POP, bp, allidx),
  ('pop+covis', POP + ['cov','cov_n','covd','hcov','hcov_n'], bp, allidx),
  ('pop+seq29', POP + ['seq29'], bp, allidx),
  ('pop+mf29', POP + ['mf29'], bp, allidx),
  ('pop+covis+seq29+mf29', POP + ['cov','covd','hcov','hcov_n','seq29','mf29'], bp, allidx),
  ('all29', [n for n in FN if n not in ('seq30','mf30')], bp, allidx),
  ('A30: pop+seq30+mf30', POP + ['seq30','mf30'], bp30, d30),
  ('A30: all30', [n for n in FN if n not in ('seq29','mf29')], bp30, d30),
]
if which == 'a30':
    blends = [
              ('A30: pop+cov+seq30+mf30', POP + ['cov','cov_n','hcov_n','seq30','mf30'], bp30, d30),
              ('A30: same w/ 29 models', POP + ['cov','cov_n','hcov_n','seq29','mf29'], bp30, d30)]
if which == 'best':
    blends = [('pop+cov+seq29+mf29 (grid to 8)', POP + ['cov','cov_n','hcov_n','seq29','mf29'], bp, allidx)]
for b_ in blends: blend(*b_)
# --- diagnostics: rank of target under best popularity (excluded), coverage
s_all = M @ one(bp) + TB
ts = s_all[tpos]; beat = (s_all > ts[SEG]) & ~YA & ~EXA
rk = np.bincount(SEG, weights=beat, minlength=N)
print('target rank under', bp, '(within candidates, lower bound on true rank): pct <50,100,250,500:', [round(float(np.mean(rk < k)),3) for k in (50,100,250,500)])
print('target had exposures in prior 24h:', np.mean(M[tpos, fi['exp24h']] > 0), ' in pre-Apr25 history anywhere:', np.mean(M[tpos, fi['hpop']] > 0),
      ' covis>0 (log):', np.mean(M[tpos, fi['cov']] > 0), ' hist covis>0:', np.mean(M[tpos, fi['hcov']] > 0))
