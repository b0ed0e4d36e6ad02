"""Progress bars: tqdm.auto (a widget in Jupyter, text in a terminal), switched off by TQDM_DISABLE everywhere."""
from __future__ import annotations

import os


def progress_bar(iterable=None, **kw):
    """A tqdm.auto bar over `iterable` (or with `total=`) that obeys TQDM_DISABLE=1 in notebooks too.

    tqdm's terminal bar reads TQDM_DISABLE, but its notebook widget ignores it (it turns disable=None into
    False), so notebooks built for committing would keep bars frozen at whatever state they were last drawn.
    """
    from tqdm.auto import tqdm  # looks for IPython/ipywidgets: paid for only when a bar is made
    if os.environ.get("TQDM_DISABLE", "").strip().lower() in ("1", "true", "yes", "on"):
        kw["disable"] = True
    return tqdm(iterable, **kw)
