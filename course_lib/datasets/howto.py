"""The how-to text: the layout each real data set needs, and every way to get it (a text table)."""
from __future__ import annotations

from pathlib import Path

from .sources import SOURCES

EXPECTED = {"dogscats": "train/cats/*.jpg, train/dogs/*.jpg, valid/cats/*.jpg, valid/dogs/*.jpg, test1/*.jpg",
            "dogbreeds": "train/<id>.jpg, test/<id>.jpg, labels.csv (id,breed)"}

HOW_TO_GET = {
    "dogscats": """How to get it:
  one command (fast.ai's dogscats.tgz, about 840 MB: downloaded, checked, unpacked here, reused afterwards):
       python -m course_lib.datasets --download dogscats --root {root}
  by hand, when this machine cannot download it: fetch
       https://s3.amazonaws.com/fast-ai-sample/dogscats.tgz
     on any machine, put it at {root}/dogscats.tgz and run the command above (it checks and unpacks it
     without the network). The 2018 course's dogscats.zip holds the same folders: unzip -q dogscats.zip -d {root}/
  Kaggle (accept the rules of the competition on its web page first; needs `pip install kaggle`
     and an API token in ~/.kaggle/kaggle.json):
       kaggle competitions download -c dogs-vs-cats-redux-kernels-edition -p {root}/kaggle_dogscats
       unzip -q {root}/kaggle_dogscats/dogs-vs-cats-redux-kernels-edition.zip -d {root}/kaggle_dogscats
       unzip -q {root}/kaggle_dogscats/train.zip -d {root}/kaggle_dogscats
       unzip -q {root}/kaggle_dogscats/test.zip -d {root}/kaggle_dogscats
     Kaggle's train folder is flat (cat.0.jpg, dog.0.jpg, ...). Split it into {root}/dogscats/
     train/valid class folders (files are hard-linked or copied, never moved) with:
       python -m course_lib.datasets --root {root} --split-kaggle {root}/kaggle_dogscats/train \\
           --test {root}/kaggle_dogscats/test
     (in Python: split_kaggle_dogscats('{root}/kaggle_dogscats/train', '{root}/dogscats', ...))
Without a download: ensure_sample('dogscats') makes a small generated stand-in,
{root}/dogscats_sample.""",
    "dogbreeds": """How to get it:
  one command (Kaggle's API: needs `pip install kaggle`, an API token in ~/.kaggle/kaggle.json, and the
  competition's rules accepted on its web page):
       python -m course_lib.datasets --download dogbreeds --root {root}
  or download dog-breed-identification.zip from the competition's Data page, put it at
  {root}/dog-breed-identification.zip and run the same command (no Kaggle account needed on this machine).
  With the Kaggle command line instead:
       kaggle competitions download -c dog-breed-identification -p {root}/dogbreeds
       unzip -q {root}/dogbreeds/dog-breed-identification.zip -d {root}/dogbreeds
  If that leaves train.zip, test.zip or labels.csv.zip, unzip each of them inside {root}/dogbreeds too,
  so that you have {root}/dogbreeds/train/<id>.jpg, test/<id>.jpg and labels.csv.
Without a download: ensure_sample('dogbreeds') makes a small generated stand-in,
{root}/dogbreeds_sample.""",
}


def kaggle_steps(name: str, root: Path) -> str:
    """The numbered steps to download a Kaggle data set with its API, or by hand."""
    src = SOURCES[name]
    arc = (root / src.file).as_posix()
    return (f"To download it with Kaggle's API:\n"
            f"  1. pip install kaggle\n"
            f"  2. kaggle.com > Settings > API > Create New Token; save kaggle.json as ~/.kaggle/kaggle.json "
            f"(chmod 600 ~/.kaggle/kaggle.json)\n"
            f"  3. accept the competition's rules: https://www.kaggle.com/competitions/{src.kaggle}/rules\n"
            f"  4. python -m course_lib.datasets --download {name} --root {root.as_posix()}\n"
            f"Or by hand: download {src.file} from https://www.kaggle.com/competitions/{src.kaggle}/data, put it at "
            f"{arc} and run the command of step 4 (no Kaggle account needed on this machine).")

