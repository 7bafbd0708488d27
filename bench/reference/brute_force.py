"""numpy brute-force top-k (squared L2 via one BLAS product per block), the reference for the gallery-index bench.

usage: python3 brute_force.py DIR   → one JSON line {"ms_per_query": ..., "top": [...first query's ids...]}
"""
import json
import sys
import time

import numpy as np


def main() -> None:
    d = sys.argv[1]
    meta = json.load(open(f"{d}/meta.json"))
    g = np.fromfile(f"{d}/gallery.f32", dtype=np.float32).reshape(meta["n"], meta["dim"])
    q = np.fromfile(f"{d}/queries.f32", dtype=np.float32).reshape(meta["nq"], meta["dim"])
    k = meta["k"]
    t0 = time.perf_counter()
    g_norm = (g.astype(np.float64) ** 2).sum(1)
    tops = []
    for s in range(0, len(q), 256):
        qb = q[s : s + 256]
        dist = g_norm[None, :] - 2 * (qb @ g.T)
        top = np.argpartition(dist, k - 1, axis=1)[:, :k]
        rows = np.arange(len(qb))[:, None]
        tops.append(top[rows, np.argsort(dist[rows, top], axis=1, kind="stable")])
    seconds = time.perf_counter() - t0
    print(json.dumps({"ms_per_query": seconds * 1000 / len(q), "top": [int(x) for x in np.concatenate(tops)[0]]}))


if __name__ == "__main__":
    main()
