"""Optimiser and learning-rate schedule fixtures (dl-core/src/optim): torch.optim on fixed
parameters and a fixed sequence of gradients.

optim_<name>.txt: parameters `w` [3, 4] and `b` [4]; for steps t = 1..5 the gradients `gw<t>`,
`gb<t>` set before `opt.step()` and the parameters `w<t>`, `b<t>` after it.
sched_<name>.txt: the learning rate of epochs 0, 1, ... (`lr`), and for ReduceLROnPlateau the
metric fed each epoch. Run:  python3 scripts/torch_fixtures.py optim schedules
"""
import math

import torch

from torch_fixtures import case, save


def run(name, make_opt, sched=None):
    torch.manual_seed(11)
    w = torch.nn.Parameter(torch.randn(3, 4))
    b = torch.nn.Parameter(torch.randn(4))
    opt = make_opt([w, b])
    s = sched(opt) if sched else None
    out = {"w": w.detach().clone(), "b": b.detach().clone()}
    for t in range(1, 6):
        gw, gb = torch.randn(3, 4), torch.randn(4) * 0.1
        w.grad, b.grad = gw.clone(), gb.clone()
        opt.step()
        if s:
            s.step()
        out.update({"gw%d" % t: gw, "gb%d" % t: gb, "w%d" % t: w.detach().clone(), "b%d" % t: b.detach().clone()})
    save("optim_" + name, **out)


@case
def optim():
    O = torch.optim
    run("sgd", lambda p: O.SGD(p, lr=0.1))
    run("sgd_wd", lambda p: O.SGD(p, lr=0.1, weight_decay=0.05))
    run("momentum", lambda p: O.SGD(p, lr=0.1, momentum=0.9))
    run("momentum_damp_wd", lambda p: O.SGD(p, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01))
    run("nesterov", lambda p: O.SGD(p, lr=0.1, momentum=0.9, nesterov=True))
    run("nesterov_wd", lambda p: O.SGD(p, lr=0.05, momentum=0.7, nesterov=True, weight_decay=0.02))
    run("adagrad", lambda p: O.Adagrad(p, lr=0.1))
    run("adagrad_decay_wd", lambda p: O.Adagrad(p, lr=0.1, lr_decay=0.05, weight_decay=0.02, initial_accumulator_value=0.1))
    run("rmsprop", lambda p: O.RMSprop(p, lr=0.01))
    run("rmsprop_wd", lambda p: O.RMSprop(p, lr=0.01, alpha=0.9, weight_decay=0.02))
    run("rmsprop_momentum", lambda p: O.RMSprop(p, lr=0.01, momentum=0.5))
    run("rmsprop_centered", lambda p: O.RMSprop(p, lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.01))
    run("adam", lambda p: O.Adam(p, lr=0.01))
    run("adam_wd", lambda p: O.Adam(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1))
    run("adamw", lambda p: O.AdamW(p, lr=0.01, weight_decay=0.1))
    run("momentum_steplr", lambda p: O.SGD(p, lr=0.1, momentum=0.9),
        lambda o: O.lr_scheduler.StepLR(o, step_size=2, gamma=0.5))


def lrs(sched, opt, epochs, metrics=None):
    out = []
    for e in range(epochs):
        if metrics is None:
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        else:
            opt.step()
            sched.step(metrics[e])
            out.append(opt.param_groups[0]["lr"])
    return torch.tensor(out, dtype=torch.float64)


@case
def schedules():
    O = torch.optim
    p = [torch.nn.Parameter(torch.zeros(1))]
    o = O.SGD(p, lr=0.1)
    save("sched_steplr", lr=lrs(O.lr_scheduler.StepLR(o, step_size=3, gamma=0.5), o, 12))
    o = O.SGD(p, lr=0.1)
    save("sched_exponentiallr", lr=lrs(O.lr_scheduler.ExponentialLR(o, gamma=0.8), o, 12))

    # Loss: improves, then plateaus (0.99995 is below the 1e-4 relative threshold), reduces,
    # cools down, improves again, plateaus until min_lr holds the rate.
    loss = [1.0, 0.9, 0.8, 0.79995, 0.8, 0.81, 0.7, 0.72, 0.71, 0.70, 0.69994, 0.6, 0.6, 0.6,
            0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.6, 0.6, 0.6]
    o = O.SGD(p, lr=0.1)
    s = O.lr_scheduler.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2, cooldown=1, min_lr=0.02)
    lr = lrs(s, o, len(loss), loss)
    acc = [0.5, 0.6, 0.605, 0.61, 0.7, 0.7, 0.705, 0.72, 0.73, 0.731, 0.732, 0.74]
    o = O.SGD(p, lr=1.0)
    s = O.lr_scheduler.ReduceLROnPlateau(o, mode="max", factor=0.1, patience=1, threshold=0.01, threshold_mode="abs")
    lr_max = lrs(s, o, len(acc), acc)
    save("sched_plateau", loss=torch.tensor(loss), lr=lr, acc=torch.tensor(acc), lr_max=lr_max)
