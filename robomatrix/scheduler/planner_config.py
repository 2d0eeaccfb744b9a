"""The planner's configuration (``config/planner.yaml``) and the registry of backend names.

Core module: imports no rclpy. Every default is written once, in the packaged config/planner.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robomatrix.errors import ConfigError
from robomatrix.registry import Registry
from robomatrix.resources import packaged_default, read_yaml_mapping, resource_dir
from robomatrix.scheduler.plan import PlannerBackend

__all__ = ["BACKENDS", "EmbeddedConfig", "LocalConfig", "OpenAIConfig", "PlannerConfig", "load_planner_config"]


# --------------------------------------------------------------------------- config


def _default(*keys: str) -> Any:
    """Dataclass field whose default is read from the packaged config/planner.yaml."""
    return field(default_factory=packaged_default("planner.yaml", *keys))


# Every default below is written once, in config/planner.yaml.


@dataclass(frozen=True)
class EmbeddedConfig:
    model_dir: str = _default("embedded", "model_dir")  # checkpoint folder; "" = skills/_planner
    threads: int = _default("embedded", "threads")  # torch CPU threads for decoding

    def __post_init__(self) -> None:
        if not isinstance(self.threads, int) or self.threads < 1:
            raise ConfigError(f"planner embedded.threads must be a positive integer, got {self.threads!r}")


@dataclass(frozen=True)
class OpenAIConfig:
    base_url: str = _default("openai", "base_url")  # OpenAI-compatible API root (…/v1)
    model: str = _default("openai", "model")  # model name sent in the request
    api_key_env: str = _default("openai", "api_key_env")  # name of the env var holding the key ("" = no key)
    timeout_s: float = _default("openai", "timeout_s")  # s, per HTTP request (connect + read)
    retries: int = _default("openai", "retries")  # extra tries on connection errors, timeouts, 429 and 5xx
    backoff_s: float = _default("openai", "backoff_s")  # s, first wait between tries; doubles each time
    json_mode: bool = _default("openai", "json_mode")  # send response_format json_object (retried without)
    temperature: float = _default("openai", "temperature")
    max_tokens: int = _default("openai", "max_tokens")

    def __post_init__(self) -> None:
        if not re.match(r"^https?://[^\s/]+", str(self.base_url)):
            raise ConfigError(
                f"planner openai.base_url must be an http(s) URL like http://127.0.0.1:8080/v1, got {self.base_url!r}"
            )
        for key in ("timeout_s", "backoff_s"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0 or (key == "timeout_s" and v == 0):
                raise ConfigError(f"planner openai.{key} must be a positive number of seconds, got {v!r}")
        if not isinstance(self.retries, int) or not 0 <= self.retries <= 10:
            raise ConfigError(f"planner openai.retries must be an integer in [0, 10], got {self.retries!r}")
        if not isinstance(self.max_tokens, int) or self.max_tokens < 16:
            raise ConfigError(f"planner openai.max_tokens must be an integer >= 16, got {self.max_tokens!r}")


@dataclass(frozen=True)
class LocalConfig:
    path: str = _default("local", "path")  # a transformers model folder or a .gguf file
    max_new_tokens: int = _default("local", "max_new_tokens")
    n_ctx: int = _default("local", "n_ctx")  # GGUF context length, tokens
    threads: int = _default("local", "threads")

    def __post_init__(self) -> None:
        if not isinstance(self.max_new_tokens, int) or self.max_new_tokens < 16:
            raise ConfigError(f"planner local.max_new_tokens must be >= 16, got {self.max_new_tokens!r}")


BACKENDS: Registry[Callable[..., PlannerBackend]] = Registry("planner backend")
"""Backend name -> factory ``(library, config) -> backend``, filled by :func:`register_backend`."""


@dataclass(frozen=True)
class PlannerConfig:
    backend: str = _default("backend")  # embedded | openai | local
    max_steps: int = _default("max_steps")  # longest plan accepted
    embedded: EmbeddedConfig = field(default_factory=EmbeddedConfig)
    openai: OpenAIConfig = field(default_factory=OpenAIConfig)
    local: LocalConfig = field(default_factory=LocalConfig)
    source: str = "<defaults>"

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(
                f"planner backend {self.backend!r} (from {self.source}) is unknown; "
                f"choose one of {', '.join(BACKENDS.names())}"
            )
        if not isinstance(self.max_steps, int) or not 1 <= self.max_steps <= 200:
            raise ConfigError(f"planner max_steps must be an integer in [1, 200], got {self.max_steps!r}")


def load_planner_config(path: Path | str | None = None) -> PlannerConfig:
    """A planner.yaml -> PlannerConfig (``path`` None: the packaged config/planner.yaml).

    Keys a file leaves out keep the packaged file's values.
    """
    file = Path(path) if path is not None else resource_dir("config") / "planner.yaml"
    data = read_yaml_mapping(file, "planner config", "fix: check the path, and write YAML with backend, max_steps, "
                             "embedded, openai and local keys")
    sections = {"embedded": EmbeddedConfig, "openai": OpenAIConfig, "local": LocalConfig}
    unknown = sorted(set(data) - {"backend", "max_steps", *sections})
    if unknown:
        raise ConfigError(f"{file}: unknown key(s) {unknown}; allowed: backend, max_steps, {', '.join(sections)}")
    kwargs: dict[str, Any] = {"source": str(file)}
    for key in ("backend", "max_steps"):
        if key in data:
            kwargs[key] = data[key]
    for key, cls in sections.items():
        raw = data.get(key) or {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{file}: {key} must be a mapping, got {raw!r}")
        try:
            kwargs[key] = cls(**raw)
        except TypeError as e:
            raise ConfigError(f"{file}: section {key}: {e}; fix: use only the documented keys") from e
    return PlannerConfig(**kwargs)
