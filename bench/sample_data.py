"""How long the two default offline samples take to generate, against decoding them once.

Decoding every JPEG once with PIL is the reference: it is the least any use of the data costs,
measured on the same files in the same run, so the ratio says how many "reads" one
generation is worth on this machine.

    python bench/sample_data.py
"""
from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

from PIL import Image

from course_lib.datasets import describe
from course_lib.synthetic import make_dogbreeds, make_dogscats


def decode_all(root: Path) -> tuple[int, float]:
    """Decode every JPEG under root once; returns (count, seconds)."""
    fns = sorted(root.rglob("*.jpg"))
    t0 = time.perf_counter()
    for fn in fns:
        with Image.open(fn) as im:
            im.convert("RGB").load()
    return len(fns), time.perf_counter() - t0


def main() -> None:
    """Generate both default samples into a temporary folder, then decode them, and print the times."""
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"python {platform.python_version()}, one process")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        total_gen = total_dec = 0.0
        total_n = 0
        for name, make in (("dogscats", make_dogscats), ("dogbreeds", make_dogbreeds)):
            t0 = time.perf_counter()
            path = make(root / f"{name}_sample")
            gen = time.perf_counter() - t0
            n, dec = decode_all(path)
            total_gen, total_dec, total_n = total_gen + gen, total_dec + dec, total_n + n
            mb = sum(f.stat().st_size for f in path.rglob("*.jpg")) / 1e6
            print(f"{name:10s} {n:5d} images {mb:5.1f} MB  generate {gen:6.2f} s "
                  f"({1000 * gen / n:.1f} ms/img)  decode {dec:5.2f} s  ratio {gen / dec:5.1f}x")
            if name == "dogscats":
                print(describe(path).to_string(index=False))
        print(f"{'both':10s} {total_n:5d} images            generate {total_gen:6.2f} s "
              f"                decode {total_dec:5.2f} s  ratio {total_gen / total_dec:5.1f}x")


if __name__ == "__main__":
    main()
