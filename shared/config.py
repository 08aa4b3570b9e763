"""Behaviour config from YAML (secrets never live here: see ``shared.settings``).

:func:`load_yaml_model` validates a YAML file against a pydantic model whose config forbids
unknown keys, and turns a validation failure into a :class:`ConfigError` that names the file,
the line, the key and, for numbers, the allowed range::

    config/bots/divergence.yaml:7: params.divergence_threshold: Input should be less than
    or equal to 2 (got 5.0; allowed range [0.05, 2.0])

Config models derive from :class:`ConfigModel`. A model that renamed a key lists
``{old: new}`` in ``renamed_keys``; a file that still uses the old key is told the new one::

    config/signal.yaml: invalid config
      line 10: features.vol_window_hours: renamed: use vol_window_bars

Reading is bounded, so no file can make it take minutes or gigabytes: at most
:data:`MAX_CONFIG_BYTES`, nesting at most :data:`MAX_CONFIG_DEPTH` deep, and no aliases
(``*name``: the one way a short YAML file expands into a huge or cyclic one; config files
do not use them). A key given twice in one mapping is an error naming both lines, not a
silent "last one wins".
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from types import UnionType
from typing import Any, ClassVar, TypeVar, Union, get_args, get_origin

import yaml
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo

from shared.contracts import canonical_json, sha256_hex
from shared.errors import ConfigError

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_CONFIG_DEPTH",
    "ConfigModel",
    "StrictConfigModel",
    "config_digest",
    "config_dir",
    "load_yaml_model",
    "project_root",
    "read_yaml",
]

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_CONFIG_BYTES = 1 << 20
"""The largest config file read (1 MiB); ours are a few kilobytes."""
MAX_CONFIG_DEPTH = 64
"""The deepest nesting of mappings and sequences a config file may have."""


_MERGE_TAG = "tag:yaml.org,2002:merge"


class _BoundedLoader(yaml.SafeLoader):
    # SafeLoader that refuses aliases, nesting beyond MAX_CONFIG_DEPTH and duplicate keys.
    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in config files", self._mark())
        if self._depth >= MAX_CONFIG_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_CONFIG_DEPTH} levels deep", self._mark())
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _mark(self) -> yaml.Mark:
        return self.peek_event().start_mark  # type: ignore[no-untyped-call,no-any-return]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first given at line {seen[key]})",
                    key_node.start_mark)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _compose(text: str) -> yaml.Node | None:
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


class ConfigModel(BaseModel):
    """Base of every model a config file is validated against: frozen, unknown keys are
    errors. ``renamed_keys`` maps a key this model used to have to its new name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    renamed_keys: ClassVar[Mapping[str, str]] = {}


class StrictConfigModel(ConfigModel):
    """A :class:`ConfigModel` with strict types (no ``"1"`` for ``1``), validated defaults and
    no NaN or infinity: the parameters a decision is computed from (features, bots)."""

    model_config = ConfigDict(strict=True, validate_default=True, allow_inf_nan=False)


@lru_cache(maxsize=1)
def project_root() -> Path:
    """The directory holding ``config/``: ``$TB_HOME``, else the nearest parent of the working
    directory that has ``config/reason_codes.yaml``, else the source checkout."""
    env = os.environ.get("TB_HOME")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "config" / "reason_codes.yaml").is_file():
            return candidate
    return Path(__file__).resolve().parents[1]


def config_dir() -> Path:
    return project_root() / "config"


def read_yaml(path: Path) -> Any:
    """Parse a YAML file within the module's bounds; a missing, oversized or non-UTF-8 file,
    a syntax error, an alias, deep nesting or a duplicate key is a ConfigError naming it
    (and the line, when there is one)."""
    text = _read_text(path)
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(f"{path}{where}: invalid YAML: {problem}") from None


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config file ({e.strerror})") from e
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: config file is larger than {MAX_CONFIG_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: config file is not UTF-8 text (byte {e.start})") from None


def load_yaml_model(path: Path, model: type[ModelT]) -> ModelT:
    """Read ``path`` and validate it as ``model``; errors name file, line, key and range."""
    data = read_yaml(path)
    if data is None:
        data = {}
    try:
        return model.model_validate(data)
    except ValidationError as e:
        lines = _key_lines(path)
        messages = [_describe(error, model, lines) for error in e.errors()]
        raise ConfigError(f"{path}: invalid config\n" + "\n".join(messages)) from e


def config_digest(value: BaseModel | Mapping[str, Any]) -> str:
    """A 16-hex digest of a config's canonical JSON: the config version."""
    return sha256_hex(canonical_json(value))[:16]


# Map each dotted key path in a YAML file to its 1-based line number.
def _key_lines(path: Path) -> dict[str, int]:
    try:
        node = _compose(_read_text(path))
    except (ConfigError, yaml.YAMLError):
        return {}
    out: dict[str, int] = {}

    def walk(current: yaml.Node | None, prefix: str) -> None:
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
                out[key] = key_node.start_mark.line + 1
                walk(value_node, key)
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                key = f"{prefix}.{index}" if prefix else str(index)
                out[key] = item.start_mark.line + 1
                walk(item, key)

    walk(node, "")
    return out


def _describe(error: Mapping[str, Any], model: type[BaseModel], lines: Mapping[str, int]) -> str:
    loc = tuple(str(part) for part in error["loc"])
    key = ".".join(loc) or "<root>"
    line = _nearest_line(loc, lines)
    where = f"line {line}: " if line else ""
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        renamed = _renamed_keys(model, loc[:-1]).get(loc[-1])
        allowed = _allowed_keys(model, loc[:-1])
        if renamed:
            message = f"renamed: use {renamed}"
        else:
            message = f"unknown key {loc[-1]!r}" + (
                f" (allowed keys: {allowed})" if allowed else "")
    else:
        message += f" (got {error.get('input')!r})"
        bounds = _field_bounds(model, loc)
        if bounds:
            message += f"; allowed range {bounds}"
    return f"  {where}{key}: {message}"


def _nearest_line(loc: tuple[str, ...], lines: Mapping[str, int]) -> int | None:
    for end in range(len(loc), 0, -1):
        line = lines.get(".".join(loc[:end]))
        if line:
            return line
    return None


def _walk(model: type[BaseModel], loc: tuple[str, ...]) -> tuple[FieldInfo | None, Any]:
    # The field named by ``loc`` and the type of its value. A list index or a mapping key
    # steps into the element type and keeps the container's field (for its bounds).
    current: Any = model
    info: FieldInfo | None = None
    for part in loc:
        fields = getattr(_model_of(current), "model_fields", None)
        if fields and part in fields:
            info = fields[part]
            current = info.annotation
            continue
        element = _element_of(current)
        if element is None:
            return None, None
        current = element
    return info, current


def _model_of(annotation: Any) -> type[BaseModel] | None:
    # ``annotation`` as a model class, ``X | None`` included.
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    models = [a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    return models[0] if get_origin(annotation) in (Union, UnionType) and models else None


def _element_of(annotation: Any) -> Any:
    # The element (value) type of a tuple, list or mapping annotation; None otherwise.
    args = [a for a in get_args(annotation) if a is not Ellipsis and a is not type(None)]
    origin = get_origin(annotation)
    if origin in (Union, UnionType) and len(args) == 1:
        return _element_of(args[0])
    if origin in (tuple, list, dict, Mapping) or (
        isinstance(origin, type) and issubclass(origin, (Sequence, Mapping))
    ):
        return args[-1] if args else None
    return None


def _field_info(model: type[BaseModel], loc: tuple[str, ...]) -> FieldInfo | None:
    return _walk(model, loc)[0]


def _model_at(model: type[BaseModel], loc: tuple[str, ...]) -> type[BaseModel] | None:
    # The model that holds the keys at ``loc`` (None when it is not a model).
    return _model_of(_walk(model, loc)[1])


def _allowed_keys(model: type[BaseModel], loc: tuple[str, ...]) -> str:
    owner = _model_at(model, loc)
    return ", ".join(sorted(owner.model_fields)) if owner else ""


def _renamed_keys(model: type[BaseModel], loc: tuple[str, ...]) -> Mapping[str, str]:
    owner = _model_at(model, loc)
    return owner.renamed_keys if owner and issubclass(owner, ConfigModel) else {}


def _field_bounds(model: type[BaseModel], loc: tuple[str, ...]) -> str:
    info = _field_info(model, loc)
    if info is None:
        return ""
    lo: object = None
    hi: object = None
    lo_open = hi_open = False
    for meta in info.metadata:
        if isinstance(meta, Ge):
            lo = meta.ge
        elif isinstance(meta, Gt):
            lo, lo_open = meta.gt, True
        elif isinstance(meta, Le):
            hi = meta.le
        elif isinstance(meta, Lt):
            hi, hi_open = meta.lt, True
    if lo is None and hi is None:
        return ""
    left = "(" if lo_open or lo is None else "["
    right = ")" if hi_open or hi is None else "]"
    return f"{left}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{right}"
