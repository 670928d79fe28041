"""``framework artifacts show RUN STEP [OUTPUT]``: what a step produced, summarised for a terminal;
``artifacts export RUN STEP[.OUTPUT] DEST`` writes it for other tools; ``artifacts list``
finds artifacts across runs.

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
    """Artifacts: the values steps returned, as stored: show, export, list."""


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


def _step_and_output(run_view: Any, spec: str) -> tuple[str, str | None]:
    """``STEP`` or ``STEP.OUTPUT``: a step key containing a dot wins over the split."""
    if spec in run_view.steps:
        return spec, None
    step, dot, out = spec.rpartition(".")
    if dot and step in run_view.steps:
        return step, out
    raise NotFound(f"Run `{run_view.name}` has no step `{spec}`; steps: {', '.join(run_view.steps) or '(none)'} "
                   "(name an output as STEP.OUTPUT).")


@artifacts.command("export")
@click.argument("run")
@click.argument("spec", metavar="STEP[.OUTPUT]")
@click.argument("dest", type=click.Path(path_type=str))
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
def export(run: str, spec: str, dest: str, force: bool) -> None:
    """Write an output's value to DEST in a format other tools open, chosen by DEST's suffix:
    arrays .npy (or .csv), DataFrames .parquet or .csv, scikit-learn models .skops, pydantic
    models and JSON values .json. DEST may be a directory. The artifact is verified first.

    \b
    framework artifacts export latest svc_trainer model.skops
    framework artifacts export first_pipeline@-2 digits_data_loader.X_train X_train.npy
    """
    from framework.client import Client
    from framework.commands.runs import find_run
    from framework.exceptions import ArtifactError

    client = Client()
    run_view = find_run(client, run)
    step, out = _step_and_output(run_view, spec)
    outputs = run_view.steps[step].outputs
    if out is None and len(outputs) != 1:
        raise NotFound(f"Step `{step}` of run `{run_view.name}` has {len(outputs)} outputs "
                       f"({', '.join(outputs) or 'none'}); name one as {step}.OUTPUT.")
    if out is not None and out not in outputs:
        raise NotFound(f"Step `{step}` of run `{run_view.name}` has no output `{out}`; outputs: "
                       f"{', '.join(outputs) or '(none)'}.")
    try:
        path = client.export_artifact(run_view.id, step, out, dest, overwrite=force)
    except ArtifactError as exc:
        raise output.CommandError(str(exc)) from None
    click.echo(f"Wrote {path}")


@artifacts.command("list")
@click.option("--pipeline", "pipeline_name", metavar="NAME", help="Only artifacts of this pipeline's runs.")
@click.option("--step", metavar="STEP", help="Only outputs of this step.")
@click.option("--output", "output_name", metavar="NAME", help="Only outputs with this name.")
@click.option("--type", "type_", metavar="TYPE",
              help="Only this type: a kind (array, dataframe, model, scalar, collection) or a type name "
                   "(ndarray, DataFrame, numpy.ndarray, …).")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True, help="At most N (0: all).")
@json_option
def list_artifacts(pipeline_name: str | None, step: str | None, output_name: str | None, type_: str | None,
                   limit: int, as_json: bool) -> None:
    """Find artifacts across runs, newest first: each once, with the run that produced it."""
    from framework.client import Client
    from framework.reports.artifact_list import find_artifacts

    client = Client()
    if pipeline_name is not None and client.get_pipeline(pipeline_name) is None:
        raise NotFound(f"No pipeline named `{pipeline_name}` in the store at {client.store_location}; "
                       "`framework pipelines list` shows the pipelines.")
    rows = find_artifacts(client, pipeline=pipeline_name, step=step, output=output_name, type_=type_,
                          limit=limit or None)
    if as_json:
        output.print_json(rows)
        return
    if not rows:
        click.echo("No artifacts match.")
        return
    headers = ["run", "step", "output", "type", "size", "id"]
    cells = [[r["run"], r["step"], r["output"], r["type"].rsplit(".", 1)[-1], output.format_size(r["size"]),
              r["id"][:12]] for r in rows]
    output.show(*output.fitted_table(headers, cells, width=output.terminal_width(), fixed=[4, 5], keep=[0]))
