"""Text of notebook 01: the sentences it prints from its values."""
TEXT: dict[str, dict[str, str]] = {
    # 1. the data
    "nb01.classes": {"en": "classes: {classes}", "zh": "类别：{classes}"},
    "nb01.sizes": {
        "en": "train: {train}  valid: {valid}  test: {test}",
        "zh": "训练集：{train}  验证集：{valid}  测试集：{test}"},
    "nb01.one_image": {
        "en": "one validation image = {points:.1f} points of accuracy; at 85% accuracy the standard error is "
              "{se:.1f} points",
        "zh": "一张验证图片 = {points:.1f} 个百分点的准确率；准确率为 85% 时，标准误差为 {se:.1f} 个百分点"},
    # 2. step 1: the learning-rate finder, the other seeds, the followed learner
    "nb01.suggested": {
        "en": "suggested learning rate {lr:.2g} (steepest descent at {steep:.2g}); the lesson uses {lesson}, "
              "{ratio:.1f}x the suggestion.",
        "zh": "建议的学习速率为 {lr:.2g}（下降最陡处为 {steep:.2g}）；课程使用 {lesson}，是建议值的 {ratio:.1f} 倍。"},
    "nb01.suggested.near": {
        "en": "That is within a factor of 3 of the suggestion, so the lesson's value sits on the falling part too.",
        "zh": "它与建议值相差不到 3 倍，所以课程的取值也位于曲线的下降段上。"},
    "nb01.suggested.far": {
        "en": "That is more than 3x away from the suggestion; we keep the lesson's value to follow the lesson, but "
              "on this data a rate near {lr:.2g} would be the finder's choice.",
        "zh": "它与建议值相差超过 3 倍；为了跟随课程，我们保留课程的取值，但在这份数据上，学习速率查找（lr_find）"
              "会选择 {lr:.2g} 附近的学习速率。"},
    "nb01.seeds": {
        "en": "head only, fit({lr}, 2), seeds {seeds}: accuracy {mean:.3f} +- {sd:.3f} (mean +- sd)",
        "zh": "只训练全连接层，fit({lr}, 2)，种子 {seeds}：准确率 {mean:.3f} +- {sd:.3f}（均值 +- 标准差）"},
    "nb01.followed": {"en": "the followed learner (seed {seed})", "zh": "所跟踪的学习器（种子 {seed}）"},
    # the steps of the chain (names in the summary table)
    "nb01.step1": {"en": "1. head only, precompute, fit(0.01, 2)", "zh": "1. 只训练全连接层，precompute，fit(0.01, 2)"},
    "nb01.step2": {"en": "2. + augmentation, SGDR (cycle_len=1)", "zh": "2. + 数据修饰，学习速率重置（cycle_len=1）"},
    "nb01.step3": {"en": "3. unfreeze, differential lrs, cycle_mult=2", "zh": "3. 解锁，学习速率向量，cycle_mult=2"},
    "nb01.step4": {"en": "4. + TTA", "zh": "4. + 测试数据修饰（TTA）"},
    # 3. step 2: the two controls
    "nb01.control.aug": {
        "en": "augmentation (vs the same SGDR epochs without it): {verdict}",
        "zh": "数据修饰（对比同样用学习速率重置、但不做数据修饰的遍历）：{verdict}"},
    "nb01.control.sgdr": {
        "en": "SGDR (vs the same augmented epochs at a constant rate): {verdict}",
        "zh": "学习速率重置（对比同样做数据修饰、但学习速率恒定的遍历）：{verdict}"},
    # 4. step 3: fine-tuning
    "nb01.capped": {
        "en": " (capped at the lesson's {lesson:g}: the finder's rate was higher)",
        "zh": "（上限为课程的 {lesson:g}：查找给出的学习速率更高）"},
    "nb01.fine_tuning": {"en": "fine-tuning: ", "zh": "微调："},
    "nb01.finder_unfrozen": {
        "en": "finder after unfreeze: suggested {lr:.2g} for the head (steepest descent {steep:.2g}); the lesson "
              "used [1e-4, 1e-3, 1e-2]; we use [{lrs}]",
        "zh": "解锁后的学习速率查找：建议全连接层用 {lr:.2g}（下降最陡处 {steep:.2g}）；课程用的是 "
              "[1e-4, 1e-3, 1e-2]；我们用 [{lrs}]"},
    "nb01.holds": {
        "en": "the learner now holds the model of {name!r}: validation accuracy {acc:.3f}",
        "zh": "学习器现在持有“{name}”的模型：验证准确率 {acc:.3f}"},
    # 5. step 4: TTA
    "nb01.tta": {
        "en": "TTA output: {shape} = (1 + 4 augmented passes, images, classes); averaged: {averaged}; "
              "accuracy_np(probs, y) = {acc:.3f}",
        "zh": "TTA 的输出：{shape}，即（1 + 4 次修饰后的预测，图片，类别）；平均后：{averaged}；"
              "accuracy_np(probs, y) = {acc:.3f}"},
    # 6. the predictions
    "nb01.first_five": {
        "en": "first five: predicted {predicted}  p(dog) {p_dog}  actual {actual}",
        "zh": "前五张：预测 {predicted}  是狗的概率 {p_dog}  实际 {actual}"},
    # 7. the submission
    "nb01.submission": {
        "en": "{fn}: {n} rows, matches the sample file.",
        "zh": "{fn}：{n} 行，与样例文件相符。"},
    "nb01.no_test": {
        "en": "{name} has no test1/ folder: no submission to write.",
        "zh": "{name} 中没有 test1/ 文件夹：没有提交文件可写。"},
    # 8. the summary
    "nb01.aug_alone": {"en": "augmentation alone (control): {verdict}", "zh": "单独的数据修饰（对照）：{verdict}"},
    "nb01.sgdr_alone": {"en": "SGDR alone (control): {verdict}", "zh": "单独的学习速率重置（对照）：{verdict}"},
    "nb01.log_loss": {
        "en": "log loss {first:.3f} -> {final:.3f} (chance {chance:.3f})",
        "zh": "对数损失 {first:.3f} -> {final:.3f}（随机猜测为 {chance:.3f}）"},
    "nb01.scale": {
        "en": "for scale: the head-only step moved by {sd:.3f} (sd) between seeds",
        "zh": "作为参照：只训练全连接层这一步，在不同种子之间的波动为 {sd:.3f}（标准差）"},
    # the checks
    "nb01.checked": {
        "en": "checked: step 1 {first:.3f} and the final {final:.3f} are more than 4 and 6 standard errors "
              "({se:.3f}) above chance; the kept model is at least step 2's; log loss {loss:.3f} < ln 2",
        "zh": "已检查：第 1 步的 {first:.3f} 和最终的 {final:.3f} 分别比随机猜测高出 4 倍和 6 倍以上的标准误差"
              "（{se:.3f}）；保留的模型至少和第 2 步的一样好；对数损失 {loss:.3f} < ln 2"},
    "nb01.checked.submission": {"en": "; submission ok", "zh": "；提交文件无误"},
    "nb01.took": {"en": "this run took {secs:.0f} s on {device}", "zh": "本次运行在 {device} 上用时 {secs:.0f} 秒"},
}
