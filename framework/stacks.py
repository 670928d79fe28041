"""Stacks: where a run executes and where its records and artifacts live.

A stack is an orchestrator (``local`` or ``dask``) plus an artifact store (a local path
or an fsspec URL such as ``s3://bucket/prefix``) plus a metadata store: the TinyDB store in
``<home>/metadata`` unless the stack names another (``metadata:`` in its entry, a
PostgreSQL URL such as ``postgresql://user@host/db`` or a directory), and optionally an
experiment tracker (an ``experiment_tracker:`` section: name, flavor, tracking URI; see
``framework.experiment_tracking``). The default stack `default` is the local orchestrator
with ``<home>/artifacts`` and ``<home>/metadata``; it always exists and cannot be changed.

Other stacks are registered in ``<home>/stacks.yaml`` (``framework stack register``),
one becomes active with ``framework stack set NAME``, and ``$FRAMEWORK_STACK`` overrides
the active one for a process. The home is read from ``FRAMEWORK_HOME`` each time a stack
is resolved (never cached at import), so tests and users can switch homes freely.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable

import attrs

from framework import experiment_tracking
from framework.exceptions import FrameworkError
from framework.io.atomic import atomic_write

DEFAULT_STACK = "default"
STACKS_FILE = "stacks.yaml"
STACK_ENV = "FRAMEWORK_STACK"

#: The options each orchestrator accepts in a stack (checked at registration).
ORCHESTRATOR_OPTIONS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "local": {"max_workers": int},
    "dask": {"scheduler": str, "max_workers": int, "threads_per_worker": int, "processes": bool,
             "connect_timeout": (int, float)},
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SECRET = re.compile(r"key|secret|token|password|credential", re.IGNORECASE)


class StackError(FrameworkError, ValueError):
    """A stack is unknown, badly named or badly configured, or the stacks file is unreadable."""


def framework_home() -> Path:
    """``$FRAMEWORK_HOME``, else ``$XDG_DATA_HOME/framework``, else ``~/.local/share/framework``.

    A home that is a file (or lies below one) is a `StackError` naming it and the variable
    that chose it — not an OS error from deep inside the first store that tries to use it.
    """
    explicit = os.environ.get("FRAMEWORK_HOME")
    if explicit:
        return _checked_home(Path(explicit).expanduser().resolve(), "$FRAMEWORK_HOME")
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    source = "$XDG_DATA_HOME" if os.environ.get("XDG_DATA_HOME") else "the default ~/.local/share"
    return _checked_home(Path(data_home).resolve() / "framework", source)


def _checked_home(home: Path, source: str) -> Path:
    for path in (home, *home.parents):
        if path.exists():
            if not path.is_dir():
                where = "is a file" if path == home else f"lies below {path}, which is a file"
                raise StackError(f"The framework home {home} (from {source}) {where}, not a directory. Point "
                                 "FRAMEWORK_HOME at a directory (it is created on the first run), or unset it.")
            break
    return home


@attrs.frozen
class Stack:
    """An orchestrator plus an artifact store plus a metadata store."""

    name: str
    home: Path
    artifact_store_url: str
    metadata_root: Path
    orchestrator: str = "local"
    orchestrator_options: dict = attrs.field(factory=dict)
    artifact_store_options: dict = attrs.field(factory=dict)  # fsspec storage options (e.g. endpoint_url)
    metadata_url: str | None = None  # a PostgreSQL URL (no password); None: TinyDB in metadata_root
    # {"name", "flavor", "tracking_uri"} with defaults filled in, or None: the stack tracks no experiments
    experiment_tracker: dict | None = None

    @property
    def metadata_location(self) -> str:
        """Where the metadata store lives, for people: a directory or a URL without password."""
        if self.metadata_url:
            from framework.metadata.postgres.urls import mask

            return mask(self.metadata_url)
        return str(self.metadata_root)

    @property
    def metadata_backend(self) -> str:
        return "postgresql" if self.metadata_url else "tinydb"

    def artifact_store(self):
        from framework.artifacts import ArtifactStore
        from framework.artifacts.trust import KEY_FILE, ArtifactKey

        return ArtifactStore(self.artifact_store_url, storage_options=self.artifact_store_options or None,
                             key=ArtifactKey(self.home / KEY_FILE))

    def metadata_store(self):
        from framework.metadata import open_store

        return open_store(self.metadata_url or self.metadata_root)

    def orchestrator_instance(self):
        if self.orchestrator == "local":
            from framework.orchestrators.local import LocalOrchestrator

            return LocalOrchestrator(**self.orchestrator_options)
        if self.orchestrator == "dask":
            from framework.orchestrators.dask import DaskOrchestrator  # imports no dask until a run

            return DaskOrchestrator(**self.orchestrator_options)
        raise StackError(f"Stack `{self.name}`: unknown orchestrator `{self.orchestrator}`; "
                         f"known: {', '.join(ORCHESTRATOR_OPTIONS)}.")

    def describe(self) -> dict[str, str]:
        info = {"name": self.name, "orchestrator": self.orchestrator, "home": str(self.home),
                "artifact_store": self.artifact_store_url, "metadata_store": self.metadata_location,
                "metadata_backend": self.metadata_backend}
        for key, value in self.orchestrator_options.items():
            info[key] = value if isinstance(value, (str, int, float, bool)) else repr(value)
        if self.experiment_tracker:
            info["experiment_tracker"] = f"{self.experiment_tracker['name']} ({self.experiment_tracker['flavor']})"
            info["tracking_uri"] = self.experiment_tracker["tracking_uri"]
        if self.artifact_store_options:
            info["storage_options"] = ", ".join(f"{k}={'***' if _SECRET.search(k) else v}"
                                                for k, v in sorted(self.artifact_store_options.items()))
        return info


def default_stack(home: Path | None = None) -> Stack:
    home = home or framework_home()
    return Stack(DEFAULT_STACK, home, str(home / "artifacts"), home / "metadata")


# ---------------------------------------------------------------------- the stacks file
def stacks_file(home: Path | None = None) -> Path:
    return (home or framework_home()) / STACKS_FILE


def _read(path: Path) -> dict[str, Any]:
    """The stacks file's content; an absent file means no registered stack."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {"active": DEFAULT_STACK, "stacks": {}}
    import yaml  # only when there is a file to parse: most homes have none

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise StackError(f"The stacks file {path} is not valid YAML ({exc}); fix or remove it.") from None
    if not isinstance(data, dict) or not isinstance(data.get("stacks", {}), dict):
        raise StackError(f"The stacks file {path} does not hold `active:` and `stacks:`; fix or remove it.")
    data.setdefault("active", DEFAULT_STACK)
    data["stacks"] = dict(data.get("stacks") or {})
    return data


def _update(change: Callable[[dict[str, Any]], Any], home: Path | None = None) -> Any:
    """One read-modify-write of the stacks file under a file lock; the new file replaces the
    old atomically (``framework.io.atomic``), so readers never see a torn file."""
    import yaml
    from filelock import FileLock

    path = stacks_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=30):
        data = _read(path)
        result = change(data)
        text = ("# Stacks of this framework home; edit with `framework stack register/set/delete`.\n"
                + yaml.safe_dump(data, sort_keys=True))
        atomic_write(path, text)
    return result


def _from_entry(name: str, entry: dict[str, Any], home: Path) -> Stack:
    from framework.metadata.postgres.urls import is_postgres_url

    base = default_stack(home)
    metadata = entry.get("metadata")
    url = str(metadata) if is_postgres_url(metadata) else None
    root = Path(str(metadata)) if metadata and url is None else base.metadata_root
    return Stack(name, home, str(entry.get("artifact_store") or base.artifact_store_url), root,
                 orchestrator=str(entry.get("orchestrator", "local")),
                 orchestrator_options=dict(entry.get("orchestrator_options") or {}),
                 artifact_store_options=dict(entry.get("artifact_store_options") or {}), metadata_url=url,
                 experiment_tracker=experiment_tracking.resolved_entry(entry.get("experiment_tracker"), home))


def check_metadata_location(name: str, metadata: str) -> str:
    """The metadata location a stack entry stores: a PostgreSQL URL without a password, or
    an absolute directory. A URL holding a password is refused: ``stacks.yaml`` is plain text."""
    from framework.metadata.postgres.urls import is_postgres_url, mask, parse

    if is_postgres_url(metadata):
        try:
            parsed = parse(metadata)
        except ValueError as exc:
            raise StackError(f"Stack `{name}`: {exc}") from None
        if parsed.has_password:
            raise StackError(
                f"Stack `{name}`: the metadata URL {mask(metadata)} holds a password, and stacks.yaml is plain "
                f"text, so it is not stored there. Register {parsed.location} instead and give the password "
                "to libpq: in the PGPASSWORD environment variable, or a line "
                "`host:port:database:user:password` in ~/.pgpass (chmod 600; PGPASSFILE names another file).")
        return metadata
    if "://" in metadata and not metadata.startswith("file://"):
        raise StackError(f"Stack `{name}`: unknown metadata store {mask(metadata)}; use a directory (TinyDB) "
                         "or postgresql://user@host/database.")
    return str(Path(metadata.removeprefix("file://")).expanduser().resolve())


# ---------------------------------------------------------------------- the public functions
def list_stacks(home: Path | None = None) -> list[Stack]:
    """Every stack: `default` first, then the registered ones by name."""
    home = home or framework_home()
    registered = _read(stacks_file(home))["stacks"]
    return [default_stack(home)] + [_from_entry(n, registered[n] or {}, home) for n in sorted(registered)]


def get_stack(name: str, home: Path | None = None) -> Stack:
    """The stack called ``name``; `StackError` naming the known stacks if there is none."""
    home = home or framework_home()
    if name == DEFAULT_STACK:
        return default_stack(home)
    registered = _read(stacks_file(home))["stacks"]
    if name not in registered:
        known = ", ".join([DEFAULT_STACK, *sorted(registered)])
        raise StackError(f"No stack named `{name}`; known stacks: {known}. "
                         "Register one with `framework stack register NAME ...`.")
    return _from_entry(name, registered[name] or {}, home)


def active_stack_name(home: Path | None = None) -> str:
    """``$FRAMEWORK_STACK`` if set, else the stack chosen by ``framework stack set``, else `default`."""
    return os.environ.get(STACK_ENV) or str(_read(stacks_file(home))["active"] or DEFAULT_STACK)


def active_stack() -> Stack:
    """The stack new runs use (see `active_stack_name`)."""
    home = framework_home()
    name = active_stack_name(home)
    try:
        return get_stack(name, home)
    except StackError as exc:
        source = f"${STACK_ENV}" if os.environ.get(STACK_ENV) else f"the active stack in {stacks_file(home)}"
        raise StackError(f"{exc} (named by {source})") from None


def register_stack(name: str, *, orchestrator: str = "local", artifact_store: str | None = None,
                   orchestrator_options: dict[str, Any] | None = None,
                   artifact_store_options: dict[str, Any] | None = None,
                   metadata: str | None = None, experiment_tracker: dict[str, Any] | None = None,
                   home: Path | None = None) -> Stack:
    """Add a stack to ``<home>/stacks.yaml`` and return it; it does not become active.

    ``artifact_store``: a local path (made absolute) or an fsspec URL; default
    ``<home>/artifacts``. ``metadata``: a PostgreSQL URL without password
    (``postgresql://user@host/db``; see `check_metadata_location`) or a directory for a
    TinyDB store; default ``<home>/metadata``. Options are checked against
    `ORCHESTRATOR_OPTIONS`; no cluster or database is contacted here. ``experiment_tracker``:
    ``{"flavor": "mlflow", "name": ..., "tracking_uri": ...}`` (name and URI optional: see
    ``framework.experiment_tracking.tracker_entry``); no tracking server is contacted either.
    """
    home = home or framework_home()
    _check_name(name)
    if orchestrator not in ORCHESTRATOR_OPTIONS:
        raise StackError(f"Stack `{name}`: unknown orchestrator `{orchestrator}`; "
                         f"known: {', '.join(ORCHESTRATOR_OPTIONS)}.")
    options = {k: v for k, v in (orchestrator_options or {}).items() if v is not None}
    allowed = ORCHESTRATOR_OPTIONS[orchestrator]
    for key, value in options.items():
        if key not in allowed:
            raise StackError(f"Stack `{name}`: the `{orchestrator}` orchestrator has no option `{key}`; "
                             f"valid options are: {', '.join(allowed)}.")
        if not isinstance(value, allowed[key]) or (isinstance(value, bool) and allowed[key] is int):
            raise StackError(f"Stack `{name}`: option `{key}` must be {_type_name(allowed[key])}, got {value!r}.")
    if "max_workers" in options and options["max_workers"] < 1:
        raise StackError(f"Stack `{name}`: max_workers must be at least 1, got {options['max_workers']}.")
    entry: dict[str, Any] = {"orchestrator": orchestrator, "orchestrator_options": options}
    if artifact_store:
        entry["artifact_store"] = artifact_store if "://" in artifact_store and not artifact_store.startswith(
            "file://") else str(Path(artifact_store.removeprefix("file://")).expanduser().resolve())
    if artifact_store_options:
        entry["artifact_store_options"] = dict(artifact_store_options)
    if metadata:
        entry["metadata"] = check_metadata_location(name, metadata)
    if experiment_tracker:
        try:
            entry["experiment_tracker"] = experiment_tracking.tracker_entry(**experiment_tracker)
        except (TypeError, ValueError) as exc:
            raise StackError(f"Stack `{name}`: {exc}") from None

    def add(data: dict[str, Any]) -> None:
        if name in data["stacks"]:
            raise StackError(f"A stack named `{name}` is already registered; delete it first with "
                             f"`framework stack delete {name}` or pick another name.")
        data["stacks"][name] = entry

    _update(add, home)
    return _from_entry(name, entry, home)


def set_active_stack(name: str, home: Path | None = None) -> Stack:
    """Make ``name`` the stack new runs use (``$FRAMEWORK_STACK`` still overrides it)."""
    home = home or framework_home()
    stack = get_stack(name, home)

    def activate(data: dict[str, Any]) -> None:
        if name != DEFAULT_STACK and name not in data["stacks"]:
            raise StackError(f"No stack named `{name}`.")
        data["active"] = name

    _update(activate, home)
    return stack


def delete_stack(name: str, home: Path | None = None) -> None:
    """Remove a registered stack (its runs and artifacts stay). The `default` stack and the
    active stack cannot be deleted."""
    home = home or framework_home()
    if name == DEFAULT_STACK:
        raise StackError("The `default` stack cannot be deleted.")

    def remove(data: dict[str, Any]) -> None:
        if name not in data["stacks"]:
            raise StackError(f"No stack named `{name}`; known stacks: "
                             f"{', '.join([DEFAULT_STACK, *sorted(data['stacks'])])}.")
        if data["active"] == name:
            raise StackError(f"Stack `{name}` is active; switch first with `framework stack set default`.")
        del data["stacks"][name]

    _update(remove, home)


def _check_name(name: str) -> None:
    if name == DEFAULT_STACK:
        raise StackError("`default` is the built-in stack; register yours under another name.")
    if not isinstance(name, str) or not _NAME.match(name):
        raise StackError(f"Invalid stack name {name!r}: use letters, digits, `_`, `.` and `-` "
                         "(at most 64 characters, starting with a letter or digit).")


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({int: "an integer", float: "a number", str: "a string", bool: "true or false"}[k]
                       for k in kinds)
