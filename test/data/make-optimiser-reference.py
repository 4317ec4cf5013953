"""Writes optimiser-reference.json: PyTorch's OneCycleLR (defaults) driving Adam on a small
problem, step by step, for test/train-optimiser.test.ts. Run with Debian's python3-torch:
/usr/bin/python3 test/data/make-optimiser-reference.py > test/data/optimiser-reference.json"""
import json
import torch

total_steps = 20
p = torch.nn.Parameter(torch.tensor([0.5, -1.0, 2.0, 0.25]))
opt = torch.optim.Adam([p], lr=1e-3)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=total_steps)
lrs, betas, params, grads = [], [], [], []
for step in range(total_steps):
    lrs.append(opt.param_groups[0]["lr"])
    betas.append(opt.param_groups[0]["betas"][0])
    opt.zero_grad()
    loss = ((p - torch.tensor([1.0, 2.0, -3.0, 0.5])) ** 2).sum() + p.abs().sum()
    loss.backward()
    grads.append(p.grad.tolist())
    opt.step()
    sched.step()
    params.append(p.detach().tolist())
print(json.dumps({"total_steps": total_steps, "max_lr": 1e-3, "initial": [0.5, -1.0, 2.0, 0.25],
                  "target": [1.0, 2.0, -3.0, 0.5], "lr": lrs, "beta1": betas, "grads": grads, "params": params}))
