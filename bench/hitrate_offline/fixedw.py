import sys; sys.argv = ['evalf.py', 'feats_all.npz', 'none']
src = open('evalf.py').read(); src = src[:src.index("print(f\"{'method'")]
exec(src)
W = dict(lv6h=1, lv24h=0.5, exp1h=0.5, dec6_eng=0.5, cov=1, cov_n=3, hcov_n=4, seq29=3, mf29=1.5)
w = np.zeros(len(FN)); [w.__setitem__(fi[k], x) for k, x in W.items()]
print('fixed rounded weights', W, 'all2000 ex', hits(w, allidx), 'noex', hits(w, allidx, False), 'A30 ex', hits(w, d30))
