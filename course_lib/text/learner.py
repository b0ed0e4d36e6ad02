"""Text the learner, the activation cache and the submission check print while a notebook runs."""
TEXT = {
    "learner.precompute_note": {
        "en": "precompute=True: training the head on cached activations, so data augmentation has no effect until "
              "you set learn.precompute = False.",
        "zh": "precompute=True：在缓存的激活值上训练全连接层，所以在设置 learn.precompute = False 之前，数据修饰不起作用。"},
    "learner.read_only": {
        "en": "{data} is read-only: models and caches go to {work} (COURSE_LIB_WORK chooses another place; "
              "ConvLearner.pretrained(..., model_dir=...) the models').",
        "zh": "{data} 是只读的：模型和缓存存放到 {work}（用 COURSE_LIB_WORK 可另选位置；"
              "用 ConvLearner.pretrained(..., model_dir=...) 可另选模型的位置）。"},
    "learner.no_validation": {
        "en": "No validation set (0 images): epochs show the training loss only, there are no metrics to compare, "
              "and fit returns []. Give the data a validation set to measure the model.",
        "zh": "没有验证集（0 张图片）：每次遍历只显示训练损失，没有可比较的指标，fit 返回 []。"
              "请给数据划分验证集来衡量模型。"},
    "precompute.computing": {
        "en": "precompute: computing activations of the frozen body for {n_trn} training, {n_val} validation images "
              "(once; cached in {where}).",
        "zh": "预计算（precompute）：为 {n_trn} 张训练图片、{n_val} 张验证图片计算冻结的卷积层的激活值"
              "（只算一次；缓存在 {where}）。"},
    "precompute.not_written": {
        "en": "precompute: could not write the cache ({error}); keeping it in memory only.",
        "zh": "预计算（precompute）：无法写入缓存（{error}）；只保存在内存中。"},
    "submission.ok": {"en": "{fn}: {n} rows, matches the sample file.", "zh": "{fn}：{n} 行，与样例文件一致。"},
    "submission.problems": {"en": "{fn}: {n} rows, {k} problem(s):", "zh": "{fn}：{n} 行，{k} 个问题："},
    # the problems check_submission finds, one line each
    "submission.no_columns": {"en": "the file has no columns (empty file?)", "zh": "文件里没有列（空文件？）"},
    "submission.first_column": {
        "en": "the first column is {col}; Kaggle's dog-breed sample starts with 'id'",
        "zh": "第一列是 {col}；Kaggle 的犬种样例文件以 'id' 开头"},
    "submission.missing_columns": {"en": "{n} column(s) of the sample are missing: {first}",
                                   "zh": "缺少样例文件中的 {n} 列：{first}"},
    "submission.extra_columns": {"en": "{n} column(s) not in the sample: {first}",
                                 "zh": "有 {n} 列不在样例文件中：{first}"},
    "submission.column_order": {
        "en": "columns are in another order: column {k} is {col}, the sample has {want} there (write the classes "
              "in data.classes order, sorted as the sample is)",
        "zh": "列的顺序不同：第 {k} 列是 {col}，样例文件在这里是 {want}（按 data.classes 的顺序写出类别，"
              "与样例文件一样排好序）"},
    "submission.missing_ids": {"en": "{n} id(s) of the sample are missing: {first}",
                               "zh": "缺少样例文件中的 {n} 个 id：{first}"},
    "submission.extra_ids": {"en": "{n} id(s) not in the sample: {first}", "zh": "有 {n} 个 id 不在样例文件中：{first}"},
    "submission.ids_suffix": {"en": " (ids should have no folder or suffix)",
                              "zh": "（id 不应带文件夹或扩展名）"},
    "submission.rows": {"en": "{n} rows; the sample has {want}", "zh": "{n} 行；样例文件有 {want} 行"},
    "submission.duplicate_ids": {"en": "{n} id(s) appear more than once: {first}", "zh": "有 {n} 个 id 出现了不止一次：{first}"},
    "submission.nan_rows": {
        "en": "{n} row(s) have empty, NaN or non-numeric values (ids: {first}; columns: {cols})",
        "zh": "有 {n} 行含有空值、NaN 或非数值（id：{first}；列：{cols}）"},
    "submission.out_of_range": {
        "en": "{n} row(s) have values outside [0, 1] (ids: {first}): probabilities expected, not log-probabilities "
              "or logits",
        "zh": "有 {n} 行的值超出 [0, 1]（id：{first}）：这里要的是概率，不是对数概率或 logits"},
    "submission.bad_sums": {"en": "{n} row(s) do not sum to 1 (ids: {first}; worst: {worst} sums to {sum:.4f})",
                            "zh": "有 {n} 行的和不为 1（id：{first}；最差的是 {worst}，和为 {sum:.4f}）"},
    "submission.no_rows": {"en": "the file has no rows", "zh": "文件里没有行"},
    "submission.in_all": {"en": ", ... ({n} in all)", "zh": ", ...（共 {n} 个）"},
    "data.describe": {
        "en": "{kind}, {c} classes ({classes}); train {n_trn}, valid {n_val}, test {n_test}; sz={sz}, bs={bs}, "
              "num_workers={workers}{auto}",
        "zh": "{kind}，{c} 个类别（{classes}）；训练 {n_trn}，验证 {n_val}，测试 {n_test}；sz={sz}，bs={bs}，"
              "num_workers={workers}{auto}"},
    "data.multi_label": {"en": "multi-label", "zh": "多标签"},
    "data.single_label": {"en": "single-label", "zh": "单标签"},
    "data.automatic": {"en": " (automatic)", "zh": "（自动选择）"},
    "finder.sweep": {
        "en": "the sweep ran {n} of {planned} batches, the last group's rate going from {lr0:.2g} to {lr:.2g}",
        "zh": "这次扫描跑了计划的 {planned} 个批次中的 {n} 个，最后一个层组的学习速率从 {lr0:.2g} 升到 {lr:.2g}"},
    "finder.sweep.early": {
        "en": ": it stopped early, once the smoothed loss passed 4x its best, so the plot ends there",
        "zh": "：它提前停止了，因为平滑后的损失已超过其最低值的 4 倍，所以图也止于此处"},
    "finder.sweep.none": {"en": "the sweep recorded no batch", "zh": "这次扫描没有记录任何批次"},
    "learner.groups": {"en": "layer groups:", "zh": "层组："},
    "learner.params": {"en": "params", "zh": "个参数"},
    "learner.frozen": {"en": "frozen", "zh": "锁定"},
    "learner.trainable": {"en": "trainable", "zh": "可训练"},
}
