#!/usr/bin/env python3
"""PyTorch CPU per-layer reference for `node bench/kernels.mjs --torch`.

Reads a JSON list of layers on stdin, as bench/kernels.mjs describes them (NHWC input shape `x`, HWIO
filter shape `w`, `strides`, `pad` 'same' or explicit NHWC pairs, `transposed`: the layer is the
transposed convolution whose input gradient geometry this is), times each layer's forward pass
with torch (median of `--reps` after one warm-up) and prints one JSON list: [{"name", "ms"}].
Usage: python3 bench/torch_layers.py --threads 2 --reps 3 < layers.json
"""

import argparse
import json
import sys
import time

import torch


def padding_of(layer):
    """torch's symmetric padding for the layer (pix2pix layers only use symmetric padding)."""
    if layer["pad"] == "same":
        k, s = layer["w"][0], layer["strides"]
        return (k - s + 1) // 2 if s > 1 else (k - 1) // 2
    return layer["pad"][1][0]


def module_and_input(layer):
    kh, kw, ci, co = layer["w"]
    n, h, w, _ = layer["x"]
    pad = padding_of(layer)
    if layer["transposed"]:
        # The transposed convolution co -> ci that maps the conv's output back to its input size.
        oh = (h + 2 * pad - kh) // layer["strides"] + 1
        ow = (w + 2 * pad - kw) // layer["strides"] + 1
        return torch.nn.ConvTranspose2d(co, ci, (kh, kw), layer["strides"], pad), torch.randn(n, co, oh, ow)
    return torch.nn.Conv2d(ci, co, (kh, kw), layer["strides"], pad), torch.randn(n, ci, h, w)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    out = []
    with torch.no_grad():
        for layer in json.load(sys.stdin):
            module, x = module_and_input(layer)
            module(x)
            times = []
            for _ in range(args.reps):
                t0 = time.perf_counter()
                module(x)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            out.append({"name": layer["name"], "ms": times[len(times) // 2]})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
