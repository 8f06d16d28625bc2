"""Load the YAML file, validate it, resolve secrets, and report every problem at once.

Each problem is one line: ``<yaml path> (line N): <what was expected>``. All of them are
collected before :class:`~connector.errors.ConfigError` is raised, so an admin fixes the file
in one pass.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from connector.config.models import ConnectorSettings
from connector.config.types import SecretRef, world_readable
from connector.errors import ConfigError, SecretNotFound

_VENDOR_TAGS = {"opendental", "dentrix", "eaglesoft"}
ENV_CONFIG = "CONNECTOR_CONFIG"


@dataclass(frozen=True)
class LoadedConfig:
    """A validated configuration with its secrets resolved, and any warnings for the admin."""

    settings: ConnectorSettings
    path: Path | None
    warnings: list[str] = field(default_factory=list)

    def secret_values(self) -> list[str]:
        """Every resolved secret's text, for the log redactor."""
        values = []
        for _, ref in iter_secrets(self.settings):
            try:
                values.append(ref.get())
            except SecretNotFound:
                continue
        return values


def config_path(explicit: str | os.PathLike[str] | None) -> Path:
    """The config file to use: ``--config``, else ``$CONNECTOR_CONFIG``."""
    chosen = explicit or os.environ.get(ENV_CONFIG)
    if not chosen:
        raise ConfigError(f"no configuration file: pass --config FILE or set {ENV_CONFIG}")
    return Path(chosen)


def load_config(
    path: str | os.PathLike[str],
    *,
    environ: Mapping[str, str] | None = None,
    resolve_secrets: bool = True,
) -> LoadedConfig:
    """Read, validate and (by default) resolve secrets.

    Raises:
        ConfigError: with ``problems`` listing every error, each with its YAML path.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read configuration: {exc.strerror}") from exc
    try:
        data, lines = _parse_yaml(text)
    except _YamlRefused as exc:
        raise ConfigError(f"{file}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{file}{where}: {problem}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: expected a mapping with a 'practices' list at the top")

    env = os.environ if environ is None else environ
    try:
        settings = _validate(data, env)
    except ValidationError as exc:
        problems = [_format_error(err, lines) for err in exc.errors()]
        raise ConfigError(_summary(file, problems), problems=problems) from None

    problems, warnings = [], []
    if resolve_secrets:
        for yaml_path, ref in iter_secrets(settings):
            try:
                ref.resolve(env)
            except SecretNotFound as exc:
                problems.append(f"{_with_line(yaml_path, lines)}: {exc.message}")
            secret_file = getattr(ref, "file", None)
            if secret_file is not None and world_readable(Path(secret_file)):
                warnings.append(
                    f"{yaml_path}: the secret file {secret_file} can be read by other users; "
                    "chmod 600 it (readable by the service user only)"
                )
            if ref.value is not None and world_readable(file):
                warnings.append(
                    f"{yaml_path}: a secret is written in {file}, which other users can read; "
                    "use {env: NAME} or {file: PATH}, or chmod 600 the file"
                )
    if problems:
        raise ConfigError(_summary(file, problems), problems=problems)
    return LoadedConfig(settings=settings, path=file, warnings=warnings)


def _validate(data: dict[str, Any], environ: Mapping[str, str]) -> ConnectorSettings:
    # pydantic-settings reads os.environ itself; swap in the given mapping for tests.
    if environ is os.environ:
        return ConnectorSettings(**data)
    saved = {k: v for k, v in os.environ.items() if k.startswith("CONNECTOR_")}
    try:
        for key in saved:
            os.environ.pop(key)
        os.environ.update({k: v for k, v in environ.items() if k.startswith("CONNECTOR_")})
        return ConnectorSettings(**data)
    finally:
        for key in [k for k in os.environ if k.startswith("CONNECTOR_")]:
            os.environ.pop(key)
        os.environ.update(saved)


def iter_secrets(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, SecretRef]]:
    """Yield ``(yaml path, SecretRef)`` for every secret reference in a validated model."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        yield from _walk(value, f"{prefix}.{name}" if prefix else name)


def _walk(value: Any, path: str) -> Iterator[tuple[str, SecretRef]]:
    if isinstance(value, SecretRef):
        yield path, value
    elif isinstance(value, BaseModel):
        yield from iter_secrets(value, path)
    elif isinstance(value, list | tuple):
        for index, entry in enumerate(value):
            yield from _walk(entry, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, entry in value.items():
            yield from _walk(entry, f"{path}.{key}")


def _summary(file: Path, problems: list[str]) -> str:
    count = len(problems)
    return f"{file}: {count} problem{'s' if count != 1 else ''} in the configuration"


def _format_error(err: Any, lines: dict[str, int]) -> str:
    path = _yaml_path(err["loc"])
    message = err["msg"]
    if err["type"] == "missing":
        message = "required setting is missing"
    elif err["type"] == "extra_forbidden":
        message = "unknown setting (check the spelling; see config/example.yaml)"
    elif err["type"] == "union_tag_invalid":
        message = "vendor must be one of opendental, dentrix, eaglesoft"
    elif err["type"] == "string_pattern_mismatch" and path.endswith(".id"):
        message = "use lower-case letters, digits, '-' and '_' (e.g. smile-main)"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return f"{_with_line(path, lines)}: {message}"


def _yaml_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for index, part in enumerate(loc):
        if isinstance(part, int):
            parts.append(f"[{part}]")
            continue
        previous = loc[index - 1] if index else None
        if part in _VENDOR_TAGS and previous == "pms":
            continue  # the discriminated union's tag is not part of the YAML path
        parts.append(f".{part}" if parts else str(part))
    return "".join(parts) or "(top level)"


def _with_line(path: str, lines: dict[str, int]) -> str:
    probe = path
    while probe:
        if probe in lines:
            return f"{path} (line {lines[probe]})"
        cut = max(probe.rfind("."), probe.rfind("["))
        probe = probe[:cut] if cut > 0 else ""
    return path


MAX_EXPANDED_NODES = 50_000
"""More values than any real configuration has; a file whose aliases expand beyond this (an
"alias bomb": a few hundred bytes that expand to billions of values) is refused at once."""


class _YamlRefused(Exception):
    """The YAML is valid but refused (too large once expanded, or a key given twice)."""


def _parse_yaml(text: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML and remember the line of every mapping key and list entry.

    Raises:
        yaml.YAMLError: not YAML. _YamlRefused: aliases expand too far, or a mapping has the
            same key twice (YAML says keys are unique; PyYAML would keep the last silently).
    """
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[str, int] = {}
    if node is not None:
        size = _expanded_size(node, {})
        if size > MAX_EXPANDED_NODES:
            raise _YamlRefused(
                f"the file expands to more than {MAX_EXPANDED_NODES:,} values through its "
                "anchors and aliases (&name / *name); write the settings out instead"
            )
        _refuse_duplicate_keys(node, set())
        _collect_lines(node, "", lines)
    return yaml.safe_load(text), lines


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many values ``node`` stands for once every alias is expanded (linear time: each
    distinct node is sized once, an alias reuses its anchor's size)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = MAX_EXPANDED_NODES + 1  # a cycle counts as too large
    size = 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            size += _expanded_size(key_node, memo) + _expanded_size(value_node, memo)
            if size > MAX_EXPANDED_NODES:
                break
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            size += _expanded_size(item, memo)
            if size > MAX_EXPANDED_NODES:
                break
    memo[id(node)] = size
    return size


def _refuse_duplicate_keys(node: yaml.Node, seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                line = key_node.start_mark.line + 1
                if key_node.value in first:
                    raise _YamlRefused(
                        f"line {line}: '{key_node.value}' is given twice in the same section "
                        f"(first at line {first[key_node.value]}); keep one"
                    )
                first[key_node.value] = line
            _refuse_duplicate_keys(value_node, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(item, seen)


def _collect_lines(node: yaml.Node, path: str, lines: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            lines[child] = key_node.start_mark.line + 1
            _collect_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = f"{path}[{index}]"
            lines[child] = item.start_mark.line + 1
            _collect_lines(item, child, lines)
