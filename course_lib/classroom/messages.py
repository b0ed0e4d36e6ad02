"""Every sentence the exercise checkers show a student, keyed by id, one table per language.

    say("common.no_answer", name="lr_pick")   # '`lr_pick` has no answer yet'  (course_lib.lang.say)

A text is a `str.format` template; the checker fills its fields (numbers keep their format spec here, so a
translation can move them). Keys are `<exercise>.<what>` for one exercise's texts and `common.<what>` for
those every checker shares; a key ending in `.hint` is a hint, and `<key>.hint` is the hint that goes with
the message `<key>`. A second language is a second table under its code: Chinese is `ZH`, in messages_zh.py,
with a text for every key (a key a table lacks falls back to English). The grader's `EXERCISE <id> PASS|FAIL`
line is not text for people and stays out of here; the grader's table words (`grade.*`) are in.
"""
from __future__ import annotations

from .messages_zh import ZH

EN = {
    # ---- shared by every checker: the result line, and the student's code or value not being usable -------
    "result.passed": "[{exercise}] passed: {message}",
    "result.not_yet": "[{exercise}] not yet: {message}",
    "result.hint": "hint: {hint}",
    "summary.score": "{passed} of {total} exercises passed",
    "summary.todo": "; still to do: {todo}",
    "common.and": " and ",
    "common.comma": ", ",
    "common.none": "none",
    "common.epoch": "epoch {list}",
    "common.epochs": "epochs {list}",
    "common.checker_broke": "the check could not run: {type}: {error}",
    "common.checker_broke.hint": "ask your instructor; this is a problem with the exercise, not your answer",
    "common.not_a_function": "expected a function for `{name}`, got {type}",
    "common.not_a_function.hint": "pass the function itself, not its result: `{name}`, not `{name}(...)`",
    "common.not_written": "`{name}` is not written yet (it raises NotImplementedError)",
    "common.not_written.hint": "replace the `raise NotImplementedError` line with your code",
    "common.raised": "`{name}` raised {type}: {error} (line {lineno}: {line})",
    "common.raised.hint": "run your function by hand on the small example in the exercise and read the error",
    "common.timeout": "`{name}` did not return within {seconds:g} s (an endless loop?)",
    "common.timeout.hint": "check that every loop in your function ends; try it by hand on the example",
    "common.no_answer": "`{name}` has no answer yet",
    "common.no_answer.hint": "replace the `...` after `{name} =` with your answer",
    "common.text_not_number": "{what} should be a number, got the text {value!r}",
    "common.text_not_number.hint": "return a single float, e.g. 0.01, not a string",
    "common.not_one_number": "{what} should be one number, got {type} {value}",
    "common.not_a_number": "{what} should be a number, got {type} {value}",
    "common.one_float.hint": "return a single float, e.g. 0.01",
    "common.not_finite": "{what} is {value}",
    "common.not_finite.hint": "a learning rate or loss must be a finite number",
    "common.not_numeric_array": "{what} should be a numeric array, got {type}",
    "common.not_numeric_array.hint": "return a numpy array (np.array(...))",
    "common.wrong_shape": "{what} has shape {shape}; expected {want}",

    # ---- 1. sgdr ------------------------------------------------------------------------------------------
    "sgdr.passed": "matches the library on {n} fits (warm-up, restarts, cycle_mult 1 and 2)",
    "sgdr.warmup": "lr_at(0, {case}) returned {got:.3g}; expected {want:.3g} (the warm-up)",
    "sgdr.warmup.hint": "the first 1/20 of the first cycle runs at 1/100 of the rate; see {step}",
    "sgdr.warmup_once": "at the restart after epoch {epoch:g} ({case}) your lr is {got:.3g}; expected {want:.3g}",
    "sgdr.warmup_once.hint": "the warm-up happens once, at the start of the first cycle only; later cycles restart "
                             "straight at the full rate",
    "sgdr.restarts": "for {case} over {n_cycle} cycles your schedule {said}; expected restarts after {want}",
    "sgdr.restarts.hint": "cycle k lasts cycle_len * cycle_mult**k epochs, so with cycle_mult={cycle_mult} the "
                          "restarts come after {want}; see {step}",
    "sgdr.restarts_after": "restarts after {epochs}",
    "sgdr.restarts_never": "never restarts",
    "sgdr.restarts_every": "restarts every {every:g} epoch(s) (after {epochs})",
    "sgdr.straight": "lr_at({it}, {case}) returned {got:.3f}; expected {want:.3f}: your lr falls in a straight line",
    "sgdr.straight.hint": "within a cycle the lr follows half a cosine, from 1 down towards 0: "
                          "(cos(pi * t / T) + 1) / 2; see {step}",
    "sgdr.differs": "lr_at({it}, {case}) returned {got:.4f}; expected {want:.4f} (iteration {batch} of epoch {epoch})",
    "sgdr.differs.hint": "t counts iterations since the last restart and T is the current cycle's length in "
                         "iterations; see {step}",

    # ---- 2. lr_find ---------------------------------------------------------------------------------------
    "lr_find.why": "the smoothed loss is lowest near lr={at_min:.2g}; one tenth of that, {sugg:.2g}, is the suggestion",
    "lr_find.passed": "{value:.2g} is a good pick: {why}",
    "lr_find.not_positive": "lr_pick is {value:g}; a learning rate must be positive",
    "lr_find.not_positive.hint": "{why}",
    "lr_find.too_low": "{value:.2g} is {times:.0f}x below the suggestion ({sugg:.2g})",
    "lr_find.too_low.hint": "there the loss has barely started to fall, so training would be slow; pick the largest "
                            "lr where the loss still falls clearly. {why}; see {step}",
    "lr_find.near_min": "{value:.2g} is close to the lowest point of the curve ({at_min:.2g})",
    "lr_find.near_min.hint": "at the minimum the loss is about to blow up; go back about 10x, to where it is still "
                             "falling clearly; see {step}",
    "lr_find.past_min": "{value:.2g} is past the lowest point of the curve ({at_min:.2g}): the loss is rising there",
    "lr_find.past_min.hint": "training at that rate diverges; pick a rate about 10x below the minimum; see {step}",

    # ---- 3. diff_lrs (the hints say where the rule is taught and what to ask oneself, never the ratio) ------
    "diff_lrs.passed": "photos step {photos:.0f}x, satellite {satellite:.0f}x between groups",
    "diff_lrs.not_positive": "{name} = {values}: every learning rate must be positive",
    "diff_lrs.decreasing": "{name} = {values} goes down from the first group to the head",
    "diff_lrs.decreasing.hint": "the order is [early layers, middle layers, new head]; the early layers are already "
                                "good and move least, the head most; see {step}",
    "diff_lrs.not_increasing": "{name} = {values} is not increasing",
    "diff_lrs.not_increasing.hint": "one lr per layer group, smallest for the early layers; see {step}",
    "diff_lrs.head": "{name}: the head's lr is {head:g}",
    "diff_lrs.head.hint": "the last group gets the rate lr_find suggested, typically around 1e-2",
    "diff_lrs.swapped": "photos step {photos:.1f}x, satellite {satellite:.1f}x between groups: the two rules look "
                        "swapped",
    "diff_lrs.swapped.hint": "which kind of picture looks more like ImageNet's, so that its early layers need the "
                             "least change? See {step}",
    "diff_lrs.satellite": "satellite images step {satellite:.1f}x between groups: not the lesson's rule for pictures "
                          "unlike ImageNet's",
    "diff_lrs.satellite.hint": "the lesson gives a separate, different ratio for satellite and medical images; "
                               "see {step}",
    "diff_lrs.photos": "photos step {photos:.1f}x between groups: not the lesson's rule for pictures like ImageNet's",
    "diff_lrs.photos.hint": "re-read the ratio the lesson gives for photos; see {step}",

    # ---- 4. tta -------------------------------------------------------------------------------------------
    "tta.passed": "probabilities averaged over the passes, rows sum to 1",
    "tta.not_array": "average_tta returned {type}; expected an array",
    "tta.per_pass": "the result has shape {shape}, one row per pass",
    "tta.per_pass.hint": "average over axis 0, the {k} passes (the plain one and {k_aug} augmented)",
    "tta.wrong_axis": "the result has shape {shape}; expected ({n}, {c})",
    "tta.wrong_axis.hint": "you averaged over the wrong axis: axis 0 holds the passes",
    "tta.wrong_shape": "the result has shape {shape}; expected ({n}, {c}) = (images, classes)",
    "tta.log_mean": "you averaged the log-probabilities (the classic mistake): that is the geometric mean, its rows "
                    "do not sum to 1, and one bad crop drags a class towards 0",
    "tta.log_mean.hint": "turn log-probabilities into probabilities first, then average; see {step}",
    "tta.log_space": "the average is right but still in log space",
    "tta.log_space.hint": "return probabilities: accuracy, log loss and Kaggle all expect them",
    "tta.first_only": "you returned only the first (un-augmented) pass",
    "tta.first_only.hint": "use all {k} passes along axis 0",
    "tta.no_plain": "you left out the first pass (the plain, un-augmented one)",
    "tta.no_plain.hint": "average all {k} passes, including pass 0",
    "tta.differs": "row 0 is {got}; expected {want}{rows}",
    "tta.differs.hint": "exponentiate, then take the mean over the passes; see {step}",
    "tta.rows_not_one": " (your rows do not sum to 1)",

    # ---- 5. log_loss --------------------------------------------------------------------------------------
    "log_loss.passed": "matches course_lib.metrics.log_loss, also on probabilities of exactly 0 and 1",
    "log_loss.got": "my_log_loss returned {got:.4f} on a case of {n} images, which is not their log loss",
    "log_loss.got.hint": "re-read where 02 first defines log loss, with its rule for probabilities of exactly 0 and 1, "
                         "and compare your function with it step by step; see {step}",
    "log_loss.not_finite": "a probability of 0 for the true class gives {got}; a log loss must stay finite",
    "log_loss.not_finite.hint": "the lesson's log loss has a rule for probabilities of exactly 0 and 1 (what is the "
                                "log of 0?); see {step}",
    "log_loss.negative": "my_log_loss returned a value below 0 on a case of {n} images",
    "log_loss.negative.hint": "a log loss is never below 0 (the log of a probability is at most 0); re-read where 02 "
                              "first defines log loss; see {step}",
    "log_loss.sum": "got {got:.4f} on {n} images: a value that grows with the number of images",
    "log_loss.sum.hint": "take the mean over images, not the sum",
    "log_loss.base.hint": "use the natural log (np.log)",
    "log_loss.all_classes.hint": "your value moves with the probabilities of the other classes too; re-read which "
                                 "probability of each row 02's definition of log loss uses; see {step}",
    "log_loss.certain_wrong": "with a certain wrong answer (true-class probability 0) you get {got:.4f}, not what the "
                              "lesson's rule for 0 and 1 gives",
    "log_loss.certain_wrong.hint": "compare your handling of 0 and 1 with the rule taught where log loss first "
                                   "appears, step by step (the bounds, then the rows); see {step}",
    "log_loss.not_one_number": "my_log_loss should return one number, got {type} {value}",
    "log_loss.not_one_number.hint": "average over the images to get a single float",
    "log_loss.not_float": "my_log_loss returned {type}; expected a float",

    # ---- 6. submission ------------------------------------------------------------------------------------
    "submission.passed": "{rows} rows, columns id + {n_classes} classes: matches the sample",
    "submission.not_df": "make_df returned {type}; expected a pandas DataFrame",
    "submission.id_index": "the ids are the DataFrame's index, not a column",
    "submission.id_index.hint": "Kaggle reads the first column as the id: insert it as a column named 'id'",
    "submission.other_probs": "the file has the right shape but other probabilities",
    "submission.other_probs.hint": "write probs unchanged, one column per class in `classes` order",
    "submission.differs": "the submission differs from the sample: {problems}",
    "submission.differs.hint": "see {step}",
    "submission.ids.hint": "ids are the file names without folder and suffix: 'test/0a1b.jpg' -> '0a1b'",
    "submission.id_first.hint": "the first column must be named 'id'",
    "submission.order.hint": "'id' first, then the classes in the order given",

    # ---- 7. lr_run: the reasons one picks an lr ("b" is the lesson's), and what is wrong with the others -----
    "lr_run.reason.a": "the loss is lowest there",
    "lr_run.reason.b": "the loss is still falling clearly there, some way before its lowest point",
    "lr_run.reason.c": "it is the largest learning rate the finder tried",
    "lr_run.reason.d": "the loss has not started to move there, so training is safe",
    "lr_run.reason.a.hint": "at the lowest point the loss is about to blow up: a rate there is already too large to "
                            "train with; see {step}",
    "lr_run.reason.c.hint": "past the lowest point the loss explodes; the largest rate tried is the worst choice; "
                            "see {step}",
    "lr_run.reason.d.hint": "where the loss does not move yet, the model barely learns: training would be very slow; "
                            "see {step}",
    "lr_run.passed": "{value:.2g} lies on the falling part of your curve: between where the smoothed loss starts "
                     "to fall ({lo:.2g}) and its lowest point ({hi:.2g})",
    "lr_run.bad_record": "run_lrs {lrs} and run_losses {losses} should be two 1-D arrays of the same length",
    "lr_run.bad_record.hint": "run the cell that records the sweep again, unchanged",
    "lr_run.unreadable": "the recorded sweep cannot be read: {error}",
    "lr_run.unreadable.hint": "run the lr_find cell again",
    "lr_run.never_falls": "the recorded loss never falls, so no rate can be read off it",
    "lr_run.never_falls.hint": "run the lr_find cell again; if the loss rises from the start, lower start_lr",
    "lr_run.where": "on your curve the smoothed loss starts to fall near lr={lo:.2g} and is lowest near {hi:.2g}; "
                    "pick a rate between the two (the lesson's rule of thumb, a tenth of the lowest point: "
                    "{tenth:.2g}{short})",
    "lr_run.short_descent": ", too low on this curve: its descent is short",
    "lr_run.not_positive": "my_lr is {value:g}; a learning rate must be positive",
    "lr_run.not_positive.hint": "{where}",
    "lr_run.past_min": "{value:.2g} is at or past the lowest point of your curve ({hi:.2g})",
    "lr_run.past_min.hint": "there the loss is about to blow up (or already does); go back to where it still falls "
                            "clearly. {where}; see {step}",
    "lr_run.flat": "{value:.2g} is where your loss has not started to fall yet (it starts near {lo:.2g})",
    "lr_run.flat.hint": "a rate there trains very slowly; pick the largest rate where the loss still falls clearly. "
                        "{where}; see {step}",
    "lr_run.unknown_reason": "lr_reason is {reason!r}; expected one of the letters {letters}",
    "lr_run.unknown_reason.hint": "set lr_reason to the letter of the sentence that says why, e.g. \"a\"",
    "lr_run.wrong_reason": "{value:.2g} is a good rate, but not because {reason!r}",

    # ---- 8. fit_verdict -----------------------------------------------------------------------------------
    "fit_verdict.passed": "{runs}, read from the last epoch's training loss ({column}) and val_loss",
    "fit_verdict.is_under": "run {run} is underfitting",
    "fit_verdict.is_over": "run {run} is overfitting",
    "fit_verdict.is_neither": "run {run} is neither",
    "fit_verdict.not_table": "{name} should be the epoch table, learn.history (a DataFrame with val_loss, and "
                             "trn_mean or trn_loss); got {type}",
    "fit_verdict.not_numbers": "{name} has losses that are not numbers",
    "fit_verdict.no_losses": "{name} holds no finite losses",
    "fit_verdict.rerun.hint": "run the training cell again, unchanged",
    "fit_verdict.unknown": "verdict_{run} is {said}; expected one of {verdicts}",
    "fit_verdict.unknown.hint": "answer with one of the three words, as a string",
    "fit_verdict.wrong": "verdict_{run} = {said!r}, but run {name} ends with {column} {trn:.3f} and val_loss "
                         "{val:.3f}, and its best val_loss was {best_val:.3f} (epoch {best})",
    # the hint of a wrong verdict is keyed on the answer given: what in the run contradicts it, never the right one
    "fit_verdict.underfitting.hint": "underfitting shows as a training loss clearly above the validation loss at the "
                                     "end of the run, and run {name}'s last epoch does not have it: compare the last "
                                     "points of its two curves in the plot; see {step}",
    "fit_verdict.overfitting.hint": "overfitting shows two signs together, a training loss far below the validation "
                                    "loss and a validation loss risen well above its best epoch; in run {name} "
                                    "{missing}: look at its plot again; see {step}",
    "fit_verdict.no_gap": "the training loss is not far below the validation loss",
    "fit_verdict.no_rise": "the validation loss has not risen far from its best",
    "fit_verdict.neither.hint": "'neither' means the table shows no sign at all, but run {name}'s last epoch shows "
                                "one: compare its two losses, and its val_loss with its best, in the plot; see {step}",

    # ---- 9. tta_noise -------------------------------------------------------------------------------------
    "tta_noise.facts": "TTA fixed {fixed} and broke {broken} of {n} images: {delta:+.3f} +- {se:.3f} (paired), so two "
                       "standard errors are {two_se:.3f}",
    "tta_noise.real": "{facts}: a real gain",
    "tta_noise.noise": "{facts}: within the noise",
    "tta_noise.bad_record": "tta_log_preds {lp} and y_valid {y} should be what learn.TTA() returned: "
                            "(passes, images, classes) and (images,)",
    "tta_noise.bad_record.hint": "run the TTA cell again, unchanged",
    "tta_noise.not_count": "{name} = {got:g} is not a count of images: a whole number from 0 to {n}",
    "tta_noise.count": "{name} = {got:g} does not match the predictions in tta_log_preds for these {n} images",
    "tta_noise.count.hint": "count the images whose verdict changed between the plain pass (tta_log_preds[0]) and "
                            "the TTA average; see {step}",
    "tta_noise.swapped.hint": "fixed: wrong in the plain pass, right with TTA; broke: the other way round",
    "tta_noise.se": "delta_se is {got:.4g}: not the paired standard error of a change with {fixed} fixed and "
                    "{broken} broken of {n} images",
    "tta_noise.se.hint": "only the images that changed verdict carry information about the change; see {step}",
    "tta_noise.se_unpaired.hint": "that is the standard error of one accuracy on its own; a change measured on the "
                                  "same images is judged by the images that changed verdict; see {step}",
    "tta_noise.se_variance.hint": "that is the variance; the standard error is its square root; see {step}",
    "tta_noise.se_scale.hint": "your value is off by a factor of n (or of its square root): check where your formula "
                               "divides by n; see {step}",
    "tta_noise.not_bool": "tta_helped is {value}; expected True or False",
    "tta_noise.not_bool.hint": "answer with a boolean: True if the change is more than twice delta_se",
    "tta_noise.verdict": "tta_helped = {said} does not follow from your own numbers: a change of {delta:+.3f} "
                         "({fixed} fixed, {broken} broken of {n} images) with a paired standard error of {se:.3f}",
    "tta_noise.verdict.hint": "set tta_helped by comparing your change with twice your standard error, as 01 "
                              "judges a change; see {step}",

    # ---- the grader's words for the teacher (the EXERCISE <id> PASS|FAIL lines and the CSV stay as they are) --
    "grade.col.exercise": "exercise",
    "grade.pass": "pass",
    "grade.fail": "FAIL",
    "grade.row.passed": "passed",
    "grade.row.notebook": "notebook",
    "grade.status.ok": "ok",
    "grade.status.timeout": "timeout",
    "grade.status.crashed": "crashed",
    "grade.status.unreadable": "unreadable",
    "grade.note.status": "{student}: notebook {status}: {detail}",
    "grade.note.hint": "{student} / {exercise}: {hint}",
    "grade.progress": "{name}: {status}, {passed} passed ({seconds:.0f} s)",
    "grade.wrote": "wrote {path}",
    "grade.detail.timeout": "cell {cell} still running after {timeout:g} s",
    "grade.detail.crashed": "the process ended in cell {cell}",
    "grade.unreadable_answer": "the answer could not be read ({error})",
}

# language code -> key -> template; course_lib.lang reads it into its one catalog (`say`, `template`). The Chinese table
# also holds each exercise's `<id>.title` and `<id>.lesson_step`, whose English is in the table of exercises.
TEXTS: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}


def has(key: str) -> bool:
    """Whether the catalog has a text `key` (in English, which every key must have)."""
    return key in EN


def hint_keys(exercise: str) -> tuple[str, ...]:
    """The keys of every hint exercise `exercise` can give (`<exercise>.<what>.hint`), in catalog order."""
    return tuple(k for k in EN if k.startswith(f"{exercise}.") and k.endswith(".hint"))
