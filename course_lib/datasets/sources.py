"""The real data sets' names, where each one's archive comes from, and the one error a download raises (a leaf module)."""
from __future__ import annotations

from dataclasses import dataclass


class DownloadError(RuntimeError):
    """A download, its check or its unpacking failed; the message says what was kept and what to do."""


@dataclass(frozen=True)
class Source:
    """Where a real data set's archive comes from and how it is checked."""
    file: str                               # the archive's name, kept under root for reuse
    size: int                               # about this many bytes: for the disk-space check
    url: str | None = None                  # None: only through Kaggle's API (or a mirror)
    check: tuple[int, str] | None = None    # (bytes, md5 of the first MiB): fastai's published check
    kaggle: str | None = None               # the Kaggle competition


SOURCES = {
    # fastai's URLs.DOGS (fastai/data/external.py: URLs.URL + 'dogscats.tgz'), checked as in
    # fastai/data/download_checks.py; no whole-file hash is published
    "dogscats": Source("dogscats.tgz", 839_285_364, url="https://s3.amazonaws.com/fast-ai-sample/dogscats.tgz",
                       check=(839_285_364, "3e483c8d6ef2175e9d395a6027eb92b7")),
    "dogbreeds": Source("dog-breed-identification.zip", 725_000_000, kaggle="dog-breed-identification"),
}
NAMES = tuple(SOURCES)  # the lesson's data sets; the offline samples stand in for the same ones
URL_ENV = "COURSE_LIB_DATA_URL"  # a folder URL (a classroom mirror) that holds the archives under their names
