"""``framework stack list`` and ``framework stack describe [NAME]``: where runs execute and
where their records and artifacts live.

Reads whatever ``framework.stacks`` offers: the active stack always; registered stacks
too when that module provides ``list_stacks()`` (and ``get_stack(name)``).

``framework stack register NAME [...]``, ``framework stack set NAME`` and
``framework stack delete NAME`` change ``<home>/stacks.yaml`` through ``framework.stacks``.
``framework stack tracking-uri [NAME]`` prints the stack's MLflow tracking URI (for
``mlflow ui --backend-store-uri``).
"""

from __future__ import annotations

import os
from typing import Any

import click

from framework.commands import output
from framework.commands.output import NotFound, json_option


# ---------------------------------------------------------------------- pure logic
def known_stacks() -> list[Any]:
    """The active stack first, then any other stack ``framework.stacks`` can list."""
    from framework import stacks

    active = stacks.active_stack()
    found = [active]
    lister = getattr(stacks, "list_stacks", None)
    if callable(lister):
        for stack in lister():
            stack = stack if hasattr(stack, "describe") else _resolve(stack)
            if stack is not None and stack.name not in {s.name for s in found}:
                found.append(stack)
    return found


def _resolve(name: str) -> Any:
    from framework import stacks

    getter = getattr(stacks, "get_stack", None)
    return getter(name) if callable(getter) else None


def find_stack(name: str | None) -> Any:
    """The stack called ``name`` (the active one when ``None``); ``NotFound`` otherwise."""
    stacks = known_stacks()
    if name is None:
        return stacks[0]
    for stack in stacks:
        if stack.name == name:
            return stack
    try:
        stack = _resolve(name)
    except (KeyError, ValueError):
        stack = None
    if stack is None:
        raise NotFound(f"No stack named `{name}`; stacks: {', '.join(s.name for s in stacks)}.")
    return stack


def stack_info(stack: Any, active_name: str) -> dict[str, Any]:
    """``Stack.describe()`` plus whether it is active and whether its stores exist yet."""
    info = dict(stack.describe())
    info["active"] = stack.name == active_name
    for key in ("artifact_store", "metadata_store"):
        location = str(info.get(key, ""))
        info[f"{key}_exists"] = os.path.isdir(location) if "://" not in location else None
    return info


# ---------------------------------------------------------------------- click wiring
@click.group()
def stack() -> None:
    """Stacks: the orchestrator, artifact store and metadata store runs use."""


@stack.command("list")
@json_option
def list_stacks(as_json: bool) -> None:
    """List the stacks; the active one (used by new runs) is marked with *."""
    found = known_stacks()
    infos = [stack_info(s, found[0].name) for s in found]
    if as_json:
        output.print_json(infos)
        return
    output.show(output.table(
        "Stacks", ["", "name", "orchestrator", "home"],
        [["*" if i["active"] else "", i["name"], i.get("orchestrator"), i.get("home")] for i in infos]))


@stack.command("describe")
@click.argument("name", required=False)
@json_option
def describe(name: str | None, as_json: bool) -> None:
    """Describe stack NAME (default: the active stack): its home, artifact store and
    metadata store. The default stack lives in $FRAMEWORK_HOME, else
    $XDG_DATA_HOME/framework, else ~/.local/share/framework."""
    found = find_stack(name)
    info = stack_info(found, known_stacks()[0].name)
    if as_json:
        output.print_json(info)
        return

    def where(key: str) -> str:
        exists = info.get(f"{key}_exists")
        return f"{info.get(key)}" + ("" if exists in (True, None) else "  (not created yet)")

    pairs = [("stack", info["name"] + ("  (active)" if info["active"] else "")),
             ("orchestrator", info.get("orchestrator")), ("home", info.get("home")),
             ("artifact store", where("artifact_store")),
             ("metadata store", f"{where('metadata_store')}  ({info.get('metadata_backend', 'tinydb')})")]
    shown = {"name", "active", "orchestrator", "home", "artifact_store", "metadata_store",
             "artifact_store_exists", "metadata_store_exists", "metadata_backend"}
    pairs += [(key.replace("_", " "), value) for key, value in info.items() if key not in shown]
    output.show(output.key_values(pairs))


# ---------------------------------------------------------------------- experiment trackers
def tracker_options(command: Any) -> Any:
    """``--experiment-tracker FLAVOR``, ``--tracker-name NAME``, ``--tracking-uri URI``."""
    command = click.option("--tracking-uri", metavar="URI",
                           help="Where MLflow keeps the runs: sqlite:///PATH.db, http://HOST:5000 (a tracking "
                                "server), ...; default: sqlite:///<home>/mlflow.db.")(command)
    command = click.option("--tracker-name", metavar="NAME",
                           help="The tracker's name, which steps give as experiment_tracker=NAME "
                                "(default: mlflow_tracker).")(command)
    return click.option("--experiment-tracker", type=click.Choice(["mlflow"]),
                        help="Give the stack an experiment tracker: steps with experiment_tracker= log to it "
                             "(needs pip install 'framework[mlflow]').")(command)


def tracker_entry(flavor: str | None, name: str | None, tracking_uri: str | None) -> dict[str, Any] | None:
    if flavor is None:
        if name or tracking_uri:
            raise click.UsageError("--tracker-name and --tracking-uri need --experiment-tracker mlflow.")
        return None
    return {"flavor": flavor, "name": name, "tracking_uri": tracking_uri}


def echo_tracker(registered: Any) -> None:
    tracker = getattr(registered, "experiment_tracker", None)
    if tracker:
        click.echo(f"Experiment tracker `{tracker['name']}` ({tracker['flavor']}) at {tracker['tracking_uri']}: "
                   f"steps log to it with experiment_tracker=\"{tracker['name']}\".")


@stack.command("tracking-uri")
@click.argument("name", required=False)
def tracking_uri(name: str | None) -> None:
    """Print the tracking URI of stack NAME's experiment tracker (default: the active stack), e.g.
    for `mlflow ui --backend-store-uri "$(framework stack tracking-uri)"`."""
    found = find_stack(name)
    tracker = getattr(found, "experiment_tracker", None)
    if not tracker:
        raise NotFound(f"Stack `{found.name}` has no experiment tracker; register a stack with one: "
                       "`framework stack register ml --experiment-tracker mlflow`.")
    click.echo(tracker["tracking_uri"])


# ---------------------------------------------------------------------- register / set / delete
def parse_storage_options(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``("endpoint_url=http://minio:9000", "anon=false")`` → a dict; values read as YAML scalars."""
    import yaml

    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--storage-option")
        try:
            options[key.strip()] = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:
            options[key.strip()] = value
    return options


@stack.command("register")
@click.argument("name")
@click.option("--orchestrator", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where steps run: this process (local) or a Dask cluster (dask).")
@click.option("--artifact-store", metavar="URL",
              help="A local directory or fsspec URL (s3://bucket/prefix) every worker can reach; "
                   "default: <home>/artifacts.")
@click.option("--scheduler", metavar="ADDRESS",
              help="dask: the scheduler, e.g. tcp://scheduler:8786; omitted: a local cluster per run.")
@click.option("--max-workers", type=click.IntRange(min=1),
              help="local: threads running steps at once; dask: workers of the local cluster.")
@click.option("--threads-per-worker", type=click.IntRange(min=1), help="dask local cluster: threads per worker.")
@click.option("--processes/--no-processes", default=None,
              help="dask local cluster: workers in their own processes (default) or threads of this one.")
@click.option("--connect-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="dask: give up reaching the scheduler after this long (default 10).")
@click.option("--storage-option", "storage_options", multiple=True, metavar="KEY=VALUE",
              help="fsspec option for the artifact store, e.g. endpoint_url=http://127.0.0.1:9000 "
                   "(repeatable; keep secrets in the environment, e.g. AWS_ACCESS_KEY_ID).")
@click.option("--metadata", metavar="URL|DIR",
              help="The metadata store: postgresql://user@host[:port]/database (password from PGPASSWORD "
                   "or ~/.pgpass, never in the URL) or a directory for a TinyDB store; default: <home>/metadata.")
@tracker_options
def register(name: str, orchestrator: str, artifact_store: str | None, scheduler: str | None,
             max_workers: int | None, threads_per_worker: int | None, processes: bool | None,
             connect_timeout: float | None, storage_options: tuple[str, ...], metadata: str | None,
             experiment_tracker: str | None, tracker_name: str | None, tracking_uri: str | None) -> None:
    """Register stack NAME in the home's stacks.yaml (it does not become active: see `stack set`).

    Examples:

    \b
    framework stack register cluster --orchestrator dask \\
        --scheduler tcp://10.0.0.5:8786 --artifact-store s3://bucket/artifacts
    framework stack register team --metadata postgresql://me@db.example/ml \\
        --artifact-store s3://bucket/artifacts
    """
    from framework import stacks

    options = {"scheduler": scheduler, "max_workers": max_workers, "threads_per_worker": threads_per_worker,
               "processes": processes, "connect_timeout": connect_timeout}
    registered = stacks.register_stack(
        name, orchestrator=orchestrator, artifact_store=artifact_store, orchestrator_options=options,
        artifact_store_options=parse_storage_options(storage_options), metadata=metadata,
        experiment_tracker=tracker_entry(experiment_tracker, tracker_name, tracking_uri))
    click.echo(f"Registered stack `{registered.name}` ({registered.orchestrator} orchestrator, artifacts in "
               f"{registered.artifact_store_url}, metadata in {registered.metadata_location}). "
               f"Use it with `framework stack set {registered.name}`.")
    echo_tracker(registered)


@stack.command("set")
@click.argument("name")
def set_stack(name: str) -> None:
    """Make stack NAME the one new runs use ($FRAMEWORK_STACK still overrides it)."""
    from framework import stacks

    try:
        chosen = stacks.set_active_stack(name)
    except stacks.StackError as exc:
        raise NotFound(str(exc)) from None
    click.echo(f"Active stack: `{chosen.name}`.")


@stack.command("delete")
@click.argument("name")
def delete(name: str) -> None:
    """Forget stack NAME (its runs, metadata and artifacts stay where they are)."""
    from framework import stacks

    stacks.delete_stack(name)
    click.echo(f"Deleted stack `{name}`.")
