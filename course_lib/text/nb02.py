"""Text of notebook 02: the sentences it prints from its values."""
TEXT: dict[str, dict[str, str]] = {
    # 1. the data
    "nb02.counts": {
        "en": "{n} labelled images, {breeds} breeds, {n_test} test images",
        "zh": "{n} 张有标签的图片，{breeds} 个品种，{n_test} 张测试图片"},
    "nb02.per_breed": {"en": "images per breed: {lo} to {hi}", "zh": "每个品种的图片数：{lo} 到 {hi}"},
    "nb02.per_breed.same": {
        "en": " (the same for every breed, so no chart is needed)",
        "zh": "（每个品种都一样，所以不需要画图）"},
    "nb02.per_breed.fewest": {"en": "; fewest: {names}", "zh": "；最少的：{names}"},
    # 2. the validation set
    "nb02.val_rows": {"en": "{n_val} validation rows out of {n}", "zh": "{n} 行中的 {n_val} 行是验证集"},
    "nb02.one_image": {
        "en": "one validation image = {pts:.1f} points of accuracy; at 75% accuracy the standard error is "
              "{se:.1f} points",
        "zh": "一张验证图片 = 准确率的 {pts:.1f} 个百分点；准确率为 75% 时，标准误差为 {se:.1f} 个百分点"},
    # 3. the general recipe
    "nb02.lr_suggested": {
        "en": "suggested learning rate {s:.2g}; the lesson uses {lr} ({ratio:.1f}x the suggestion)",
        "zh": "建议的学习速率为 {s:.2g}；课程使用 {lr}（是建议值的 {ratio:.1f} 倍）"},
    "nb02.lr_within": {
        "en": "within a factor of 3: the lesson's value sits on the falling part too",
        "zh": "两者相差不到 3 倍：课程的取值也落在损失下降的那一段上"},
    "nb02.lr_away": {
        "en": "more than 3x away: we keep the lesson's value to follow it; the finder would pick about {s:.2g}",
        "zh": "两者相差超过 3 倍：为了跟随课程，我们仍用课程的取值；学习速率查找（lr_find）会选大约 {s:.2g}"},
    "nb02.seed_spread": {
        "en": "head only, 3 epochs, seeds {seeds}: accuracy {mean:.3f} +- {sd:.3f} (mean +- sd)",
        "zh": "只训练全连接层，3 个遍历，种子 {seeds}：准确率 {mean:.3f} +- {sd:.3f}（均值 +- 标准差）"},
    "nb02.followed": {"en": "the followed learner (seed {seed})", "zh": "跟踪的学习器（种子 {seed}）"},
    # the steps of the chain, as the table and the verdicts name them
    "nb02.step.head": {"en": "1. head only, precompute", "zh": "1. 只训练全连接层，precompute"},
    "nb02.step.sgdr": {"en": "2. + augmentation, SGDR", "zh": "2. + 数据修饰，学习速率重置"},
    "nb02.step.unfreeze": {
        "en": "3. unfreeze, differential lrs, cycle_mult=2",
        "zh": "3. 解锁，学习速率向量，cycle_mult=2"},
    "nb02.step.resize": {"en": "4. progressive resizing to {sz2}", "zh": "4. 逐步增大图片尺寸到 {sz2}"},
    "nb02.step.tta": {"en": "5. + TTA", "zh": "5. + 测试数据修饰（TTA）"},
    "nb02.fine_tuning": {"en": "fine-tuning: ", "zh": "微调："},
    # 4. progressive resizing
    "nb02.resize_vs_same": {
        "en": "3 epochs at {sz2} px vs the same 3 epochs at {sz} px: {verdict}",
        "zh": "{sz2} 像素下的 3 个遍历对比 {sz} 像素下同样的 3 个遍历：{verdict}"},
    "nb02.resize_losses": {"en": "at {sz2} px: ", "zh": "在 {sz2} 像素下："},
    # 5. TTA, accuracy and log loss
    "nb02.tta_scores": {
        "en": "accuracy_np(probs, y) = {acc:.3f}; log_loss(y, probs) = {ll:.3f}; chance ln {c} = {chance:.3f}",
        "zh": "accuracy_np(probs, y) = {acc:.3f}；log_loss(y, probs) = {ll:.3f}；随机猜测 ln {c} = {chance:.3f}"},
    "nb02.most_confused": {
        "en": "most confused (actual -> predicted, images): {pairs}",
        "zh": "最常混淆的（实际 -> 预测，图片数）：{pairs}"},
    # 6. the submission
    "nb02.no_test": {
        "en": "{name} has no test folder: no submission to write.",
        "zh": "{name} 没有测试集文件夹：没有要写的提交文件。"},
    # 7. the summary
    "nb02.resize_control": {
        "en": "resizing vs the same epochs at {sz} px (the control): {verdict}",
        "zh": "增大图片尺寸对比在 {sz} 像素下训练同样的遍历（对照）：{verdict}"},
    "nb02.log_loss_chain": {
        "en": "log loss {a:.3f} -> {b:.3f} (chance {chance:.3f})",
        "zh": "对数损失 {a:.3f} -> {b:.3f}（随机猜测 {chance:.3f}）"},
    "nb02.for_scale": {
        "en": "for scale: the head-only step moved by {sd:.3f} (sd) between seeds",
        "zh": "作为参照：只训练全连接层这一步在不同种子之间的变动为 {sd:.3f}（标准差）"},
    # the checks
    "nb02.checked": {
        "en": "checked: step 1 {a0:.3f} and the final {a1:.3f} are more than 6 and 8 standard errors ({se:.3f}) "
              "above chance ({chance:.3f}); the kept model is at least step 1's; log loss {ll:.3f} < half of "
              "chance's {llc:.3f}",
        "zh": "已检查：第 1 步的 {a0:.3f} 和最终的 {a1:.3f} 分别比随机猜测（{chance:.3f}）高出 6 个和 8 个以上的"
              "标准误差（{se:.3f}）；保留的模型至少和第 1 步的一样好；对数损失 {ll:.3f} < 随机猜测的 {llc:.3f} 的一半"},
    "nb02.submission_ok": {"en": "; submission ok", "zh": "；提交文件无误"},
    "nb02.took": {"en": "this run took {s:.0f} s on {device}", "zh": "本次运行在 {device} 上用时 {s:.0f} 秒"},
}
