"""A helper process that turns estimators into skops bytes, so importing skops never stalls a run.

Why: ``import skops.io`` imports *all* of scikit-learn — it lists every estimator with
``sklearn.utils.all_estimators()``, which imports every sklearn module — 0.4-1 s, more
than loading the seed's digits and training its SVC together. A run that will save an
estimator (a step declares a scikit-learn output type) calls `start()` as it begins: a
fresh ``python`` imports skops on another core while the steps run. When the estimator is
ready, `dumps()` sends it over a private pipe (pickled: it is this process's own object,
going to its own child) and gets the ``skops.io.dumps`` bytes back — the same format the
materializer would have written itself.

Every other case falls back to ``skops.io.dumps`` in this process, so nothing is lost:
skops already imported here (then that is fastest), no helper started (Dask workers,
direct ``ArtifactStore.save`` calls), the helper failed to start or died, the estimator
does not pickle or does not unpickle in a fresh process (a class defined in ``__main__``),
or skops refused it (the in-process call then raises skops' own error).

The helper serves later runs of the same process too, and exits when this process ends
(``atexit`` closes its pipe; if this process is killed, the helper reads end-of-file).
"""

from __future__ import annotations

import atexit
import os
import pickle
import struct
import subprocess
import sys
import threading
from typing import Any

_HEADER = struct.Struct("<Q")

# The helper's whole program: it imports nothing of the framework.
_SERVE = r"""
import pickle, struct, sys
header = struct.Struct("<Q")
read, write = sys.stdin.buffer, sys.stdout.buffer
def read_exactly(n):
    chunks = []
    while n:
        chunk = read.read(n)
        if not chunk:
            raise SystemExit(0)
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)
try:
    import skops.io
    failure = None
except BaseException as exc:
    failure = f"{type(exc).__name__}: {exc}"
while True:
    size = header.unpack(read_exactly(header.size))[0]
    data = read_exactly(size)
    if failure is None:
        try:
            out, status = skops.io.dumps(pickle.loads(data)), 0
        except BaseException as exc:
            out, status = f"{type(exc).__name__}: {exc}".encode(), 1
    else:
        out, status = failure.encode(), 1
    write.write(bytes([status]) + header.pack(len(out)) + out)
    write.flush()
"""


class _Helper:
    def __init__(self) -> None:
        env = dict(os.environ)
        # The estimator's classes must import in the helper as they do here.
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = subprocess.Popen(
            [sys.executable, "-c", _SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env, close_fds=True)

    def dumps(self, value: Any) -> bytes | None:
        with self.lock:
            proc = self.proc
            if proc is None or proc.poll() is not None:
                return None
            try:
                payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                return None
            try:
                proc.stdin.write(_HEADER.pack(len(payload)))
                proc.stdin.write(payload)
                proc.stdin.flush()
                status = proc.stdout.read(1)
                size = _HEADER.unpack(_read_exactly(proc.stdout, _HEADER.size))[0]
                out = _read_exactly(proc.stdout, size)
            except (OSError, ValueError, struct.error):
                self.stop()
                return None
            return out if status == b"\x00" else None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
            proc.wait(timeout=5)
        except Exception:
            proc.kill()


def _read_exactly(stream: Any, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise ValueError("the skops helper ended")
    return data


_helper: _Helper | None = None


def start() -> None:
    """Start the helper unless skops is already imported here (or a helper runs)."""
    global _helper
    if "skops.io" in sys.modules or (_helper is not None and _helper.pid == os.getpid()):
        return
    try:
        _helper = _Helper()
    except OSError:
        _helper = None
        return
    atexit.register(_helper.stop)


def dumps(value: Any) -> bytes | None:
    """``skops.io.dumps(value)`` computed by the helper; None: do it in this process."""
    helper = _helper
    if helper is None or helper.pid != os.getpid() or "skops.io" in sys.modules:
        return None
    return helper.dumps(value)
