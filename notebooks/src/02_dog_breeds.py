# %% [markdown]
# # 02 — Dog breeds: the general recipe on a CSV-labelled data set
#
# The second half of lesson 2: Kaggle's *Dog Breed Identification*. Labels come in a CSV file instead of
# folders, there are many classes that differ in fine details, and the result is a submission file.
# Along the way we run the lesson's general recipe on one learner and then *progressive resizing*, with a
# control that shows what resizing adds beyond the extra epochs.
#
# **Two modes, one switch.** Offline (default): the generated dog-breed sample (12 breeds of drawn dogs, not
# photos) with EfficientNet-Lite0 and its ImageNet weights (from an installed package, no download) on the
# CPU, trained at 160 px and then resized to 224 px; the last cell prints how long the run took. With
# `COURSE_LIB_FULL=1`: the real Kaggle data in `data/dogbreeds` (120 breeds, 10,222 photos), `resnet34` with
# ImageNet weights at 224 px, resized to 299 px, batch size 58; `COURSE_LIB_BIG=1` in addition uses
# `resnext50` as the lesson did with its larger models (a GPU is strongly recommended for both).

# %%
# %matplotlib inline
import math
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from course_lib import *
from course_lib.datasets import find_real
from course_lib.images import image_size
from course_lib.interpret import ClassificationInterpretation
from course_lib.metrics import accuracy_se, paired_change
from course_lib.steps import Steps, verdict
from course_lib.submission import check_submission, make_submission
from course_lib.synthetic import ensure_sample

plt.rcParams["figure.dpi"] = 72
FULL = os.environ.get("COURSE_LIB_FULL") == "1"
BIG = FULL and os.environ.get("COURSE_LIB_BIG") == "1"
if FULL:
    PATH = find_real("dogbreeds", root="../data")
    arch, sz, sz2, bs = (resnext50, 224, 299, 58) if BIG else (resnet34, 224, 299, 58)
else:
    PATH = ensure_sample("dogbreeds", root="../data")
    arch, sz, sz2, bs = efficientnet_lite0, 160, 224, 32
LR = 1e-2
set_seed(42)
t_start = time.perf_counter()
print(f"data: {PATH.name}\narch: {arch if isinstance(arch, str) else arch.__name__}, sz={sz} then {sz2}, "
      f"bs={bs}, device: {default_device()}")

# %% [markdown]
# ## 1. Look at the data first
#
# `labels.csv` has one row per training image: its id (the file name without `.jpg`) and its breed.

# %%
label_df = pd.read_csv(PATH / "labels.csv")
label_df.head()

# %%
# NBVAL_CHECK_OUTPUT
n = len(label_df)
print(f"{n} labelled images, {label_df.breed.nunique()} breeds, {len(list((PATH / 'test').iterdir()))} test images")

# %%
counts = label_df.breed.value_counts().sort_values()
fig, ax = plt.subplots(figsize=(7, 0.25 * len(counts) + 1))
counts.plot.barh(ax=ax)
ax.set_xlabel("training images")
ax.set_ylabel("breed")
ax.set_title("images per breed")
fig.tight_layout()
plt.show()

# %%
shown_breeds = sorted(label_df.breed.unique())[:12]
fig, axs = plt.subplots(2, 6, figsize=(15, 5.5))
for ax, b in zip(axs.flat, shown_breeds):
    fid = label_df.id[label_df.breed == b].iloc[0]
    ax.imshow(open_image(PATH / "train" / f"{fid}.jpg"))
    ax.set_title(b.replace("_", " "), fontsize=9)
    ax.axis("off")
fig.suptitle("one training image per breed")
plt.show()

# %% [markdown]
# Image sizes matter for choosing `sz`: here is the spread of widths and heights (read from the file
# headers only, which is fast even for thousands of images).

# %%
sizes = np.array([image_size(PATH / "train" / f"{i}.jpg") for i in label_df.id[:2000]])
fig, axs = plt.subplots(1, 2, figsize=(10, 3))
for ax, k, what in zip(axs, (0, 1), ("width", "height")):
    ax.hist(sizes[:, k], bins=30)
    ax.set_xlabel(f"{what} (px)")
    ax.set_ylabel("images")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 2. A validation set, and the data object
#
# `get_cv_idxs(n)` picks a random 20% of the rows as the validation set, the same rows every time
# (seed 42), without disturbing numpy's global random state. With 12 breeds, chance is 1/12.

# %%
# NBVAL_CHECK_OUTPUT
val_idxs = get_cv_idxs(n)
n_val = len(val_idxs)
print(n_val, "validation rows out of", n)
print(f"one validation image = {100 / n_val:.1f} points of accuracy; at 75% accuracy the standard error is "
      f"{100 * accuracy_se(0.75, n_val):.1f} points")


# %%
def get_data(sz, bs, aug=True):
    """The breed data at one image size (a function, so progressive resizing can call it again)."""
    tfms = tfms_from_model(arch, sz, aug_tfms=transforms_side_on if aug else None, max_zoom=1.1)
    return ImageClassifierData.from_csv(PATH, "train", PATH / "labels.csv", test_name="test",
                                        val_idxs=val_idxs, suffix=".jpg", tfms=tfms, bs=bs)


data = get_data(sz, bs)
print(data.describe())

# %%
fn = data.path / data.trn_ds.fnames[0]
fig, axs = plt.subplots(1, 6, figsize=(15, 3))
for ax in axs.flat:
    ax.imshow(denorm(data.trn_ds.tfm(fn)))
    ax.axis("off")
fig.suptitle(f"augmentation: one {data.classes[data.trn_y[0]].replace('_', ' ')}, six times")
plt.show()

# %% [markdown]
# ## 3. The general recipe, on one learner
#
# 1. augmentation on, `precompute=True`;
# 2. `lr_find()`: the largest rate where the loss still clearly falls;
# 3. train the new head for a few epochs on cached activations (**step 1** in the summary);
# 4. `precompute=False`, train the head with augmentation and `cycle_len=1` (**step 2**);
# 5. unfreeze, differential rates (10x apart for photos like ImageNet's, 3x for satellite or medical
#    images), `cycle_mult=2` (**step 3**).
#
# Then progressive resizing (**step 4**) and TTA (**step 5**).

# %%
learn = ConvLearner.pretrained(arch, data, precompute=True)
learn.lr_find()
fig = learn.sched.plot()
plt.show()
fig = learn.sched.plot_lr(log=True)
plt.show()
s = learn.sched.suggestion()
print(f"suggested learning rate {s.lr:.2g}; the lesson uses {LR} ({LR / s.lr:.1f}x the suggestion)")
print("within a factor of 3: we keep the lesson's value" if 1 / 3 <= LR / s.lr <= 3 else
      f"more than 3x away: we keep the lesson's value to follow it; the finder would pick about {s.lr:.2g}")

# %% [markdown]
# Five seeds of the head-only step (cheap on cached activations) show how much it moves by chance:

# %%
seed_accs = []
for seed in range(5):
    set_seed(seed)
    l = ConvLearner.pretrained(arch, data, precompute=True)
    l.quiet = True
    l.fit(LR, 3)
    seed_accs.append(l.history.accuracy.iloc[-1])
seed_accs = np.array(seed_accs)
print(f"head only, 3 epochs, seeds 0-4: accuracy {seed_accs.mean():.3f} +- {seed_accs.std(ddof=1):.3f} "
      f"(mean +- sd)")

# %%
steps = Steps(data.val_y)   # the validation predictions after each step of this one learner
set_seed(42)
learn = ConvLearner.pretrained(arch, data, precompute=True)
learn.fit(LR, 3)
steps.add("1. head only, precompute", learn.sched.last_preds())

# %%
learn.precompute = False
learn.fit(LR, 3, cycle_len=1)
steps.add("2. + augmentation, SGDR", learn.sched.last_preds())
_ = learn.save(f"breeds_{sz}_head")

# %% [markdown]
# Step 3: fine-tune everything. On the real data the lesson found this step *hurt*: the breeds are part of
# ImageNet, so the pretrained features are already right and fine-tuning mostly overfits. Our drawn breeds
# are not in ImageNet, so here fine-tuning has more to adapt. As in the lesson, the notebook goes on with
# whichever model is better on the validation set. The lesson runs 3 cycles (7 epochs); offline this runs
# 2 (3 epochs) to stay within a few minutes on a CPU.

# %%
learn.unfreeze()
learn.fit(np.array([LR / 100, LR / 10, LR]), 3 if FULL else 2, cycle_len=1, cycle_mult=2)
unfrozen = learn.sched.last_preds()
if accuracy_np(unfrozen, data.val_y) >= accuracy_np(steps.probs[-1], data.val_y):
    steps.add("3. unfreeze, differential lrs, cycle_mult=2", unfrozen)
else:
    learn.load(f"breeds_{sz}_head")   # as in the lesson: keep the frozen model when fine-tuning does not help
    steps.add("3. unfreeze did not help: kept step 2's model", steps.probs[-1], probs=True)
print("step 3:", steps.names[-1])
_ = learn.save(f"breeds_{sz}_before_resize")

# %% [markdown]
# ## 4. Progressive resizing
#
# Train on small images first, then continue on larger ones: the network sees new detail, which works
# against overfitting. `set_data` swaps in the data at the new size and keeps the weights (and freezes the
# body again). Then the lesson's two fits: `fit(lr, 3, cycle_len=1)`, and after it
# `fit(lr, 3, cycle_len=1, cycle_mult=2)` (offline 2 cycles, 1 + 2 epochs).

# %%
learn.set_data(get_data(sz2, bs))
learn.freeze()
learn.fit(LR, 3, cycle_len=1);

# %%
learn.fit(LR, 3 if FULL else 2, cycle_len=1, cycle_mult=2)
steps.add(f"4. progressive resizing to {sz2}", learn.sched.last_preds())
n_extra = int(sum(learn.history.fit >= learn.n_fit - 1))  # epochs of the two fits above
fig = learn.sched.plot_lr()
plt.show()

# %% [markdown]
# **A same-size control.** Step 4 changed two things: the image size, and more epochs. A second learner
# starts from the same weights (`before_resize`) and trains the same epochs, frozen, at the old size.

# %%
ctrl = ConvLearner.pretrained(arch, data)
ctrl.load(f"breeds_{sz}_before_resize")
ctrl.freeze()
ctrl.quiet = True
ctrl.fit(LR, 3, cycle_len=1)
ctrl.fit(LR, 3 if FULL else 2, cycle_len=1, cycle_mult=2)
resize_vs_same = paired_change(ctrl.sched.last_preds(), steps.probs[-1], data.val_y)
print(f"{n_extra} extra epochs at {sz2} px vs the same epochs at {sz} px: {resize_vs_same.delta:+.3f} +- "
      f"{resize_vs_same.se:.3f} (fixed {resize_vs_same.fixed}, broke {resize_vs_same.broken} images)")

# %% [markdown]
# ## 5. TTA, accuracy and log loss
#
# Kaggle scores this competition by log loss, which punishes confident mistakes. Chance, a uniform guess
# over the breeds, scores ln(number of breeds).

# %%
log_preds, y = learn.TTA()
probs = np.mean(np.exp(log_preds), 0)
steps.add("5. + TTA", probs, probs=True)
print(f"log loss with TTA {log_loss(y, probs):.3f}; chance ln {data.c} = {math.log(data.c):.3f}")

# %%
interp = ClassificationInterpretation(data, probs, y)
fig = interp.plot_confusion_matrix()
plt.show()
pairs = [(data.classes[i], data.classes[j], int(interp.confusion_matrix()[i, j]))
         for i in range(data.c) for j in range(data.c) if i != j]
print("most confused (actual -> predicted, images):", sorted(pairs, key=lambda t: -t[2])[:3])

# %% [markdown]
# ## 6. A Kaggle submission
#
# Predict the test set with TTA, write `id` plus one probability column per breed, and check the file
# against Kaggle's `sample_submission.csv` (same columns in the same order, same ids).

# %%
test_probs, _ = learn.TTA(is_test=True, average=True)
fn = make_submission(test_probs, data, PATH / "subm" / "breeds.csv.gz")
report = check_submission(fn, PATH / "sample_submission.csv")
print(report)
pd.read_csv(fn).iloc[:3, :5].round(4)

# %% [markdown]
# ## 7. Summary
#
# The chain of one learner. `±` is the binomial standard error; `change` is against the step before, on the
# same images, with its paired standard error and the images it fixed and broke.

# %%
summary = steps.table()
steps.shown()

# %%
print("\n".join(steps.verdicts()))
print(f"resizing vs the same epochs at {sz} px (the control): {verdict(resize_vs_same)}")
first, final = summary.iloc[0], summary.iloc[-1]
print(f"log loss {first['log loss']:.3f} -> {final['log loss']:.3f} (chance {math.log(data.c):.3f})")
print(f"for scale: the head-only step moved by {seed_accs.std(ddof=1):.3f} (sd) between seeds")

# %% [markdown]
# A step that stays within the noise has not been shown to help *here*; with 120 validation images only
# changes of several images can be told from luck. The full data set holds about 2,000 validation images,
# which makes each image worth about a seventeenth as much.
#
# The checks below assert what this notebook claims: the chain ends far above chance in accuracy and log
# loss, and the submission matches Kaggle's format.

# %%
chance = 1 / data.c
MIN_FINAL_ACC = 0.8 if FULL else 0.6  # bench/transfer.py: 0.82 +- 0.02 at 224 px (3 seeds); chance 1/12
assert final["accuracy"] > MIN_FINAL_ACC, f"final accuracy {final['accuracy']:.3f} not above {MIN_FINAL_ACC}"
assert final["log loss"] < math.log(data.c) / 2, "log loss not far below chance"
assert first["accuracy"] > chance + 4 * first["±"]
assert report.ok and len(summary) == 5
print(f"checked: accuracy with TTA {final['accuracy']:.3f} > {MIN_FINAL_ACC} (chance {chance:.3f}); log loss "
      f"{final['log loss']:.3f} < half of chance's {math.log(data.c):.3f}; the submission matches Kaggle's format")
print(f"this run took {time.perf_counter() - t_start:.0f} s on {default_device()}")
