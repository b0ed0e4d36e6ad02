"""Text of course_lib.lesson: the banner a notebook prints first, and the comparison with the lesson text."""
TEXT = {
    "lesson.drawings": {"en": "generated drawings (the offline sample)", "zh": "生成的图画（离线样本）"},
    "lesson.photos": {"en": "photos", "zh": "照片"},
    "lesson.size": {"en": "sz={sz}", "zh": "sz={sz}"},
    "lesson.then": {"en": " then {sz2}", "zh": "，之后 {sz2}"},
    "lesson.banner.data": {"en": "data: {name} ({what})", "zh": "数据：{name}（{what}）"},
    "lesson.banner.arch": {
        "en": "arch: {arch}, {size}, bs={bs}, seed {seed}, device: {device}",
        "zh": "网络结构：{arch}，{size}，bs={bs}，种子 {seed}，设备：{device}"},
    "lesson.banner.note": {"en": "note: {note}", "zh": "注意：{note}"},
    "lesson.note.cpu_arch": {
        "en": "no GPU, so efficientnet_lite0 instead of the lesson's resnet34: resnet34 at 224 px on the full "
              "Kaggle set takes hours on a CPU (COURSE_LIB_ARCH=resnet34 insists)",
        "zh": "没有 GPU，所以用 efficientnet_lite0 代替课程中的 resnet34：在 CPU 上以 224 像素训练完整的 Kaggle "
              "数据集，resnet34 要花好几个小时（COURSE_LIB_ARCH=resnet34 可以坚持用它）"},
    "lesson.note.no_test": {
        "en": "no {test}/ folder in {name}: the submission cells are skipped",
        "zh": "{name} 中没有 {test}/ 文件夹：跳过提交结果的单元格"},
    "lesson.diff.drawings": {"en": "generated drawings (not photos)", "zh": "生成的图画（不是照片）"},
    "lesson.diff.data": {
        "en": "data:     lesson {lesson}; here {data}, {n_train} training / {n_valid} validation images",
        "zh": "数据：课程 {lesson}；这里是{data}，{n_train} 张训练图片 / {n_valid} 张验证图片"},
    "lesson.diff.backbone": {"en": "backbone: lesson {lesson}; here {arch}", "zh": "网络结构：课程 {lesson}；这里 {arch}"},
    "lesson.diff.size": {"en": "size:     lesson {lesson}; here {size}", "zh": "图片尺寸：课程 {lesson}；这里 {size}"},
    "lesson.diff.device": {"en": "device:   lesson {lesson}; here {device}", "zh": "设备：课程 {lesson}；这里 {device}"},
    "lesson.px": {"en": "{sz} px", "zh": "{sz} 像素"},
    "lesson.px_then": {"en": "{sz} px then {sz2} px", "zh": "先 {sz} 像素，后 {sz2} 像素"},
    "lesson.setting.data.dogscats": {
        "en": "Kaggle photos (23,000 dogs and cats)", "zh": "Kaggle 的照片（23,000 张猫狗照片）"},
    "lesson.setting.data.dogbreeds": {
        "en": "Kaggle photos (10,222 dogs of 120 breeds)", "zh": "Kaggle 的照片（120 个品种的 10,222 张狗的照片）"},
    "lesson.setting.backbone.dogscats": {"en": "resnet34", "zh": "resnet34"},
    "lesson.setting.backbone.dogbreeds": {
        "en": "`arch`, not named in the breeds part (resnet34 in the dogs-vs-cats part)",
        "zh": "`arch`，品种部分没有指明（猫狗部分为 resnet34）"},
    "lesson.setting.device": {"en": "GPU", "zh": "GPU"},
    "lesson.col.lesson step": {"en": "lesson step", "zh": "课程中的步骤"},
    "lesson.col.lesson accuracy": {"en": "lesson accuracy", "zh": "课程准确率"},
    "lesson.col.lesson log loss": {"en": "lesson log loss", "zh": "课程对数损失"},
    "lesson.col.this run": {"en": "this run", "zh": "本次运行"},
    "lesson.col.accuracy": {"en": "accuracy", "zh": "准确率"},
    "lesson.col.log loss": {"en": "log loss", "zh": "对数损失"},
    # the lesson text's steps, by LESSON_FIGURES row
    "lesson.dogscats.0": {"en": "head only, precompute (lesson 1's fit(0.01, 2))",
                          "zh": "只训练全连接层，precompute（第一课的 fit(0.01, 2)）"},
    "lesson.dogscats.1": {"en": "+ augmentation (precompute=False)", "zh": "+ 数据修饰（precompute=False）"},
    "lesson.dogscats.2": {"en": "+ SGDR, fit(1e-2, 3, cycle_len=1)", "zh": "+ 学习速率重置，fit(1e-2, 3, cycle_len=1)"},
    "lesson.dogscats.3": {"en": "unfreeze, [1e-4, 1e-3, 1e-2], cycle_mult=2 (0.9935 at its best epoch)",
                          "zh": "解锁，[1e-4, 1e-3, 1e-2]，cycle_mult=2（最好的一次遍历为 0.9935）"},
    "lesson.dogbreeds.0": {"en": "head only, precompute, fit(1e-2, 3)", "zh": "只训练全连接层，precompute，fit(1e-2, 3)"},
    "lesson.dogbreeds.1": {"en": "+ augmentation, SGDR, fit(1e-2, 3, cycle_len=1)",
                           "zh": "+ 数据修饰，学习速率重置，fit(1e-2, 3, cycle_len=1)"},
    "lesson.dogbreeds.2": {"en": "unfreeze, cycle_mult=2: hurt, dropped", "zh": "解锁，cycle_mult=2：变差，放弃"},
    "lesson.dogbreeds.3": {"en": "progressive resizing to 299 px", "zh": "逐步增大图片尺寸到 299 像素"},
    "lesson.dogbreeds.4": {"en": "+ TTA", "zh": "+ 测试数据修饰（TTA）"},
    "lesson.dogbreeds.5": {"en": "+ TTA, in the course itself", "zh": "+ 测试数据修饰（TTA），课程视频中的结果"},
}
