"""``Output(...)``: the return annotation that names a step's several outputs."""

from __future__ import annotations

from typing import Any, Iterator

from framework.exceptions import StepInterfaceError


class Output:
    """Named outputs of a step, in order: ``-> Output(X_train=np.ndarray, y_train=np.ndarray)``.

    Order matters: a step returns its outputs as a tuple in this order, and a
    pipeline unpacks the placeholders in this order.
    """

    def __init__(self, **outputs: Any) -> None:
        if not outputs:
            raise StepInterfaceError(
                "Output() needs at least one named output, e.g. `-> Output(model=ClassifierMixin)`; "
                "annotate with `-> None` for a step without outputs."
            )
        self.outputs: dict[str, Any] = dict(outputs)

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter(self.outputs.items())

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={getattr(v, '__name__', v)}" for k, v in self.outputs.items())
        return f"Output({inner})"
