# Builds per-sample candidate features (causal) and writes feats_<tag>.npz
import sys, random, time, math
from common import *
from collections import defaultdict, deque
HOUR = 3600_000
w, e = logs(); G = np.concatenate([w, e]); tG = G[:,2]
H = hist()
NE = len(w)
lv_idx = [i for i in range(len(e)) if e[i,3] == 1]
samp = sorted(random.Random(1).sample(lv_idx, 2000))
S = [NE + i for i in samp][:int(os.environ.get("NS", 2000))]
# --- static history covis (pairs within 10 positions in watch_seq) ---
WIN = 10
a_l=[]; b_l=[]
for s in H.values():
    s = np.array(s)
    for d in range(1, WIN+1):
        if len(s) > d: a_l.append(s[:-d]); b_l.append(s[d:])
a = np.concatenate(a_l); b = np.concatenate(b_l); m = a != b
a, b = a[m], b[m]
keys = np.concatenate([a*NV+b, b*NV+a])
HK, HC = np.unique(keys, return_counts=True)
def hcov_row(p):
    lo, hi = np.searchsorted(HK, [p*NV, (p+1)*NV]); return HK[lo:hi] - p*NV, HC[lo:hi]
hist_pop = np.bincount(np.concatenate([np.array(s) for s in H.values()]), minlength=NV).astype(float)
# --- models ---
def loadm(mode, cut):
    z = np.load(f'model_{mode}_{cut}.npz'); return z
models = {}
for cut in (20220429, 20220430):
    try: models[cut] = (loadm('seq', cut), loadm('mf', cut))
    except Exception as ex: print('no model', cut, ex)
for cut,(sq,mf) in models.items():
    models[cut] = (sq, mf, {int(u):i for i,u in enumerate(mf['users'])})
# video -> author
vauthor = np.full(NV, -1)
for r in csv.DictReader(open('/work/shared/data/kuairand-pure/video_features_basic_pure.csv')):
    vauthor[int(r['video_id'])] = int(r['author_id'])
auth_ids = {a:i for i,a in enumerate(np.unique(vauthor))}; vA = np.array([auth_ids[x] for x in vauthor])
# streaming structures
cov = defaultdict(lambda: defaultdict(float)); covd = defaultdict(lambda: defaultdict(float))
ulast = defaultdict(lambda: deque(maxlen=WIN)); useen = defaultdict(list)
T0 = tG[0]; TAU = 24*HOUR
ptr = 0
eng = (1 + G[:,3] + G[:,4] + 2*G[:,5] + 3*(G[:,6]+G[:,7]+G[:,8])).astype(float)
def window_count(c, t, W, weights=None):
    lo = np.searchsorted(tG, t - W, 'left')
    return np.bincount(G[lo:c,1], weights=None if weights is None else weights[lo:c], minlength=NV).astype(float)
FN = ['exp1h','exp6h','exp24h','lv6h','lv24h','dec6_exp','dec6_eng','dec2_eng','cov','cov_n','covd','hcov','hcov_n','seq29','mf29','seq30','mf30','auth24','hpop','exp1h_24ago']
rows_out = []; K_CAND = 300
stats = defaultdict(int)
t_start = time.time()
for si, gi in enumerate(S):
    u, v, t = int(G[gi,0]), int(G[gi,1]), int(G[gi,2])
    c = np.searchsorted(tG, t, 'left')
    while ptr < c:   # stream rows strictly before t
        uu, vv, tt = int(G[ptr,0]), int(G[ptr,1]), int(G[ptr,2])
        wt = math.exp((tt - T0)/TAU)
        for p in ulast[uu]:
            if p != vv:
                cov[p][vv] += 1; cov[vv][p] += 1; covd[p][vv] += wt; covd[vv][p] += wt
        ulast[uu].append(vv); useen[uu].append(vv); ptr += 1
    seen = set(useen[u]); hs = H.get(u, [])
    stats['target_seen'] += v in seen; stats['target_in_hist'] += v in set(hs); stats['has_log'] += len(seen) > 0; stats['has_hist'] += len(hs)>0
    f = {}
    f['exp1h'] = window_count(c, t, HOUR); f['exp6h'] = window_count(c, t, 6*HOUR); f['exp24h'] = window_count(c, t, 24*HOUR)
    lvw = G[:,3].astype(float)
    f['lv6h'] = window_count(c, t, 6*HOUR, lvw); f['lv24h'] = window_count(c, t, 24*HOUR, lvw)
    lo = np.searchsorted(tG, t - 72*HOUR, 'left'); age = (t - tG[lo:c]) / HOUR
    d6 = 0.5 ** (age/6); d2 = 0.5 ** (age/2)
    f['dec6_exp'] = np.bincount(G[lo:c,1], weights=d6, minlength=NV)
    f['dec6_eng'] = np.bincount(G[lo:c,1], weights=d6*eng[lo:c], minlength=NV)
    f['dec2_eng'] = np.bincount(G[lo:c,1], weights=d2*eng[lo:c], minlength=NV)
    # user's recent items: last 20 of (hist + log)
    recent = (hs + useen[u])[-20:]
    cv = np.zeros(NV); cvd = np.zeros(NV); hc = np.zeros(NV)
    for j, p in enumerate(recent[::-1]):
        rw = 0.9 ** j
        for q, x in cov[p].items(): cv[q] += rw*x
        for q, x in covd[p].items(): cvd[q] += rw*x
        ids, cnt = hcov_row(p); hc[ids] += rw*cnt
    f['cov'] = cv; f['covd'] = cvd; f['hcov'] = hc
    logpop = np.bincount(G[:c,1], minlength=NV).astype(float)
    f['cov_n'] = cv / np.sqrt(1 + logpop); f['hcov_n'] = hc / np.sqrt(1 + hist_pop)
    for cut in (20220429, 20220430):
        if cut not in models: f[f'seq{cut%100}'] = np.zeros(NV); f[f'mf{cut%100}'] = np.zeros(NV); continue
        sq, mf, uidx = models[cut]
        # seq model context: hist tail(40) + log items before t (causal); trained with K=20 context
        ctx = (hs[-40:] + useen[u])[-20:]
        if ctx: q = sq['inp'][ctx].mean(0); f[f'seq{cut%100}'] = sq['out'] @ q + sq['b']
        else: f[f'seq{cut%100}'] = sq['b'].copy()
        if u in uidx: f[f'mf{cut%100}'] = mf['out'] @ mf['ue'][uidx[u]] + mf['b']
        else: f[f'mf{cut%100}'] = mf['b'].copy()
    # creators: authors of user's recent items, weighted; score videos by author affinity * log(1+exp24h)
    aw = np.zeros(len(auth_ids))
    for j, p in enumerate(recent[::-1]): aw[vA[p]] += 0.9**j
    f['auth24'] = aw[vA] * np.log1p(f['exp24h'] + f['dec6_exp'])
    f['hpop'] = hist_pop
    lo2 = np.searchsorted(tG, t - 25*HOUR); hi2 = np.searchsorted(tG, t - 23*HOUR)
    f['exp1h_24ago'] = np.bincount(G[lo2:min(hi2,c),1], minlength=NV).astype(float)
    F = np.stack([f[n] for n in FN], 1).astype(np.float32)  # NV x nf
    excl = np.zeros(NV, bool); excl[list(seen)] = True
    # candidate set: union top-K of each feature (no exclusion) + target
    cand = set([v])
    for k in range(F.shape[1]):
        cand.update(np.argpartition(-F[:,k], K_CAND)[:K_CAND].tolist())
    cand = np.array(sorted(cand))
    rows_out.append((si, u, v, t, int(G[gi,12]), cand, F[cand], excl[cand], np.array((hs[-40:] + useen[u])[-20:]), np.array(sorted(seen))))
    if si % 200 == 0: print(si, time.time()-t_start, flush=True)
print(dict(stats))
np.savez_compressed(sys.argv[1] if len(sys.argv)>1 else 'feats.npz', FN=np.array(FN),
    meta=np.array([(r[0],r[1],r[2],r[3],r[4]) for r in rows_out]),
    cand=np.array([r[5] for r in rows_out], dtype=object), F=np.array([r[6] for r in rows_out], dtype=object), excl=np.array([r[7] for r in rows_out], dtype=object), ctx=np.array([r[8] for r in rows_out], dtype=object), seen=np.array([r[9] for r in rows_out], dtype=object), allow_pickle=True)
