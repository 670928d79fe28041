"""``framework runs logs RUN [STEP] [--follow] [--tail N]``: what a run's steps printed.

One step: its log as the step printed it (``tail FILE``). A whole run: every step's log in
execution order, each after a header line ``==> step (status, notes) <==``; cached and
skipped steps get their header with the reason they have no log. ``--follow`` keeps
printing what running steps add, as ``tail -f`` does, reading the run's record again
every `POLL_S` seconds: it ends when the step (or, without STEP, the run) is over — a
killed run reads back as ``crashed`` — or after ``--timeout`` seconds.
"""

from __future__ import annotations

import codecs
import time
from typing import Any

import click

from framework.commands.output import NotFound

POLL_S = 0.25


# ---------------------------------------------------------------------- pure logic
def no_log_reason(step: Any, origin: str | None = None) -> str:
    """Why a step has no log."""
    if step.status == "cached":
        return f"not run again: its output came from run `{origin}`" if origin else "not run again"
    if step.status == "skipped":
        return "never ran: an upstream step failed"
    return "no output was captured"


def header(step: Any, origin: str | None = None) -> str:
    """``==> trainer (completed, 1,234 bytes cut from the middle) <==`` for one step of a listing."""
    info = step.log_info or {}
    notes = [step.status]
    if info.get("cut"):
        notes.append(f"{info['cut']:,} bytes cut from the middle")
    if info and not info.get("complete") and step.status != "running":
        notes.append("incomplete: the step did not finish")
    if info.get("error"):
        notes.append(info["error"])
    if not info:
        notes.append(no_log_reason(step, origin))
    return f"==> {step.key} ({', '.join(notes)}) <=="


def last_lines(text: str, count: int | None) -> str:
    """The last ``count`` lines of ``text`` (all of it for None)."""
    if count is None:
        return text
    return "".join(text.splitlines(keepends=True)[-count:]) if count else ""


def _origin(run: Any, step: Any) -> str | None:
    run_id = step.original_run_id
    if not run_id:
        return None
    detail = run.reader.metadata_store.get_run_by_id(run_id)
    return detail.run.name if detail is not None else run_id


def select(run: Any, step_name: str | None) -> list[Any]:
    """The step views to show: one (``step_name``), or every step in execution order
    (those never recorded, of a killed run, last)."""
    with_logs = run.log_steps()
    if step_name is None:
        recorded = list(run.steps.values())
        keys = {view.key for view in recorded}
        return recorded + [view for view in with_logs if view.key not in keys]
    try:
        return [run.steps[step_name]]
    except KeyError:
        found = [view for view in with_logs if view.key == step_name]
        if found:
            return found
        if step_name in run.detail.run.step_order:
            return []  # not started yet
        raise NotFound(f"Run `{run.name}` has no step `{step_name}`; its steps: "
                       f"{', '.join(run.detail.run.step_order) or '(none)'}.") from None


# ---------------------------------------------------------------------- printing
def show_logs(run: Any, step_name: str | None, tail: int | None) -> None:
    steps = select(run, step_name)
    if step_name is not None:
        if not steps or not steps[0].log_info:
            why = no_log_reason(steps[0], _origin(run, steps[0])) if steps else "it has not started"
            click.echo(f"Step `{step_name}` of run `{run.name}` has no log: {why}.", err=True)
            return
        click.echo(last_lines(steps[0].logs, tail), nl=False)
        return
    for index, step in enumerate(steps):
        click.echo(("\n" if index else "") + header(step, _origin(run, step)))
        text = last_lines(step.logs, tail)
        click.echo(text, nl=False)
        if text and not text.endswith("\n"):
            click.echo()


def follow_logs(client: Any, run: Any, step_name: str | None, tail: int | None, timeout: float | None) -> None:
    """Print the logs, then what is added to them, until the step or run is over."""
    deadline = None if timeout is None else time.monotonic() + timeout
    offsets: dict[str, int] = {}
    decoders: dict[str, Any] = {}
    shown: str | None = None
    while True:
        steps = [s for s in select(run, step_name) if s.log_info]
        over = run.status != "running" or (step_name is not None and bool(steps) and steps[0].status != "running")
        for step in steps:
            uri = step.log_info["uri"]
            data = step.read_logs(offsets.get(uri, 0))
            first = uri not in offsets
            offsets[uri] = offsets.get(uri, 0) + len(data)
            text = decoders.setdefault(uri, codecs.getincrementaldecoder("utf-8")("replace")).decode(data)
            if first:
                text = last_lines(text, tail)
            if text or (first and step_name is None):
                if step_name is None and shown != uri:
                    click.echo(("\n" if shown else "") + header(step))
                    shown = uri
                click.echo(text, nl=False)
        if over or (deadline is not None and time.monotonic() >= deadline):
            return
        time.sleep(POLL_S)
        run = client.get_run_by_id(run.id)


# ---------------------------------------------------------------------- click wiring
@click.command("logs")
@click.argument("run")
@click.argument("step", required=False)
@click.option("--follow", "-f", is_flag=True, help="Keep printing what running steps add until they end.")
@click.option("--tail", "-n", type=click.IntRange(min=0), default=None, metavar="N",
              help="Only the last N lines of each log.")
@click.option("--timeout", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="With --follow: stop after this long even if the run goes on.")
def logs(run: str, step: str | None, follow: bool, tail: int | None, timeout: float | None) -> None:
    """Show what the steps of RUN printed and logged, and their tracebacks: one STEP's log,
    or every step's in execution order, each after a header line. Where a long log was cut,
    a line in it says how much."""
    from framework.client import Client
    from framework.commands.runs import find_run

    client = Client()
    view = find_run(client, run)
    if follow:
        follow_logs(client, view, step, tail, timeout)
    else:
        show_logs(view, step, tail)
