# %% [markdown]
# # 01 — Dogs vs cats: tuning an image classifier
#
# The first half of fast.ai's 2018 lesson 2. We start where lesson 1 ended, a pretrained network with a
# new head, and follow **one learner** through the lesson's calls, in the lesson's order:
#
# 1. `ConvLearner.pretrained(arch, data, precompute=True)`, `lr_find()`, and lesson 1's `fit(0.01, 2)`;
# 2. `precompute = False` (data augmentation takes effect) and SGDR, `fit(1e-2, 3, cycle_len=1)`;
# 3. `unfreeze()`, `lr_find()` again, differential learning rates and `fit(lr, 3, cycle_len=1, cycle_mult=2)`;
# 4. test-time augmentation, `TTA()`.
#
# After each step we measure what it bought on the validation set, and how much of that could be luck.
# Every sentence below about what *this* run did is printed by code from its numbers, so it stays true when
# you run the notebook again; the text in between explains the method and what to look for.
#
# **Which data.** By default the notebook runs offline on the CPU: a generated sample of *drawings* of cats
# and dogs (not photos; see the README), with EfficientNet-Lite0 and its ImageNet weights, which come from a
# pip package installed with course_lib (no download), at 128 px so that the whole recipe runs in a few
# minutes on a laptop. The lesson's own data are the Kaggle photos; one command fetches them
# (`python -m course_lib.datasets --download dogscats`, about 840 MB), and `COURSE_LIB_FULL=1` in the
# environment before starting Jupyter runs this notebook on them. `COURSE_LIB_DATA=folder` runs it on any
# folder of photos in the same layout, `COURSE_LIB_ARCH` picks another backbone, and `COURSE_LIB_SEED` the
# seed of the learner we follow. Photos get the lesson's 224 px; without a GPU the backbone stays
# EfficientNet-Lite0, because the lesson's resnet34 at 224 px on the full Kaggle set takes hours on a CPU.

# %%
# %matplotlib inline
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from course_lib import *
from course_lib.interpret import ClassificationInterpretation
from course_lib.lesson import differences, lesson_setup, lesson_table
from course_lib.metrics import accuracy_se, paired_change
from course_lib.steps import Steps, rank_sentence, verdict
from course_lib.submission import check_submission, make_submission

plt.rcParams["figure.dpi"] = 72  # keeps the committed notebook small
S = lesson_setup("dogscats")      # data, backbone, sizes and seed, from the environment (see above)
PATH, arch, sz, bs = S.path, S.arch, S.sz, S.bs
LR = 1e-2                         # the lesson's learning rate
set_seed(S.seed)
t_start = time.perf_counter()
print(S.describe())

# %% [markdown]
# ## 1. The data
#
# The folder layout is the one `from_paths` expects: `train/<class>/`, `valid/<class>/` and an unlabelled
# `test1/`. Class names come from the folder names. As in the lesson, the data is built with augmentation
# from the start (`transforms_side_on`, `max_zoom=1.1`); it takes effect only once precompute is off.

# %%
# NBVAL_CHECK_OUTPUT
tfms = tfms_from_model(arch, sz, aug_tfms=transforms_side_on, max_zoom=1.1)
data = ImageClassifierData.from_paths(PATH, bs=bs, tfms=tfms, test_name=S.test_name)
n_val = len(data.val_ds)
print("classes:", data.classes)
print("train:", len(data.trn_ds), " valid:", n_val, " test:", len(data.test_ds) if data.test_ds else 0)

# %% [markdown]
# **How precise is a validation accuracy?** With `n` validation images one image is `1/n` of accuracy, and
# an accuracy `p` measured on `n` images has a binomial standard error of `sqrt(p (1 - p) / n)`. A change
# between two steps is judged on the same images, so only the images whose verdict changed count: with `f`
# images fixed and `b` broken out of `n`, the change is `d = (f - b) / n` and its paired standard error is
# `sqrt(f + b - n d²) / n`. The table at the end gives each step's change with that standard error, and how
# many images it fixed and broke. A change within two standard errors could be luck.

# %%
# NBVAL_CHECK_OUTPUT
print(f"one validation image = {100 / n_val:.1f} points of accuracy; at 85% accuracy the standard error is "
      f"{100 * accuracy_se(0.85, n_val):.1f} points")

# %%
fig, axs = plt.subplots(1, 5, figsize=(12, 2.8))
for ax, k in zip(axs, range(0, n_val, n_val // 5)):
    img = open_image(data.path / data.val_ds.fnames[k])
    ax.imshow(img)
    ax.set_title(f"{data.classes[data.val_y[k]]} {img.size[0]}x{img.size[1]}", fontsize=10)
    ax.axis("off")
plt.show()

# %% [markdown]
# Pictures come in all shapes. The network needs `sz` x `sz` squares, so the validation transform scales the
# shorter side to `sz` and cuts the centre, which can cut off the head of an animal standing near the edge
# of a wide picture. Keep that in mind for augmentation and TTA below.
#
# ## 2. Step 1: lesson 1's starting point, a new head on cached activations
#
# `ConvLearner.pretrained` cuts the pretrained network before its classifier and adds a new head. Only the
# head trains (the body is *frozen*), and with `precompute=True` the body runs once over every image; the
# head then trains on those cached activations, so an epoch takes a fraction of a second. First the
# learning-rate finder.

# %%
learn = ConvLearner.pretrained(arch, data, precompute=True)
learn

# %%
# NBVAL_CHECK_OUTPUT
print([g.group_name for g in learn.groups])

# %%
finder = learn.lr_find()
fig = learn.sched.plot()
plt.show()

# %% [markdown]
# `lr_find` raises the learning rate a little after every batch, exponentially from `start_lr=1e-5` towards
# `end_lr=10` over at most 100 batches, and records the loss. It stops early once the smoothed loss passes
# four times its best, because past that point the curve says nothing new. The next cell says where this
# sweep stopped; `plot_lr` shows the sweep itself (one line: only the head trains, frozen groups are left out).

# %%
n_done = len(finder.losses)
last_lr = finder.lrs[-1][-1]
print(f"the sweep ran {n_done} of 100 batches and ended at lr {last_lr:.2g}"
      + (": it stopped early, the smoothed loss had passed 4x its best" if n_done < 100 else ""))
fig = learn.sched.plot_lr(log=True)
plt.show()

# %% [markdown]
# Read the loss plot from the left: flat while the rate is too small to matter, falling, then blowing up.
# The lesson's rule is the largest rate at which the loss still clearly falls. course_lib marks one tenth of
# the rate at the lowest loss (green) and the steepest point of the descent (red, a slope fitted over a
# decade of rates, so single noisy batches cannot move it).

# %%
s = learn.sched.suggestion()
ratio = LR / s.lr
print(f"suggested learning rate {s.lr:.2g} (steepest descent at {s.steep:.2g}); the lesson uses {LR}, "
      f"{ratio:.1f}x the suggestion.")
print("That is within a factor of 3 of the suggestion, so the lesson's value sits on the falling part too."
      if 1 / 3 <= ratio <= 3 else
      f"That is more than 3x away from the suggestion; we keep the lesson's value to follow the lesson, but on "
      f"this data a rate near {s.lr:.2g} would be the finder's choice.")

# %% [markdown]
# **Seeds, where they are cheap.** Training the head on cached activations takes about a second, so we
# run lesson 1's `fit(0.01, 2)` with five other seeds (each a new random head, a new shuffling and new dropout
# masks) to see how much the result moves by chance alone.

# %%
other_seeds = [S.seed + k for k in range(1, 6)]
seed_accs = []
for seed in other_seeds:
    set_seed(seed)
    l = ConvLearner.pretrained(arch, data, precompute=True)
    l.quiet = True  # five tables would bury the one that matters
    l.fit(LR, 2)
    seed_accs.append(l.history.accuracy.iloc[-1])
seed_accs = np.array(seed_accs)
print(f"head only, fit({LR}, 2), seeds {other_seeds}: accuracy {seed_accs.mean():.3f} +- "
      f"{seed_accs.std(ddof=1):.3f} (mean +- sd)")

# %% [markdown]
# Now the learner this notebook follows to the end, with lesson 1's call:

# %%
set_seed(S.seed)
learn = ConvLearner.pretrained(arch, data, precompute=True)
learn.fit(0.01, 2)

# %% [markdown]
# `plot_loss` shows the training loss of every batch (faint) and its moving average. Read it for the trend:
# a curve still falling at the end means more epochs could help; a flat one, that this rate has done its work.

# %%
fig = learn.sched.plot_loss()
plt.show()
steps = Steps(data.val_y)   # the validation predictions after each step of this one learner
steps.add("1. head only, precompute, fit(0.01, 2)", learn.sched.last_preds())
print(rank_sentence(steps.accuracy(0), seed_accs, f"the followed learner (seed {S.seed})"))
_ = learn.save("after_head")

# %% [markdown]
# ## 3. Step 2: data augmentation, with SGDR
#
# With `aug_tfms=transforms_side_on, max_zoom=1.1` every training image is shown a little differently each
# epoch: zoomed up to 10%, rotated up to 10°, lighter or darker, mirrored left-right (fine for pictures taken
# from the side; satellite images would use `transforms_top_down`). Here is one training image, eight times:

# %%
fn = data.path / data.trn_ds.fnames[3]
fig, axs = plt.subplots(2, 4, figsize=(10, 5))
for ax in axs.flat:
    ax.imshow(denorm(tfms[0](fn)))
    ax.axis("off")
fig.suptitle("transforms_side_on, max_zoom=1.1: the same image, eight times")
plt.show()

# %% [markdown]
# The cached activations were computed once from un-augmented images, so **augmentation has no effect while
# precompute is on** (course_lib says so when you train). Switching precompute off makes the body run on
# every augmented batch. The same call switches to SGDR (`cycle_len=1`): the learning rate anneals along a
# cosine within each epoch and restarts at the next. Still only the head trains.

# %%
learn.precompute = False
set_seed(S.seed + 100)
learn.fit(1e-2, 3, cycle_len=1)
steps.add("2. + augmentation, SGDR (cycle_len=1)", learn.sched.last_preds())
_ = learn.save("after_sgdr")

# %%
fig = learn.sched.plot_lr()
plt.show()

# %% [markdown]
# **Two controls.** Step 2 changed three things at once: augmentation, the SGDR schedule, and three more
# epochs. Two more learners start from the same head (`after_head`), with the same seed and the same three
# epochs, and each leaves out one of the two ideas: one trains on un-augmented images (with SGDR), the other
# at a constant rate (with augmentation). Comparing step 2 with each on the same validation images shows
# what that idea itself did.

# %%
plain = ImageClassifierData.from_paths(PATH, bs=bs, tfms=tfms_from_model(arch, sz), test_name=S.test_name)
no_aug = ConvLearner.pretrained(arch, plain)
no_aug.load("after_head")
no_aug.quiet = True
set_seed(S.seed + 100)
no_aug.fit(1e-2, 3, cycle_len=1)
no_sgdr = ConvLearner.pretrained(arch, data)
no_sgdr.load("after_head")
no_sgdr.quiet = True
set_seed(S.seed + 100)
no_sgdr.fit(1e-2, 3)
aug_effect = paired_change(no_aug.sched.last_preds(), steps.probs[1], data.val_y)
sgdr_effect = paired_change(no_sgdr.sched.last_preds(), steps.probs[1], data.val_y)
print(f"augmentation (vs the same SGDR epochs without it): {verdict(aug_effect)}")
print(f"SGDR (vs the same augmented epochs at a constant rate): {verdict(sgdr_effect)}")

# %% [markdown]
# ## 4. Step 3: fine-tuning, unfrozen, with differential learning rates
#
# Now every layer trains, but not at the same rate. Early layers detect general things (edges, textures)
# that need little change; later layers and the head are specific to the task. The lesson's rule: for
# pictures like ImageNet's, each layer group gets one tenth of the rate of the group after it; for satellite
# or medical images, one third. The lesson text's general recipe runs `lr_find()` again after `unfreeze()`
# to choose the last group's rate. Here the sweep keeps the 10x ratios between the groups, so its curve
# reads off the head's rate directly; it is shorter than the first one (24 batches), because every batch now
# trains the whole network.

# %%
learn.unfreeze()
learn.lr_find(start_lr=np.array([1e-7, 1e-6, 1e-5]), end_lr=np.array([0.1, 1, 10]), num_it=24)
fig = learn.sched.plot()
plt.show()

# %% [markdown]
# The curve gives the last group's rate; the groups before it follow at 1/10 each. The lesson's own
# `[1e-4, 1e-3, 1e-2]` is the same rule with 1e-2 for the head. We take the finder's rate, but never above
# the lesson's 1e-2, the rate the head already trained at: the finder runs for a few batches, while the
# next fit runs seven epochs.

# %%
s2 = learn.sched.suggestion()
head_lr = min(s2.lr, LR)
lr = np.array([head_lr / 100, head_lr / 10, head_lr])
print(f"finder after unfreeze: suggested {s2.lr:.2g} for the head (steepest descent {s2.steep:.2g}); "
      f"the lesson used [1e-4, 1e-3, 1e-2]; we use [{', '.join(f'{x:.2g}' for x in lr)}]")
learn.fit(lr, 3, cycle_len=1, cycle_mult=2)

# %%
fig = learn.sched.plot_lr()
plt.show()

# %% [markdown]
# `cycle_mult=2` makes each cycle twice as long as the one before: 1 + 2 + 4 = 7 epochs, the rate restarting
# after the first and the third. One panel per layer group, since their rates are 10x apart.
#
# **Keep the better model.** Fine-tuning can hurt: where the pretrained features already fit the pictures, the
# whole network moving at once can lose more than it gains (the lesson text reports this for the dog
# breeds). So, as the lesson does, we judge the step by its validation numbers and go back to the model
# before it when it is not better. That choice is made on the validation set, which makes the kept model's
# validation figure a little optimistic; the test set, which nothing here was chosen on, is the honest
# judge.

# %%
print(steps.attempt("3. unfreeze, differential lrs, cycle_mult=2", learn.sched.last_preds(),
                    revert=lambda: learn.load("after_sgdr")))
held = accuracy_np(learn.predict(), data.val_y)
assert abs(held - steps.accuracy(steps.current)) <= 1 / n_val, (held, steps.accuracy(steps.current))
print(f"the learner now holds the model of {steps.names[steps.current]!r}: validation accuracy {held:.3f}")

# %% [markdown]
# **Training loss against validation loss.** The table's `trn_loss` is measured on augmented images with
# dropout active (the head drops 25% and 50% of its inputs while training); `val_loss` on plain images with
# dropout off. Training is made harder on purpose, so a training loss *above* the validation loss means the
# model is not overfitting yet: it could train longer. Well below it, and with the validation loss rising, it
# is fitting its training images better than new ones.

# %%
ft = learn.history[learn.history.fit == learn.n_fit]
last, low = ft.iloc[-1], ft.val_loss.min()
rose = last.val_loss > max(1.2 * low, low + 0.02)  # clearly above its lowest, not a wobble
print(f"fine-tuning, last epoch: trn_loss {last.trn_loss:.3f}, val_loss {last.val_loss:.3f}; lowest val_loss of "
      f"the 7 epochs {low:.3f} (epoch {int(ft.val_loss.idxmin() - ft.index[0])})")
if rose:
    print("validation loss rose well above its lowest: the model got worse on new images as fine-tuning went on"
          + (" (training loss stays above it only because dropout and augmentation handicap training)"
             if last.trn_loss > last.val_loss else ", while its training loss kept falling: overfitting"))
elif last.trn_loss > last.val_loss:
    print("training loss above validation loss, and validation loss near its lowest: not overfitting yet")
else:
    print("training loss below validation loss, but validation loss still near its lowest: not yet overfitting")

# %% [markdown]
# ## 5. Step 4: test-time augmentation
#
# The validation transform only ever sees the centre square. TTA predicts each validation image five
# times, once as usual and four times with the training augmentations, and averages the *probabilities*
# (not the log-probabilities: that is a common mistake). These are the lesson's calls:

# %%
log_preds, y = learn.TTA()
probs = np.mean(np.exp(log_preds), 0)
print(f"TTA output: {log_preds.shape} = (1 + 4 augmented passes, images, classes); averaged: {probs.shape}; "
      f"accuracy_np(probs, y) = {accuracy_np(probs, y):.3f}")
model_step = steps.current   # TTA changes how the model is asked, not the model: the model is this step's
steps.add("4. + TTA", probs, probs=True)

# %% [markdown]
# ## 6. Looking at the predictions
#
# `learn.predict()` gives the log of the predicted probabilities for the validation set, one row per image
# and one column per class. The predicted class is the column with the largest value, and the probability
# of a dog is `np.exp` of the second column.

# %%
# NBVAL_CHECK_OUTPUT
log_preds_plain = learn.predict()
print(log_preds_plain.shape)

# %%
preds = np.argmax(log_preds_plain, axis=1)   # 0 = cats, 1 = dogs
p_dog = np.exp(log_preds_plain[:, 1])
print("first five: predicted", preds[:5], " p(dog)", np.round(p_dog[:5], 3), " actual", data.val_y[:5])

# %% [markdown]
# The rest of this section uses the TTA probabilities: the confusion matrix, then for each class its most
# confidently right, most confidently wrong, and most uncertain images.

# %%
interp = ClassificationInterpretation(data, probs, y)
fig = interp.plot_confusion_matrix()
plt.show()

# %%
for c in data.classes:
    fig = interp.plot_class(c, sz=96)
    plt.show()

# %% [markdown]
# ## 7. A Kaggle submission
#
# The lesson's competition, *Dogs vs. Cats Redux*, scores a file with one row per test image: `id` (the
# file name's number) and `label`, the predicted probability that the image is a dog. A data folder without
# a `test1/` folder has nothing to submit, and the cell says so.

# %%
if data.test_ds is not None:
    test_probs, _ = learn.TTA(is_test=True, average=True)
    fn = make_submission(test_probs[:, data.classes.index("dogs")], data, learn.work_path / "subm" / "redux.csv")
    report = check_submission(fn, sums_to_one=False)
    print(report)
    display(pd.read_csv(fn).head(3).round(4))
else:
    report = None
    print(f"{PATH.name} has no test1/ folder: no submission to write.")

# %% [markdown]
# ## 8. Summary: what each step bought
#
# The chain of one learner. `±` is the binomial standard error of each accuracy; `change` is measured on
# the same images against the step it started from, with its paired standard error, and the images it
# fixed and broke. A step that was not kept stays in the table, marked. The log loss is compared with
# chance: a model that always says 50/50 scores ln 2 = 0.693.

# %%
summary = steps.table()
steps.shown()

# %% [markdown]
# What the numbers say, printed from them. When accuracy and log loss disagree about a step, the next cell
# says why: log loss also weighs how sure each answer is.

# %%
print("\n".join(steps.verdicts()))
print(f"augmentation alone (control): {verdict(aug_effect)}")
print(f"SGDR alone (control): {verdict(sgdr_effect)}")
first, final = summary.iloc[0], summary.iloc[-1]
print(f"log loss {first['log loss']:.3f} -> {final['log loss']:.3f} (chance {math.log(2):.3f})")
for k in range(1, len(steps.names)):
    why = steps.loss_against_accuracy(steps.base(k), k)
    if why:
        print(why)
print(f"for scale: the head-only step moved by {seed_accs.std(ddof=1):.3f} (sd) between seeds")

# %% [markdown]
# **Beside the lesson.** The lesson text's figures (final epochs) next to this run's. They are not the same
# experiment: the next cell says what differs. Photos are what ImageNet is made of, and it contains cats and
# dogs; drawings look like nothing ImageNet holds, so the offline sample starts lower and has more to gain.

# %%
print(differences("dogscats", S, len(data.trn_ds), n_val))
lesson_table("dogscats", steps, {0: 0, 1: 1, 2: 1, 3: 2})

# %% [markdown]
# The checks below keep this notebook honest when it runs again, with another seed or on other data. They
# are the same in every mode: the pretrained features are well above chance from the first step, the model
# the notebook keeps is never worse than the one before the step that was tried, the chain ends far above
# chance in accuracy and in log loss, and a submission, when there is a test set, has Kaggle's format.

# %%
se0 = accuracy_se(0.5, n_val)   # the standard error of a coin's accuracy on these images
assert first["accuracy"] > 0.5 + 4 * se0, f"step 1 {first['accuracy']:.3f} is not 4 s.e. above chance"
assert steps.accuracy(model_step) >= steps.accuracy(1), "the kept model is worse than step 2's"
assert final["accuracy"] > 0.5 + 6 * se0, f"final accuracy {final['accuracy']:.3f} not 6 s.e. above chance"
assert final["log loss"] < math.log(2), "the final model is no better than chance in log loss"
assert report is None or (report.ok and report.n_rows == len(data.test_ds))
print(f"checked: step 1 {first['accuracy']:.3f} and the final {final['accuracy']:.3f} are more than 4 and 6 "
      f"standard errors ({se0:.3f}) above chance; the kept model is at least step 2's; log loss "
      f"{final['log loss']:.3f} < ln 2" + ("; submission ok" if report else ""))
print(f"this run took {time.perf_counter() - t_start:.0f} s on {default_device()}")
