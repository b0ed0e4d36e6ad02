# %% [markdown]
# # Exercises — lesson 2: schedules, learning rates, TTA, log loss and a submission
#
# Six short exercises on what lesson 2 taught. Write your answer in each cell marked `# YOUR CODE`, then run
# the check cell below it: it tries your answer on several cases and tells you what it expected, what it got,
# and which lesson step to re-read. Everything runs in seconds on a CPU, offline.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from course_lib.classroom.exercises import (check_diff_lrs, check_log_loss, check_lr_pick, check_sgdr,
                                            check_submission_df, check_tta, lr_find_record, summary)
from course_lib.schedules import smooth

# %% [markdown]
# ## 1. The SGDR learning rate
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

# %%
check_sgdr(lr_at)

# %% [markdown]
# ## 2. Read the lr finder
#
# `lrs` and `losses` were recorded by `learn.lr_find()`; the plot shows the smoothed loss against the lr.
# Set `lr_pick` to the learning rate you would train with.

# %%
lrs, losses = lr_find_record()
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(lrs, smooth(losses))
ax.set_xscale("log")
ax.set_xlabel("learning rate (log scale)")
ax.set_ylabel("training loss (smoothed)")
plt.show()

# %%
# SOLUTION
lr_pick = 1e-2

# %%
check_lr_pick(lr_pick, lrs, losses)

# %% [markdown]
# ## 3. Differential learning rates
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

# %%
check_diff_lrs(lrs_photos, lrs_satellite)

# %% [markdown]
# ## 4. Average TTA predictions
#
# `learn.TTA()` returns log-probabilities of shape `(n_aug + 1, N, C)`: the plain pass, then `n_aug`
# augmented ones. Write `average_tta(log_preds)` returning the `(N, C)` probabilities to score.

# %%
# SOLUTION
def average_tta(log_preds):
    """(n_aug + 1, N, C) log-probabilities -> (N, C) probabilities."""
    return np.mean(np.exp(log_preds), axis=0)

# %%
check_tta(average_tta)

# %% [markdown]
# ## 5. Log loss by hand
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

# %%
check_log_loss(my_log_loss)

# %% [markdown]
# ## 6. A Kaggle submission
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

# %%
check_submission_df(make_df)

# %% [markdown]
# ## Your score

# %%
# NBVAL_CHECK_OUTPUT
summary()
