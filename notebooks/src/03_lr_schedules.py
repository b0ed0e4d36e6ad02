# %% [markdown]
# # 03 — Learning-rate schedules: SGDR, `cycle_len`, `cycle_mult` and the lr finder
#
# Lesson 2 changes *how the learning rate moves* during training. This notebook draws every schedule the
# lesson uses, checks them against what the library really does, and gives you sliders to try your own.
# Everything here runs in seconds on a CPU.
#
# **Switch:** none needed — schedules do not depend on the data. The lr-finder part at the end uses the data
# and backbone of notebook 01 (the offline sample and EfficientNet-Lite0 by default; `COURSE_LIB_FULL=1` or
# `COURSE_LIB_DATA=folder` before starting Jupyter for photos).

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display

from course_lib import ConvLearner, ImageClassifierData, n_epochs, set_seed, tfms_from_model, transforms_side_on
from course_lib.learner import Learner
from course_lib.schedules import restart_epochs, sgdr_schedule, skips
from course_lib.classroom.widgets import group_schedule, lr_find_explorer, lr_find_figure, schedule_explorer, schedule_figure
from course_lib.lesson import lesson_setup

S = lesson_setup("dogscats")   # used by the lr finder at the end: notebook 01's data and backbone
set_seed(S.seed)

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
# made-up curves).
#
# The sweep here trains notebook 01's new head on cached activations (`precompute=True`): a few seconds, and
# a pretrained backbone gives the clear descent the lesson's plot shows. The cell after the plot checks, on
# this run, that both markers lie on the falling part: before the minimum, and below the level the curve
# starts from (the median of its first quarter, smoothed, so that no single early batch decides).

# %%
data = ImageClassifierData.from_paths(S.path, bs=S.bs, tfms=tfms_from_model(S.arch, S.sz,
                                                                           aug_tfms=transforms_side_on, max_zoom=1.1))
learn = ConvLearner.pretrained(S.arch, data, precompute=True)
finder = learn.lr_find()
fig = learn.sched.plot()
plt.show()

# %%
s = finder.suggestion()
c = finder.curve()                       # the last group's rates and the smoothed losses, noisy ends left out
i_low = int(np.nanargmin(c.losses))
start = float(np.median(c.losses[:max(3, i_low // 4)]))  # the level the curve starts from, robustly
at = lambda lr: c.losses[int(np.argmin(np.abs(np.log(c.lrs) - np.log(lr))))]
assert s.steep <= c.lrs[i_low] and s.lr <= c.lrs[i_low], (s, c.lrs[i_low])
assert at(s.steep) < start and at(s.lr) < start, "a marker is not below the level the curve starts from"
print(f"the curve starts at a smoothed loss of {start:.3f} and is lowest ({c.losses[i_low]:.3f}) at lr "
      f"{c.lrs[i_low]:.2g}; the suggestion {s.lr:.2g} and the steepest descent {s.steep:.2g} both lie before that "
      f"minimum, at losses {at(s.lr):.3f} and {at(s.steep):.3f}")

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
fig, axs = plt.subplots(1, 2, figsize=(16, 4.5))
lr_find_figure(finder, beta=0.0, ax=axs[0])
_, s = lr_find_figure(finder, *skips(len(finder.losses)), beta=0.98, ax=axs[1])
axs[0].set_title("raw losses")
axs[1].set_title("smoothed (beta 0.98), noisy ends left out")
plt.show()
print(f"suggested lr {s.lr:.2g}; steepest descent at {s.steep:.2g}")
