"""A pipeline instance configured before it runs: ``inst.configure(on_failure=alert)`` -> ``@pipeline(on_failure=alert)``.

Legacy code may configure a pipeline *instance* (``enable_cache``, ``settings``,
``extra``, and the hooks ``on_failure``/``on_success``) between instantiating and
running it. That is pipeline-level configuration, which in the function API is
what the decorator says; a run option (``with_options``) would not do (its
``enable_cache`` overrides every step). So the options move into the decorator of
the function that instantiation became: instantiations configured differently
are different wirings and become separate functions (``grouping``), and the
``configure`` statements go. ``configure`` merges dicts into what the pipeline
already has; when both give ``settings`` (or ``extra``) that merge has to be done by
hand, and so does a ``configure`` after the instance ran.
"""

from __future__ import annotations

import libcst as cst

from framework.migrate.nodes import code, kwarg

OPTIONS = ("enable_cache", "settings", "extra", "on_failure", "on_success")
_MERGED = ("settings", "extra")


class ConfigureProblem(Exception):
    """``message`` says why this ``configure`` call cannot move into the decorator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def configure_call(legacy, ref: cst.Name) -> cst.Call | None:
    """The ``inst.configure(...)`` call that ``ref`` starts, when it is a statement of its own."""
    return legacy.method_statement(ref, "configure")


def check(call: cst.Call, name: str) -> None:
    """Raise ``ConfigureProblem`` unless every argument of ``call`` can move into the decorator."""
    for arg in call.args:
        key = arg.keyword.value if arg.keyword is not None else None
        if arg.star or key is None:
            raise ConfigureProblem(f"`{name}.configure(...)`: pass options by keyword")
        if key == "merge" and code(arg.value) not in ("True", "False"):
            raise ConfigureProblem(f"`{name}.configure(merge=...)` is not a literal True/False")
        if key != "merge" and key not in OPTIONS:
            raise ConfigureProblem(f"`{name}.configure({key}=...)` has no function-API pipeline option")


def key(configures: list[cst.Call]) -> str:
    """Two instantiations with the same key are configured the same way."""
    return ";".join(",".join(code(a) for a in call.args) for call in configures)


def decorator_args(args: list[cst.Arg], configures: list[cst.Call], name: str) -> list[cst.Arg]:
    """The decorator's arguments once the ``configure`` calls are applied to them, in order."""
    merged = list(args)
    for call in configures:
        replace = any(a.keyword.value == "merge" and code(a.value) == "False" for a in call.args)
        for arg in call.args:
            option = arg.keyword.value
            if option == "merge":
                continue
            at = next((i for i, a in enumerate(merged) if a.keyword is not None and a.keyword.value == option), None)
            new = kwarg(option, arg.value.deep_clone())
            if at is None:
                merged.append(new)
            elif option in _MERGED and not replace:
                raise ConfigureProblem(
                    f"`{name}` gets `{option}=` from its decorator and from `configure` (they are deep-merged); "
                    "merge them into one dict in the decorator"
                )
            else:
                merged[at] = new
    return merged
