# %% [markdown]
# # Exercises — lesson 2: schedules, learning rates, TTA, log loss and a submission
#
# Short exercises on what lesson 2 taught. Write your answer in each cell marked `# YOUR CODE`, then run
# the check cell below it: it tries your answer on several cases and tells you what it expected, what it got,
# and which lesson step to re-read. Exercises 7 to 9 read a small run you make in this notebook: the checks
# judge your answer against that run's own numbers. Everything runs in seconds on a CPU, offline.

# %% [markdown] lang="zh"
# # 练习 — 第 2 课：学习速率调度、学习速率、测试数据修饰、对数损失和提交文件
#
# 关于第 2 课所讲内容的简短练习。在每个标有 `# YOUR CODE` 的单元格中写下你的答案，然后运行它下面的检查单元格：它会在几个例子上试验你的答案，告诉你它期望什么、得到了什么，以及应该重读课程的哪一步。练习 7 到 9 读取你在这个笔记本中做的一次小规模训练：检查会用那次训练自己的数字来评判你的答案。所有内容在 CPU 上几秒钟就能跑完，不用联网。文中的术语见[术语表](../../zh/术语表.md)。

# %%
# %matplotlib inline
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from course_lib import (ConvLearner, ImageClassifierData, set_language, set_seed, tfms_from_model,
                        transforms_side_on)
from course_lib.classroom.exercises import check, lr_find_record, lr_reasons, summary
from course_lib.lang import say
from course_lib.plots import loss_ylim
from course_lib.schedules import smooth
from course_lib.synthetic import find_sample

set_language("en")  # the checkers' feedback, and what the cells print, in this notebook's language

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

# %% [markdown] lang="zh"
# ## EXERCISE sgdr
#
# 写出 `lr_at(it, n_batch, cycle_len, cycle_mult)`：在每个遍历有 `n_batch` 个批次的 `fit(lr, n_cycle, cycle_len=cycle_len, cycle_mult=cycle_mult)` 中，第 `it` 次迭代（从 0 数起）时基础学习速率的倍数。记住笔记本 03 的三条规则：
#
# - *第一个*周期的最初 1/20 是预热，学习速率为设定值的 1/100；
# - 在一个周期内，倍数沿半个余弦从 1 降向 0；
# - 第 k 个周期长 `cycle_len * cycle_mult**k` 个遍历，之后学习速率重置为 1。

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

# %% [markdown] lang="zh"
# ## EXERCISE lr_find
#
# `lrs` 和 `losses` 是一次虚构的扫描：由一个公式加上噪声生成，看起来像 `learn.lr_find()` 记录下来的数据，即学习速率从 1e-5 增大到 10 的过程中每个批次的损失。图中画的是平滑后的损失与学习速率的关系，和 `learn.sched.plot()` 一样（末尾的上升部分超出了图的上边，好让下降段占满整幅图）。把 `lr_pick` 设为你会用来训练的学习速率。

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

# %% [markdown] lang="zh"
# ## EXERCISE diff_lrs
#
# `learn.unfreeze()` 之后，每个层组传入一个学习速率：`[前部的层, 中部的层, 全连接层]`。全连接层用 `lr = 1e-2`，分别为在**照片**（猫和狗，与 ImageNet 的图片很相似）上微调的模型和在**卫星图像**上微调的模型选出这三个学习速率。

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

# %% [markdown] lang="zh"
# ## EXERCISE tta
#
# `learn.TTA()` 返回形状为 `(n_aug + 1, N, C)` 的对数概率：先是原图的一次预测，然后是 `n_aug` 次修饰后的预测。写出 `average_tta(log_preds)`，返回用来评分的 `(N, C)` 概率。

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

# %% [markdown] lang="zh"
# ## EXERCISE log_loss
#
# 为整数标签 `y`（形状为 (N,)）和概率 `probs`（形状为 (N, C)）写出 `my_log_loss(y, probs)`。它必须与 `course_lib.metrics.log_loss` 的结果一致，包括概率恰好为 0 或 1 时的处理。

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

# %% [markdown] lang="zh"
# ## EXERCISE submission
#
# 写出 `make_df(probs, fnames, classes)`，返回要保存为提交文件的 DataFrame：一列 `id`（去掉文件夹和扩展名的文件名：`'test/0a1b.jpg'` 变成 `'0a1b'`），然后每个类别一列。

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

# %% [markdown] lang="zh"
# ## EXERCISE lr_run
#
# 练习 7 到 9 读取你在这里做的一次训练：用带 ImageNet 权重的 EfficientNet-Lite0，在离线猫狗样本的 64 像素小图片上，只在缓存的激活值上训练全连接层（`precompute=True`），几秒钟就能完成。先运行学习速率查找，像 `learn.sched.plot()` 那样画出曲线，但不标出建议值：

# %%
PATH = find_sample("dogscats")  # the repository's data/dogscats_sample (made if missing: a few seconds)
arch, sz = "efficientnet_lite0", 64
data = ImageClassifierData.from_paths(PATH, bs=32, tfms=tfms_from_model(arch, sz, aug_tfms=transforms_side_on),
                                      num_workers=0)
set_seed(0)
learn = ConvLearner.pretrained(arch, data, precompute=True)
finder = learn.lr_find()
sweep = finder.curve(0, 0)                     # the whole sweep, as the finder records it:
run_lrs, run_losses = sweep.lrs, sweep.raw     # the head's lr and the training loss of each batch

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

# %% [markdown] lang="zh"
# 把 `my_lr` 设为你从图上读出的、会用来训练这个模型的学习速率，再把 `lr_reason` 设为理由前面的字母：

# %%
for letter, why in lr_reasons().items():
    print(f"{letter}: {why}")

# %%
# SOLUTION
my_lr = curve.lrs[np.argmin(curve.losses)] / 10  # one tenth of the lowest point
lr_reason = "b"

# %% [markdown]
# ## EXERCISE fit_verdict
#
# Two runs from the same start. Run A trains the lesson's head with much more dropout (`ps=0.8` in both of its
# dropout layers, where the lesson has 0.25 and 0.5) for 6 epochs at a small rate. Run B trains a head without
# dropout (`ps=0`) for 12 epochs at a large rate. Read both epoch tables and the curves below them.
#
# The tables' `trn_loss` is the lesson's running average of the batch losses (beta 0.98 over the whole fit, so
# roughly the last 50 batches): on a small data set, with few batches an epoch, it still carries the higher losses
# of earlier epochs, and lags behind. `learn.history` has one more column, `trn_mean`: the mean of each epoch's own
# batch losses. Compare that with `val_loss`; the curves below draw it.

# %% [markdown] lang="zh"
# ## EXERCISE fit_verdict
#
# 从同一个起点出发的两次运行。运行 A 以较小的学习速率训练课程中的全连接层，但 dropout 多得多（它的两个 dropout 层都是 `ps=0.8`，而课程中是 0.25 和 0.5），共 6 个遍历。运行 B 以较大的学习速率训练一个没有 dropout（`ps=0`）的全连接层，共 12 个遍历。读一读两张遍历结果表和下面的曲线。
#
# 表中的 `trn_loss` 是课程中批次损失的移动平均（在整个训练过程中以 beta 0.98 计算，大约相当于最近 50 个批次）：在小数据集上，每个遍历的批次不多，它仍带着之前几个遍历较高的损失，会滞后。`learn.history` 多了一列 `trn_mean`：每个遍历自己的批次损失的平均值。要拿它和 `val_loss` 比较；下面的曲线画的就是它。

# %%
set_seed(0)
learn_a = ConvLearner.pretrained(arch, data, precompute=True, ps=0.8)  # the lesson's head, much more dropout
learn_a.fit(1e-3, 6)  # six epochs: enough points to see where both curves are heading
history_a = learn_a.history

# %%
set_seed(0)
learn_b = ConvLearner.pretrained(arch, data, precompute=True, ps=0.0)  # no dropout
learn_b.fit(3e-2, 12)
history_b = learn_b.history

# %%
fig, axs = plt.subplots(1, 2, figsize=(10, 3.5))
for ax, (name, h) in zip(axs, (("A", history_a), ("B", history_b))):
    ax.plot(h.epoch, h.trn_mean, "o-", label="training loss (trn_mean)")  # each epoch's own mean, not trn_loss
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

# %% [markdown] lang="zh"
# 把 `verdict_a` 和 `verdict_b` 设为 `"underfitting"`（欠拟合）、`"overfitting"`（过拟合）或 `"neither"`（都不是）。

# %%
# SOLUTION
verdict_a = "underfitting"  # trn_mean above val_loss at the end: dropout handicaps training, it has not fit yet
verdict_b = "overfitting"   # trn_mean far below val_loss, and val_loss up from its best epoch

# %% [markdown]
# ## EXERCISE tta_noise
#
# `learn_a.TTA()` predicts the validation images once as they are and 4 times augmented, with run A's model.
# `learn_a` still has `precompute=True`, and the library said that augmentation has no effect until precompute is
# off: that is about training, which reads cached activations. TTA always runs the whole network on freshly
# augmented images, whatever `precompute` says (cached activations would give 4 copies of the plain pass), so its
# augmented passes really are augmented.
#
# Judge TTA's change as notebook 01 does, on the same images: count the images it `fixed` (wrong in the plain
# pass, right with the averaged probabilities) and the ones it `broke` (the other way round), then the change's
# paired standard error `delta_se`, and set `tta_helped` to whether the change is more than twice `delta_se`.
# With `n` images, the change is `d = (fixed - broke) / n`, and its paired standard error is
# `sqrt(fixed + broke - n * d**2) / n`.

# %% [markdown] lang="zh"
# ## EXERCISE tta_noise
#
# `learn_a.TTA()` 用运行 A 的模型，对验证图片原样预测一次、再修饰后预测 4 次。`learn_a` 仍然是 `precompute=True`，程序库也说过，在关掉 precompute 之前数据修饰不起作用：那说的是训练，训练读取的是缓存的激活值。测试数据修饰（TTA）不管 `precompute` 是什么，总是让整个网络处理重新修饰过的图片（用缓存的激活值只会得到原图预测的 4 份拷贝），所以它修饰后的几次预测确实是修饰过的。
#
# 像笔记本 01 那样，在同一批图片上评判测试数据修饰带来的变化：数出它改对的图片数 `fixed`（原图预测错、取平均后的概率预测对）和改错的图片数 `broke`（正好相反），再算出这个变化的配对标准误差 `delta_se`，并把 `tta_helped` 设为这个变化是否大于 `delta_se` 的两倍。共有 `n` 张图片时，变化为 `d = (fixed - broke) / n`，其配对标准误差为 `sqrt(fixed + broke - n * d**2) / n`。

# %%
tta_log_preds, y_valid = learn_a.TTA()
print(say("exercises.validation_images", n=len(y_valid), share=1 / len(y_valid)))

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

# %% [markdown] lang="zh"
# ## 你的成绩

# %%
# NBVAL_CHECK_OUTPUT
summary()
