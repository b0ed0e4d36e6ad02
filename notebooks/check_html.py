"""Look at a notebook as a reader would: export it to HTML and screenshot it in headless Chromium.

    python notebooks/check_html.py notebooks/01_dogs_vs_cats.ipynb [--out /tmp/nbcheck]

Writes <name>.html and <name>.png (a tall full-page screenshot) and prints how many images and tables the
page holds, so a missing plot or table shows up without opening a browser. Needs Debian's `chromium`.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("notebook", type=Path)
    p.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "nbcheck")
    p.add_argument("--height", type=int, default=12000, help="screenshot height in pixels")
    a = p.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", str(a.notebook), "--output-dir", str(a.out)], check=True)
    html = a.out / f"{a.notebook.stem}.html"
    text = html.read_text()
    n_img = len(re.findall(r"src=\"data:image/png", text))
    n_tab = len(re.findall(r"<table", text))
    print(f"{html}: {n_img} embedded images, {n_tab} tables")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium not found: apt-get install chromium")
    png = a.out / f"{a.notebook.stem}.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", f"--window-size=1100,{a.height}",
                        f"--screenshot={png}", html.as_uri()], check=True, capture_output=True, timeout=120)
    print(f"screenshot: {png}")


if __name__ == "__main__":
    main()
