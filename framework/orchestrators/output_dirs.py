"""Directories a running step writes extra files into (``StepContext.get_output_artifact_uri``).

Layout, the same on every store: ``<artifact store>/extra/<key>/``, one directory per
output of a step run, where ``<key>`` is ``directory_key(run, step, output)``: 32 hex
characters derived from the three names. Why a derived key and not the names: run, step and
output names are keys, never paths (the README's promise: files are named by generated
ids); why derived rather than random: anyone who knows the run, the step and the output can
find the directory again (``location``) without a record. The ``extra/`` prefix keeps these
folders apart from the content-hashed artifact files; ``framework gc`` leaves them alone
(on a remote store, avoid ``.tmp-`` in file names: gc takes such files for a crashed
write's leftovers).

* **Local store**: the directory is created inside the store when the step first asks for
  it, and what the step writes there stays there.
* **Remote store** (``s3://…``, any fsspec URL): the step gets a local temporary directory
  (steps expect a local path they can ``open``); when the step ends — finished or failed —
  its contents are uploaded to the layout above and the temporary directory is removed.
  A failed upload after a successful step fails the step: the files were promised to be
  kept with the run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from typing import Any

PREFIX = "extra"


def directory_key(run_name: str, step_name: str, output: str) -> str:
    """The directory name for one output of one step run (stable across processes)."""
    return hashlib.sha256(json.dumps([run_name, step_name, output]).encode()).hexdigest()[:32]


def location(store_url: str, run_name: str, step_name: str, output: str) -> str:
    """Where that output's extra files are kept: a local path, or a URL under a remote store."""
    url = _strip_file_scheme(store_url).rstrip("/")
    key = directory_key(run_name, step_name, output)
    return f"{url}/{PREFIX}/{key}" if "://" in url else os.path.join(url, PREFIX, key)


def _strip_file_scheme(url: str) -> str:
    return url[len("file://"):] if url.startswith("file://") else url


class OutputDirectories:
    """One directory per output of one step run, made on first request."""

    def __init__(self, store_url: str, storage_options: dict[str, Any] | None, run_name: str,
                 step_name: str) -> None:
        self._url = _strip_file_scheme(store_url).rstrip("/")
        self._remote = "://" in self._url
        self._options = dict(storage_options or {})
        self._run_name, self._step_name = run_name, step_name
        self._temp: dict[str, str] = {}  # output -> local temp dir (remote stores)
        self.given: dict[str, str] = {}  # output -> location in the store, for each directory handed out

    def path(self, output: str) -> str:
        """The local directory for ``output``'s extra files (created if missing)."""
        self.given[output] = location(self._url, self._run_name, self._step_name, output)
        if not self._remote:
            os.makedirs(self.given[output], exist_ok=True)
            return self.given[output]
        if output not in self._temp:
            self._temp[output] = tempfile.mkdtemp(prefix="framework-extra-")
        return self._temp[output]

    def upload(self) -> None:
        """Copy every temporary directory with files into the remote store, then remove them all."""
        if not self._temp:
            return
        try:
            import fsspec

            fs, root = fsspec.core.url_to_fs(self._url, use_listings_cache=False, **self._options)
            for output, local in self._temp.items():
                if any(files for _, _, files in os.walk(local)):
                    key = directory_key(self._run_name, self._step_name, output)
                    fs.put(local.rstrip(os.sep) + os.sep, f"{root.rstrip('/')}/{PREFIX}/{key}", recursive=True)
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove the temporary directories (remote stores) without uploading."""
        for local in self._temp.values():
            shutil.rmtree(local, ignore_errors=True)
        self._temp.clear()
