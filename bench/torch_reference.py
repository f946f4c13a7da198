#!/usr/bin/env python3
"""PyTorch CPU reference for `npm run bench`: one pix2pix training step and generator inference.

Own code, same architecture and settings as the package's defaults (and the PyTorch reference
implementation's layout): U-Net generator (numDowns = log2(size), filters 64, batch norm, dropout 0.5
on the three innermost decoder blocks), 70x70 PatchGAN (conditional, batch norm), vanilla GAN loss
(BCE with logits) + 100 * L1, Adam(2e-4, beta1 0.5), batch 1, one D update then one G update.

Prints one JSON object on stdout: {"size", "threads", "stepMs": [...], "inferMs": [...], "peakRssKb",
"params": {"G", "D"}, "torch", "blas": {"kind", "path"}}.
`blas` is the BLAS library this process actually mapped (read from /proc/self/maps after running a
matrix product and a transposed convolution), because Debian's PyTorch takes whichever libblas.so.3
the alternatives system points at: "openblas", "mkl", "blis", "reference" (netlib, ~5x slower on
transposed convolutions and backward passes) or "unknown".
With --serve it is one side of the bench's interleaved runs: after the warm-up it prints
`@@READY {"threads", "params", "torch", "blas"}`, then answers each stdin line: `infer` / `step` with
`@@MS <ms>` (one timed repetition), `finish` with `@@DONE {"peakRssKb"}` and exits.
Usage: python3 bench/torch_reference.py --size 256 --reps 5 --warmup 1 --threads 2
       python3 bench/torch_reference.py --size 256 --warmup 1 --threads 2 --serve
       python3 bench/torch_reference.py --blas-only
"""

import argparse
import json
import math
import resource
import sys
import time

import torch
from torch import nn


class UnetBlock(nn.Module):
    """One U-Net level: down conv, the inner levels, up (transposed) conv, skip concat.

    role: 'outermost' (no norm/activation before the first conv, tanh out), 'innermost' (no norm after
    the down conv, no inner block), or 'middle'.
    """

    def __init__(self, outer, inner, in_ch=None, sub=None, role="middle", dropout=False):
        super().__init__()
        self.role = role
        in_ch = outer if in_ch is None else in_ch
        down = nn.Conv2d(in_ch, inner, 4, 2, 1, bias=False)
        if role == "outermost":
            up = nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1)
            layers = [down, sub, nn.ReLU(True), up, nn.Tanh()]
        elif role == "innermost":
            up = nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=False)
            layers = [nn.LeakyReLU(0.2, True), down, nn.ReLU(True), up, nn.BatchNorm2d(outer)]
        else:
            up = nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=False)
            layers = [nn.LeakyReLU(0.2, True), down, nn.BatchNorm2d(inner), sub, nn.ReLU(True), up, nn.BatchNorm2d(outer)]
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        if self.role == "outermost":
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


def unet(size, in_ch=3, out_ch=3, f=64):
    n = int(math.log2(size))
    block = UnetBlock(f * 8, f * 8, role="innermost")
    for _ in range(n - 5):
        block = UnetBlock(f * 8, f * 8, sub=block, dropout=True)
    block = UnetBlock(f * 4, f * 8, sub=block)
    block = UnetBlock(f * 2, f * 4, sub=block)
    block = UnetBlock(f, f * 2, sub=block)
    return UnetBlock(out_ch, f, in_ch=in_ch, sub=block, role="outermost")


def patchgan(in_ch=6, f=64, n_layers=3):
    layers = [nn.Conv2d(in_ch, f, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    mult = 1
    for i in range(1, n_layers + 1):
        prev, mult = mult, min(2 ** i, 8)
        stride = 2 if i < n_layers else 1
        layers += [nn.Conv2d(f * prev, f * mult, 4, stride, 1, bias=False), nn.BatchNorm2d(f * mult), nn.LeakyReLU(0.2, True)]
    layers.append(nn.Conv2d(f * mult, 1, 4, 1, 1))
    return nn.Sequential(*layers)


def init_weights(net):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def blas_in_use():
    """The BLAS library mapped into this process, as {"kind", "path"} (see the module docstring)."""
    a = torch.rand(64, 64)
    (a @ a).sum().item()
    nn.functional.conv_transpose2d(torch.rand(1, 8, 8, 8), torch.rand(8, 8, 4, 4), stride=2, padding=1).sum().item()
    paths = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                parts = line.split()
                if len(parts) >= 6 and parts[-1].startswith("/"):
                    paths.add(parts[-1])
    except OSError:
        return {"kind": "unknown", "path": None}
    base = lambda p: p.rsplit("/", 1)[-1].lower()
    # The BLAS interface library (not LAPACK, which may come from elsewhere): Debian's libblas.so.3
    # is the netlib reference under .../blas/ and an optimised one under .../openblas-pthread/ etc.
    for p in sorted(p for p in paths if base(p).startswith("libblas.so")):
        low = p.lower()
        kind = next((k for k in ("openblas", "blis", "mkl") if k in low), "reference")
        return {"kind": kind, "path": p}
    for kind, prefix in (("openblas", "libopenblas"), ("mkl", "libmkl"), ("blis", "libblis")):
        hits = sorted(p for p in paths if base(p).startswith(prefix))
        if hits:
            return {"kind": kind, "path": hits[0]}
    # No separate BLAS library mapped: PyTorch's own build (pip wheels link MKL or OpenBLAS statically).
    return {"kind": "unknown", "path": None}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--blas-only", action="store_true", help="print {\"blas\": ...} and exit")
    ap.add_argument("--serve", action="store_true", help="answer infer/step/finish lines on stdin (see the docstring)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    blas = blas_in_use()
    if a.blas_only:
        print(json.dumps({"blas": blas, "torch": torch.__version__}))
        return
    torch.manual_seed(0)
    G, D = unet(a.size), patchgan()
    init_weights(G)
    init_weights(D)
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce, l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()
    A = torch.rand(1, 3, a.size, a.size) * 2 - 1
    B = torch.rand(1, 3, a.size, a.size) * 2 - 1

    def step():
        G.train()
        D.train()
        fake = G(A)
        for p in D.parameters():
            p.requires_grad_(True)
        optD.zero_grad()
        pred_fake = D(torch.cat([A, fake.detach()], 1))
        pred_real = D(torch.cat([A, B], 1))
        loss_d = 0.5 * (bce(pred_fake, torch.zeros_like(pred_fake)) + bce(pred_real, torch.ones_like(pred_real)))
        loss_d.backward()
        optD.step()
        for p in D.parameters():
            p.requires_grad_(False)
        optG.zero_grad()
        pred = D(torch.cat([A, fake], 1))
        loss_g = bce(pred, torch.ones_like(pred)) + 100 * l1(fake, B)
        loss_g.backward()
        optG.step()
        return float(loss_d), float(loss_g)

    def infer():
        G.eval()
        with torch.no_grad():
            return G(A).sum().item()

    def timed(fn):
        for _ in range(a.warmup):
            fn()
        out = []
        for _ in range(a.reps):
            t0 = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t0) * 1000)
        return out

    if a.serve:
        serve(a, infer, step, G, D, blas)
        return

    infer_ms = timed(infer)
    step_ms = timed(step)
    print(json.dumps({
        "size": a.size,
        "threads": torch.get_num_threads(),
        "stepMs": step_ms,
        "inferMs": infer_ms,
        "peakRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "params": {"G": sum(p.numel() for p in G.parameters()), "D": sum(p.numel() for p in D.parameters())},
        "torch": torch.__version__,
        "blas": blas,
    }))


def serve(a, infer, step, G, D, blas):
    """The --serve loop: warm up, print @@READY, then one timed repetition per stdin command."""
    for _ in range(a.warmup):
        infer()
    for _ in range(a.warmup):
        step()
    ready = {
        "threads": torch.get_num_threads(),
        "params": {"G": sum(p.numel() for p in G.parameters()), "D": sum(p.numel() for p in D.parameters())},
        "torch": torch.__version__,
        "blas": blas,
    }
    print("@@READY " + json.dumps(ready), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd in ("infer", "step"):
            fn = infer if cmd == "infer" else step
            t0 = time.perf_counter()
            fn()
            print("@@MS %r" % ((time.perf_counter() - t0) * 1000), flush=True)
        elif cmd == "finish":
            print("@@DONE " + json.dumps({"peakRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)
            return


if __name__ == "__main__":
    main()
