"""What every part of the training loop imports: the Callback base, the cancel exceptions, a table helper.

A leaf module (it imports nothing from course_lib), so the learner, the callbacks and anything else can
import it without a circle.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .learner import Learner


class CancelFitException(Exception):
    """Raised by a callback to end `fit` (or `lr_find`) early; the Learner stays usable."""


class CancelEpochException(Exception):
    """Raised by a callback to skip the rest of an epoch."""


class CancelBatchException(Exception):
    """Raised by a callback to skip the rest of a batch."""


class Callback:
    """Base class: override any event method; `order` sorts callbacks (lower runs first).

    Events: before_/after_ fit, epoch, train, validate, batch, and after_pred, after_loss, before_/after_
    backward, after_step. `after_cancel_<fit|epoch|batch>` run only when that cancel exception was raised.
    `cleanup_<fit|epoch|batch>` run on every way out (normal end, cancel, error, Ctrl-C): close there what
    a callback opened. A callback may also provide `backward()` or `step()` to replace the learner's own
    (refused while gradients are scaled: precision.Precision owns those then); autocast is the learner's.
    """
    order = 0
    learn: "Learner"

    def __repr__(self) -> str:
        return type(self).__name__


def frame(rows: list[dict]):
    """rows -> pandas DataFrame; pandas is imported here, on first use, not when course_lib is imported."""
    import pandas as pd  # ~30 MB and ~0.5 s that a run which never looks at a table need not pay
    return pd.DataFrame(rows)
