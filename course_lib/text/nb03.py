"""Text of notebook 03: the sentences it prints from its values."""
TEXT: dict[str, dict[str, str]] = {
    # 1. epochs per fit call (the arrows line up in both languages)
    "nb03.epochs.plain": {
        "en": "fit(lr, 3)                          -> {n} epochs",
        "zh": "fit(lr, 3)                          -> {n} 个遍历"},
    "nb03.epochs.cycle_len": {
        "en": "fit(lr, 3, cycle_len=1)             -> {n} epochs",
        "zh": "fit(lr, 3, cycle_len=1)             -> {n} 个遍历"},
    "nb03.epochs.cycle_mult": {
        "en": "fit(lr, 3, cycle_len=1, cycle_mult=2) -> {n} epochs, restarts after epochs {restarts}",
        "zh": "fit(lr, 3, cycle_len=1, cycle_mult=2) -> {n} 个遍历，在这些遍历之后重置学习速率：{restarts}"},
    # 3. cycle_mult=2 and differential learning rates
    "nb03.summary": {
        "en": "epochs: {epochs}, iterations: {iterations}, restarts after epochs {restarts}",
        "zh": "遍历数：{epochs}，迭代次数：{iterations}，在这些遍历之后重置学习速率：{restarts}"},
    "nb03.group_lrs": {"en": "group learning rates: {lrs}", "zh": "各层组的学习速率：{lrs}"},
    # 4. what fit really does
    "nb03.matches": {
        "en": "{epochs} epochs trained; every one of the {n} x 3 recorded rates matches the formula",
        "zh": "训练了 {epochs} 个遍历；记录下的 {n} x 3 个学习速率全都与公式一致"},
    # 6. reading the lr finder
    "nb03.curve": {
        "en": "the curve starts at a smoothed loss of {start:.3f} and is lowest ({low:.3f}) at lr {lr_low:.2g}; "
              "the suggestion {lr:.2g} and the steepest descent {steep:.2g} both lie before that minimum, at "
              "losses {at_lr:.3f} and {at_steep:.3f}",
        "zh": "曲线起点的平滑损失为 {start:.3f}，在学习速率 {lr_low:.2g} 处最低（{low:.3f}）；建议值 {lr:.2g} 和"
              "下降最陡处 {steep:.2g} 都在这个最低点之前，对应的损失分别为 {at_lr:.3f} 和 {at_steep:.3f}"},
    "nb03.suggested": {
        "en": "suggested lr {lr:.2g}; steepest descent at {steep:.2g}",
        "zh": "建议的学习速率 {lr:.2g}；下降最陡处在 {steep:.2g}"},
}
