"""scikit-learn estimators (anything deriving ``sklearn.base.BaseEstimator``) with skops.

Why skops: its format is a zip of JSON and arrays that is rebuilt without running
pickle's arbitrary reduce calls, and it records every type it needs, so a dump stays
inspectable.

Speed: estimators of plain state (most fitted models) are written and read by
`skops_format`, which produces the same skops file without importing ``skops.io`` — that
import alone imports all of scikit-learn. Everything else goes through skops itself.

Trust: skops refuses to load types it does not know unless they are listed as trusted, and
so does this materializer: a file loads with skops's default trust (scikit-learn's own
types) unless its record carries this home's keyed hash — then every type in it is the
user's own step's — or the caller names the types to trust (``framework.artifacts.trust``).
A file naming other types (a crafted reduce node calling ``os.system``, say) is refused
with the list of those types, before anything in it is built. sklearn and skops are
imported only inside the methods.
"""

from __future__ import annotations

import io
from typing import IO, Any

from framework.artifacts.materializers import skops_format
from framework.artifacts.materializers.base import BaseMaterializer, Source
from framework.artifacts.trust import NO_TRUST, Trust
from framework.exceptions import ArtifactTrustError, MaterializerError

__all__ = ["SklearnMaterializer"]


class SklearnMaterializer(BaseMaterializer):
    """``sklearn.base.BaseEstimator`` subclasses (models, pipelines, transformers) as ``.skops``."""

    ASSOCIATED_TYPES = ("sklearn.base.BaseEstimator",)
    EXTENSION = ".skops"
    NEEDS_TRUST = True

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

    def load(self, source: Source, data_type: str, trust: Trust = NO_TRUST) -> Any:
        try:
            return skops_format.load(source)
        except skops_format.NotPlainState:
            pass
        if not isinstance(source, str):
            source.seek(0)
        import skops.io

        if isinstance(source, str):
            with open(source, "rb") as handle:
                data = handle.read()
        else:
            data = source.read()
        needed = skops.io.get_untrusted_types(data=data)
        refused = [] if trust.code else sorted(set(needed) - set(trust.types))
        if refused:
            raise ArtifactTrustError(
                f"This model file names types skops does not trust by default: {', '.join(refused)}. "
                "Loading them can run code, and the file carries no keyed hash of this home (written by "
                "another home or an older release, or altered). If you trust them, load it with "
                f"`.load(trusted_types={refused!r})` (or `allow_pickle=True` to trust everything in it).")
        return skops.io.load(io.BytesIO(data), trusted=needed)

    def summary(self, value: Any) -> dict[str, Any]:
        return {"estimator": type(value).__qualname__}
