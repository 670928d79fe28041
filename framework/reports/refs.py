"""Naming a run: the references a user may type wherever a run is asked for.

In order of precedence:

* the full run **name**, or the run **id**;
* ``latest``: the newest run of any pipeline;
* ``PIPELINE@latest`` (``PIPELINE@-1``), ``PIPELINE@-2`` (the one before), …: a pipeline's
  runs counted back from the newest;
* a **prefix** of a run name or id, when exactly one run has it (an ambiguous prefix is
  an error that lists the candidates; a run's name and id counting once).

`resolve_run_id` answers with the run id; names and ids cost one or two small reads, a
prefix one scan of the listing rows (``query_runs``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from framework.exceptions import AmbiguousRunError, RunNotFoundError

LIST_HINT = "`framework runs list` (or `Client().list_runs()`) shows the runs"
_AT = re.compile(r"^(?P<pipeline>.+)@(?:(?P<latest>latest)|-(?P<back>[1-9][0-9]*))$")
MAX_SHOWN = 10


def _not_found(ref: str, location: str, extra: str = "") -> RunNotFoundError:
    return RunNotFoundError(f"No run named `{ref}` in the store at {location}{extra}; {LIST_HINT}, and a run "
                            "may be named by its name, its id, a unique prefix of either, `latest` or "
                            "`PIPELINE@latest` / `PIPELINE@-2`.")


def resolve_run_id(store: Any, ref: Any) -> str:
    """The id of the run ``ref`` names (see the module docstring); `RunNotFoundError` (a
    ``KeyError``) naming the reference and how to list runs, `AmbiguousRunError` listing
    the candidates of an ambiguous prefix."""
    location = store.location
    if not isinstance(ref, str) or not ref:
        raise RunNotFoundError(f"A run reference must be a non-empty string, got {ref!r}; {LIST_HINT}.")
    ref = unicodedata.normalize("NFC", ref)  # names are stored so: 'é' typed either way finds its run
    run_id = store.run_id_for_name(ref)
    if run_id is not None:
        return run_id
    if store.get_run_by_id(ref) is not None:
        return ref
    if ref == "latest":
        newest = next(store.query_runs(), None)
        if newest is None:
            raise RunNotFoundError(f"There is no `latest` run: the store at {location} has no runs yet.")
        return newest.id
    at = _AT.match(ref)
    if at is not None:
        return _counted_back(store, at.group("pipeline"), 1 if at.group("latest") else int(at.group("back")), ref)
    return _by_prefix(store, ref, location)


def _counted_back(store: Any, pipeline: str, back: int, ref: str) -> str:
    if store.get_pipeline(pipeline) is None:
        raise RunNotFoundError(f"`{ref}`: no pipeline named `{pipeline}` in the store at {store.location}; "
                               "`framework pipelines list` shows the pipelines.")
    count = 0
    for count, row in enumerate(store.query_runs(pipeline_name=pipeline), start=1):
        if count == back:
            return row.id
    raise RunNotFoundError(f"`{ref}`: pipeline `{pipeline}` has only {count} run(s); "
                           f"{LIST_HINT}.")


def _by_prefix(store: Any, ref: str, location: str) -> str:
    matches = [row for row in store.query_runs() if row.name.startswith(ref) or row.id.startswith(ref)]
    if len(matches) == 1:
        return matches[0].id
    if not matches:
        raise _not_found(ref, location)
    shown = ", ".join(f"{row.name} ({row.id[:8]})" for row in matches[:MAX_SHOWN])
    more = f" and {len(matches) - MAX_SHOWN} more" if len(matches) > MAX_SHOWN else ""
    raise AmbiguousRunError(f"`{ref}` is a prefix of {len(matches)} runs: {shown}{more}; give more of the "
                            "name or id.")
