"""User-kNN over the live stream as a watch-next signal (docs/design/feed.md, "Is a better blend
of the same parts enough?"). Neighbours: the K users (default 200) nearest by idf-weighted cosine
of their pre-Apr-25 watch histories; score of a video: their impressions of it over the last 48 h,
decayed exp(-age/12 h). Samples and exclusions as the other scripts (random.Random(1), 2,000
long-views of Apr 29-30; shown and history videos excluded). Run: /usr/bin/python3 uknn.py [K]
(~7 min, mostly the similarity product). 2026-11-28: pop 0.2065, knn 0.1445, knn on long views
0.148, pop + log1p(100 knn / max) 0.229.
"""
import os, sys; sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np, random, torch, time
from common import hist, logs
torch.set_num_threads(2)
H = hist(); w, e = logs()
A = np.concatenate([w,e]); order = np.argsort(A[:,2], kind='stable'); A = A[order]
NV = 7583+10; NU = max(max(H), A[:,0].max())+1
X = torch.zeros(NU, NV)
for u,h in H.items():
    for v in h: X[u,v] = 1
Xn = X / (X.sum(1, keepdim=True).clamp(min=1) ** 0.5)
idf = 1/ (X.sum(0)+5).sqrt()   # downweight popular videos in similarity
lv = np.nonzero(e[:,3]==1)[0]
rng = random.Random(1); S = sorted(rng.sample(list(lv), 2000))
su = torch.tensor([int(e[i,0]) for i in S])
t0=time.time()
Q = Xn[su] * idf
SIM = (Q @ (Xn*idf).T)            # 2000 x NU
SIM[torch.arange(len(S)), su] = 0
print('sims', time.time()-t0, flush=True)
K = int(sys.argv[1]) if len(sys.argv)>1 else 200
top = torch.topk(SIM, K, dim=1)
times = A[:,2]; HOUR=3600_000
res = {k:[] for k in ['pop','knn','knn_lv','blend1','blend2','blend3']}
for si,i in enumerate(S):
    u,v,t = int(e[i,0]), int(e[i,1]), int(e[i,2])
    hi = np.searchsorted(times, t, 'left'); lo6 = np.searchsorted(times, t-6*HOUR); lo24=np.searchsorted(times, t-24*HOUR); lo48=np.searchsorted(times,t-48*HOUR)
    seen = set(A[:hi][A[:hi,0]==u,1].tolist()) | set(H.get(u,[]))
    # popularity: long views 6h
    R6 = A[lo6:hi]; pop = np.bincount(R6[:,1], weights=R6[:,3], minlength=NV).astype(float)
    R24 = A[lo24:hi]; pop24 = np.bincount(R24[:,1], weights=R24[:,3], minlength=NV).astype(float)
    popsc = np.log1p(pop) + 0.5*np.log1p(pop24)
    simu = np.zeros(NU); simu[top.indices[si].numpy()] = top.values[si].numpy()
    R = A[lo48:hi]; age = (t - R[:,2])/HOUR
    wts = simu[R[:,0]] * np.exp(-age/12)
    knn = np.bincount(R[:,1], weights=wts, minlength=NV)
    knnlv = np.bincount(R[:,1], weights=wts*R[:,3], minlength=NV)
    def hit(sc):
        sc = sc + 1e-9*pop24 + 1e-12*np.arange(NV)[::-1]
        sc = sc.copy(); 
        for s in seen: sc[s] = -1e9
        return float(v in set(np.argpartition(-sc, 50)[:50].tolist()))
    res['pop'].append(hit(popsc)); res['knn'].append(hit(knn)); res['knn_lv'].append(hit(knnlv))
    m = knn.max() if knn.max()>0 else 1
    res['blend1'].append(hit(popsc + 3*np.log1p(knn/m*10)))
    res['blend2'].append(hit(popsc + 1*np.log1p(knn/m*100)))
    res['blend3'].append(hit(popsc + 10*knn/m))
print(K, {k: round(np.mean(x),4) for k,x in res.items()})
