"""The option checks that need to know their owner (``framework.options.OptionChecks``).

A step knows its outputs and its parameters argument, so only it can tell whether
``output_materializers={"model": ...}`` names a real output or ``parameters=`` has anything
to set; settings need the pydantic settings models; hooks need their signatures read. Doing
all of it when the option is given means a mistake fails at the decorator or ``configure``
line, never after a step has run.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from framework.exceptions import FrameworkError, PipelineInterfaceError, StepInterfaceError
from framework.run_names import validate_name
from framework.settings import validate_settings
from framework.steps.hooks import resolve_hook
from framework.steps.signature import StepSignature


class _Checks:
    error: type[Exception] = StepInterfaceError
    what = "step"

    def __init__(self, label: str) -> None:
        self.label = label

    def name(self, value: Any) -> str:
        """Names are keys (of runs, steps, files): ``ValueError`` for anything a path could abuse."""
        try:
            return validate_name(value, what=f"{self.what} name")
        except ValueError as exc:
            raise ValueError(f"{self.label}: {exc}") from None

    def settings(self, value: dict[str, Any]) -> dict[str, Any]:
        return validate_settings(value, owner=self.label)

    def hook(self, option: str, value: Any) -> Callable[..., Any]:
        return resolve_hook(value, option=option, owner=self.label)

    def parameters(self, value: dict[str, Any]) -> dict[str, Any]:
        raise self.error(f"{self.label} takes no `parameters=`.")

    def output_materializers(self, value: Any) -> dict[str, Any]:
        raise self.error(f"{self.label} takes no `output_materializers=`.")


class PipelineChecks(_Checks):
    error = PipelineInterfaceError
    what = "pipeline"

    def __init__(self, name: str) -> None:
        super().__init__(f"Pipeline `{name}`")


class StepChecks(_Checks):
    """Checks against one step's signature; ``label`` names the step (or invocation) in errors."""

    def __init__(self, signature: StepSignature, label: str) -> None:
        super().__init__(label)
        self.signature = signature

    def parameters(self, value: dict[str, Any]) -> dict[str, Any]:
        """Every key must be a field of the parameters class or an input that takes a value."""
        sig = self.signature
        fields = list(sig.params_class.model_fields) if sig.params_class is not None else []
        unknown = [k for k in value if k not in fields and k not in sig.inputs]
        if not unknown:
            return value
        if sig.params_class is None:
            inputs = f" or name an input of the step ({', '.join(sig.inputs)})" if sig.inputs else ""
            raise StepInterfaceError(
                f"{self.label} has no parameters argument, so `parameters=` cannot set "
                f"{', '.join(f'`{u}`' for u in unknown)}. Add an argument annotated with a BaseParameters "
                f"subclass that has these fields{inputs}, or drop `parameters=`."
            )
        raise StepInterfaceError(
            f"{self.label}: `parameters=` names unknown field(s) {', '.join(f'`{u}`' for u in unknown)}; "
            f"valid names are: {', '.join(fields + list(sig.inputs))}."
        )

    def output_materializers(self, value: Any) -> dict[str, type]:
        """One materializer for every output, or a dict by output name; classes or dotted paths."""
        outputs = list(self.signature.outputs)
        if isinstance(value, Mapping):
            unknown = [k for k in value if k not in outputs]
            if unknown:
                raise StepInterfaceError(
                    f"{self.label}: output_materializers names unknown output(s) "
                    f"{', '.join(f'`{u}`' for u in unknown)}; the step's outputs are: "
                    f"{', '.join(outputs) or 'none (it returns None)'}."
                )
            chosen = dict(value)
        elif not outputs:
            raise StepInterfaceError(
                f"{self.label} returns None, so output_materializers={value!r} has no output to apply to."
            )
        else:
            chosen = {output: value for output in outputs}
        return {output: self._materializer(output, m) for output, m in chosen.items()}

    def _materializer(self, output: str, value: Any) -> type:
        from framework.artifacts.dotted import import_dotted
        from framework.artifacts.materializers.base import BaseMaterializer
        from framework.artifacts.materializers.registry import remember_materializer

        where = f"{self.label}: materializer for output `{output}`"
        if isinstance(value, str):
            try:
                cls = import_dotted(value)
            except FrameworkError as exc:
                raise StepInterfaceError(
                    f"{where}: the source `{value}` does not resolve ({exc}). Give the class itself, or the "
                    "dotted path of a class defined at module level, e.g. 'my_package.materializers.MyMaterializer'."
                ) from None
        else:
            cls = value
        if not (isinstance(cls, type) and issubclass(cls, BaseMaterializer)):
            raise StepInterfaceError(
                f"{where}: {value!r} is not a materializer class; give a subclass of "
                "framework.artifacts.BaseMaterializer (the class itself or its dotted path)."
            )
        try:
            remember_materializer(cls)  # so what it writes loads by its recorded name in this process
        except (TypeError, ValueError) as exc:
            raise StepInterfaceError(f"{where}: {exc}") from None
        return cls
