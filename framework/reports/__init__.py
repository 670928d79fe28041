"""The read model: what the CLI and the dashboard show about runs, computed once.

Plain-data reports over the views of ``framework.views`` (which a ``Client`` hands out):
listing rows, flat parameters, scalar outputs, where a cached step's outputs came from,
run descriptions, comparisons of runs as trials, artifact summaries. The CLI prints them
as tables or JSON; the dashboard renders them as HTML; neither computes its own.

Flat keys used everywhere: a step parameter is ``"<step>.<name>"``, a pipeline argument
``"pipeline:<name>"``, a scalar output ``"<step>.<output>"`` (``<step>`` being the step's
key in its run: the step name in legacy runs, the invocation id otherwise).
"""
