"""PyTorch reference for `npm run bench:train`: the same Llama shape, AdamW and batch as our trainer.

Prints one JSON line: tokens/s (training and forward-only), the fp32 matmul ceiling, the BLAS library that
actually ran (read from this process's memory map) and the thread count. Debian's python3-torch only.
Usage: python3 train_reference.py '{"vocab":4096,"hidden":256,"layers":4,"heads":4,"kv_heads":4,"mlp":688,"seq":256,"batch":8,"steps":6,"warmup":2,"threads":2}'
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)


class RMSNorm(torch.nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = torch.nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


class Block(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        h, self.nh, self.nkv = c["hidden"], c["heads"], c["kv_heads"]
        self.hd = h // self.nh
        self.q = torch.nn.Linear(h, h, bias=False)
        self.k = torch.nn.Linear(h, self.nkv * self.hd, bias=False)
        self.v = torch.nn.Linear(h, self.nkv * self.hd, bias=False)
        self.o = torch.nn.Linear(h, h, bias=False)
        self.gate = torch.nn.Linear(h, c["mlp"], bias=False)
        self.up = torch.nn.Linear(h, c["mlp"], bias=False)
        self.down = torch.nn.Linear(c["mlp"], h, bias=False)
        self.n1, self.n2 = RMSNorm(h), RMSNorm(h)

    def forward(self, x, cos, sin):
        b, t, h = x.shape
        y = self.n1(x)
        q = self.q(y).view(b, t, self.nh, self.hd).transpose(1, 2)
        k = self.k(y).view(b, t, self.nkv, self.hd).transpose(1, 2)
        v = self.v(y).view(b, t, self.nkv, self.hd).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        rep = self.nh // self.nkv
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd)
        att = att.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
        x = x + self.o((att @ v).transpose(1, 2).reshape(b, t, h))
        y = self.n2(x)
        return x + self.down(F.silu(self.gate(y)) * self.up(y))


class Llama(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed = torch.nn.Embedding(c["vocab"], c["hidden"])
        self.blocks = torch.nn.ModuleList(Block(c) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["hidden"])
        self.head = torch.nn.Linear(c["hidden"], c["vocab"], bias=False)
        hd = c["hidden"] // c["heads"]
        inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
        ang = torch.outer(torch.arange(c["seq"]).float(), inv)
        ang = torch.cat((ang, ang), dim=-1)
        self.register_buffer("cos", ang.cos())
        self.register_buffer("sin", ang.sin())

    def forward(self, ids):
        x = self.embed(ids)
        for blk in self.blocks:
            x = blk(x, self.cos, self.sin)
        return self.head(self.norm(x))


def blas_in_use():
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower() or "lapack" in line.lower()}
    return sorted(p for p in libs if p.startswith("/"))


def matmul_ceiling(threads):
    torch.set_num_threads(threads)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    for _ in range(3):
        a @ b
    n, t0 = 20, time.perf_counter()
    for _ in range(n):
        a @ b
    gflops = 2 * 1024**3 * n / (time.perf_counter() - t0) / 1e9
    torch.set_num_threads(cfg["threads"])
    return gflops


model = Llama(cfg)
params = sum(p.numel() for p in model.parameters())
opt = torch.optim.AdamW(model.parameters(), lr=4e-4, betas=(0.9, 0.95), weight_decay=0.1)
b, t = cfg["batch"], cfg["seq"]
ids = torch.randint(0, cfg["vocab"], (b, t + 1))


def step():
    logits = model(ids[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, cfg["vocab"]), ids[:, 1:].reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item()


for _ in range(cfg["warmup"]):
    step()
t0 = time.perf_counter()
for _ in range(cfg["steps"]):
    step()
train_tps = b * t * cfg["steps"] / (time.perf_counter() - t0)

with torch.no_grad():
    model(ids[:, :-1])
    t0 = time.perf_counter()
    for _ in range(cfg["steps"]):
        model(ids[:, :-1])
    fwd_tps = b * t * cfg["steps"] / (time.perf_counter() - t0)

print(json.dumps({
    "framework": f"pytorch {torch.__version__}",
    "threads": torch.get_num_threads(),
    "blas": blas_in_use(),
    "parameters": params,
    "trainTokensPerSec": train_tps,
    "forwardTokensPerSec": fwd_tps,
    "matmulGflops": {"1": matmul_ceiling(1), str(cfg["threads"]): matmul_ceiling(cfg["threads"])},
}))
