"""Which materializer handles which type: two plain dicts and a walk up the class hierarchy.

Why a walk over ``type(value).__mro__``: a subclass is handled by its nearest registered
ancestor (an ``SVC`` by the ``BaseEstimator`` entry), and the most specific entry wins.
Why keys may be dotted names: ``"sklearn.base.BaseEstimator"`` is compared with
``f"{c.__module__}.{c.__qualname__}"`` for each class ``c`` in the MRO, so pandas,
scikit-learn and friends are matched without being imported. Why two dicts: at the same
class, a user registration beats the built-in one, while built-ins for *more specific*
classes still beat a user's catch-all for a base class.

Nothing is registered by import side effects elsewhere: the built-ins are listed below.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Iterator

from framework.artifacts.dotted import dotted_name
from framework.artifacts.materializers.base import BaseMaterializer
from framework.artifacts.materializers.builtin_types import BuiltinsMaterializer
from framework.artifacts.materializers.numpy_arrays import NumpyMaterializer
from framework.artifacts.materializers.pandas_frames import PandasMaterializer
from framework.artifacts.materializers.pickle_fallback import PickleMaterializer
from framework.artifacts.materializers.pydantic_models import PydanticMaterializer
from framework.artifacts.materializers.sklearn_estimators import SklearnMaterializer
from framework.exceptions import MaterializerError

__all__ = ["register_materializer", "unregister_materializer", "materializer_for_value",
           "materializer_for_type", "materializer_by_name"]

_BUILTIN: dict[Any, type[BaseMaterializer]] = {}
_USER: dict[Any, type[BaseMaterializer]] = {}
#: Every materializer a recorded name may refer to, by its dotted name.
_BY_NAME: dict[str, type[BaseMaterializer]] = {}
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
_HOW_TO_REGISTER = (
    "To store it without pickle, write a BaseMaterializer subclass and call "
    "`framework.artifacts.register_materializer(MyMaterializer, {type_name})`."
)


def _check_materializer(materializer_cls: Any) -> None:
    if not (isinstance(materializer_cls, type) and issubclass(materializer_cls, BaseMaterializer)):
        raise TypeError(f"Expected a BaseMaterializer subclass, got {materializer_cls!r}.")
    ext = materializer_cls.EXTENSION
    if not isinstance(ext, str) or (ext and not re.fullmatch(r"\.[A-Za-z0-9_.-]{1,16}", ext)):
        raise ValueError(f"{materializer_cls.__qualname__}.EXTENSION must look like '.ext', got {ext!r}.")


def _key(tp: Any) -> Any:
    if isinstance(tp, type):
        return tp
    if isinstance(tp, str) and _DOTTED.match(tp):
        return tp
    raise TypeError(f"Materializer types must be classes or dotted 'module.Class' names, got {tp!r}.")


def _add(table: dict, materializer_cls: type[BaseMaterializer], types: tuple) -> None:
    _check_materializer(materializer_cls)
    keys = [_key(tp) for tp in (types or materializer_cls.ASSOCIATED_TYPES)]
    if not keys:
        raise ValueError(f"No types given for {materializer_cls.__qualname__} and its "
                         "ASSOCIATED_TYPES is empty.")
    for k in keys:
        table[k] = materializer_cls
    _BY_NAME[dotted_name(materializer_cls)] = materializer_cls


def register_materializer(materializer_cls: type[BaseMaterializer], *types: type | str
                          ) -> type[BaseMaterializer]:
    """Use ``materializer_cls`` for ``types`` (default: its ``ASSOCIATED_TYPES``) and subclasses.

    Types are classes or dotted ``"module.QualName"`` strings. Overrides built-ins and
    earlier user registrations for the same type. Returns the class, so it also works as
    a decorator (``@register_materializer``). Raises ``TypeError``/``ValueError`` for
    anything that is not a materializer class or a type.
    """
    _add(_USER, materializer_cls, types)
    return materializer_cls


def unregister_materializer(materializer_cls: type[BaseMaterializer]) -> None:
    """Forget every user registration of ``materializer_cls`` (no-op if there is none).

    Its name stays resolvable so artifacts it already wrote can still be loaded.
    """
    for k in [k for k, v in _USER.items() if v is materializer_cls]:
        del _USER[k]


def remember_materializer(materializer_cls: type[BaseMaterializer], *, replace: bool = False) -> None:
    """Make an explicitly chosen (unregistered) materializer resolvable by name on load.

    ``replace=True`` (a class being defined, maybe again after a module reload) lets the
    newest class of a dotted name win; otherwise the first one seen stays.
    """
    _check_materializer(materializer_cls)
    if replace:
        _BY_NAME[dotted_name(materializer_cls)] = materializer_cls
    else:
        _BY_NAME.setdefault(dotted_name(materializer_cls), materializer_cls)


def _candidates(tp: type) -> Iterator[type[BaseMaterializer]]:
    """Registered materializers along ``tp``'s MRO, most specific first, user before built-in."""
    for c in tp.__mro__:
        name = f"{c.__module__}.{c.__qualname__}"
        for table in (_USER, _BUILTIN):
            found = table.get(c) or table.get(name)
            if found is not None:
                yield found


def _lookup(tp: type) -> type[BaseMaterializer] | None:
    return next(_candidates(tp), None)


def materializer_for_type(tp: Any) -> type[BaseMaterializer] | None:
    """The registered materializer for a type annotation, or None (``Any``, ``object``,
    unions, unregistered classes) so the caller decides; never the pickle fallback.

    Generic aliases use their origin (``list[int]`` → the list materializer).
    """
    tp = getattr(tp, "__origin__", tp)
    if not isinstance(tp, type) or tp is object:
        return None
    return _lookup(tp)


def materializer_for_value(value: Any) -> type[BaseMaterializer]:
    """The materializer for this value; pickle (with a ``UserWarning``) if none fits exactly.

    Candidates are tried along the MRO: one whose ``unsupported_reason`` objects passes the
    value on to the next (``np.str_`` is refused by the ``str`` entry, taken by numpy's).
    """
    type_name = dotted_name(type(value))
    reasons = []
    for candidate in _candidates(type(value)):
        why = candidate.unsupported_reason(value)
        if why is None:
            return candidate
        reasons.append(f"{candidate.__qualname__} cannot store this `{type_name}` exactly: {why}")
    reason = "; ".join(reasons) or f"No materializer is registered for type `{type_name}`"
    warnings.warn(f"{reason}; falling back to pickle. {_HOW_TO_REGISTER.format(type_name=type_name)}",
                  UserWarning, stacklevel=3)
    return PickleMaterializer


def materializer_by_name(name: str) -> type[BaseMaterializer]:
    """Resolve a recorded dotted materializer name; unknown names raise `MaterializerError`.

    Only classes this process already knows are found (built-ins, registered ones, ones
    used explicitly, and `framework.materializers.BaseMaterializer` subclasses, which
    register when defined). Nothing is imported: a stored record must not make us run
    code it names (SPEC §11).
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise MaterializerError(
            f"Materializer `{name}` is not registered in this process, so the artifact it "
            "wrote cannot be loaded. Import the module that defines it (a "
            "`framework.materializers.BaseMaterializer` subclass registers itself when "
            "defined; others need `framework.artifacts.register_materializer`) before loading."
        ) from None


for _cls in (BuiltinsMaterializer, NumpyMaterializer, PandasMaterializer,
             SklearnMaterializer, PydanticMaterializer):
    _add(_BUILTIN, _cls, ())
_BY_NAME[dotted_name(PickleMaterializer)] = PickleMaterializer
