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

# %% [markdown] lang="zh"
# # 03 — 学习速率调度：学习速率重置（SGDR）、`cycle_len`、`cycle_mult` 与学习速率查找
#
# 第二课改变了训练过程中*学习速率的变化方式*（调度，schedule）。本笔记本画出课程用到的每一种调度，
# 把它们与程序库的实际做法相核对，并提供滑块让你自己尝试。这里的一切在 CPU 上几秒钟就能跑完。
#
# **开关：** 不需要——调度与数据无关。最后的学习速率查找（lr_find）部分使用笔记本 01 的数据和网络结构（预训练网络）
# （默认是离线样本和 EfficientNet-Lite0；想用照片，就在启动 Jupyter 之前设置 `COURSE_LIB_FULL=1` 或 `COURSE_LIB_DATA=folder`）。
#
# 本笔记本所用的中文术语见[术语表](术语表.md)。

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display

from course_lib import (ConvLearner, ImageClassifierData, n_epochs, set_language, set_seed, tfms_from_model,
                        transforms_side_on)
from course_lib.learner import Learner
from course_lib.plots import plot_lr_find
from course_lib.schedules import restart_epochs, sgdr_schedule, skips
from course_lib.classroom.widgets import (epoch_list, group_schedule, lr_find_explorer, schedule_explorer,
                                          schedule_figure)
from course_lib.lang import say
from course_lib.lesson import lesson_setup

set_language("en")
S = lesson_setup("dogscats")   # used by the lr finder at the end: notebook 01's data and backbone
set_seed(S.seed)

# %% [markdown]
# ## 1. How many epochs does a `fit` call run?
#
# Without `cycle_len`, `fit(lr, 3)` runs 3 epochs at a constant rate. With `cycle_len=1` the 3 becomes
# *the number of restarts* (cycles) of one epoch each. With `cycle_mult=2` every cycle is twice as long as
# the one before: 1 + 2 + 4 = 7 epochs.

# %% [markdown] lang="zh"
# ## 1. 一次 `fit` 调用要跑多少个遍历？
#
# 不设 `cycle_len` 时，`fit(lr, 3)` 以恒定的学习速率跑 3 个遍历（epoch）。设了 `cycle_len=1`，这个 3 就变成*重置的次数*（周期数），
# 每个周期一个遍历。再设 `cycle_mult=2`，每个周期都是前一个的两倍长：1 + 2 + 4 = 7 个遍历。

# %%
# NBVAL_CHECK_OUTPUT
calls = [("fit(lr, 3)", 3, None, 1), ("fit(lr, 3, cycle_len=1)", 3, 1, 1),
         ("fit(lr, 3, cycle_len=1, cycle_mult=2)", 3, 1, 2)]   # (the call, n_cycle, cycle_len, cycle_mult)
width = max(len(call) for call, *_ in calls)                  # pad the calls so that the arrows line up
lines = []
for call, n_cycle, cycle_len, cycle_mult in calls:
    n = n_epochs(n_cycle, cycle_len, cycle_mult)
    if cycle_len:
        restarts = epoch_list(restart_epochs(n_cycle, cycle_len, cycle_mult))
        lines.append(say("nb03.epochs.restarts", call=call.ljust(width), n=n, restarts=restarts))
    else:
        lines.append(say("nb03.epochs", call=call.ljust(width), n=n))
assert len({line.index(" -> ") for line in lines}) == 1, lines   # in either language
print("\n".join(lines))

# %% [markdown]
# ## 2. SGDR: cosine annealing with restarts
#
# Within a cycle the rate follows half a cosine from the full rate down towards zero — big steps first,
# small careful steps near a minimum — then jumps back up, which pushes the weights out of sharp minima
# towards flatter ones that generalise better. The very first 1/20 of the first cycle runs at 1/100 of
# the rate as a short warm-up. This is `learn.fit(1e-2, 3, cycle_len=1)` with 100 batches per epoch:

# %% [markdown] lang="zh"
# ## 2. 学习速率重置（SGDR）：余弦递降加重置
#
# 在一个周期内，学习速率沿半个余弦从完整的值降向零——先迈大步，接近极小值时再小心地迈小步——然后跳回高处，
# 把权重推出尖锐的极小值，推向泛化能力更好的平坦区域。第一个周期最开始的 1/20 以 1/100 的学习速率运行，作为短暂的预热。
# 下面是每个遍历 100 个批次时的 `learn.fit(1e-2, 3, cycle_len=1)`：

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

# %% [markdown] lang="zh"
# ## 3. `cycle_mult=2` 和学习速率向量
#
# 在 `learn.unfreeze()` 之后，课程为每个层组传入一个学习速率，即学习速率向量（分层学习速率）`[1e-4, 1e-3, 1e-2]`：
# 前面的层（通用的边缘和纹理）的变化幅度比新的全连接层小 100 倍。每个层组都是用自己的学习速率乘以同一个余弦系数。
# 先用线性刻度（与 `learn.sched.plot_lr()` 的画法相同），再用对数刻度，在对数刻度下能清楚地看到三条曲线形状相同：

# %%
fig, axs = plt.subplots(1, 2, figsize=(13, 3.5))
schedule_figure(1e-2, 3, cycle_len=1, cycle_mult=2, n_batch=100, ax=axs[0])
_, summary = schedule_figure(1e-2, 3, cycle_len=1, cycle_mult=2, n_batch=100, log=True, ax=axs[1])
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
print(say("nb03.summary", epochs=summary.epochs, iterations=summary.iterations,
          restarts=epoch_list(summary.restarts)))
print(say("nb03.group_lrs", lrs=", ".join(f"{x:.0e}" for x in summary.group_lrs)))

# %% [markdown]
# ## 4. Is that really what `fit` does?
#
# The plots above come from the schedule's formula. Here a small model is trained with
# `fit(lr, 3, cycle_len=1, cycle_mult=2)` and the learning rates it actually used, recorded at every
# batch, are compared with the formula — for all three layer groups.

# %% [markdown] lang="zh"
# ## 4. `fit` 真的是这么做的吗？
#
# 上面的图来自调度的公式。这里用 `fit(lr, 3, cycle_len=1, cycle_mult=2)` 训练一个小模型，
# 把它在每个批次实际使用并记录下来的学习速率与公式相比较——三个层组全部比较。

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
print(say("nb03.matches", epochs=len(learn.history), n=len(recorded)))

# %% [markdown]
# ## 5. Try it: the schedule explorer
#
# Move the sliders (in JupyterLab with a live kernel): the rate, the number of cycles, `cycle_len`,
# `cycle_mult`, batches per epoch, and the ratio between layer groups (10 for photos like ImageNet's,
# about 3 for satellite or medical images, as the lesson suggests).

# %% [markdown] lang="zh"
# ## 5. 动手试试：调度浏览器
#
# 拖动滑块（需要在 JupyterLab 中有运行着的内核）：学习速率、周期数、`cycle_len`、`cycle_mult`、每个遍历的批次数，
# 以及相邻层组之间的比值（如课程所建议，对像 ImageNet 那样的照片取 10，对卫星图像或医疗图像取 3 左右）。

# %%
# NBVAL_IGNORE_OUTPUT
explorer = schedule_explorer()
display(explorer)

# %% [markdown]
# The sliders are ordinary widgets, so a cell can set them too — here `cycle_mult` goes back to 1:

# %% [markdown] lang="zh"
# 这些滑块是普通的控件，所以单元格也可以设置它们——这里把 `cycle_mult` 改回 1：

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
# `learn.lr_find()` trains for a moment while the rate grows exponentially from 1e-5 towards 10, and records
# the training loss; it stops early once the loss has clearly blown up (the cell after the plot says where). While the rate is too small the loss barely moves; then it falls fast; past a point
# it explodes. We want **the largest rate at which the loss still clearly falls**: the lowest point of
# the curve is already too far (the loss is about to blow up), so the suggestion is one tenth of the
# rate at the lowest smoothed loss. The steepest point of the descent is marked too: course_lib fits a straight
# line to the smoothed loss over one decade of rates around each point and takes the most negative slope
# before the minimum, so a single noisy batch cannot move it (`tests/test_plots.py` checks this on noisy
# made-up curves).
#
# The sweep here trains notebook 01's new head on cached activations (`precompute=True`): a few seconds, and
# a pretrained backbone gives the clear descent the lesson's plot shows. The cell after the plot checks, on
# this run, that both markers lie on the falling part: below the level the curve starts from, which is the median
# smoothed loss over the first quarter of the points before the curve's minimum (a median, so that no single early
# batch decides). Both markers lie before the minimum by construction, so that is not something to check.

# %% [markdown] lang="zh"
# ## 6. 读懂学习速率查找的曲线
#
# `learn.lr_find()` 会短暂地训练一会儿，期间学习速率从 1e-5 朝 10 指数增长，并记录训练损失；一旦损失明显爆炸，它就提前停止（图后面的单元格会说明停在了哪里）。
# 学习速率太小时损失几乎不动；然后迅速下降；过了某一点就会爆炸。
# 我们要找的是**损失仍在明显下降的最大学习速率**：曲线的最低点已经太远了（损失马上就要爆炸），
# 所以建议值取平滑后损失最低处学习速率的十分之一。下降最陡的点也标了出来：
# course_lib 在每个点周围一个数量级的学习速率范围内对平滑后的损失拟合一条直线，取最低点之前斜率最负的那一处，
# 这样单个有噪声的批次无法左右它（`tests/test_plots.py` 在带噪声的人造曲线上检查了这一点）。
#
# 这里的扫描在缓存的激活值上（`precompute=True`）训练笔记本 01 的新全连接层：只需几秒钟，
# 而且预训练的网络结构能给出课程图中那样清晰的下降。图后面的单元格在本次运行上检查两个标记都位于下降段，即低于曲线起始的水平：
# 取曲线最低点之前各点中前四分之一的平滑损失的中位数（用中位数，这样不会由早期的某一个批次决定）。
# 两个标记按其定义本来就在最低点之前，所以这一点不需要检查。

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
start = float(np.median(c.losses[:max(3, i_low // 4)]))  # the starting level: first quarter before the minimum
at = lambda lr: c.losses[int(np.argmin(np.abs(np.log(c.lrs) - np.log(lr))))]  # the smoothed loss nearest to lr
# the suggestion (a tenth of the minimum's lr) must lie on the plotted curve, or `at` would read its first point
assert c.lrs[0] <= s.lr, f"the minimum at lr {c.lrs[i_low]:.2g} is less than a decade into the curve"
assert at(s.steep) < start and at(s.lr) < start, "a marker is not below the level the curve starts from"
print(finder.describe())
print(say("nb03.curve", start=start, low=c.losses[i_low], lr_low=c.lrs[i_low], lr=s.lr, steep=s.steep,
          at_lr=at(s.lr), at_steep=at(s.steep)))

# %% [markdown]
# The smoothing matters: the raw batch losses are noisy, and the first and last points are usually left
# out (`n_skip`, `n_skip_end`). Move the sliders to see how the suggestion depends on them.

# %% [markdown] lang="zh"
# 平滑很重要：原始的批次损失带有噪声，而且开头和结尾的几个点通常会被略去（`n_skip`、`n_skip_end`）。
# 拖动滑块，看看建议值如何随它们变化。

# %%
# NBVAL_IGNORE_OUTPUT
finder_explorer = lr_find_explorer(finder)
display(finder_explorer)

# %% [markdown]
# The same figure without a live kernel, with no smoothing at all (beta 0) next to the default (0.98):

# %% [markdown] lang="zh"
# 不需要运行着的内核也能看到的同一张图：左边完全不平滑（beta 0），右边是默认的平滑（0.98）：

# %%
fig, axs = plt.subplots(1, 2, figsize=(16, 4.5))
raw = plot_lr_find(finder, 0, 0, beta=0.0, ax=axs[0], detail=True).suggestion
s = plot_lr_find(finder, *skips(len(finder.losses)), beta=0.98, ax=axs[1], detail=True).suggestion
axs[0].set_title("raw batch losses (beta 0), every point")
axs[1].set_title("smoothed (beta 0.98), noisy ends left out")
plt.show()
print(say("nb03.suggested.raw", lr=raw.lr, steep=raw.steep))      # what the left panel marks
print(say("nb03.suggested.smoothed", beta=0.98, lr=s.lr, steep=s.steep))  # and the right one
