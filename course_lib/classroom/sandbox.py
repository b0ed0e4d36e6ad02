"""A student's notebook code in a process of its own; the grader asks it for answers, values only.

The grader never trusts what a notebook prints, and never runs a checker where student code runs: code in
the student's process can print any result line and replace any function. So the grader (course_lib.classroom
.grade) starts this module as a child process, sends it the notebook's code cells, and then asks for the
answers by name. A value comes back as data; a function stays in the child, and the grader's checkers call it
through a `RemoteFunction` that sends arguments and receives results, as data again.

Data crosses in both directions as JSON built by `encode` / read by `decode`: numbers, strings, lists,
dicts, numpy arrays (np.save with allow_pickle=False) and DataFrames. Nothing is unpickled, so nothing the
child sends can run code in the grader.

    python -m course_lib.classroom.sandbox     # the child: cells on stdin, then requests, answers on stdout
"""
from __future__ import annotations

import base64
import contextlib
import io
import json
import math
import os
import select
import struct
import subprocess
import sys
import time
import traceback

import numpy as np
import pandas as pd


class StudentError(Exception):
    """An exception raised by student code in the sandbox: its type name, message and the line it came from."""

    def __init__(self, type_name: str, message: str, lineno: int | None = None, line: str = ""):
        super().__init__(f"{type_name}: {message}")
        self.type_name, self.message, self.lineno, self.line = type_name, message, lineno, line


class SandboxTimeout(Exception):
    """The sandbox did not answer in time (an endless loop in student code); it has been stopped."""


class SandboxDied(Exception):
    """The sandbox process ended (os._exit, a crash) before answering."""


# ---------------------------------------------------------------- the codec: data only, in both directions
def encode(x):
    """A JSON-able form of numbers, strings, lists, tuples, dicts, numpy arrays, tensors and DataFrames."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if x is Ellipsis:  # the student notebook's "not answered yet"
        return {"__ellipsis__": True}
    if isinstance(x, int) and not isinstance(x, bool):
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else {"__float__": repr(x)}
    if isinstance(x, np.generic):
        return encode(x.item())
    if type(x).__module__.startswith("torch") and hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    if isinstance(x, np.ndarray):
        if x.dtype.hasobject:
            return {"__list__": [encode(v) for v in x.tolist()], "__shape__": list(x.shape)}
        buf = io.BytesIO()
        np.save(buf, x, allow_pickle=False)
        return {"__ndarray__": base64.b64encode(buf.getvalue()).decode()}
    if isinstance(x, pd.DataFrame):
        return {"__dataframe__": {"columns": [encode(c) for c in x.columns],
                                  "index": encode(np.asarray(x.index)),
                                  "data": [encode(x[c].to_numpy()) for c in x.columns]}}
    if isinstance(x, pd.Series):
        return encode(x.to_numpy())
    if isinstance(x, (list, tuple)):
        return {"__list__" if isinstance(x, list) else "__tuple__": [encode(v) for v in x]}
    if isinstance(x, dict):
        return {"__dict__": [[encode(k), encode(v)] for k, v in x.items()]}
    if callable(x):
        return {"__callable__": getattr(x, "__name__", "function")}
    raise TypeError(f"a {type(x).__name__} cannot be sent as an answer")


def decode(x):
    """The inverse of `encode`; builds only numbers, strings, containers, arrays and DataFrames."""
    if not isinstance(x, dict):
        return x
    if "__float__" in x:
        return float(x["__float__"])
    if "__ellipsis__" in x:
        return Ellipsis
    if "__ndarray__" in x:
        return np.load(io.BytesIO(base64.b64decode(x["__ndarray__"])), allow_pickle=False)
    if "__list__" in x:
        items = [decode(v) for v in x["__list__"]]
        if "__shape__" in x:
            a = np.empty(len(items), dtype=object)
            a[:] = items
            return a.reshape(x["__shape__"]) if x["__shape__"] else a
        return items
    if "__tuple__" in x:
        return tuple(decode(v) for v in x["__tuple__"])
    if "__dict__" in x:
        return {decode(k): decode(v) for k, v in x["__dict__"]}
    if "__dataframe__" in x:
        d = x["__dataframe__"]
        cols = [decode(c) for c in d["columns"]]
        df = pd.DataFrame({k: decode(v) for k, v in enumerate(d["data"])})
        df.columns = cols
        df.index = decode(d["index"])
        return df
    if "__callable__" in x:
        return x  # the grader turns this into a RemoteFunction
    raise ValueError(f"unknown value in a sandbox message: {sorted(x)[:3]}")


# ---------------------------------------------------------------- framing: 4-byte length + JSON
def _send(fd: int, msg: dict) -> None:
    data = json.dumps(msg).encode()
    os.write(fd, struct.pack(">I", len(data)) + data)


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    buf = b""
    while len(buf) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise SandboxTimeout()
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            raise SandboxDied()
        buf += chunk
    return buf


def _recv(fd: int, deadline: float | None = None) -> dict:
    (n,) = struct.unpack(">I", _read_exact(fd, 4, deadline))
    return json.loads(_read_exact(fd, n, deadline))


# ---------------------------------------------------------------- the child
def _strip_magics(src: str) -> str:
    """IPython lines (%magic, !shell) become blank: the cell is plain Python here."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())


def _error(e: BaseException) -> dict:
    """The student-facing facts of an exception: type, message, and the last line of student code it passed."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.startswith("<cell")]
    f = frames[-1] if frames else None
    return {"raised": type(e).__name__, "message": str(e), "lineno": f.lineno if f else None,
            "line": (f.line or "") if f else ""}


def serve() -> None:
    """Run in the child: execute the cells, then answer get/call requests until told to stop."""
    import linecache
    # the protocol gets private copies of stdin/stdout; what student code prints goes nowhere
    rfd, wfd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdin, sys.stdout = io.StringIO(""), open(os.devnull, "w")
    import matplotlib
    matplotlib.use("Agg")  # a notebook's plots need no screen here
    ns: dict = {"__name__": "__main__"}
    errors = []
    cells = _recv(rfd)["cells"]
    for i, src in enumerate(cells):
        _send(wfd, {"cell": i})
        name = f"<cell {i}>"
        try:
            code = compile(_strip_magics(src), name, "exec")
            linecache.cache[name] = (len(src), None, src.splitlines(True), name)  # tracebacks show the line
            exec(code, ns)  # noqa: S102 - running the student's notebook is this process's whole job
        except BaseException as e:  # noqa: BLE001 - an error cell does not stop the cells after it
            if isinstance(e, SystemExit):
                errors.append({"cell": i, "raised": "SystemExit", "message": str(e)})
                continue
            errors.append({"cell": i, **_error(e)})
    _send(wfd, {"ready": True, "errors": errors})
    while True:
        req = _recv(rfd)
        op, name = req.get("op"), req.get("name")
        if op == "stop":
            return
        if name not in ns:
            _send(wfd, {"missing": name})
            continue
        obj = ns[name]
        try:
            if op == "get":
                _send(wfd, {"ok": encode(obj)})
            elif op == "call":
                args = [decode(a) for a in req.get("args", [])]
                with np.errstate(all="ignore"):
                    out = obj(*args)
                _send(wfd, {"ok": encode(out)})
        except BaseException as e:  # noqa: BLE001 - every failure of student code is an answer too
            _send(wfd, _error(e))


# ---------------------------------------------------------------- the grader's side
class Sandbox:
    """One child process holding one notebook's namespace; `get` values, `function` proxies."""

    def __init__(self, cells: list[str], cwd: str | os.PathLike, timeout: float):
        self.proc = subprocess.Popen([sys.executable, "-m", "course_lib.classroom.sandbox"], cwd=str(cwd),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env={**os.environ, "MPLBACKEND": "Agg", "TQDM_DISABLE": "1"})
        self.rfd, self.wfd = self.proc.stdout.fileno(), self.proc.stdin.fileno()
        self.cell, self.errors = -1, []
        _send(self.wfd, {"cells": cells})
        deadline = time.monotonic() + timeout
        try:
            while True:
                msg = _recv(self.rfd, deadline)
                if "cell" in msg:
                    self.cell = msg["cell"]  # the cell now running: the one to blame for a hang or a crash
                elif msg.get("ready"):
                    self.errors = msg["errors"]
                    break
        except (SandboxTimeout, SandboxDied) as e:
            e.cell = self.cell
            self.close()
            raise

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def request(self, msg: dict, timeout: float) -> dict:
        try:
            _send(self.wfd, msg)
            return _recv(self.rfd, time.monotonic() + timeout)
        except (SandboxTimeout, SandboxDied):
            self.close()
            raise
        except OSError as e:  # the pipe broke: the child is gone
            self.close()
            raise SandboxDied() from e

    def get(self, name: str, timeout: float = 10):
        """The value bound to `name` in the notebook (a RemoteFunction for a function); KeyError if unbound."""
        r = self.request({"op": "get", "name": name}, timeout)
        if "missing" in r:
            raise KeyError(name)
        if "raised" in r:
            raise StudentError(r["raised"], r["message"], r.get("lineno"), r.get("line", ""))
        v = decode(r["ok"])
        if isinstance(v, dict) and "__callable__" in v:
            return RemoteFunction(self, name)
        return v

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                _send(self.wfd, {"op": "stop"})
                self.proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                f.close()


class RemoteFunction:
    """Calls a student's function inside the sandbox: arguments and result cross as data."""

    def __init__(self, box: Sandbox, name: str, timeout: float = 10):
        self.box, self.__name__, self.timeout = box, name, timeout

    def __call__(self, *args):
        r = self.box.request({"op": "call", "name": self.__name__, "args": [encode(a) for a in args]},
                             self.timeout)
        if "raised" in r:
            raise StudentError(r["raised"], r["message"], r.get("lineno"), r.get("line", ""))
        if "missing" in r:
            raise StudentError("NameError", f"name {self.__name__!r} is not defined")
        return decode(r["ok"])

    def __repr__(self) -> str:
        return f"<student function {self.__name__}>"


if __name__ == "__main__":
    serve()
