"""Text of course_lib.steps: verdicts on a step's change, the table's headers, the keep-better rule."""
TEXT = {
    "steps.none_changed": {
        "en": "no image changed its verdict",
        "zh": "没有一张图片的预测结果改变"},
    "steps.same_way": {
        "en": "{d:+.3f} (every changed image moved the same way)",
        "zh": "{d:+.3f}（改变的图片全都朝同一方向变化）"},
    "steps.helped": {
        "en": "helped, by more than twice its standard error ({d:+.3f} +- {se:.3f})",
        "zh": "有帮助，超过其标准误差的两倍（{d:+.3f} +- {se:.3f}）"},
    "steps.hurt": {
        "en": "hurt, by more than twice its standard error ({d:+.3f} +- {se:.3f})",
        "zh": "有损害，超过其标准误差的两倍（{d:+.3f} +- {se:.3f}）"},
    "steps.noise": {
        "en": "moved accuracy by {d:+.3f} +- {se:.3f}: within the noise{close}",
        "zh": "准确率变化 {d:+.3f} +- {se:.3f}：在噪声范围之内{close}"},
    "steps.close": {
        "en": ", but close to 2 s.e. ({z:.1f} s.e.)",
        "zh": "，但接近两倍标准误差（{z:.1f} 倍）"},
    "steps.rank.below_all": {"en": "below all {n} other seeds", "zh": "低于其余全部 {n} 个种子"},
    "steps.rank.above_all": {"en": "above all {n} other seeds", "zh": "高于其余全部 {n} 个种子"},
    "steps.rank.between": {
        "en": "above {below} and below {above} of the {n} other seeds",
        "zh": "在其余 {n} 个种子中高于 {below} 个、低于 {above} 个"},
    "steps.rank.ties": {"en": " (equal to {ties})", "zh": "（与 {ties} 个相同）"},
    "steps.rank": {
        "en": "{who} scored {what} {value:.3f}, {where} (range {lo:.3f}-{hi:.3f}); {luck}",
        "zh": "{who}的{what}为 {value:.3f}，{where}（范围 {lo:.3f}-{hi:.3f}）；{luck}"},
    "steps.rank.low": {
        "en": "a low start leaves more room for the steps after it to gain, so part of the chain's gain below is "
              "this seed's luck",
        "zh": "起点偏低，后面各步提升的空间更大，所以下面整条链的提升有一部分来自这个种子的运气"},
    "steps.rank.high": {
        "en": "a high start leaves less room for the steps after it, so the chain's gain below may be smaller "
              "than typical",
        "zh": "起点偏高，后面各步提升的空间较小，所以下面整条链的提升可能比通常小"},
    "steps.rank.typical": {
        "en": "a typical start, so the chain's gain below is not inflated by this seed",
        "zh": "起点普通，所以下面整条链的提升没有因这个种子而被夸大"},
    "steps.accuracy": {"en": "accuracy", "zh": "准确率"},
    "steps.kept": {"en": "{name}: kept ({verdict}).", "zh": "{name}：保留（{verdict}）。"},
    "steps.reverted": {
        "en": "{name}: {verdict}; not better than {before!r} on the validation set, so that step's model is "
              "loaded again and the recipe goes on from it.",
        "zh": "{name}：{verdict}；在验证集上不比“{before}”好，所以重新载入那一步的模型，并从它继续。"},
    "steps.line": {"en": "{name}: {verdict}", "zh": "{name}：{verdict}"},
    "steps.reverted_to": {"en": " -> reverted to {before!r}", "zh": " -> 退回到“{before}”"},
    "steps.chain": {
        "en": "the whole chain, {first} -> {last}: {verdict}",
        "zh": "整条链，{first} -> {last}：{verdict}"},
    "steps.rose": {"en": "rose", "zh": "上升"},
    "steps.fell": {"en": "fell", "zh": "下降"},
    "steps.loss_against_accuracy": {
        "en": "{a} -> {b}: accuracy {da_dir} by {da:.3f} while log loss {dl_dir} by {dl:.3f}. Accuracy counts "
              "right answers; log loss also weighs how sure each answer is, and one wrong answer given with "
              "probability 0.99 costs -ln(0.01) = 4.6 by itself. Confident mistakes (wrong with p >= {conf}): "
              "{c0} -> {c1}; the costliest single image: {w0:.1f} -> {w1:.1f}.",
        "zh": "{a} -> {b}：准确率{da_dir}了 {da:.3f}，而对数损失{dl_dir}了 {dl:.3f}。准确率只数答对的个数；对数损失"
              "还衡量每个答案有多确定，一个以 0.99 的概率给出的错误答案单独就要付出 -ln(0.01) = 4.6。"
              "高置信度的错误（错且 p >= {conf}）：{c0} -> {c1}；代价最高的单张图片：{w0:.1f} -> {w1:.1f}。"},
    # the shown table's headers and cells (the computed table keeps its English column names: code reads them)
    "steps.col.step": {"en": "step", "zh": "步骤"},
    "steps.col.accuracy": {"en": "accuracy", "zh": "准确率"},
    "steps.col.±": {"en": "±", "zh": "±"},
    "steps.col.log loss": {"en": "log loss", "zh": "对数损失"},
    "steps.col.change": {"en": "change", "zh": "变化"},
    "steps.col.change ±": {"en": "change ±", "zh": "变化 ±"},
    "steps.col.fixed": {"en": "fixed", "zh": "改对"},
    "steps.col.broke": {"en": "broke", "zh": "改错"},
    "steps.col.kept": {"en": "kept", "zh": "保留"},
    "steps.yes": {"en": "yes", "zh": "是"},
    "steps.no_reverted": {"en": "no, reverted", "zh": "否，已退回"},
    "steps.loss_above_chance": {
        "en": "{name}: log loss {ll:.3f} is no better than chance (ln {c} = {chance:.3f}, what always answering 1/{c} "
              "scores) although accuracy {acc:.3f} is well above chance. The {n} confident mistakes (wrong with "
              "p >= {conf}, {frac:.0%} of the images) carry {share:.0%} of the log loss: each costs at least "
              "-ln(1 - {conf}) = 2.3.",
        "zh": "{name}：对数损失 {ll:.3f} 并不比随机猜测好（ln {c} = {chance:.3f}，即总是回答 1/{c} 的得分），"
              "尽管准确率 {acc:.3f} 远高于随机猜测。{n} 个高置信度的错误（错且 p >= {conf}，占图片的 {frac:.0%}）"
              "占了对数损失的 {share:.0%}：每个至少要付出 -ln(1 - {conf}) = 2.3。"},
    "steps.fit_losses": {
        "en": "over its {n} epochs validation loss went {v0:.3f} -> {v1:.3f} (lowest {low:.3f}, epoch {epoch}) and "
              "training loss {t0:.3f} -> {t1:.3f}: ",
        "zh": "在它的 {n} 次遍历中，验证损失 {v0:.3f} -> {v1:.3f}（最低 {low:.3f}，第 {epoch} 次遍历），"
              "训练损失 {t0:.3f} -> {t1:.3f}："},
    "steps.fit.above": {
        "en": "validation loss near its lowest, and training loss above it: not overfitting, it could train longer",
        "zh": "验证损失接近其最低值，训练损失高于它：没有过拟合，还可以训练得更久"},
    "steps.fit.below": {
        "en": "training loss below validation loss, but validation loss still near its lowest: not yet overfitting",
        "zh": "训练损失低于验证损失，但验证损失仍接近其最低值：还没有过拟合"},
    "steps.fit.surer": {
        "en": "validation loss rose well above its lowest while accuracy did not fall: the model grew surer of "
              "its answers, wrong ones included, which log loss punishes and accuracy does not see",
        "zh": "验证损失升到了远高于其最低值的水平，而准确率没有下降：模型对自己的答案（包括错的）更有把握了，"
              "对数损失会惩罚这一点，准确率却看不出来"},
    "steps.fit.handicap": {
        "en": "validation loss rose well above its lowest: worse on new images as training went on (training loss "
              "stays above it only because dropout and augmentation handicap training)",
        "zh": "验证损失升到了远高于其最低值的水平：随着训练进行，在新图片上变差了（训练损失仍高于它，"
              "只是因为 dropout 和数据修饰给训练增加了难度）"},
    "steps.fit.overfit": {
        "en": "validation loss rose well above its lowest while training loss kept falling: overfitting",
        "zh": "验证损失升到了远高于其最低值的水平，而训练损失还在下降：这是过拟合"},
    "steps.trend.short": {
        "en": "{n} batches: too few to read a trend", "zh": "{n} 个批次：太少，看不出趋势"},
    "steps.trend.falling": {
        "en": "training loss over the last {k} batches {b:.3f}, against {a:.3f} over the {k} before (+- {se:.3f}): "
              "still falling at the end, so more epochs could lower it further",
        "zh": "最后 {k} 个批次的训练损失为 {b:.3f}，之前 {k} 个批次为 {a:.3f}（+- {se:.3f}）：到最后仍在下降，"
              "所以多遍历几次还可能让它更低"},
    "steps.trend.flat": {
        "en": "training loss over the last {k} batches {b:.3f}, against {a:.3f} over the {k} before (+- {se:.3f}): "
              "flat within its batch-to-batch noise, so this rate has done most of its work",
        "zh": "最后 {k} 个批次的训练损失为 {b:.3f}，之前 {k} 个批次为 {a:.3f}（+- {se:.3f}）：在批次间的噪声范围内"
              "已经平坦，这个学习速率的作用已基本发挥完"},
    "steps.trend.rising": {
        "en": "training loss over the last {k} batches {b:.3f}, against {a:.3f} over the {k} before (+- {se:.3f}): "
              "rising at the end, a sign that the rate is too high",
        "zh": "最后 {k} 个批次的训练损失为 {b:.3f}，之前 {k} 个批次为 {a:.3f}（+- {se:.3f}）：到最后在上升，"
              "说明学习速率太高了"},
}
