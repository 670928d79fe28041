"""``framework artifacts show RUN STEP [OUTPUT]``: what a step produced, summarised for a terminal.

The artifact record's ``metadata`` (written by the materializer: shape and dtype of an
array, rows and columns of a DataFrame, the value of a scalar, the class of a model) is
used first; the artifact is loaded (hash-verified) only for what the record cannot tell:
the head of a DataFrame, the repr of a model or of a container.
"""

from __future__ import annotations

from typing import Any

import click

from framework.commands import output
from framework.commands.output import NotFound, json_option


# ---------------------------------------------------------------------- click wiring
@click.group()
def artifacts() -> None:
    """Artifacts: the values steps returned, as stored."""


@artifacts.command("show")
@click.argument("run")
@click.argument("step")
@click.argument("output_name", metavar="[OUTPUT]", required=False)
@click.option("--head", "head", type=click.IntRange(min=0), default=5, show_default=True,
              help="Rows of a DataFrame to show.")
@click.option("--no-load", is_flag=True, help="Never load the artifact: show only what its record says.")
@json_option
def show(run: str, step: str, output_name: str | None, head: int, no_load: bool, as_json: bool) -> None:
    """Summarise the outputs of STEP in RUN (or only OUTPUT).

    Arrays show shape and dtype, DataFrames their head, models their repr, scalars their
    value. The stored summary is used where it suffices; otherwise the artifact is loaded
    after its content hash is verified. RUN is a run name or id; STEP a step name (or a
    legacy slot name such as step_2).
    """
    from framework.client import Client
    from framework.commands.runs import find_run
    from framework.reports.artifacts import artifact_header, summarize

    run_view = find_run(Client(), run)
    try:
        step_view = run_view.steps[step]
    except KeyError:
        raise NotFound(f"Run `{run_view.name}` has no step `{step}`; steps: "
                       f"{', '.join(run_view.steps) or '(none)'}.") from None
    outputs = step_view.outputs
    if output_name is not None:
        if output_name not in outputs:
            raise NotFound(f"Step `{step_view.name}` of run `{run_view.name}` has no output `{output_name}`; "
                           f"outputs: {', '.join(outputs) or '(none)'}.")
        outputs = {output_name: outputs[output_name]}
    if not outputs:
        raise NotFound(f"Step `{step_view.name}` of run `{run_view.name}` produced no outputs "
                       f"(status {step_view.status}).")
    results = []
    for name, view in outputs.items():
        header = artifact_header(view, run_view.name, step_view.name)
        header["output"] = name
        header["summary"] = summarize(view.record, None if no_load else view.load, head=head)
        results.append(header)
    if as_json:
        output.print_json(results if output_name is None else results[0])
        return
    from rich.text import Text

    blocks: list[Any] = []
    for item in results:
        blocks.append(Text(f"{item['step']}.{item['output']}", style="bold"))
        blocks.append(output.key_values([
            ("type", item["type"]), ("size", output.format_size(item["size"])),
            ("location", item["path"]), ("materializer", item["materializer"]),
        ]))
        blocks.append(Text(item["summary"]["text"]))
        blocks.append(Text(""))
    output.show(*blocks[:-1])
