"""Text the learner, the activation cache and the submission check print while a notebook runs."""
TEXT = {
    "learner.precompute_note": {
        "en": "precompute=True: training the head on cached activations, so data augmentation has no effect until "
              "you set learn.precompute = False.",
        "zh": "precompute=True:在缓存的激活值上训练全连接层,所以在设置 learn.precompute = False 之前,数据修饰不起作用。"},
    "learner.read_only": {
        "en": "{data} is read-only: models and caches go to {work} (COURSE_LIB_WORK chooses another place; "
              "ConvLearner.pretrained(..., model_dir=...) the models').",
        "zh": "{data} 是只读的:模型和缓存存放到 {work}(用 COURSE_LIB_WORK 可另选位置;"
              "用 ConvLearner.pretrained(..., model_dir=...) 可另选模型的位置)。"},
    "learner.no_validation": {
        "en": "No validation set (0 images): epochs show the training loss only, there are no metrics to compare, "
              "and fit returns []. Give the data a validation set to measure the model.",
        "zh": "没有验证集(0 张图片):每次遍历只显示训练损失,没有可比较的指标,fit 返回 []。"
              "请给数据划分验证集来衡量模型。"},
    "precompute.computing": {
        "en": "precompute: computing activations of the frozen body for {n_trn} training, {n_val} validation images "
              "(once; cached in {where}).",
        "zh": "预计算(precompute):为 {n_trn} 张训练图片、{n_val} 张验证图片计算冻结的卷积层的激活值"
              "(只算一次;缓存在 {where})。"},
    "precompute.not_written": {
        "en": "precompute: could not write the cache ({error}); keeping it in memory only.",
        "zh": "预计算(precompute):无法写入缓存({error});只保存在内存中。"},
    "submission.ok": {"en": "{fn}: {n} rows, matches the sample file.", "zh": "{fn}:{n} 行,与样例文件一致。"},
    "submission.problems": {"en": "{fn}: {n} rows, {k} problem(s):", "zh": "{fn}:{n} 行,{k} 个问题:"},
    "data.describe": {
        "en": "{kind}, {c} classes ({classes}); train {n_trn}, valid {n_val}, test {n_test}; sz={sz}, bs={bs}, "
              "num_workers={workers}{auto}",
        "zh": "{kind},{c} 个类别({classes});训练 {n_trn},验证 {n_val},测试 {n_test};sz={sz},bs={bs},"
              "num_workers={workers}{auto}"},
    "data.multi_label": {"en": "multi-label", "zh": "多标签"},
    "data.single_label": {"en": "single-label", "zh": "单标签"},
    "data.automatic": {"en": " (automatic)", "zh": "(自动选择)"},
}
