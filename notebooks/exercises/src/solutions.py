# %% [markdown]
# # Exercises — lesson 2: schedules, learning rates, TTA, log loss and a submission
#
# Short exercises on what lesson 2 taught. Write your answer in each cell marked `# YOUR CODE`, then run
# the check cell below it: it tries your answer on several cases and tells you what it expected, what it got,
# and which lesson step to re-read. Exercises 7 to 9 read a small run you make in this notebook: the checks
# judge your answer against that run's own numbers. Everything runs in seconds on a CPU, offline.

# %%
# %matplotlib inline
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from course_lib import ConvLearner, ImageClassifierData, set_seed, tfms_from_model, transforms_side_on
from course_lib.classroom.exercises import LR_REASONS, check, lr_find_record, summary
from course_lib.plots import loss_ylim
from course_lib.schedules import smooth
from course_lib.synthetic import find_sample

# %% [markdown]
# ## EXERCISE sgdr
#
# Write `lr_at(it, n_batch, cycle_len, cycle_mult)`: the multiplier of the base lr at iteration `it`
# (counting from 0) of `fit(lr, n_cycle, cycle_len=cycle_len, cycle_mult=cycle_mult)` with `n_batch`
# batches per epoch. Remember the three rules of notebook 03:
#
# - the first 1/20 of the *first* cycle is a warm-up at 1/100 of the rate;
# - within a cycle the multiplier follows half a cosine from 1 down towards 0;
# - cycle k lasts `cycle_len * cycle_mult**k` epochs, then the rate restarts at 1.

# %%
# SOLUTION
def lr_at(it, n_batch, cycle_len, cycle_mult):
    """Multiplier of the base lr at iteration `it` of an SGDR fit."""
    length = round(cycle_len * n_batch)          # iterations in the current cycle
    if it < length / 20:                         # warm-up, first cycle only
        return 0.01
    start = 0
    while it >= start + length:                  # skip whole cycles
        start += length
        length = round(length * cycle_mult)
    return (math.cos(math.pi * (it - start) / length) + 1) / 2

# %% [markdown]
# ## EXERCISE lr_find
#
# `lrs` and `losses` are a made-up sweep, drawn from a formula with noise added to look like what
# `learn.lr_find()` records: the loss of every batch while the rate grows from 1e-5 to 10. The plot shows the
# smoothed loss against the lr, as `learn.sched.plot()` does (the climb at the end runs off the top, so that the
# descent fills the plot). Set `lr_pick` to the learning rate you would train with.

# %%
lrs, losses = lr_find_record()
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(lrs, smooth(losses))
ax.set_ylim(*loss_ylim(smooth(losses)))
ax.set_xscale("log")
ax.set_xlabel("learning rate (log scale)")
ax.set_ylabel("training loss (smoothed)")
plt.show()

# %%
# SOLUTION
lr_pick = 1e-2

# %% [markdown]
# ## EXERCISE diff_lrs
#
# After `learn.unfreeze()` you pass one lr per layer group: `[early layers, middle layers, head]`.
# With `lr = 1e-2` for the head, choose the three rates for a model fine-tuned on **photos** (dogs and cats,
# much like ImageNet) and for one fine-tuned on **satellite images**.

# %%
lr = 1e-2

# %%
# SOLUTION
lrs_photos = np.array([lr / 100, lr / 10, lr])
lrs_satellite = np.array([lr / 9, lr / 3, lr])

# %% [markdown]
# ## EXERCISE tta
#
# `learn.TTA()` returns log-probabilities of shape `(n_aug + 1, N, C)`: the plain pass, then `n_aug`
# augmented ones. Write `average_tta(log_preds)` returning the `(N, C)` probabilities to score.

# %%
# SOLUTION
def average_tta(log_preds):
    """(n_aug + 1, N, C) log-probabilities -> (N, C) probabilities."""
    return np.mean(np.exp(log_preds), axis=0)

# %% [markdown]
# ## EXERCISE log_loss
#
# Write `my_log_loss(y, probs)` for integer labels `y` (N,) and probabilities `probs` (N, C). It must match
# `course_lib.metrics.log_loss`, including what happens when a probability is exactly 0 or 1.

# %%
# SOLUTION
def my_log_loss(y, probs, eps=1e-15):
    """Mean negative log probability of the true class."""
    p = np.clip(np.asarray(probs, dtype=np.float64), eps, 1 - eps)
    p = p / p.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))

# %% [markdown]
# ## EXERCISE submission
#
# Write `make_df(probs, fnames, classes)` returning the DataFrame to save as the submission: a column `id`
# (the file name without folder or suffix: `'test/0a1b.jpg'` becomes `'0a1b'`), then one column per class.

# %%
# SOLUTION
def make_df(probs, fnames, classes):
    """Submission table: id, then one probability column per class."""
    df = pd.DataFrame(probs, columns=classes)
    df.insert(0, "id", [f.split("/")[-1].rsplit(".", 1)[0] for f in fnames])
    return df

# %% [markdown]
# ## EXERCISE lr_run
#
# Exercises 7 to 9 read a run you make here: EfficientNet-Lite0 with its ImageNet weights, on small 64 px
# images of the offline dogs-vs-cats sample, training only the head on cached activations
# (`precompute=True`). It takes a few seconds. First the lr finder, plotted as `learn.sched.plot()` would,
# without the suggestion marked:

# %%
PATH = find_sample("dogscats")  # the repository's data/dogscats_sample (made if missing: a few seconds)
arch, sz = "efficientnet_lite0", 64
data = ImageClassifierData.from_paths(PATH, bs=32, tfms=tfms_from_model(arch, sz, aug_tfms=transforms_side_on),
                                      num_workers=0)
set_seed(0)
learn = ConvLearner.pretrained(arch, data, precompute=True)
finder = learn.lr_find()
run_lrs = np.array([l[-1] for l in finder.lrs])  # the head's lr at each batch of the sweep
run_losses = np.array(finder.losses)             # the training loss of each batch

curve = finder.curve()  # the readable part: smoothed, the noisy first and last points left out
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(curve.lrs, curve.losses)
ax.set_xscale("log")
ax.set_ylim(*loss_ylim(curve.losses))  # the blow-up at the end runs off the top
ax.set_xlabel("learning rate (log scale)")
ax.set_ylabel("training loss (smoothed)")
plt.show()

# %% [markdown]
# Set `my_lr` to the learning rate you would train this model with, read off your plot, and `lr_reason` to the
# letter of the reason:

# %%
for letter, why in LR_REASONS.items():
    print(f"{letter}: {why}")

# %%
# SOLUTION
my_lr = curve.lrs[np.argmin(curve.losses)] / 10  # one tenth of the lowest point
lr_reason = "b"

# %% [markdown]
# ## EXERCISE fit_verdict
#
# Two runs from the same start. Run A trains the lesson's head, which has dropout, for three epochs at a small
# rate. Run B trains a head without dropout (`ps=0`) for 12 epochs at a large rate. Read both epoch tables
# and the curves below them.

# %%
set_seed(0)
learn_a = ConvLearner.pretrained(arch, data, precompute=True)  # the lesson's head, with dropout
learn_a.fit(1e-3, 3)
history_a = learn_a.history

# %%
set_seed(0)
learn_b = ConvLearner.pretrained(arch, data, precompute=True, ps=0.0)  # no dropout
learn_b.fit(3e-2, 12)
history_b = learn_b.history

# %%
fig, axs = plt.subplots(1, 2, figsize=(10, 3.5))
for ax, (name, h) in zip(axs, (("A", history_a), ("B", history_b))):
    ax.plot(h.epoch, h.trn_loss, "o-", label="training loss")
    ax.plot(h.epoch, h.val_loss, "o-", label="validation loss")
    ax.axhline(math.log(2), color="grey", ls=":", label="chance (ln 2)")
    ax.set_title(f"run {name}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
axs[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
fig.tight_layout()
plt.show()

# %% [markdown]
# Set `verdict_a` and `verdict_b` to `"underfitting"`, `"overfitting"` or `"neither"`.

# %%
# SOLUTION
verdict_a = "underfitting"  # training loss above validation loss: dropout handicaps training, it has not fit yet
verdict_b = "overfitting"   # training loss far below validation loss, and validation loss up from its best epoch

# %% [markdown]
# ## EXERCISE tta_noise
#
# `learn_a.TTA()` predicts the validation images once as they are and 4 times augmented, with run A's model.
# Judge TTA's change as notebook 01 does, on the same images: count the images it `fixed` (wrong in the plain
# pass, right with the averaged probabilities) and the ones it `broke` (the other way round), then the change's
# paired standard error `delta_se`, and set `tta_helped` to whether the change is more than two of them. With
# `n` images, the change is `d = (fixed - broke) / n`, and its paired standard error is
# `sqrt(fixed + broke - n * d**2) / n`.

# %%
tta_log_preds, y_valid = learn_a.TTA()
print(f"{len(y_valid)} validation images: one image is {1 / len(y_valid):.3f} of accuracy")

# %%
# SOLUTION
right_plain = tta_log_preds[0].argmax(1) == y_valid
right_tta = np.exp(tta_log_preds).mean(0).argmax(1) == y_valid
fixed = int((~right_plain & right_tta).sum())
broke = int((right_plain & ~right_tta).sum())
n = len(y_valid)
d = (fixed - broke) / n
delta_se = math.sqrt(fixed + broke - n * d ** 2) / n
tta_helped = d > 2 * delta_se

# %% [markdown]
# ## Your score

# %%
# NBVAL_CHECK_OUTPUT
summary()
