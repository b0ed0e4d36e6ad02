# %% [markdown]
# # 02 — Dog breeds: the general recipe on a CSV-labelled data set
#
# The second half of lesson 2: Kaggle's *Dog Breed Identification*. Labels come in a CSV file instead of
# folders, there are many classes that differ in fine details, and the result is a submission file.
# We run the lesson text's general recipe on one learner, in its order, with its calls, then *progressive
# resizing* and TTA, judging each step by its validation numbers and going back to the better model when a
# step does not help, as the lesson does.
#
# **Which data.** Offline (the default): a generated sample of 12 breeds of *drawn* dogs (not photos) with
# EfficientNet-Lite0 and its ImageNet weights (from an installed package, no download) on the CPU, trained at
# 128 px and then resized to 160 px so that the whole recipe runs in a few minutes. The real data is Kaggle's:
# `python -m course_lib.datasets --download dogbreeds` fetches it (it needs Kaggle's API and a token; the
# command says how), and `COURSE_LIB_FULL=1` runs this notebook on it (120 breeds, 10,222 photos), at the
# lesson's 224 then 299 px; `COURSE_LIB_DATA=folder` runs it on any folder in the same layout
# (`train/<id>.jpg` and `labels.csv`). Without a GPU the backbone stays EfficientNet-Lite0: the lesson's
# resnet34 on the full set takes hours on a CPU. `COURSE_LIB_ARCH` and `COURSE_LIB_SEED` choose the
# backbone and the seed.

# %% [markdown] lang="zh"
# # 02 — 狗的品种：在以 CSV 文件标注的数据集上实践通用步骤
#
# 第二课的后半部分：Kaggle 的 *Dog Breed Identification*（狗的品种识别）比赛。标签存放在一个 CSV 文件中，而不是按文件夹划分；
# 类别很多，彼此只在细节上有差别；最后要得到一个提交文件。
# 我们在同一个学习器上，按课程文字中通用步骤的顺序、用它的调用来训练，然后是*逐步增大图片尺寸*（progressive resizing）和测试数据修饰（TTA），
# 每一步都用验证集上的数字来评判；某一步没有帮助时，就像课程中那样退回到更好的模型。
#
# **用哪些数据。** 离线（默认）：一个生成的样本，包含 12 个品种的*画出来的*狗（不是照片），
# 在 CPU 上使用 EfficientNet-Lite0 及其 ImageNet 权重（来自已安装的软件包，无需下载），
# 先以 128 像素训练，再增大到 160 像素，这样整套步骤几分钟就能跑完。
# 真实数据来自 Kaggle：`python -m course_lib.datasets --download dogbreeds` 可以下载它（需要 Kaggle 的 API 和令牌；该命令会说明怎么做），
# `COURSE_LIB_FULL=1` 让本笔记本在真实数据上运行（120 个品种，10,222 张照片），使用课程中的 224 像素、之后 299 像素；
# `COURSE_LIB_DATA=folder` 让它在任何同样结构（`train/<id>.jpg` 和 `labels.csv`）的文件夹上运行。
# 没有 GPU 时，网络结构仍是 EfficientNet-Lite0：课程中的 resnet34 在完整数据集上用 CPU 要训练好几个小时。
# `COURSE_LIB_ARCH` 和 `COURSE_LIB_SEED` 用来选择网络结构（预训练网络）和随机种子。
#
# 本笔记本所用的中文术语见[术语表](术语表.md)。

# %%
# %matplotlib inline
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from course_lib import *
from course_lib.images import image_size
from course_lib.interpret import ClassificationInterpretation
from course_lib.lang import say
from course_lib.lesson import differences, lesson_setup, lesson_table
from course_lib.metrics import accuracy_se, paired_change
from course_lib.steps import Steps, fit_losses, rank_sentence, verdict
from course_lib.submission import check_submission, make_submission

set_language("en")
plt.rcParams["figure.dpi"] = 72
pd.set_option("display.max_colwidth", None)  # tables show whole step names
S = lesson_setup("dogbreeds")   # data, backbone, sizes and seed, from the environment (see above)
PATH, arch, sz, sz2, bs = S.path, S.arch, S.sz, S.sz2, S.bs
LR = 1e-2
set_seed(S.seed)
t_start = time.perf_counter()
print(S.describe())

# %% [markdown]
# ## 1. Look at the data first
#
# `labels.csv` has one row per training image: its id (the file name without `.jpg`) and its breed.

# %% [markdown] lang="zh"
# ## 1. 先看看数据
#
# `labels.csv` 中每张训练图片占一行：它的 id（去掉 `.jpg` 的文件名）和它的品种。

# %%
label_df = pd.read_csv(PATH / "labels.csv")
label = label_df.columns[1]   # Kaggle calls it `breed`; another folder may name it otherwise
label_df.head()

# %%
# NBVAL_CHECK_OUTPUT
n = len(label_df)
n_test = len(list((PATH / S.test_name).iterdir())) if S.test_name else 0
print(say("nb02.counts", n=n, breeds=label_df[label].nunique(), n_test=n_test))

# %%
counts = label_df[label].value_counts()
print(say("nb02.per_breed.same", n=counts.min()) if counts.min() == counts.max() else
      say("nb02.per_breed", lo=counts.min(), hi=counts.max())
      + say("nb02.per_breed.fewest", names=', '.join(counts[counts == counts.min()].index[:3])))

# %%
shown_breeds = sorted(label_df[label].unique())[:12]
fig, axs = plt.subplots(2, 6, figsize=(15, 5.5))
for ax, b in zip(axs.flat, shown_breeds):
    fid = label_df.iloc[:, 0][label_df[label] == b].iloc[0]
    ax.imshow(open_image(PATH / "train" / f"{fid}.jpg"))
    ax.set_title(b.replace("_", " "), fontsize=9)
    ax.axis("off")
fig.suptitle("one training image per breed")
plt.show()

# %% [markdown]
# Image sizes matter for choosing `sz`: here is the spread of widths and heights (read from the file
# headers only, which is fast even for thousands of images).

# %% [markdown] lang="zh"
# 选择 `sz` 时要考虑图片的尺寸：下面是宽度和高度的分布（只读取文件头，所以即使有几千张图片也很快）。

# %%
sizes = np.array([image_size(PATH / "train" / f"{i}.jpg") for i in label_df.iloc[:2000, 0]])
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
# (seed 42), without disturbing numpy's global random state. Guessing scores one over the number of breeds.

# %% [markdown] lang="zh"
# ## 2. 验证集和数据对象
#
# `get_cv_idxs(n)` 随机挑出 20% 的行作为验证集，每次挑出的都是同样的行（种子 42），而且不会扰动 numpy 的全局随机状态。
# 随机猜测的准确率是品种数的倒数。

# %%
# NBVAL_CHECK_OUTPUT
val_idxs = get_cv_idxs(n)
n_val = len(val_idxs)
print(say("nb02.val_rows", n_val=n_val, n=n))
print(say("nb02.one_image", pts=100 / n_val, se=100 * accuracy_se(0.75, n_val)))


# %%
def get_data(sz, bs, aug=True):
    """The breed data at one image size (a function, so progressive resizing can call it again)."""
    tfms = tfms_from_model(arch, sz, aug_tfms=transforms_side_on if aug else None, max_zoom=1.1)
    return ImageClassifierData.from_csv(PATH, "train", PATH / "labels.csv", test_name=S.test_name,
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
# The lesson text's general recipe for an image classifier:
#
# 1. augmentation on, `precompute=True`;
# 2. `lr_find()`: the largest rate where the loss still clearly falls;
# 3. train the new head for a few epochs on cached activations (**step 1** below);
# 4. `precompute=False`, train the head with augmentation and `cycle_len=1` (**step 2**);
# 5. unfreeze, differential rates (10x apart for photos like ImageNet's, 3x for satellite or medical
#    images), `lr_find()` again to choose them, `cycle_mult=2` (**step 3**).
#
# Notebook 01 runs that second `lr_find()`; here, as in the lesson text's breeds section, step 3 uses the
# lesson's fixed `[1e-4, 1e-3, 1e-2]`.
#
# Then progressive resizing (**step 4**) and TTA (**step 5**). After each training step the notebook compares
# the new model with the one it started from, on the same validation images, and keeps the better one.

# %% [markdown] lang="zh"
# ## 3. 在同一个学习器上实践通用步骤
#
# 课程文字中图片分类网络的通用构建步骤：
#
# 1. 打开数据修饰（数据增强），`precompute=True`；
# 2. `lr_find()`：找到损失仍在明显降低的最大学习速率；
# 3. 在缓存的激活值上用几个遍历（epoch）训练新的全连接层（下面的**第 1 步**）；
# 4. `precompute=False`，在数据修饰下以 `cycle_len=1` 训练全连接层（**第 2 步**）；
# 5. 解锁，使用学习速率向量（分层学习速率）（对于像 ImageNet 那样的照片，相邻两组相差 10 倍；对于卫星图像或医疗图像，相差 3 倍），
# 重新调用 `lr_find()` 来选择学习速率，`cycle_mult=2`（**第 3 步**）。
#
# 笔记本 01 运行了这第二次 `lr_find()`；这里和课程文字中狗品种的部分一样，第 3 步使用课程固定的 `[1e-4, 1e-3, 1e-2]`。
#
# 然后是逐步增大图片尺寸（**第 4 步**）和测试数据修饰（**第 5 步**）。
# 每个训练步骤之后，笔记本都在相同的验证图片上把新模型与它起步时的模型相比较，并保留更好的那个。

# %%
learn = ConvLearner.pretrained(arch, data, precompute=True)
learn.lr_find()
fig = learn.sched.plot()
plt.show()
s = learn.sched.suggestion()
print(say("nb02.lr_suggested", s=s.lr, lr=LR, ratio=LR / s.lr))
print(say("nb02.lr_within") if 1 / 3 <= LR / s.lr <= 3 else say("nb02.lr_away", s=s.lr))

# %% [markdown]
# Five other seeds of the head-only step (cheap on cached activations) show how much it moves by chance:

# %% [markdown] lang="zh"
# 用另外五个随机种子重复“只训练全连接层”这一步（在缓存的激活值上训练，代价很小），可以看出它单凭运气会变动多少：

# %%
other_seeds = [S.seed + k for k in range(1, 6)]
seed_accs = []
for seed in other_seeds:
    set_seed(seed)
    l = ConvLearner.pretrained(arch, data, precompute=True)
    l.quiet = True
    l.fit(LR, 3)
    seed_accs.append(l.history.accuracy.iloc[-1])
seed_accs = np.array(seed_accs)
print(say("nb02.seed_spread", seeds=other_seeds, mean=seed_accs.mean(), sd=seed_accs.std(ddof=1)))

# %% [markdown]
# **Step 1**, the learner this notebook follows: `fit(1e-2, 3)` on the cached activations.

# %% [markdown] lang="zh"
# **第 1 步**，也就是本笔记本跟踪的学习器：在缓存的激活值上 `fit(1e-2, 3)`。

# %%
steps = Steps(data.val_y)   # the validation predictions after each step of this one learner
set_seed(S.seed)
learn = ConvLearner.pretrained(arch, data, precompute=True)
learn.fit(LR, 3)
steps.add(say("nb02.step.head"), learn.sched.last_preds())
print(rank_sentence(steps.accuracy(0), seed_accs, say("nb02.followed", seed=S.seed), step=1 / n_val))
_ = learn.save(f"breeds_{sz}_head")

# %% [markdown]
# **Step 2**: `precompute = False`, so augmentation takes effect, and SGDR.

# %% [markdown] lang="zh"
# **第 2 步**：`precompute = False`，让数据修饰生效，并使用学习速率重置（SGDR，stochastic gradient descent with restarts）。

# %%
learn.precompute = False
learn.fit(LR, 3, cycle_len=1)
print(steps.attempt(say("nb02.step.sgdr"), learn.sched.last_preds(),
                    revert=lambda: learn.load(f"breeds_{sz}_head")))
_ = learn.save(f"breeds_{sz}_sgdr")

# %% [markdown]
# **Step 3**: fine-tune everything, with the lesson's `lr = [1e-4, 1e-3, 1e-2]` and 3 cycles with
# `cycle_mult=2` (1 + 2 + 4 = 7 epochs). On the real data the lesson text found this step *hurt* (0.876 after
# it, against 0.917 before) and dropped it: the breeds are part of ImageNet, so the pretrained features
# already fit them, and moving the whole network mostly overfits the few images of each breed. Whether it
# helps here, on drawings that are in no way part of ImageNet, is for this run's numbers to say; the
# notebook keeps the better model either way.

# %% [markdown] lang="zh"
# **第 3 步**：微调整个网络，使用课程中的 `lr = [1e-4, 1e-3, 1e-2]`，以 `cycle_mult=2` 跑 3 个周期（1 + 2 + 4 = 7 个遍历）。
# 在真实数据上，课程文字发现这一步*有损害*（之后为 0.876，之前为 0.917），于是放弃了它：
# 这些品种本来就是 ImageNet 的一部分，预训练得到的特征已经很适合它们，而调整整个网络主要是在对每个品种的少量图片过拟合。
# 在这里，面对跟 ImageNet 毫无关系的图画，它是否有帮助，要由本次运行的数字来回答；无论结果如何，笔记本都会保留更好的模型。

# %%
learn.unfreeze()
learn.fit(np.array([1e-4, 1e-3, 1e-2]), 3, cycle_len=1, cycle_mult=2)
print(steps.attempt(say("nb02.step.unfreeze"), learn.sched.last_preds(),
                    revert=lambda: learn.load(f"breeds_{sz}_sgdr")))
print(say("nb02.fine_tuning") + fit_losses(learn.history[learn.history.fit == learn.n_fit]))
_ = learn.save(f"breeds_{sz}_before_resize")

# %% [markdown]
# ## 4. Progressive resizing
#
# Train on small images first, then continue on larger ones: the network sees the same animals in more
# detail, which the lesson suggests as a way to train longer without overfitting. `set_data` swaps in the
# data at the new size and keeps the weights, and `freeze()` trains the head again; then the lesson text's
# `fit(1e-2, 3, cycle_len=1)`. The epoch table shows training and validation loss side by side, so the
# next cells can say whether that held here.

# %% [markdown] lang="zh"
# ## 4. 逐步增大图片尺寸
#
# 先在小图片上训练，再在大图片上继续训练：网络看到的还是同样的动物，但细节更多；课程建议用这种方法来训练得更久而不过拟合。
# `set_data` 换上新尺寸的数据并保留权重，`freeze()` 让训练重新只针对全连接层；然后是课程文字中的 `fit(1e-2, 3, cycle_len=1)`。
# 每个遍历的表格把训练损失和验证损失并排列出，接下来的单元格据此判断这一点在这里是否成立。

# %%
data_small = data
learn.set_data(get_data(sz2, bs))
learn.freeze()
learn.fit(LR, 3, cycle_len=1)
fig = learn.sched.plot_lr()
plt.show()

# %% [markdown]
# **A same-size control.** Step 4 changed two things: the image size, and three more epochs. A second
# learner starts from the same weights (`before_resize`) and trains the same three epochs, frozen, at the old
# size; comparing the two on the same validation images shows what the size itself did.

# %% [markdown] lang="zh"
# **同尺寸对照。** 第 4 步同时改变了两件事：图片尺寸，以及多训练的三个遍历。
# 第二个学习器从相同的权重（`before_resize`）出发，在原来的尺寸下、同样锁定卷积层，训练同样的三个遍历；
# 在相同的验证图片上比较两者，就能看出尺寸本身起了什么作用。

# %%
ctrl = ConvLearner.pretrained(arch, data_small)
ctrl.load(f"breeds_{sz}_before_resize")
ctrl.freeze()
ctrl.quiet = True
ctrl.fit(LR, 3, cycle_len=1)
resize_preds = learn.sched.last_preds()
resize_vs_same = paired_change(ctrl.sched.last_preds(), resize_preds, data.val_y)
print(say("nb02.resize_vs_same", sz2=sz2, sz=sz, verdict=verdict(resize_vs_same)))
print(say("nb02.resize_losses", sz2=sz2) + fit_losses(learn.history[learn.history.fit == learn.n_fit]))


def back_to_small():
    """Revert step 4: the weights from before resizing, and the data at the old size."""
    learn.set_data(data_small)
    learn.load(f"breeds_{sz}_before_resize")


print(steps.attempt(say("nb02.step.resize", sz2=sz2), resize_preds, revert=back_to_small))

# %% [markdown]
# ## 5. TTA, accuracy and log loss
#
# The lesson's calls: TTA, the average of the probabilities, then accuracy and log loss. Kaggle scores this
# competition by **log loss**, the mean of `-ln p(true breed)`: it punishes confident mistakes, because one
# image given probability 0.01 for its true breed costs `-ln 0.01 = 4.6` by itself. A probability of exactly
# 0 would cost infinity, so the metric first **clips** every probability to `[1e-15, 1 - 1e-15]` and
# renormalises each row to sum to 1: a certain mistake then costs `-ln(1e-15) = 34.5`, still enough to wreck a
# score (`course_lib.metrics.log_loss` does the same as Kaggle's scorer). Chance, a uniform guess over the
# breeds, scores `ln(number of breeds)`.

# %% [markdown] lang="zh"
# ## 5. 测试数据修饰、准确率和对数损失
#
# 课程中的调用：测试数据修饰，对概率取平均，然后计算准确率和对数损失。
# Kaggle 的这个比赛用**对数损失**评分，即 `-ln p(真实品种)` 的平均值：它惩罚高置信度的错误，
# 因为一张图片如果给它真实品种的概率只有 0.01，单这一张就要付出 `-ln 0.01 = 4.6`。
# 概率恰好为 0 的代价是无穷大，所以这个指标先把每个概率**截断**到 `[1e-15, 1 - 1e-15]`，再把每一行重新归一化，使其和为 1：
# 这样一个完全确定的错误代价为 `-ln(1e-15) = 34.5`，仍足以毁掉一个分数（`course_lib.metrics.log_loss` 与 Kaggle 的评分程序做法相同）。
# 随机猜测（在所有品种上均匀地猜）的得分是 `ln(品种数)`。

# %%
log_preds, y = learn.TTA()
probs = np.mean(np.exp(log_preds), 0)
print(say("nb02.tta_scores", acc=accuracy_np(probs, y), ll=log_loss(y, probs), c=data.c, chance=math.log(data.c)))
# the learner holds the model the table says was kept (reverts load weights and, after resizing, the data)
held = accuracy_np(learn.predict(), data.val_y)
assert abs(held - steps.accuracy(steps.current)) <= 1 / n_val, (held, steps.accuracy(steps.current))
steps.add(say("nb02.step.tta"), probs, probs=True)

# %%
interp = ClassificationInterpretation(learn.data, probs, y)
fig = interp.plot_confusion_matrix()
plt.show()
pairs = interp.most_confused(3)   # the three most frequent mistakes, and any tied with the third
print(say("nb02.most_confused", pairs="; ".join(f"{a} -> {p} ({k})" for a, p, k in pairs)) if pairs
      else say("nb02.most_confused.none"))

# %% [markdown]
# ## 6. A Kaggle submission
#
# Predict the test set with TTA, write `id` plus one probability column per breed, and check the file
# against Kaggle's `sample_submission.csv` (same columns in the same order, same ids). A data folder without a
# test folder has nothing to submit, and the cell says so.

# %% [markdown] lang="zh"
# ## 6. Kaggle 提交文件
#
# 用测试数据修饰预测测试集，写出 `id` 以及每个品种一列的概率，再拿这个文件与 Kaggle 的 `sample_submission.csv` 对照检查
# （列相同且顺序相同，id 相同）。没有测试集文件夹的数据目录就没有可提交的内容，单元格会说明这一点。

# %%
if data.test_ds is not None:
    test_probs, _ = learn.TTA(is_test=True, average=True)
    fn = make_submission(test_probs, data, learn.work_path / "subm" / "breeds.csv.gz")
    sample = PATH / "sample_submission.csv"
    report = check_submission(fn, sample if sample.is_file() else None)
    print(report)
    display(pd.read_csv(fn).iloc[:3, :5].round(4))
else:
    report = None
    print(say("nb02.no_test", name=PATH.name))

# %% [markdown]
# ## 7. Summary
#
# The chain of one learner. `±` is the binomial standard error; `change` is against the step it started from,
# on the same images, with its paired standard error and the images it fixed and broke. A step that was not
# kept stays in the table, marked.

# %% [markdown] lang="zh"
# ## 7. 小结
#
# 同一个学习器的整条链。`±` 是二项分布的标准误差；“变化”是相对于它起步的那一步、在相同图片上的变化，
# 附有配对的标准误差，以及它改对和改错的图片数。没有保留的步骤仍留在表中，并有标记。

# %%
summary = steps.table()
steps.shown()

# %%
print("\n".join(steps.verdicts()))
print(say("nb02.resize_control", sz=sz, verdict=verdict(resize_vs_same)))
first, final = summary.iloc[0], summary.iloc[-1]
print(say("nb02.log_loss_chain", a=first['log loss'], b=final['log loss'], chance=math.log(data.c)))
for k in range(len(steps.names)):
    for why in (steps.loss_against_accuracy(steps.base(k), k) if k else None, steps.loss_above_chance(k)):
        if why:
            print(why)
print(say("nb02.for_scale", sd=seed_accs.std(ddof=1)))

# %% [markdown]
# A step that stays within the noise has not been shown to help *here*; with a small validation set only
# changes of several images can be told from luck. The full data set holds about 2,000 validation images.
#
# **Beside the lesson.** The lesson text's figures (final epochs) next to this run's; the next cell says what
# differs between the two runs.

# %% [markdown] lang="zh"
# 停留在噪声范围之内的步骤，并没有证明它在*这里*有帮助；验证集小的时候，只有相差好几张图片的变化才能和运气区分开。
# 完整数据集大约有 2,000 张验证图片。
#
# **与课程对照。** 课程文字中的数字（最后一个遍历）与本次运行的数字并列；下一个单元格说明两次运行有哪些不同。

# %%
print(differences("dogbreeds", S, len(data.trn_ds), n_val))
lesson_table("dogbreeds", steps, {0: 0, 1: 1, 2: 2, 3: 3, 4: 4})

# %% [markdown]
# The checks below assert what holds on every run, on drawings and on photos alike: with ImageNet features the
# head alone is far above chance, the chain ends far above chance in accuracy and log loss, and a submission,
# when there is a test set, matches Kaggle's format. (That the learner holds the model the table says it kept
# was checked before TTA.) With `resnet_mini`, whose bundled weights were learnt on generated pictures rather
# than ImageNet, the first two do not apply, and the cell prints how far it got instead.

# %% [markdown] lang="zh"
# 下面的检查断言在每次运行中、在图画和照片上都成立的事情：使用 ImageNet 特征时，只训练全连接层就远高于随机猜测；
# 整条链最终在准确率和对数损失上都远好于随机猜测；有测试集时，提交文件符合 Kaggle 的格式。（学习器所持有的正是表格所说保留的模型，这一点在测试数据修饰之前已经检查过。）
# `resnet_mini` 的内置权重是在生成的图片上而不是在 ImageNet 上学到的，前两项检查对它不适用，这个单元格会改为打印它达到的水平。

# %%
chance = 1 / data.c
se0 = accuracy_se(chance, n_val)   # the standard error of guessing on these images
assert report is None or report.ok
if S.imagenet:
    assert first["accuracy"] > chance + 6 * se0, f"step 1 {first['accuracy']:.3f} not 6 s.e. above chance"
    assert final["accuracy"] > chance + 8 * se0, f"final accuracy {final['accuracy']:.3f} not 8 s.e. above chance"
    assert final["log loss"] < math.log(data.c) / 2, "log loss not far below chance"
    print(say("nb02.checked", a0=first['accuracy'], a1=final['accuracy'], se=se0, chance=chance,
              ll=final['log loss'], llc=math.log(data.c)) + (say("nb02.submission_ok") if report else ""))
else:
    print(say("lesson.not_imagenet", arch=arch, first=first["accuracy"], final=final["accuracy"],
              sigmas=(final["accuracy"] - chance) / se0))
print(say("nb02.took", s=time.perf_counter() - t_start, device=default_device()))
