"""``framework artifacts show RUN STEP [OUTPUT]``: what a step produced, summarised for a terminal.

The artifact record's ``metadata`` (written by the materializer: shape and dtype of an
array, rows and columns of a DataFrame, the value of a scalar, the class of a model) is
used first; the artifact is loaded (hash-verified) only for what the record cannot tell:
the head of a DataFrame, the repr of a model or of a container.
"""

from __future__ import annotations

import reprlib
from typing import Any, Callable

import click

from framework.commands import output
from framework.commands.output import NotFound, json_option

SCALAR_TYPES = frozenset({"builtins.int", "builtins.float", "builtins.bool", "builtins.str",
                          "builtins.NoneType"})
REPR_LIMIT = 2000  # characters of a model's or object's repr shown


# ---------------------------------------------------------------------- pure logic
def artifact_kind(record: dict[str, Any]) -> str:
    """``array``, ``dataframe``, ``series``, ``model``, ``scalar``, ``collection`` or ``object``."""
    materializer = (record.get("materializer") or "").rsplit(".", 1)[-1]
    data_type = record.get("data_type") or ""
    metadata = record.get("metadata") or {}
    if materializer == "NumpyMaterializer":
        return "array" if "shape" in metadata or data_type == "numpy.ndarray" else "scalar"
    if materializer == "PandasMaterializer":
        return "series" if data_type.endswith(".Series") else "dataframe"
    if materializer == "SklearnMaterializer":
        return "model"
    if materializer == "BuiltinsMaterializer":
        return "scalar" if data_type in SCALAR_TYPES else "collection"
    return "object"


def short_summary(record: dict[str, Any]) -> str:
    """One line from the record's metadata alone (never loads): for tables."""
    metadata = record.get("metadata") or {}
    kind = artifact_kind(record)
    if "summary_error" in metadata:
        return ""
    if kind == "array" and "shape" in metadata:
        return f"shape {tuple(metadata['shape'])} {metadata.get('dtype', '')}".strip()
    if kind == "dataframe" and "rows" in metadata:
        return f"{metadata['rows']} rows × {metadata.get('n_columns', len(metadata.get('columns', [])))} columns"
    if kind == "series" and "rows" in metadata:
        return f"{metadata['rows']} rows {metadata.get('dtype', '')}".strip()
    if "value" in metadata:
        return f"value {output.format_value(metadata['value'], 40)}"
    if "estimator" in metadata:
        return str(metadata["estimator"])
    if "model" in metadata:
        return str(metadata["model"])
    if "len" in metadata:
        return f"len {metadata['len']}"
    return ""


def summarize(record: dict[str, Any], load: Callable[[], Any] | None, head: int = 5) -> dict[str, Any]:
    """What ``artifacts show`` prints about one artifact, as plain data.

    ``load`` returns the (verified) value; ``None`` means "never load" (``--no-load``), and
    it is called only when the record's metadata cannot answer. The result has ``kind``,
    the fields known for that kind (``shape``/``dtype``, ``rows``/``columns``/``head``,
    ``class``/``repr``, ``value``, ``len``) and ``text``: the lines to print.
    """
    kind = artifact_kind(record)
    metadata = dict(record.get("metadata") or {})
    summary: dict[str, Any] = {"kind": kind, "loaded": False}

    def value() -> Any:
        summary["loaded"] = True
        return load()  # type: ignore[misc]

    if kind == "array":
        if "shape" in metadata and "dtype" in metadata:
            summary.update(shape=list(metadata["shape"]), dtype=metadata["dtype"])
        elif load is not None:
            array = value()
            summary.update(shape=list(array.shape), dtype=str(array.dtype))
        summary["text"] = (f"array  shape {tuple(summary['shape'])}  dtype {summary['dtype']}"
                           if "shape" in summary else "array (shape unknown; load disabled)")
    elif kind == "scalar":
        if "value" in metadata:
            summary["value"] = metadata["value"]
        elif load is not None:
            summary["value"] = _plain(value())
        summary["text"] = (f"{record.get('data_type', 'value')} = {summary['value']!r}"
                           if "value" in summary else "scalar (value not recorded; load disabled)")
    elif kind in ("dataframe", "series"):
        for key in ("rows", "n_columns", "columns", "dtype"):
            if key in metadata:
                summary[key] = metadata[key]
        lines = []
        if "rows" in summary:
            shape = (f"{summary['rows']} rows × {summary.get('n_columns', len(summary.get('columns', [])))} columns"
                     if kind == "dataframe" else f"{summary['rows']} rows, dtype {summary.get('dtype')}")
            lines.append(f"{kind}  {shape}")
        if load is not None and head > 0:
            frame = value()
            summary["head"] = frame.head(head).to_string()
            if "rows" not in summary:
                summary["rows"] = len(frame)
                lines.append(f"{kind}  {len(frame)} rows")
            lines.append(summary["head"])
        summary["text"] = "\n".join(lines) or kind
    elif kind == "model":
        summary["class"] = metadata.get("estimator") or record.get("data_type")
        if load is not None:
            summary["repr"] = _short_repr(value())
        summary["text"] = summary.get("repr") or f"model {summary['class']}"
    else:  # collection / object
        if "len" in metadata:
            summary["len"] = metadata["len"]
        if load is not None:
            summary["repr"] = _short_repr(value())
        summary["text"] = summary.get("repr") or (
            f"{record.get('data_type')} (len {summary['len']})" if "len" in summary else str(record.get("data_type")))
    return summary


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") and hasattr(value, "dtype") else value


def _short_repr(value: Any) -> str:
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        limiter = reprlib.Repr()
        limiter.maxlist = limiter.maxtuple = limiter.maxdict = limiter.maxset = 20
        limiter.maxstring = limiter.maxother = 200
        text = limiter.repr(value)
    else:
        text = repr(value)
    return text if len(text) <= REPR_LIMIT else text[: REPR_LIMIT - 1] + "…"


def artifact_header(view: Any, run_name: str, step_name: str) -> dict[str, Any]:
    """The fields every summary starts with, from an ``ArtifactView``."""
    record = view.to_dict()
    return {
        "run": run_name, "step": step_name, "output": view.name or record.get("output_name"),
        "id": view.id, "type": view.data_type, "materializer": view.materializer, "size": view.size,
        "content_hash": view.content_hash, "uri": view.uri, "path": view.path,
        "produced_by_run": record.get("run_name"), "metadata": view.metadata,
    }


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
        header["summary"] = summarize(view.to_dict(), None if no_load else view.load, head=head)
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
