"""scikit-learn estimators (anything deriving ``sklearn.base.BaseEstimator``) with skops.

Why skops: its format is a zip of JSON and arrays that is rebuilt without running
pickle's arbitrary reduce calls, and it records every type it needs, so a dump stays
inspectable.

Speed: estimators of plain state (most fitted models) are written and read by
`skops_format`, which produces the same skops file without importing ``skops.io`` — that
import alone imports all of scikit-learn. Everything else goes through skops itself.

Trust: skops refuses to load types it does not know unless they are listed as trusted.
Here every type found in the file (``skops.io.get_untrusted_types``) is trusted, because
the artifact store is the trust boundary: a load happens only after the file's bytes
matched the content hash recorded when *this framework* wrote them, so the types in it are
the ones the user's own step produced. A file that was swapped or altered fails that check
and is never handed to skops. sklearn and skops are imported only inside the methods.
"""

from __future__ import annotations

import io
from typing import IO, Any

from framework.artifacts.materializers import skops_format
from framework.artifacts.materializers.base import BaseMaterializer, Source
from framework.exceptions import MaterializerError

__all__ = ["SklearnMaterializer"]


class SklearnMaterializer(BaseMaterializer):
    """``sklearn.base.BaseEstimator`` subclasses (models, pipelines, transformers) as ``.skops``."""

    ASSOCIATED_TYPES = ("sklearn.base.BaseEstimator",)
    EXTENSION = ".skops"

    def save(self, value: Any, fileobj: IO[bytes]) -> None:
        try:
            planned = skops_format.plan(value)
        except skops_format.NotPlainState:
            pass
        else:
            skops_format.write(planned, fileobj)
            return
        import skops.io

        try:
            data = skops.io.dumps(value)
        except Exception as exc:  # skops raises various types for objects it cannot rebuild
            raise MaterializerError(
                f"skops cannot store this {type(value).__qualname__}: {exc}. Replace the "
                "unsupported part (e.g. a lambda in a FunctionTransformer) with a "
                "module-level function, or save it with another materializer via "
                "`framework.artifacts.register_materializer`."
            ) from exc
        fileobj.write(data)

    def load(self, source: Source, data_type: str) -> Any:
        try:
            return skops_format.load(source)
        except skops_format.NotPlainState:
            pass
        if not isinstance(source, str):
            source.seek(0)
        import skops.io

        if isinstance(source, str):
            trusted = skops.io.get_untrusted_types(file=source)
            return skops.io.load(source, trusted=trusted)
        data = source.read()
        trusted = skops.io.get_untrusted_types(data=data)
        return skops.io.load(io.BytesIO(data), trusted=trusted)

    def summary(self, value: Any) -> dict[str, Any]:
        return {"estimator": type(value).__qualname__}
