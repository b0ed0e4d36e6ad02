"""The real data sets: find them, split Kaggle's flat download, describe a folder; the command line.

    >>> from course_lib.datasets import find_real
    >>> path = find_real('dogscats')    # data/dogscats, or an error saying how to get it

The offline stand-ins (generated drawings) live in `course_lib.synthetic`; the command line makes them.

The real data in one command: ``download('dogscats')`` (or ``python -m course_lib.datasets --download
dogscats``) fetches fast.ai's archive, checks it, unpacks it safely and reuses it afterwards without the network.

Command line: ``python -m course_lib.datasets [--root data] [--force] [--real]``,
``--download NAME [--url URL]``, ``--download-weights ARCH ...``, and
``--split-kaggle SRC [--test DIR]`` to put Kaggle's flat dogs-vs-cats download into class folders.

Modules: `find` (is a layout complete), `split` (Kaggle's flat folder into class folders), `fetch`
(download, download_weights), `archive` (check and unpack safely), `sources` (the names, where archives come from),
`howto` (the text on how to get each data set), `cli` (describe and the command line).
"""
from .cli import describe, main
from .fetch import download, download_weights
from .find import find_real
from .sources import SOURCES, URL_ENV, DownloadError, Source
from .split import split_kaggle_dogscats

__all__ = ["find_real", "download", "download_weights", "DownloadError", "split_kaggle_dogscats", "describe"]
