"""The schedule explorer in JupyterLab, driven by headless Chromium: run it, move a slider, see the figure redrawn.

Needs Debian's `chromium` and `chromium-driver` (apt-get install chromium chromium-driver) and selenium; without
them the test is skipped with the reason. Nothing here downloads a browser or a driver: both paths are given to
selenium, so its driver manager never runs.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
IMG = ".jp-OutputArea-output img"  # every image an output area shows, inside the widget or not

pytestmark = pytest.mark.slow


def _explorer_cell() -> str:
    """The explorer cell of notebook 03, as readers run it."""
    nb = json.loads((ROOT / "notebooks" / "03_lr_schedules.ipynb").read_text())
    for c in nb["cells"]:
        src = "".join(c["source"])
        if c["cell_type"] == "code" and "schedule_explorer()" in src and "display(" in src:
            return src
    raise AssertionError("notebook 03 has no cell that builds and displays schedule_explorer()")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"jupyter lab did not answer on {url} within {timeout:g} s")


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on a free loopback port with a one-off token, its root a temp folder holding one notebook."""
    pytest.importorskip("jupyterlab", reason="jupyterlab not installed (pip install -e '.[notebooks]')")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%matplotlib inline\nfrom course_lib.classroom.widgets import schedule_explorer"),
        nbformat.v4.new_code_cell(_explorer_cell())])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "explorer.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    home = tmp_path / "home"  # settings, workspaces and runtime files of this server only
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the kernel draws inline
    env.update(JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
         "--LabApp.expose_app_in_browser=True", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.news_url=None", "--LabApp.extension_manager=readonly"]
        + (["--allow-root"] if os.geteuid() == 0 else []),  # CI containers run as root
        env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "wb"), start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{base}/api/status?token={token}", proc, timeout=60)
        yield base, token
    finally:
        try:  # shut the server down with its kernels; signal it only if that fails
            urllib.request.urlopen(urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST"),
                                   timeout=5)
            proc.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)


@pytest.fixture
def browser(tmp_path, monkeypatch):
    """Headless Debian Chromium through selenium, with a fresh profile and no background networking."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("chromium and chromedriver not found: apt-get install chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install -e '.[dev]')")
    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium's driver manager must never fetch anything
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1400,1000"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, what: str, cond, timeout: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: cond(d))
    except Exception as e:
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what}") from e


def _images(driver) -> tuple[list[str], list[str]]:
    """(srcs of images inside widgets, srcs of images outside them) in the notebook's outputs, read in one go."""
    return tuple(driver.execute_script(
        "const imgs = [...document.querySelectorAll(arguments[0])];"
        "const src = (i) => i.getAttribute('src') || '';"
        "return [imgs.filter(i => i.closest('.jupyter-widgets')).map(src),"
        "        imgs.filter(i => !i.closest('.jupyter-widgets')).map(src)];", IMG))


def test_schedule_explorer_redraws_when_a_slider_moves(browser, lab):  # browser first: it skips without chromium
    from selenium.webdriver.common.keys import Keys
    t0 = time.perf_counter()
    base, token = lab
    browser.get(f"{base}/lab/tree/explorer.ipynb?token={token}")
    _wait(browser, "the notebook's kernel to be idle", lambda d: d.execute_script(
        "const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        "return !!(w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel"
        " && w.sessionContext.session.kernel.status === 'idle');"), timeout=60)
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    # the live widget draws the figure, and the static copy below it (for pages without a kernel) is removed
    _wait(browser, "the explorer's figure inside the widget", lambda d: _images(d)[0], timeout=60)
    _wait(browser, "the static copy to be removed once the widget rendered", lambda d: not _images(d)[1])
    before = _images(browser)[0]
    assert len(before) == 1 and before[0].startswith("data:image/png;base64,")

    slider = next(s for s in browser.find_elements("css selector", ".widget-slider")
                  if s.find_element("css selector", ".widget-label").text == "n_cycle")
    readout = slider.find_element("css selector", ".widget-readout")
    assert readout.text == "3"
    slider.find_element("css selector", ".noUi-handle").send_keys(Keys.ARROW_RIGHT)  # n_cycle 3 -> 4
    _wait(browser, "the n_cycle readout to show 4", lambda d: readout.text == "4")
    after = _wait(browser, "a new figure after moving the slider",
                  lambda d: (lambda imgs: imgs if len(imgs) == 1 and imgs != before else None)(_images(d)[0]))
    assert after[0].startswith("data:image/png;base64,") and after[0] != before[0]
    print(f"browser test: {time.perf_counter() - t0:.0f} s from page load to the redrawn figure")
