# %% [markdown]
# # 03 — Learning-rate schedules: SGDR, `cycle_len`, `cycle_mult` and the lr finder
#
# Lesson 2 changes *how the learning rate moves* during training. This notebook draws every schedule the
# lesson uses, checks them against what the library really does, and gives you sliders to try your own.
# Everything here runs in seconds on a CPU.
#
# **Switch:** none needed — schedules do not depend on the data. (The lr-finder part at the end uses the
# offline sample; set `COURSE_LIB_FULL=1` before starting Jupyter to use the real data instead.)

# %%
# %matplotlib inline
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display

from course_lib import ConvLearner, ImageClassifierData, n_epochs, set_seed, tfms_from_model, transforms_side_on
from course_lib.learner import Learner
from course_lib.schedules import restart_epochs, sgdr_schedule
from course_lib.classroom.widgets import group_schedule, lr_find_explorer, lr_find_figure, schedule_explorer, schedule_figure

FULL = os.environ.get("COURSE_LIB_FULL") == "1"
set_seed(42)

# %% [markdown]
# ## 1. How many epochs does a `fit` call run?
#
# Without `cycle_len`, `fit(lr, 3)` runs 3 epochs at a constant rate. With `cycle_len=1` the 3 becomes
# *the number of restarts* (cycles) of one epoch each. With `cycle_mult=2` every cycle is twice as long as
# the one before: 1 + 2 + 4 = 7 epochs.

# %%
# NBVAL_CHECK_OUTPUT
print("fit(lr, 3)                          ->", n_epochs(3), "epochs")
print("fit(lr, 3, cycle_len=1)             ->", n_epochs(3, 1), "epochs")
print("fit(lr, 3, cycle_len=1, cycle_mult=2) ->", n_epochs(3, 1, 2), "epochs, restarts after epochs",
      restart_epochs(3, 1, 2))

# %% [markdown]
# ## 2. SGDR: cosine annealing with restarts
#
# Within a cycle the rate follows half a cosine from the full rate down towards zero — big steps first,
# small careful steps near a minimum — then jumps back up, which pushes the weights out of sharp minima
# towards flatter ones that generalise better. The very first 1/20 of the first cycle runs at 1/100 of
# the rate as a short warm-up. This is `learn.fit(1e-2, 3, cycle_len=1)` with 100 batches per epoch:

# %%
fig, summary = schedule_figure(1e-2, 3, cycle_len=1, cycle_mult=1, n_batch=100, n_groups=1)
plt.show()

# %% [markdown]
# ## 3. `cycle_mult=2` and differential learning rates
#
# After `learn.unfreeze()` the lesson passes one rate per layer group, `[1e-4, 1e-3, 1e-2]`: the early
# layers (general edges and textures) move 100x less than the new head. Every group follows the same
# cosine multiplier of its own rate. Linear scale first (as `learn.sched.plot_lr()` draws it), then log
# scale, where the three curves are visibly the same shape:

# %%
fig, axs = plt.subplots(1, 2, figsize=(13, 3.5))
schedule_figure(1e-2, 3, cycle_len=1, cycle_mult=2, n_batch=100, ax=axs[0])
_, summary = schedule_figure(1e-2, 3, cycle_len=1, cycle_mult=2, n_batch=100, log=True, ax=axs[1])
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
print(f"epochs: {summary.epochs}, iterations: {summary.iterations}, restarts after epochs {summary.restarts}")
print("group learning rates:", [f"{x:.0e}" for x in summary.group_lrs])

# %% [markdown]
# ## 4. Is that really what `fit` does?
#
# The plots above come from the schedule's formula. Here a small model is trained with
# `fit(lr, 3, cycle_len=1, cycle_mult=2)` and the learning rates it actually used, recorded at every
# batch, are compared with the formula — for all three layer groups.

# %%
from torch.utils.data import DataLoader, TensorDataset
from types import SimpleNamespace

x, y = torch.randn(160, 8), torch.randint(0, 2, (160,))
toy = SimpleNamespace(trn_dl=DataLoader(TensorDataset(x, y), batch_size=16),
                      val_dl=DataLoader(TensorDataset(x[:32], y[:32]), batch_size=16))
net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(),
                          torch.nn.Linear(16, 2))
learn = Learner(net, toy, groups=[net[0], net[2], net[4]], device="cpu")
lrs = np.array([1e-4, 1e-3, 1e-2])
learn.fit(lrs, 3, cycle_len=1, cycle_mult=2)
fig = learn.sched.plot_lr(log=True)
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
recorded = np.array(learn.sched.lrs)
expected = group_schedule(1e-2, 3, 1, 2, n_batch=len(toy.trn_dl))
assert np.allclose(recorded, expected), "fit's learning rates differ from the SGDR formula"
print(f"{len(learn.history)} epochs trained; every one of the {len(recorded)} x 3 recorded rates matches the formula")

# %% [markdown]
# ## 5. Try it: the schedule explorer
#
# Move the sliders (in JupyterLab with a live kernel): the rate, the number of cycles, `cycle_len`,
# `cycle_mult`, batches per epoch, and the ratio between layer groups (10 for photos like ImageNet's,
# about 3 for satellite or medical images, as the lesson suggests).

# %%
# NBVAL_IGNORE_OUTPUT
explorer = schedule_explorer()
display(explorer)

# %% [markdown]
# The sliders are ordinary widgets, so a cell can set them too — here `cycle_mult` goes back to 1:

# %%
# NBVAL_IGNORE_OUTPUT
sliders = {w.description: w for w in explorer.kwargs_widgets}
sliders["cycle_mult"].value = 1
assert explorer.result.epochs == 3 and explorer.result.restarts == [1.0, 2.0], explorer.result
sliders["cycle_mult"].value = 2
assert explorer.result.epochs == 7, explorer.result

# %% [markdown]
# ## 6. Reading the lr finder
#
# `learn.lr_find()` trains for a moment while the rate grows exponentially from 1e-5 to 10, and records
# the training loss. While the rate is too small the loss barely moves; then it falls fast; past a point
# it explodes. We want **the largest rate at which the loss still clearly falls**: the lowest point of
# the curve is already too far (the loss is about to blow up), so the suggestion is one tenth of the
# rate at the lowest smoothed loss. The steepest point of the descent is marked too: course_lib fits a straight
# line to the smoothed loss over one decade of rates around each point and takes the most negative slope
# before the minimum, so a single noisy batch cannot move it (`tests/test_plots.py` checks this on noisy
# made-up curves). Both markers lie on the falling part of the curve, before its minimum; the cell after
# the plot checks that on this run.

# %%
from course_lib.datasets import find_real
from course_lib.synthetic import ensure_sample

PATH = find_real("dogscats", root="../data") if FULL else ensure_sample("dogscats", root="../data")
arch, sz, bs = ("resnet34", 224, 64) if FULL else ("resnet_mini", 64, 32)
data = ImageClassifierData.from_paths(PATH, bs=bs, tfms=tfms_from_model(arch, sz, aug_tfms=transforms_side_on,
                                                                       max_zoom=1.1))
learn = ConvLearner.pretrained(arch, data, precompute=True)
finder = learn.lr_find()
fig = learn.sched.plot()
plt.show()

# %%
from course_lib.schedules import smooth

s = learn.sched.suggestion()
lrs_f = np.array([l[-1] for l in finder.lrs])
sm = smooth(finder.losses)
skip, skip_end = min(10, len(sm) // 10), min(5, len(sm) // 10)  # as the suggestion skips them
i_low = int(np.nanargmin(sm[skip:len(sm) - skip_end])) + skip
at = lambda lr: sm[int(np.argmin(np.abs(np.log(lrs_f) - np.log(lr))))]
assert s.steep <= lrs_f[i_low] and s.lr <= lrs_f[i_low], (s, lrs_f[i_low])
assert at(s.steep) < sm[skip] and at(s.lr) < sm[skip], "a marker is not on the falling part"
print(f"lowest smoothed loss at lr {lrs_f[i_low]:.2g}; suggestion {s.lr:.2g} and steepest descent {s.steep:.2g} "
      f"both lie before it, with losses {at(s.lr):.3f} and {at(s.steep):.3f} below the start's {sm[skip]:.3f}")

# %% [markdown]
# The smoothing matters: the raw batch losses are noisy, and the first and last points are usually left
# out (`n_skip`, `n_skip_end`). Move the sliders to see how the suggestion depends on them.

# %%
# NBVAL_IGNORE_OUTPUT
finder_explorer = lr_find_explorer(finder)
display(finder_explorer)

# %% [markdown]
# The same figure without a live kernel, with no smoothing at all (beta 0) next to the default (0.98):

# %%
fig, axs = plt.subplots(1, 2, figsize=(17, 4.5))
lr_find_figure(finder, beta=0.0, ax=axs[0])
_, s = lr_find_figure(finder, n_skip=min(10, len(finder.losses) // 10), beta=0.98, ax=axs[1])
axs[0].set_title("raw losses: too noisy to read")
axs[1].set_title("smoothed: the suggestion is readable")
plt.show()
print(f"suggested lr {s.lr:.2g}; steepest descent at {s.steep:.2g}")
