# add/overwrite model columns (seq<cut>, mf<cut>) in a feats file, and print exact full-catalog hit@50 of the model alone
import sys, numpy as np
from common import NV
fn, cut = sys.argv[1], int(sys.argv[2])
z = dict(np.load(fn, allow_pickle=True)); FN = list(z['FN'])
sq = np.load(f'model_seq_{cut}.npz'); mf = np.load(f'model_mf_{cut}.npz'); uidx = {int(u):i for i,u in enumerate(mf['users'])}
res = {'seq': [0,0,0], 'mf': [0,0,0]}
for i, (si, u, v, t, d) in enumerate(z['meta']):
    ctx = list(z['ctx'][i]); seen = list(z['seen'][i])
    sc = {'seq': (sq['out'] @ sq['inp'][ctx].mean(0) + sq['b']) if ctx else sq['b'].copy(),
          'mf': (mf['out'] @ mf['ue'][uidx[u]] + mf['b']) if u in uidx else mf['b'].copy()}
    for k, s in sc.items():
        z['F'][i][:, FN.index(f'{k}{cut%100}')] = s[z['cand'][i]]
        if d >= cut:
            res[k][2] += 1
            res[k][1] += v in np.argpartition(-s, 50)[:50]
            s2 = s.copy(); s2[seen] = -np.inf
            res[k][0] += v in np.argpartition(-s2, 50)[:50]
for k, (a, b, n) in res.items(): print(f'{k}{cut%100} exact full-catalog on samples dated >= {cut}: n={n} hit@50 ex={a/n:.4f} noex={b/n:.4f}')
np.savez_compressed(fn, **z)
