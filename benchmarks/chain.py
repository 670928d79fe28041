"""The trivial step and the chain pipelines of ``bench_steps`` (a module of their own, so
the step's code fingerprint — and so every cache key — is the same in every process)."""

from __future__ import annotations

from framework.pipelines.new import pipeline
from framework.steps import step


@step
def inc(x: int) -> int:
    """One trivial step: its output is one small JSON artifact."""
    return x + 1


def make_chain(length: int):
    """A function-API pipeline ``chain_<length>``: ``inc`` called ``length`` times in a row."""

    def chain() -> None:
        value = inc(x=0)
        for _ in range(length - 1):
            value = inc(x=value)

    chain.__name__ = f"chain_{length}"
    return pipeline(chain)
