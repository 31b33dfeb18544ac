import sys, time
from common import *
import torch; torch.set_num_threads(1); torch.manual_seed(0)
cut = int(sys.argv[1]); D = 48; K = 20; NS = 1024; EP = int(sys.argv[2]) if len(sys.argv)>2 else 2
if cut == 20220430: EP = 2
H = hist(); w, e = logs(); A = np.concatenate([w, e]); A = A[A[:,12] < cut]
seqs = {u: list(s[-30:]) for u, s in H.items()}
for r in A: seqs.setdefault(int(r[0]), []).append(int(r[1]))
users = sorted(seqs); uid = {u:i for i,u in enumerate(users)}
# training examples: (user idx, context = last K items before position, target)
U=[];C=[];T=[]
for u in users:
    s = seqs[u]
    for j in range(len(s)):
        ctx = s[max(0,j-K):j]
        U.append(uid[u]); T.append(s[j]); C.append([NV]*(K-len(ctx)) + ctx)
U=torch.tensor(U); C=torch.tensor(C); T=torch.tensor(T)
print('examples', len(T), 'users', len(users), flush=True)
class M(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.inp = torch.nn.Embedding(NV+1, D, padding_idx=NV); s.out = torch.nn.Embedding(NV, D); s.b = torch.nn.Parameter(torch.zeros(NV))
        s.ue = torch.nn.Embedding(len(users), D)
        for p in (s.inp.weight, s.out.weight, s.ue.weight): torch.nn.init.normal_(p, 0, 0.05)
    def seq_user(s, C):
        m = (C != NV).float().unsqueeze(-1); return (s.inp(C)*m).sum(1) / m.sum(1).clamp(min=1)
    def forward(s, U, C, mode):
        if mode == 'seq': q = s.seq_user(C)
        else: q = s.ue(U)
        return q @ s.out.weight.T + s.b
for mode in ('seq', 'mf'):
    m = M(); opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    t0 = time.time()
    for ep in range(EP):
        perm = torch.randperm(len(T)); tot = 0
        for i in range(0, len(T), 1024):
            idx = perm[i:i+1024]
            tgt = T[idx]; neg = torch.randint(0, NV, (NS,))
            items = torch.cat([tgt, neg])
            q = m.seq_user(C[idx]) if mode == 'seq' else m.ue(U[idx])
            logits = q @ m.out(items).T + m.b[items]
            # mask accidental hits of in-batch positives equal to the target (other than diagonal)
            same = (tgt.unsqueeze(1) == items.unsqueeze(0)); same[torch.arange(len(idx)), torch.arange(len(idx))] = False
            logits = logits.masked_fill(same, -1e9)
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(idx)))
            if mode == 'mf': loss = loss + 1e-6*(m.ue(U[idx])**2).sum()
            opt.zero_grad(); loss.backward(); opt.step(); tot += loss.item()*len(idx)
        print(mode, 'epoch', ep, tot/len(T), time.time()-t0, flush=True)
    np.savez(f'model_{mode}_{cut}.npz', inp=m.inp.weight.detach().numpy(), out=m.out.weight.detach().numpy(), b=m.b.detach().numpy(), ue=m.ue.weight.detach().numpy(), users=np.array(users))
