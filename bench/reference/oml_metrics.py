"""A numpy port of OML v4's retrieval metrics (batched_knn_qg + calc_retrieval_metrics_rr), the reference the
benchmark measures Metric Studio against. Reads the benchmark's binary inputs, prints one JSON line.

usage: python3 oml_metrics.py DIR K_CMC K_PRECISION K_MAP BLOCK
"""
import json
import resource
import sys
import time

import numpy as np


def blas_threads() -> int:
    """The thread count of the OpenBLAS numpy loaded (read from the library itself: threadpoolctl may be missing)."""
    import ctypes
    try:
        libs = {line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line.lower() and line.strip().endswith(".so") or ".so." in line and "openblas" in line.lower()}
        for path in libs:
            lib = ctypes.CDLL(path)
            for name in ("openblas_get_num_threads64_", "openblas_get_num_threads", "scipy_openblas_get_num_threads64_"):
                if hasattr(lib, name):
                    return int(getattr(lib, name)())
    except Exception:
        pass
    return 0


def main() -> None:
    d, k_cmc, k_prec, k_map, block = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    meta = json.load(open(f"{d}/meta.json"))
    n, dim = meta["n"], meta["dim"]
    q = np.fromfile(f"{d}/queries.f32", dtype=np.float32).reshape(n, dim)
    g = np.fromfile(f"{d}/gallery.f32", dtype=np.float32).reshape(n, dim)
    lq = np.fromfile(f"{d}/query_labels.i32", dtype=np.int32)
    lg = np.fromfile(f"{d}/gallery_labels.i32", dtype=np.int32)

    t0 = time.perf_counter()
    k = min(max(k_cmc, k_prec, k_map), len(g))
    g_norm = (g.astype(np.float64) ** 2).sum(1)
    cmc, prec, ap = [], [], []
    for s in range(0, n, block):
        qb = q[s : s + block]
        dist = (qb.astype(np.float64) ** 2).sum(1)[:, None] + g_norm[None, :] - 2 * (qb @ g.T)
        top = np.argpartition(dist, k - 1, axis=1)[:, :k]
        rows = np.arange(len(qb))[:, None]
        order = np.argsort(dist[rows, top], axis=1, kind="stable")
        top = top[rows, order]
        correct = lg[top] == lq[s : s + block][:, None]
        n_gt = (lg[None, :] == lq[s : s + block][:, None]).sum(1)
        cmc.append(correct[:, :k_cmc].any(1).astype(np.float64))
        prec.append(correct[:, :k_prec].sum(1) / np.minimum(n_gt, k_prec))
        c = correct[:, :k_map]
        hits = np.cumsum(c, 1)
        n_k = c.sum(1)
        ap.append(np.where(n_k > 0, ((hits / np.arange(1, k_map + 1)) * c).sum(1) / np.maximum(n_k, 1), 0.0))
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "seconds": seconds,
        "numpy": np.__version__,
        "threads": blas_threads() or None,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cmc": float(np.concatenate(cmc).mean()),
        "precision": float(np.concatenate(prec).mean()),
        "map": float(np.concatenate(ap).mean()),
    }))


if __name__ == "__main__":
    main()
