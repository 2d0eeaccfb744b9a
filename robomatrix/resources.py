"""Where robomatrix's data files are: one lookup for every layer. No rclpy, no ament import.

The data files (config/, config/scenes/, skills/, skills/_planner/, launch/) sit in one
*share folder*:

* a development checkout or an editable install: the repository root, beside ``robomatrix/``;
* a colcon / ament install: ``<prefix>/share/robomatrix`` (CMakeLists.txt installs them there),
  found from the prefix this package is installed in, then from ``AMENT_PREFIX_PATH``.

Search order, first hit wins: the kind's own variable (``ROBOMATRIX_SCENES_DIR``, ...), then
``ROBOMATRIX_SHARE_DIR``, then the share folder that belongs to the code that runs (the
checkout, or the install prefix it sits in), then each ``AMENT_PREFIX_PATH`` entry. The code's
own share comes before the ament index so that a checkout never reads another install's files.

The packaged YAML files in config/ are also the single source of default settings:
:func:`packaged_default` reads a value from them for the config dataclasses.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from robomatrix.errors import ConfigError

PACKAGE = "robomatrix"
SHARE_ENV = "ROBOMATRIX_SHARE_DIR"

#: This package's folder (``.../robomatrix``); module-level so tests can pretend to be installed.
PACKAGE_DIR = Path(__file__).resolve().parent


class ResourceNotFoundError(ConfigError):
    """A data folder or file of robomatrix cannot be found in any share folder."""


@dataclass(frozen=True)
class ResourceKind:
    name: str
    relative: str  # path inside the share folder
    env: str  # variable naming this folder directly (overrides every share folder)
    holds: str  # what it holds, for messages


KINDS: dict[str, ResourceKind] = {k.name: k for k in (
    ResourceKind("config", "config", "ROBOMATRIX_CONFIG_DIR", "robot.yaml and planner.yaml"),
    ResourceKind("scenes", "config/scenes", "ROBOMATRIX_SCENES_DIR", "simulator scenes (<name>.yaml)"),
    ResourceKind("skills", "skills", "ROBOMATRIX_SKILLS_DIR", "skill specs and policies (<skill>/spec.yaml)"),
    ResourceKind("planner", "skills/_planner", "ROBOMATRIX_PLANNER_DIR", "the embedded planner's weights"),
    ResourceKind("launch", "launch", "ROBOMATRIX_LAUNCH_DIR", "launch files (*.launch.xml)"),
)}


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def _own_shares() -> Iterator[tuple[str, Path]]:
    """Share folders that belong to the running code: its checkout, or the prefix it is installed in."""
    yield "checkout", PACKAGE_DIR.parent
    # <prefix>/lib/python3.X/site-packages/robomatrix (or dist-packages, or lib64)
    if len(PACKAGE_DIR.parents) > 3 and PACKAGE_DIR.parent.name in ("site-packages", "dist-packages"):
        yield "install prefix", PACKAGE_DIR.parents[3] / "share" / PACKAGE


def package_share(package: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """``<prefix>/share/<package>`` of the first ``AMENT_PREFIX_PATH`` entry that has it, else None."""
    for prefix in _environ(environ).get("AMENT_PREFIX_PATH", "").split(os.pathsep):
        if prefix and (Path(prefix) / "share" / package).is_dir():
            return Path(prefix) / "share" / package
    return None


def share_candidates(environ: Mapping[str, str] | None = None) -> list[tuple[str, Path]]:
    """(where from, folder) for every place a share folder may be, in search order."""
    env = _environ(environ)
    out: list[tuple[str, Path]] = []
    if env.get(SHARE_ENV):
        out.append((SHARE_ENV, Path(env[SHARE_ENV])))
    out.extend(_own_shares())
    for prefix in env.get("AMENT_PREFIX_PATH", "").split(os.pathsep):
        if prefix:
            out.append(("AMENT_PREFIX_PATH", Path(prefix) / "share" / PACKAGE))
    return out


def _is_share(folder: Path) -> bool:
    return (folder / "package.xml").is_file() and (folder / "config").is_dir()


def share_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The share folder (holds launch/, config/, skills/): see the module docstring for the order."""
    env = _environ(environ)
    if env.get(SHARE_ENV):
        folder = Path(env[SHARE_ENV])
        if not folder.is_dir():
            raise ResourceNotFoundError(
                f"{SHARE_ENV}={env[SHARE_ENV]!r} is not a folder; point it at a folder holding config/, "
                "skills/ and launch/ (a checkout or <prefix>/share/robomatrix), or unset it")
        return folder
    candidates = share_candidates(env)
    for _, folder in candidates:
        if _is_share(folder):
            return folder
    raise ResourceNotFoundError(
        f"cannot find robomatrix's share folder; looked in: {_looked(candidates)}; fix: build and install "
        f"the package (colcon build, then source install/setup.bash) or set {SHARE_ENV}")


def _looked(candidates: list[tuple[str, Path]]) -> str:
    return "; ".join(f"{p} ({why})" for why, p in candidates) or "nowhere"


def resource_dir(kind: str, environ: Mapping[str, str] | None = None) -> Path:
    """The folder of one resource kind (a key of :data:`KINDS`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown resource kind {kind!r}; use one of {', '.join(KINDS)}")
    k = KINDS[kind]
    env = _environ(environ)
    if env.get(k.env):
        folder = Path(env[k.env])
        if not folder.is_dir():
            raise ResourceNotFoundError(
                f"{k.env}={env[k.env]!r} is not a folder; point it at a folder of {k.holds} or unset it")
        return folder
    candidates = share_candidates(env)
    if env.get(SHARE_ENV):  # an explicit share folder is the only one looked at
        candidates = candidates[:1]
    looked = [(why, p / k.relative) for why, p in candidates]
    for (why, share), (_, folder) in zip(candidates, looked, strict=True):
        # package.xml marks a real share folder: a stray site-packages/config/ is not one
        if folder.is_dir() and (why == SHARE_ENV or _is_share(share)):
            return folder
    raise ResourceNotFoundError(
        f"cannot find robomatrix's {k.relative}/ folder ({k.holds}); looked in: {_looked(looked)}; "
        f"fix: set {k.env} (or {SHARE_ENV}), or install the package (colcon build installs it into "
        f"share/{PACKAGE})")


def resource_file(kind: str, name: str, environ: Mapping[str, str] | None = None) -> Path:
    """``name`` inside the folder of ``kind``; the error lists what the folder does hold."""
    folder = resource_dir(kind, environ)
    path = folder / name
    if not path.exists():
        present = sorted(p.name for p in folder.iterdir() if not p.name.startswith((".", "_")))
        raise ResourceNotFoundError(
            f"{path} does not exist; {folder} holds: {', '.join(present) or 'nothing'}")
    return path


def read_yaml_mapping(path: Path, what: str, fix: str) -> dict[str, Any]:
    """The mapping the YAML file ``path`` holds ({} when empty); ConfigError naming the file,
    ``what`` it is and the ``fix`` when it cannot be read, is not YAML or holds no mapping."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read the {what} ({e}); {fix}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level of the {what}, got "
                          f"{type(data).__name__}; {fix}")
    return data


@functools.lru_cache(maxsize=8)
def _read_yaml(path: Path, mtime_ns: int) -> dict[str, Any]:
    return read_yaml_mapping(path, "packaged defaults", "fix the file")


def packaged_yaml(name: str) -> dict[str, Any]:
    """The parsed packaged config file ``config/<name>`` (cached until the file changes)."""
    path = resource_file("config", name)
    return _read_yaml(path, path.stat().st_mtime_ns)


def packaged_default(file: str, *keys: str) -> Callable[[], Any]:
    """A ``default_factory`` reading ``keys`` from the packaged ``config/<file>``.

    Config dataclasses take their defaults from here, so config/*.yaml is the one place a
    default is written. Lists come back as tuples (the dataclasses are frozen).
    """

    def read() -> Any:
        value: Any = packaged_yaml(file)
        for i, key in enumerate(keys):
            if not isinstance(value, dict) or key not in value:
                where = ".".join(keys[: i + 1])
                raise ConfigError(
                    f"{resource_dir('config') / file} has no '{where}', which is where its default lives; "
                    f"restore the key from the repository's config/{file}")
            value = value[key]
        return tuple(value) if isinstance(value, list) else value

    read.__qualname__ = f"packaged_default({file}:{'.'.join(keys)})"
    return read


__all__ = [
    "KINDS",
    "PACKAGE",
    "SHARE_ENV",
    "ResourceKind",
    "ResourceNotFoundError",
    "package_share",
    "packaged_default",
    "packaged_yaml",
    "read_yaml_mapping",
    "resource_dir",
    "resource_file",
    "share_candidates",
    "share_dir",
]
