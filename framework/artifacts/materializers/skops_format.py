"""The skops file format for plain-state estimators, written and read without ``skops.io``.

Why: ``import skops.io`` builds its default list of trusted types by importing every
scikit-learn module (``sklearn.utils.all_estimators``). That costs about half a second
per process — more than loading the digits data and training the seed's SVC together.
Most fitted estimators are *plain state*: a ``__getstate__`` dict of numbers, strings,
arrays, lists, tuples, dicts and nested estimators. For those, this module writes the file
``skops.io.dump`` writes (protocol 2: a zip of ``schema.json`` plus one ``.npy`` member
per array, opened by ``skops.io.load`` with no extra trust) and reads it back. Anything
else — trees, random states, functions, sparse matrices, object arrays other than 1-d
ones of plain values (feature names), cycles — raises
`NotPlainState` *before a byte is written*, and the materializer hands the value to skops.

Two deliberate differences from skops's own writer, both invisible to ``skops.io.load``:
node ids are numbered in walk order and zip members carry a fixed timestamp, so the same
model always gives the same bytes (a downstream step stays a cache hit when a retrained
model comes out identical); and immutable leaves get ids of their own rather than shared
by object identity (sharing an immutable value changes nothing once loaded).

Reading accepts only this subset and is stricter than a skops load that trusts the file:
objects are rebuilt only for classes deriving from ``sklearn.base.BaseEstimator``, types
only for ``str``/``int`` dict keys, arrays with ``allow_pickle=False``.
"""

from __future__ import annotations

import importlib
import json
import sys
import zipfile
from typing import IO, Any

from framework.artifacts.dotted import dotted_name
from framework.artifacts.materializers.base import Source

__all__ = ["PROTOCOL", "NotPlainState", "Plan", "plan", "write", "load"]

#: The skops protocol whose layout this module writes (skops >= 0.16 reads it).
PROTOCOL = 2
#: Zip member timestamp: fixed, so identical models give identical bytes.
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
#: Members at least this big are written as zip64 (their size is not known in advance).
_ZIP64_MIN_BYTES = 1 << 30
_JSON_TYPES = (str, int, float, bool, type(None))
_KEY_TYPES = (str, int)
_CONTAINERS = {dict: "DictNode", list: "ListNode", tuple: "TupleNode"}

Node = dict  # one node of skops's schema.json


class NotPlainState(Exception):
    """The value (or file) holds something only skops's full writer (reader) handles."""


class Plan:
    """A value's schema plus the arrays it references, ready to `write`.

    Building the plan does no I/O, so a value found not to be plain state is refused
    before anything reaches the artifact file.
    """

    def __init__(self, schema: Node, arrays: list[tuple[str, Any]]) -> None:
        self.schema = schema
        self.arrays = arrays


def plan(value: Any) -> Plan:
    """The `Plan` for an estimator ``value``; `NotPlainState` if skops must store it."""
    planner = _Planner()
    schema = planner.node(value)
    if schema["__loader__"] != "ObjectNode":
        raise NotPlainState(f"{type(value).__qualname__} is not an estimator")
    import skops

    schema["protocol"] = PROTOCOL
    schema["_skops_version"] = skops.__version__
    return Plan(schema, planner.arrays)


def write(planned: Plan, fileobj: IO[bytes]) -> None:
    """Write a skops zip for ``planned`` to ``fileobj`` (need not be seekable)."""
    import numpy as np

    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, array in planned.arrays:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            with zf.open(info, "w", force_zip64=array.nbytes >= _ZIP64_MIN_BYTES) as member:
                np.save(member, array, allow_pickle=False)
        info = zipfile.ZipInfo("schema.json", date_time=_FIXED_TIME)
        zf.writestr(info, json.dumps(planned.schema, separators=(",", ":")))


class _Planner:
    """Walks a value the way skops's ``get_state`` would, for the plain-state subset."""

    def __init__(self) -> None:
        self.arrays: list[tuple[str, Any]] = []
        self._next_id = 0
        self._done: dict[int, Node] = {}  # id(object) -> its node, for shared objects
        self._alive: list[Any] = []  # keeps walked temporaries alive so ids stay unique
        self._open: set[int] = set()  # objects being walked: seeing one again is a cycle

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def node(self, value: Any) -> Node:
        kind = type(value)
        if kind in _JSON_TYPES:
            return _leaf("str", "builtins", "JsonNode", self._new_id(),
                         content=json.dumps(value), is_json=True)
        key = id(value)
        if key in self._done:
            return self._done[key]
        if key in self._open:
            raise NotPlainState(f"a {kind.__qualname__} that contains itself")
        self._open.add(key)
        self._alive.append(value)
        try:
            built = self._shared_node(value, kind)
        finally:
            self._open.discard(key)
        self._done[key] = built
        return built

    def _shared_node(self, value: Any, kind: type) -> Node:
        if kind in _CONTAINERS:
            return self._container(value, kind)
        array_node = self._array(value, kind)
        if array_node is not None:
            return array_node
        if _is_plain_estimator_class(kind):
            state = value.__getstate__()
            if type(state) is not dict:
                raise NotPlainState(f"{kind.__qualname__}.__getstate__ returned no dict")
            self._alive.append(state)
            return _leaf(kind.__name__, kind.__module__, "ObjectNode", self._new_id(),
                         content=self.node(state))
        raise NotPlainState(dotted_name(kind))

    def _container(self, value: Any, kind: type) -> Node:
        loader = _CONTAINERS[kind]
        node_id = self._new_id()
        if kind is not dict:
            content: Any = [self.node(item) for item in value]
            return _leaf(kind.__name__, "builtins", loader, node_id, content=content)
        for k in value:
            if type(k) not in _KEY_TYPES:
                raise NotPlainState(f"a dict key of type {type(k).__qualname__}")
        key_types = [_leaf(type(k).__name__, "builtins", "TypeNode", self._new_id()) for k in value]
        content = {str(k): self.node(v) for k, v in value.items()}
        if len(content) != len(value):  # e.g. both 1 and "1" as keys
            raise NotPlainState("dict keys that collide as strings")
        return _leaf("dict", "builtins", loader, node_id, content=content,
                     key_types=_leaf("list", "builtins", "ListNode", self._new_id(), content=key_types))

    def _array(self, value: Any, kind: type) -> Node | None:
        """An ``NdArrayNode`` for a numpy array or numeric scalar, ``None`` for anything else."""
        np = _numpy_if_loaded()
        if np is None:
            return None
        if kind is np.ndarray:
            if value.dtype.hasobject:
                return self._object_array(value)
        elif not (isinstance(value, np.generic) and value.dtype.kind in "biufc"):
            return None
        node_id = self._new_id()
        name = f"{node_id}.npy"
        self.arrays.append((name, value))
        return _leaf(kind.__name__, kind.__module__, "NdArrayNode", node_id, type="numpy", file=name)

    def _object_array(self, value: Any) -> Node:
        """A 1-d object array of JSON values — ``feature_names_in_`` of a model fitted on a
        DataFrame — is stored item by item, as skops stores it."""
        if value.dtype != object or value.ndim != 1 or any(type(v) not in _JSON_TYPES for v in value):
            raise NotPlainState(f"a numpy array of dtype {value.dtype} and {value.ndim} dimension(s)")
        node_id = self._new_id()
        return _leaf("ndarray", "numpy", "NdArrayNode", node_id, content=[self.node(v) for v in value],
                     type="json", shape=self.node(value.shape))


def _leaf(cls: str, module: str, loader: str, node_id: int, **fields: Any) -> Node:
    node = {"__class__": cls, "__module__": module, "__loader__": loader}
    node.update(fields)
    node["__id__"] = node_id
    return node


def _numpy_if_loaded() -> Any:
    """numpy if something already imported it (an array cannot exist otherwise)."""
    return sys.modules.get("numpy")


def _is_plain_estimator_class(kind: type) -> bool:
    """A ``BaseEstimator`` subclass that pickles through ``__getstate__`` (skops's ObjectNode)."""
    base = sys.modules.get("sklearn.base")
    return (base is not None and issubclass(kind, base.BaseEstimator)
            and kind.__qualname__ == kind.__name__
            and kind.__reduce_ex__ is object.__reduce_ex__ and kind.__reduce__ is object.__reduce__)


def load(source: Source) -> Any:
    """Rebuild the estimator in a skops file of plain state; `NotPlainState` otherwise.

    The whole schema is checked before anything is built, so a file outside the subset
    costs one read of ``schema.json`` before it goes to skops.
    """
    with zipfile.ZipFile(source) as zf:
        try:
            schema = json.loads(zf.read("schema.json"))
        except (KeyError, ValueError) as exc:
            raise NotPlainState(f"no readable schema.json: {exc}") from exc
        if not isinstance(schema, dict) or schema.get("protocol") != PROTOCOL:
            raise NotPlainState("not a skops file of protocol 2")
        try:
            _check(schema)
            if schema["__loader__"] != "ObjectNode":
                raise NotPlainState("the file does not hold an estimator")
            return _Builder(zf).build(schema)
        except (KeyError, TypeError, AttributeError) as exc:  # a schema not as skops writes it
            raise NotPlainState(f"unexpected schema: {exc!r}") from exc


_LOADERS = {"JsonNode", "DictNode", "ListNode", "TupleNode", "TypeNode", "NdArrayNode", "ObjectNode"}


def _check(node: Any) -> None:
    """`NotPlainState` unless every node is one this module reads."""
    if not isinstance(node, dict) or node.get("__loader__") not in _LOADERS:
        raise NotPlainState("a node this reader does not handle")
    loader = node["__loader__"]
    children: Any = node.get("content")
    if loader == "NdArrayNode" and node.get("type") == "json":
        children = [*children, node["shape"]]
    elif loader in ("JsonNode", "TypeNode", "NdArrayNode"):
        return
    if loader == "DictNode":
        _check(node["key_types"])
        children = list(children.values())
    elif loader == "ObjectNode":
        children = [] if children is None else [children]
    for child in children:
        _check(child)


class _Builder:
    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.memo: dict[Any, Any] = {}

    def build(self, node: Node) -> Any:
        node_id = node.get("__id__")
        if node_id is not None and node_id in self.memo:
            return self.memo[node_id]
        value = getattr(self, "_" + node["__loader__"])(node)
        if node_id is not None:
            self.memo[node_id] = value
        return value

    def _JsonNode(self, node: Node) -> Any:
        return json.loads(node["content"])

    def _TypeNode(self, node: Node) -> type:
        kind = {"str": str, "int": int}.get(node["__class__"])
        if node["__module__"] != "builtins" or kind is None:
            raise NotPlainState(f"type {node['__module__']}.{node['__class__']}")
        return kind

    def _DictNode(self, node: Node) -> dict:
        _expect_builtin(node, "dict")
        key_types = self.build(node["key_types"])
        return {k_type(k): self.build(v) for k_type, (k, v) in zip(key_types, node["content"].items())}

    def _ListNode(self, node: Node) -> list:
        _expect_builtin(node, "list")
        return [self.build(item) for item in node["content"]]

    def _TupleNode(self, node: Node) -> tuple:
        _expect_builtin(node, "tuple")
        return tuple(self.build(item) for item in node["content"])

    def _NdArrayNode(self, node: Node) -> Any:
        import numpy as np

        if node.get("type") == "json":
            items, shape = [self.build(item) for item in node["content"]], self.build(node["shape"])
            if shape != (len(items),):
                raise NotPlainState(f"an object array of shape {shape}")
            array = np.empty(len(items), dtype=object)
            array[:] = items
            return array
        if node.get("type") != "numpy":
            raise NotPlainState(f"array storage {node.get('type')!r}")
        with self.zf.open(node["file"]) as member:
            array = np.load(member, allow_pickle=False)
        if node["__module__"] == "numpy" and node["__class__"] == "ndarray":
            return array
        scalar_type = getattr(np, node["__class__"], None) if node["__module__"] == "numpy" else None
        if not (isinstance(scalar_type, type) and issubclass(scalar_type, np.generic)):
            raise NotPlainState(f"array type {node['__module__']}.{node['__class__']}")
        return scalar_type(array)

    def _ObjectNode(self, node: Node) -> Any:
        from sklearn.base import BaseEstimator

        module = node["__module__"]
        if not isinstance(module, str) or not (module == "sklearn" or module.startswith("sklearn.")):
            # skops's default trust: scikit-learn's own classes. Anything else goes to skops, which
            # names it, and is built only if trusted — a module named in a file is never imported here.
            raise NotPlainState(f"class {module}.{node['__class__']} is not scikit-learn's")
        try:
            cls = getattr(importlib.import_module(module), node["__class__"])
        except (ImportError, AttributeError) as exc:
            raise NotPlainState(f"class {node['__module__']}.{node['__class__']}: {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, BaseEstimator)):
            raise NotPlainState(f"{node['__module__']}.{node['__class__']} is not an estimator")
        instance = cls.__new__(cls)
        content = node.get("content")
        if content is not None:
            instance.__setstate__(self.build(content))
        return instance


def _expect_builtin(node: Node, name: str) -> None:
    if node["__module__"] != "builtins" or node["__class__"] != name:
        raise NotPlainState(f"container type {node['__module__']}.{node['__class__']}")
