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

# %% [markdown] lang="zh"
# # 01 — 猫狗分类：图像分类网络调优
#
# 本课用到的术语及其英文原文见[术语表](术语表.md)。
#
# fast.ai 2018 年第 2 课的前半部分。我们从第 1 课结束的地方出发：一个预训练网络，加上新的全连接层（head）；然后按课程的顺序，带着**同一个学习器**（learner）走完课程中的各个调用：
#
# 1. `ConvLearner.pretrained(arch, data, precompute=True)`、`lr_find()`，以及第 1 课的 `fit(0.01, 2)`；
# 2. `precompute = False`，让数据修饰（数据增强）生效，再加上学习速率重置（SGDR，stochastic gradient descent with restarts），`fit(1e-2, 3, cycle_len=1)`；
# 3. `unfreeze()`，再次 `lr_find()`，学习速率向量（分层学习速率）和 `fit(lr, 3, cycle_len=1, cycle_mult=2)`；
# 4. 测试数据修饰（test-time augmentation），`TTA()`。
#
# 每一步之后，我们在验证集上衡量它带来了多少提升，以及其中有多少可能只是运气。下面所有关于*这一次*运行做了什么的句子，都是代码根据它的数字打印出来的，所以再次运行本 notebook 时它们依然成立；穿插其间的文字讲解方法，以及该看什么。
#
# **用哪些数据。** 默认情况下，本 notebook 在 CPU 上离线运行：使用生成的猫狗*图画*样本（不是照片；见 README），网络结构（预训练网络）为 EfficientNet-Lite0 及其 ImageNet 权重，权重来自随 course_lib 一起安装的一个 pip 包（无需下载），图片尺寸为 128 像素，这样整套流程在笔记本电脑上几分钟就能跑完。课程本身的数据是 Kaggle 的照片；一条命令即可下载（`python -m course_lib.datasets --download dogscats`，约 840 MB），在启动 Jupyter 之前在环境中设置 `COURSE_LIB_FULL=1`，本 notebook 就会在这些照片上运行。`COURSE_LIB_DATA=folder` 让它在任何按相同结构组织的照片文件夹上运行，`COURSE_LIB_ARCH` 选择另一个网络结构，`COURSE_LIB_SEED` 设定我们所跟踪的学习器的随机种子。照片使用课程中的 224 像素；没有 GPU 时网络结构仍为 EfficientNet-Lite0，因为在 CPU 上用课程的 resnet34 以 224 像素训练完整的 Kaggle 数据集要花好几个小时。

# %%
# %matplotlib inline
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from course_lib import *
from course_lib.interpret import ClassificationInterpretation
from course_lib.lang import say
from course_lib.lesson import differences, lesson_setup, lesson_table
from course_lib.metrics import accuracy_se, paired_change
from course_lib.steps import Steps, fit_losses, loss_trend, rank_sentence, verdict
from course_lib.submission import check_submission, make_submission

set_language("en")                # the Chinese edition runs set_language("zh") here
plt.rcParams["figure.dpi"] = 72  # keeps the committed notebook small
pd.set_option("display.max_colwidth", None)  # tables show whole step names
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

# %% [markdown] lang="zh"
# ## 1. 数据
#
# 文件夹结构就是 `from_paths` 所要求的：`train/<class>/`、`valid/<class>/`，以及一个没有标签的 `test1/`。类别名取自文件夹名。和课程中一样，数据从一开始就带着数据修饰构建（`transforms_side_on`，`max_zoom=1.1`）；不过只有关闭预计算（precompute）之后，数据修饰才会生效。

# %%
# NBVAL_CHECK_OUTPUT
tfms = tfms_from_model(arch, sz, aug_tfms=transforms_side_on, max_zoom=1.1)
data = ImageClassifierData.from_paths(PATH, bs=bs, tfms=tfms, test_name=S.test_name)
n_val = len(data.val_ds)
print(say("nb01.classes", classes=data.classes))
print(say("nb01.sizes", train=len(data.trn_ds), valid=n_val, test=len(data.test_ds) if data.test_ds else 0))

# %% [markdown]
# **How precise is a validation accuracy?** With `n` validation images one image is `1/n` of accuracy, and
# an accuracy `p` measured on `n` images has a binomial standard error of `sqrt(p (1 - p) / n)`. A change
# between two steps is judged on the same images, so only the images whose verdict changed count: with `f`
# images fixed and `b` broken out of `n`, the change is `d = (f - b) / n` and its paired standard error is
# `sqrt(f + b - n d²) / n`. The table at the end gives each step's change with that standard error, and how
# many images it fixed and broke. A change within two standard errors could be luck.

# %% [markdown] lang="zh"
# **验证准确率有多精确？** 有 `n` 张验证图片时，一张图片就相当于 `1/n` 的准确率；在 `n` 张图片上测得的准确率 `p`，其二项分布的标准误差为 `sqrt(p (1 - p) / n)`。两个步骤之间的变化是在同一批图片上评判的，所以只有预测结果发生改变的图片才算数：`n` 张图片中有 `f` 张被改对、`b` 张被改错时，变化为 `d = (f - b) / n`，其配对标准误差为 `sqrt(f + b - n d²) / n`。最后的表格给出每一步的变化及其标准误差，以及它改对和改错了多少张图片。在两倍标准误差以内的变化可能只是运气。

# %%
# NBVAL_CHECK_OUTPUT
print(say("nb01.one_image", points=100 / n_val, se=100 * accuracy_se(0.85, n_val)))

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
# head then trains on those cached activations, so an epoch costs far less than running the body (the
# `time` column of the tables below shows it). First the learning-rate finder.

# %% [markdown] lang="zh"
# 图片的形状各不相同。网络需要 `sz` x `sz` 的正方形，所以验证集的变换先把短边缩放到 `sz`，再截取中间部分；如果一只动物站在宽幅图片的边缘附近，它的头就可能被裁掉。下面讲数据修饰和测试数据修饰时请记住这一点。
#
# ## 2. 第 1 步：第 1 课的起点，在缓存的激活值上训练新的全连接层
#
# `ConvLearner.pretrained` 在预训练网络的分类器之前把它截断，再加上新的全连接层。只有全连接层参与训练（网络主体被*锁定*）；设置 `precompute=True` 时，网络主体对每张图片只运行一次，全连接层随后在这些缓存的激活值上训练，所以遍历一次数据集（epoch）的代价远小于运行网络主体（下面表格的 `time` 列可以看到）。首先是学习速率查找（lr_find）。

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

# %% [markdown] lang="zh"
# `lr_find` 在每个批次之后把学习速率调高一点，从 `start_lr=1e-5` 开始按指数增长，朝 `end_lr=10` 最多走 100 个批次，同时记录损失。一旦平滑后的损失超过其最低值的四倍，它就提前停止，因为过了这一点，曲线不会再告诉我们任何新东西。下一个单元格会说明这次扫描停在了哪里；`plot_lr` 画出扫描本身（只有一条线：只有全连接层在训练，锁定的层组不画）。

# %%
print(finder.describe())
fig = learn.sched.plot_lr(log=True)
plt.show()

# %% [markdown]
# Read the loss plot from the left: flat while the rate is too small to matter, falling, then blowing up.
# The lesson's rule is the largest rate at which the loss still clearly falls. course_lib marks one tenth of
# the rate at the lowest loss (green) and the steepest point of the descent (red, a slope fitted over a
# decade of rates, so single noisy batches cannot move it).

# %% [markdown] lang="zh"
# 从左往右读损失曲线：学习速率太小、还不起作用时曲线平坦，接着下降，然后急剧上升。课程的规则是：取损失仍在明显下降的最大学习速率。course_lib 标出两个点：损失最低处学习速率的十分之一（绿色），以及下降最陡的点（红色；斜率是在跨一个数量级的学习速率上拟合的，所以个别有噪声的批次移动不了它）。

# %%
s = learn.sched.suggestion()
ratio = LR / s.lr
print(say("nb01.suggested", lr=s.lr, steep=s.steep, lesson=LR, ratio=ratio))
print(say("nb01.suggested.near") if 1 / 3 <= ratio <= 3 else say("nb01.suggested.far", lr=s.lr))

# %% [markdown]
# **Seeds, where they are cheap.** Training the head on cached activations costs little, so we
# run lesson 1's `fit(0.01, 2)` with five other seeds (each a new random head, a new shuffling and new dropout
# masks) to see how much the result moves by chance alone.

# %% [markdown] lang="zh"
# **在代价低的地方比较随机种子。** 在缓存的激活值上训练全连接层代价很小，所以我们用另外五个随机种子运行第 1 课的 `fit(0.01, 2)`（每个种子都带来新的随机全连接层、新的数据打乱顺序和新的 dropout 掩码），看看仅凭偶然，结果会变动多少。

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
print(say("nb01.seeds", lr=LR, seeds=other_seeds, mean=seed_accs.mean(), sd=seed_accs.std(ddof=1)))

# %% [markdown]
# Now the learner this notebook follows to the end, with lesson 1's call:

# %% [markdown] lang="zh"
# 现在是本 notebook 一直跟踪到最后的那个学习器，使用第 1 课的调用：

# %%
set_seed(S.seed)
learn = ConvLearner.pretrained(arch, data, precompute=True)
learn.fit(0.01, 2)

# %% [markdown]
# `plot_loss` shows the training loss of every batch (faint) and its moving average. Read it for the trend:
# a curve still falling at the end means more training could lower the *training* loss; a flat one, that
# this rate has done its work. Whether that helps on new images is the validation loss's question, in the
# table above; the cell prints both from the values, and where the seed sits among the other five.

# %% [markdown] lang="zh"
# `plot_loss` 画出每个批次的训练损失（浅色）及其移动平均。看它的趋势：曲线到最后仍在下降，说明再多训练还能降低*训练*损失；曲线已经平坦，说明这个学习速率已经发挥完作用了。这对新图片是否有帮助，要看上面表格中的验证损失；这个单元格根据数值把两者都打印出来，并说明这个种子在其余五个种子中的位置。

# %%
fig = learn.sched.plot_loss()
plt.show()
print(loss_trend(learn.sched.losses))
print(fit_losses(learn.history[learn.history.fit == learn.n_fit]))
steps = Steps(data.val_y)   # the validation predictions after each step of this one learner
steps.add(say("nb01.step1"), learn.sched.last_preds())
print(rank_sentence(steps.accuracy(0), seed_accs, say("nb01.followed", seed=S.seed), step=1 / n_val))
_ = learn.save("after_head")

# %% [markdown]
# ## 3. Step 2: data augmentation, with SGDR
#
# With `aug_tfms=transforms_side_on, max_zoom=1.1` every training image is shown a little differently each
# epoch: zoomed up to 10%, rotated up to 10°, lighter or darker, mirrored left-right (fine for pictures taken
# from the side; satellite images would use `transforms_top_down`). Here is one training image, eight times:

# %% [markdown] lang="zh"
# ## 3. 第 2 步：数据修饰，加上学习速率重置
#
# 设置 `aug_tfms=transforms_side_on, max_zoom=1.1` 后，每张训练图片在每次遍历中呈现的样子都略有不同：最多放大 10%，最多旋转 10°，变亮或变暗，左右镜像（适合从侧面拍摄的图片；卫星图像则用 `transforms_top_down`）。下面是同一张训练图片，显示了八次：

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

# %% [markdown] lang="zh"
# 缓存的激活值是从未经修饰的图片上一次性算出来的，所以**只要预计算开着，数据修饰就不起作用**（训练时 course_lib 会提示这一点）。关闭预计算后，网络主体会在每个经过修饰的批次上运行。同一个调用还换成了学习速率重置（`cycle_len=1`）：在每次遍历内，学习速率沿余弦曲线递降，到下一次遍历时重置。仍然只有全连接层在训练。

# %%
learn.precompute = False
set_seed(S.seed + 100)
learn.fit(1e-2, 3, cycle_len=1)
steps.add(say("nb01.step2"), learn.sched.last_preds())
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

# %% [markdown] lang="zh"
# **两个对照。** 第 2 步同时改变了三件事：数据修饰、学习速率重置的调度，以及多出的三次遍历。另外两个学习器从同一个全连接层（`after_head`）出发，使用相同的随机种子和相同的三次遍历，各自去掉两个想法中的一个：一个在未经修饰的图片上训练（保留学习速率重置），另一个使用恒定的学习速率（保留数据修饰）。在同一批验证图片上把第 2 步分别与它们比较，就能看出每个想法本身起了什么作用。

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
print(say("nb01.control.aug", verdict=verdict(aug_effect)))
print(say("nb01.control.sgdr", verdict=verdict(sgdr_effect)))

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

# %% [markdown] lang="zh"
# ## 4. 第 3 步：微调，解锁所有层，使用学习速率向量
#
# 现在所有层都参与训练，但学习速率各不相同。靠前的层检测的是通用的东西（边缘、纹理），几乎不需要改变；靠后的层和全连接层则针对具体任务。课程的规则是：对于与 ImageNet 相似的图片，每个层组的学习速率取其后一个层组的十分之一；对于卫星图像或医学图像，取三分之一。课程文字中的通用步骤在 `unfreeze()` 之后再次运行 `lr_find()`，来选择最后一个层组的学习速率。这里的扫描保持各层组之间 10 倍的比例，所以从曲线上可以直接读出全连接层的学习速率；这次扫描比第一次短（24 个批次），因为现在每个批次都要训练整个网络。

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

# %% [markdown] lang="zh"
# 曲线给出的是最后一个层组的学习速率；之前的层组依次取 1/10。课程自己的 `[1e-4, 1e-3, 1e-2]` 就是这条规则在全连接层取 1e-2 时的结果。我们采用查找得到的学习速率，但绝不超过课程的 1e-2，也就是全连接层已经用过的学习速率：查找只跑几个批次，而接下来的 fit 要遍历七次。

# %%
s2 = learn.sched.suggestion()
head_lr = min(s2.lr, LR)
lr = np.array([head_lr / 100, head_lr / 10, head_lr])
print(learn.sched.describe())
print(say("nb01.finder_unfrozen", lr=s2.lr, steep=s2.steep, lrs=", ".join(f"{x:.2g}" for x in lr))
      + (say("nb01.capped", lesson=LR) if s2.lr > LR else ""))
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
# before it when it is not better: lower accuracy, or the same accuracy with a higher log loss. A gain within
# the noise is kept, since nothing says that the lesson's step hurt. That choice is made on the validation
# set, which makes the kept model's validation figure a little optimistic; only images that played no part
# in any choice, such as Kaggle's test set, which scores the submission below, measure it without that bias.

# %% [markdown] lang="zh"
# `cycle_mult=2` 让每个周期的长度是前一个的两倍：1 + 2 + 4 = 7 次遍历，学习速率在第一次和第三次遍历之后重置。每个层组各画一幅图，因为它们的学习速率相差 10 倍。
#
# **保留更好的模型。** 微调可能有害：当预训练的特征已经很适合这些图片时，整个网络一起变动，失去的可能比得到的多（课程文字在狗品种的例子中就报告了这种情况）。因此，像课程中那样，我们根据验证集上的数字来评判这一步，如果它没有变好，就退回到这一步之前的模型。“没有变好”指准确率更低，或者准确率相同而对数损失更高；在噪声范围内的提升会被保留，因为没有证据表明课程的这一步有害。这个选择是在验证集上做出的，因此保留下来的模型在验证集上的数字会略显乐观；只有没参与过任何选择的图片（比如 Kaggle 的测试集，它为下面的提交文件打分）才能不带这种偏差地衡量它。

# %%
print(steps.attempt(say("nb01.step3"), learn.sched.last_preds(), revert=lambda: learn.load("after_sgdr")))
held = accuracy_np(learn.predict(), data.val_y)
assert abs(held - steps.accuracy(steps.current)) <= 1 / n_val, (held, steps.accuracy(steps.current))
print(say("nb01.holds", name=steps.names[steps.current], acc=held))

# %% [markdown]
# **Training loss against validation loss.** The table's `trn_loss` is measured on augmented images with
# dropout active (the head drops 25% and 50% of its inputs while training); `val_loss` on plain images with
# dropout off. Training is made harder on purpose, so a training loss *above* the validation loss means the
# model is not overfitting yet: it could train longer. Well below it, and with the validation loss rising, it
# is fitting its training images better than new ones. The table's `trn_loss` is the lesson's running average
# of the batch losses (over about the last 50 batches), which with a dozen batches an epoch still carries the
# higher losses of earlier epochs; the sentence below compares each epoch's own mean instead.

# %% [markdown] lang="zh"
# **训练损失与验证损失。** 表格中的 `trn_loss` 是在经过修饰的图片上、dropout 开启时测得的（全连接层在训练时会丢弃其输入的 25% 和 50%）；`val_loss` 则是在未经修饰的图片上、dropout 关闭时测得的。训练是被有意弄得更难的，所以训练损失*高于*验证损失，说明模型还没有过拟合：它还可以再训练久一些。如果训练损失远低于验证损失，而且验证损失在上升，说明它对训练图片的拟合好于对新图片的拟合。表格中的 `trn_loss` 是课程中批次损失的移动平均（大约最近 50 个批次），每次遍历只有十几个批次时，它仍带着之前几次遍历较高的损失；下面这句话比较的是每次遍历自己的平均值。

# %%
print(say("nb01.fine_tuning") + fit_losses(learn.history[learn.history.fit == learn.n_fit]))

# %% [markdown]
# **A control for BatchNorm.** Unfreezing changes more than which weights train. A BatchNorm layer normalises
# each channel: in training with the mean and variance of the current batch, and it keeps a running average
# of those for prediction. While the body was frozen its BatchNorm layers kept ImageNet's statistics, and the
# head learnt on features normalised that way. Unfrozen, they switch to the statistics of batches of these
# images, under a head that was not trained on them, and their running averages drift the same way. The
# lesson's library has `learn.bn_freeze(True)` for this: BatchNorm keeps its statistics while its scale and
# shift, and every other weight, still train. One more learner starts from step 2's model and repeats step 3
# exactly (the same rates, `fit(lr, 3, cycle_len=1, cycle_mult=2)`) with BatchNorm frozen; comparing it with
# step 3 on the same images shows what BatchNorm's statistics did. The notebook keeps following the lesson.

# %% [markdown] lang="zh"
# **BatchNorm 的对照。** 解冻改变的不只是哪些权重参与训练。BatchNorm 层会对每个通道做归一化：训练时用当前批次的均值和方差，同时把它们的移动平均保存下来供预测时使用。网络主体被冻结时，它的 BatchNorm 层保留着 ImageNet 的统计量，全连接层就是在这样归一化的特征上学出来的。解冻以后，这些层改用这些图片各个批次的统计量，而上面的全连接层并没有在这样的特征上训练过，它们的移动平均也朝同一个方向漂移。课程所用的库为此提供了 `learn.bn_freeze(True)`：BatchNorm 保留原来的统计量，而它的缩放和平移参数以及其他所有权重照样训练。我们再用一个学习器，从第 2 步的模型出发，在冻结 BatchNorm 的情况下完全重复第 3 步（同样的学习速率，`fit(lr, 3, cycle_len=1, cycle_mult=2)`）；在同一批图片上把它和第 3 步比较，就能看出 BatchNorm 的统计量起了什么作用。notebook 仍然按课程的步骤继续。

# %%
bn_ctrl = ConvLearner.pretrained(arch, data)
bn_ctrl.load("after_sgdr")
bn_ctrl.quiet = True
bn_ctrl.unfreeze()
bn_ctrl.bn_freeze(True)
set_seed(S.seed + 200)
bn_ctrl.fit(lr, 3, cycle_len=1, cycle_mult=2)
bn_preds = bn_ctrl.sched.last_preds()
bn_effect = paired_change(bn_preds, steps.probs[2], data.val_y)      # step 3 against the control: what BN did
bn_vs_step2 = paired_change(steps.probs[1], bn_preds, data.val_y)    # the control against step 2's model
print(say("nb01.bn_control", acc=accuracy_np(bn_preds, data.val_y), step3=steps.accuracy(2),
          vs2=verdict(bn_vs_step2), verdict=verdict(bn_effect)))
z = bn_effect.delta / bn_effect.se if bn_effect.se else 0.0
print(say("nb01.bn.hurt" if z < -2 else "nb01.bn.helped" if z > 2 else "nb01.bn.same"))

# %% [markdown]
# ## 5. Step 4: test-time augmentation
#
# The validation transform only ever sees the centre square. TTA predicts each validation image five
# times, once as usual and four times with the training augmentations, and averages the *probabilities*
# (not the log-probabilities: that is a common mistake). These are the lesson's calls:

# %% [markdown] lang="zh"
# ## 5. 第 4 步：测试数据修饰
#
# 验证集的变换永远只看到中间的正方形。测试数据修饰（TTA）对每张验证图片预测五次，一次照常，四次使用训练时的数据修饰，然后对*概率*取平均（不是对对数概率取平均：这是一个常见的错误）。下面是课程中的调用：

# %%
log_preds, y = learn.TTA()
probs = np.mean(np.exp(log_preds), 0)
print(say("nb01.tta", shape=log_preds.shape, averaged=probs.shape, acc=accuracy_np(probs, y)))
steps.add(say("nb01.step4"), probs, probs=True)

# %% [markdown]
# ## 6. Looking at the predictions
#
# `learn.predict()` gives the log of the predicted probabilities for the validation set, one row per image
# and one column per class. The predicted class is the column with the largest value, and the probability
# of a dog is `np.exp` of the second column.

# %% [markdown] lang="zh"
# ## 6. 查看预测结果
#
# `learn.predict()` 给出验证集上预测概率的对数，每张图片一行，每个类别一列。预测的类别是值最大的那一列，是狗的概率则是第二列的 `np.exp`。

# %%
# NBVAL_CHECK_OUTPUT
log_preds_plain = learn.predict()
print(log_preds_plain.shape)

# %%
preds = np.argmax(log_preds_plain, axis=1)   # 0 = cats, 1 = dogs
p_dog = np.exp(log_preds_plain[:, 1])
print(say("nb01.first_five", predicted=preds[:5].tolist(), p_dog=", ".join(f"{v:.3f}" for v in p_dog[:5]),
          actual=data.val_y[:5].tolist()))

# %% [markdown]
# The rest of this section uses the TTA probabilities: the confusion matrix, then for each class its most
# confidently right, most confidently wrong, and most uncertain images.

# %% [markdown] lang="zh"
# 本节其余部分使用测试数据修饰得到的概率：先是混淆矩阵，然后对每个类别，分别给出最有把握且正确的、最有把握却错误的，以及最不确定的图片。

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

# %% [markdown] lang="zh"
# ## 7. 一份 Kaggle 提交文件
#
# 课程中的比赛 *Dogs vs. Cats Redux* 对这样的文件评分：每张测试图片一行，包含 `id`（文件名中的数字）和 `label`，即预测该图片是狗的概率。如果数据文件夹里没有 `test1/` 文件夹，就没有可提交的内容，单元格会说明这一点。

# %%
if data.test_ds is not None:
    test_probs, _ = learn.TTA(is_test=True, average=True)
    # the label is P(dog): the class whose name starts with "dog" ("dogs", "Dog"), else the second one
    dog = next((i for i, c in enumerate(data.classes) if c.lower().startswith("dog")), 1)
    fn = make_submission(test_probs[:, dog], data, learn.work_path / "subm" / "redux.csv")
    report = check_submission(fn, sums_to_one=False)
    print(say("nb01.submission", fn=report.fn, n=report.n_rows))   # check_submission raised if it did not match
    display(pd.read_csv(fn).head(3).round(4))
else:
    report = None
    print(say("nb01.no_test", name=PATH.name))

# %% [markdown]
# ## 8. Summary: what each step bought
#
# The chain of one learner. `±` is the binomial standard error of each accuracy; `change` is measured on
# the same images against the step it started from, with its paired standard error, and the images it
# fixed and broke. A step that was not kept stays in the table, marked. The log loss is compared with
# chance: a model that always says 50/50 scores ln 2 = 0.693.

# %% [markdown] lang="zh"
# ## 8. 小结：每一步带来了什么
#
# 一个学习器的整条链。`±` 是每个准确率的二项标准误差；“变化”是在同一批图片上与这一步出发时的那一步比较得到的，附有配对标准误差，以及它改对和改错的图片数。没有被保留的步骤仍留在表中，并有标注。对数损失要与随机猜测比较：一个总是回答 50/50 的模型得分为 ln 2 = 0.693。

# %%
summary = steps.table()
steps.shown()

# %% [markdown]
# What the numbers say, printed from them. When accuracy and log loss disagree about a step, or a log loss
# is no better than chance while the accuracy is well above it, the next cell says why: log loss also weighs
# how sure each answer is, so a few confident mistakes can outweigh many right answers.

# %% [markdown] lang="zh"
# 下面是从这些数字打印出来的结论。当准确率和对数损失对某一步的评价不一致，或者准确率远高于随机猜测而对数损失却不比随机猜测好时，下一个单元格会说明原因：对数损失还衡量每个答案有多确定，所以少数高置信度的错误就可能抵消许多正确答案。

# %%
print("\n".join(steps.verdicts()))
print(say("nb01.aug_alone", verdict=verdict(aug_effect)))
print(say("nb01.sgdr_alone", verdict=verdict(sgdr_effect)))
print(say("nb01.bn_alone", verdict=verdict(bn_effect)))
first, final = summary.iloc[0], summary.iloc[-1]
print(say("nb01.log_loss", first=first["log loss"], final=final["log loss"], chance=math.log(2)))
for k in range(len(steps.names)):
    for why in (steps.loss_against_accuracy(steps.base(k), k) if k else None, steps.loss_above_chance(k)):
        if why:
            print(why)
print(say("nb01.scale", sd=seed_accs.std(ddof=1)))

# %% [markdown]
# **Beside the lesson.** The lesson text's figures (final epochs) next to this run's. They are not the same
# experiment: the next cell says what differs. Photos are what ImageNet is made of, and it contains cats and
# dogs; drawings look like nothing ImageNet holds.

# %% [markdown] lang="zh"
# **与课程对照。** 课程文字中的数字（最后几次遍历）与本次运行的数字并列。它们并不是同一个实验：下一个单元格会说明有哪些不同。ImageNet 本身就是由照片组成的，其中也有猫和狗；而图画不像 ImageNet 中的任何东西。

# %%
print(differences("dogscats", S, len(data.trn_ds), n_val))
lesson_table("dogscats", steps, {0: 0, 1: 1, 2: 1, 3: 2})

# %% [markdown]
# The checks below keep this notebook honest when it runs again, with another seed or on other data. They
# are the same on drawings and on photos: ImageNet features are well above chance from the first step, the
# chain ends far above chance in accuracy and in log loss, and a submission, when there is a test set, has
# Kaggle's format. (That the learner holds the model the table says it kept was checked after step 3.) With
# `resnet_mini`, whose bundled weights were learnt on generated pictures rather than ImageNet, the first two
# do not apply, and the cell prints how far it got instead.

# %% [markdown] lang="zh"
# 下面的检查保证本 notebook 再次运行时（换一个随机种子或换一份数据）说的仍是实话。它们在图画和照片上都一样：ImageNet 的特征从第一步起就远高于随机猜测；整条链最终在准确率和对数损失上都远好于随机猜测；如果有测试集，提交文件符合 Kaggle 的格式。（学习器所持有的正是表格所说保留的模型，这一点在第 3 步之后已经检查过。）`resnet_mini` 的内置权重是在生成的图片上而不是在 ImageNet 上学到的，前两项检查对它不适用，这个单元格会改为打印它达到的水平。

# %%
se0 = accuracy_se(0.5, n_val)   # the standard error of a coin's accuracy on these images
assert report is None or (report.ok and report.n_rows == len(data.test_ds))
if S.imagenet:
    assert first["accuracy"] > 0.5 + 4 * se0, f"step 1 {first['accuracy']:.3f} is not 4 s.e. above chance"
    assert final["accuracy"] > 0.5 + 6 * se0, f"final accuracy {final['accuracy']:.3f} not 6 s.e. above chance"
    assert final["log loss"] < math.log(2), "the final model is no better than chance in log loss"
    print(say("nb01.checked", first=first["accuracy"], final=final["accuracy"], se=se0, loss=final["log loss"])
          + (say("nb01.checked.submission") if report else ""))
else:
    print(say("lesson.not_imagenet", arch=arch, first=first["accuracy"], final=final["accuracy"],
              sigmas=(final["accuracy"] - 0.5) / se0))
print(say("nb01.took", secs=time.perf_counter() - t_start, device=default_device()))
