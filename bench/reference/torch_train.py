"""PyTorch CPU reference for the training benchmark: the same nets and the same step as bench/training-run.ts
(forward, L2-normalised 128-d embedding, batch-hard triplet loss with margin 0.2, backward, Adam).

usage: python3 torch_train.py tiny|cnn64|mnv2 STEPS   → one JSON line {"img_per_s": ..., "threads": ..., "blas": ...}
       python3 torch_train.py embed BATCHES      → inference only: MobileNetV2-1.0 at 224 px, batch 32, eval()
"""
import json
import os
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F


def blas_library():
    """The BLAS library this process loaded. Debian's torch calls libblas.so.3, whichever alternative that points to:
    the netlib reference BLAS unless an optimised one (libopenblas0-pthread) is installed, and its GEMMs then run
    several times slower (the small CNN here: 620 against 950-1,500 img/s)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {os.path.realpath(line.split()[-1]) for line in maps if "/libblas.so" in line}
    except OSError:
        return "unknown"
    # Debian keeps each alternative in its own folder: blas (netlib), openblas-pthread, blis-pthread, atlas, ...
    return ", ".join(sorted(os.path.basename(os.path.dirname(p)) for p in paths)) or "none loaded"


def report(img_per_s):
    print(json.dumps({"img_per_s": img_per_s, "threads": torch.get_num_threads(), "torch": torch.__version__, "blas": blas_library()}))


def make_divisible(v, d=8):
    return max(d, int(v + d / 2) // d * d)


class InvertedResidual(nn.Module):
    def __init__(self, inp, out, stride, t):
        super().__init__()
        hidden = inp * t
        layers = []
        if t != 1:
            layers += [nn.Conv2d(inp, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()]
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, out, 1, bias=False), nn.BatchNorm2d(out),
        ]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and inp == out

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


def mobilenet_v2(alpha):
    c = make_divisible(32 * alpha)
    layers = [nn.Conv2d(3, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU6()]
    for t, ch, n, s in [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]:
        out = make_divisible(ch * alpha)
        for i in range(n):
            layers.append(InvertedResidual(c, out, s if i == 0 else 1, t))
            c = out
    layers += [nn.Conv2d(c, 1280, 1, bias=False), nn.BatchNorm2d(1280), nn.ReLU6(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, 128)]
    return nn.Sequential(*layers)


def tiny(size=28):
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * (size // 4) ** 2, 128),
    )


def batch_hard(emb, labels, margin=0.2):
    d = torch.cdist(emb, emb)
    same = labels[:, None] == labels[None, :]
    pos = (d * (same & ~torch.eye(len(labels), dtype=torch.bool))).max(1).values
    neg = d.masked_fill(same, float("inf")).min(1).values
    return F.relu(margin + pos - neg).mean()


def main():
    kind, steps = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    if kind == "embed":
        net = mobilenet_v2(1.0).eval()
        x = torch.rand(32, 3, 224, 224) * 2 - 1
        with torch.no_grad():
            F.normalize(net(x))
            t0 = time.perf_counter()
            for _ in range(steps):
                F.normalize(net(x))
            seconds = time.perf_counter() - t0
        report(steps * 32 / seconds)
        return
    if kind == "tiny":
        net, shape, labels = tiny(), (64, 1, 28, 28), torch.arange(8).repeat_interleave(8)
    elif kind == "cnn64":
        net, shape, labels = tiny(64), (128, 1, 64, 64), torch.arange(32).repeat_interleave(4)
    else:
        net, shape, labels = mobilenet_v2(0.35), (32, 3, 64, 64), torch.arange(8).repeat_interleave(4)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    x = torch.rand(shape) * 2 - 1

    def step():
        opt.zero_grad()
        loss = batch_hard(F.normalize(net(x)), labels)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - t0
    report(steps * shape[0] / seconds)


if __name__ == "__main__":
    main()
