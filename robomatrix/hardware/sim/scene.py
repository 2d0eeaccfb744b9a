"""Scene descriptions for the simulator: dataclasses, YAML loading and seeded layouts.

Core module: imports neither rclpy nor pybullet, so scenes validate and lay out offline.

A scene file (``config/scenes/<name>.yaml``) lists object *specifications*; every reset
turns them into concrete :class:`Placement` s with :func:`sample_layout`, drawing all
randomness (counts, colours, URDF choices, positions, yaw) from one
``numpy.random.Generator``. The same seed therefore always gives the same layout.

World frame: table surface at z = 0, robot base at the origin, x forward, y left, z up.
"""

from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from robomatrix import resources
from robomatrix.errors import ConfigError, SceneNameError

log = logging.getLogger(__name__)

CATEGORIES = ("block", "bowl", "bin", "drawer", "object")

#: Colour words the simulator knows, with their RGBA. Grounding names are "<colour> <category>".
COLOURS: dict[str, tuple[float, float, float, float]] = {
    "red": (0.85, 0.12, 0.12, 1.0), "green": (0.15, 0.68, 0.22, 1.0), "blue": (0.13, 0.30, 0.85, 1.0),
    "yellow": (0.95, 0.82, 0.10, 1.0), "grey": (0.55, 0.55, 0.55, 1.0), "white": (0.92, 0.92, 0.90, 1.0),
    "black": (0.10, 0.10, 0.10, 1.0),
    # Held out from training scenes (used by config/scenes/unseen.yaml).
    "pink": (0.98, 0.45, 0.70, 1.0), "cyan": (0.10, 0.80, 0.85, 1.0), "orange": (0.98, 0.50, 0.05, 1.0),
    "purple": (0.50, 0.20, 0.70, 1.0), "brown": (0.50, 0.30, 0.12, 1.0),
}  # fmt: skip

#: Colours that the training scenes never use on manipulable objects (generalisation tests).
HELD_OUT_COLOURS = frozenset({"pink", "cyan", "orange", "purple", "brown"})

#: Default extents per category, metres (x, y, z). Bowl/bin: outer size; drawer: cabinet.
DEFAULT_SIZES: dict[str, tuple[float, float, float]] = {
    "block": (0.04, 0.04, 0.04),
    "bowl": (0.15, 0.15, 0.05),
    "bin": (0.20, 0.26, 0.06),
    "drawer": (0.22, 0.30, 0.16),
    "object": (0.07, 0.07, 0.07),
}

#: Default masses per category, kg (0 = static body).
DEFAULT_MASSES: dict[str, float] = {"block": 0.1, "bowl": 0.4, "bin": 0.0, "drawer": 0.0, "object": 0.1}

#: Panda joints 1..7 at the home pose, rad: gripper pointing down, grasp point at
#: about (0.45, 0.0, 0.30) m.
DEFAULT_HOME = (0.0, -0.264, 0.0, -2.429, 0.0, 2.165, 0.785)

_MAX_TRIES_PER_OBJECT = 100  # rejection-sampling tries per object before the attempt restarts
_LAYOUT_ATTEMPTS = 20  # whole-layout restarts before the scene counts as too crowded

SCENES_DIR_ENV = resources.KINDS["scenes"].env


def scenes_dir() -> Path:
    """Directory that holds the named scenes: ``$ROBOMATRIX_SCENES_DIR``, else config/scenes of the
    checkout or of the installed share/robomatrix (see :mod:`robomatrix.resources`)."""
    return resources.resource_dir("scenes")


def available_scenes() -> list[str]:
    """Names of the scenes in :func:`scenes_dir`, sorted."""
    return sorted(p.stem for p in scenes_dir().glob("*.yaml"))


SCENE_NAME = re.compile(r"[A-Za-z0-9_-]+")  # what a scene name may contain: never a path


def check_scene_name(name: Any) -> str:
    """Return ``name`` if it names a scene in :func:`scenes_dir`, else raise SceneNameError.

    Only letters, digits, ``_`` and ``-`` are allowed, so the value can never be a path
    (no ``/``, ``.`` or ``..``): use this on scene names that come from outside the process.
    """
    allowed = available_scenes()
    if not isinstance(name, str) or not SCENE_NAME.fullmatch(name):
        raise SceneNameError(
            f"scene {name!r:.80} is not a scene name: only names of the scene folder are accepted here "
            f"(letters, digits, _ and -, no paths); use one of {allowed}"
        )
    if name not in allowed:
        raise SceneNameError(f"scene {name!r:.80} not found in {scenes_dir()}; use one of {allowed}")
    return name


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _tuple_of_numbers(value: Any, n: int, where: str) -> tuple[float, ...]:
    if isinstance(value, str) or not hasattr(value, "__len__") or len(value) != n:
        raise ConfigError(f"{where} must be a list of {n} numbers, got {value!r}")
    if not all(_is_number(v) for v in value):
        raise ConfigError(f"{where} must hold finite numbers only, got {value!r}")
    return tuple(float(v) for v in value)


def _reject_unknown(data: dict[str, Any], cls: type, where: str) -> None:
    valid = {f.name for f in fields(cls) if not f.name.startswith("_")}
    unknown = set(data) - valid
    if unknown:
        raise ConfigError(f"unknown key(s) {sorted(unknown)} in {where}; valid keys: {sorted(valid)}")


@dataclass(frozen=True)
class ObjectSpec:
    """One line of a scene: a kind of object and how many instances to draw."""

    category: str  # block | bowl | bin | drawer | object
    colours: tuple[str, ...]  # colour words (keys of COLOURS); drawn per instance without replacement
    count: tuple[int, int] = (1, 1)  # inclusive [min, max] instances, drawn per reset
    size: tuple[float, float, float] | None = None  # m, extents (x, y, z); None -> DEFAULT_SIZES
    mass: float | None = None  # kg; 0 makes a static body; None -> DEFAULT_MASSES
    position: tuple[float, float] | None = None  # m, fixed (x, y) of the centre; None -> sampled in region
    yaw: tuple[float, float] = (0.0, 0.0)  # rad, range the heading is drawn from (fixed if equal)
    urdfs: tuple[str, ...] = ()  # category "object" only: URDFs (relative to pybullet_data or absolute)
    scale: float = 1.0  # URDF global scaling for category "object", unitless
    travel: float = 0.15  # m, drawer only: how far the drawer slides out when fully open

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ConfigError(f"category {self.category!r} is unknown; use one of {CATEGORIES}")
        if not self.colours:
            raise ConfigError(f"{self.category}: 'colours' is empty; list at least one of {sorted(COLOURS)}")
        bad = [c for c in self.colours if c not in COLOURS]
        if bad:
            raise ConfigError(f"{self.category}: unknown colour(s) {bad}; valid colours: {sorted(COLOURS)}")
        if len(set(self.colours)) != len(self.colours):
            raise ConfigError(f"{self.category}: colours {list(self.colours)} repeat; list each colour once")
        lo, hi = self.count
        if not (isinstance(lo, int) and isinstance(hi, int)) or isinstance(lo, bool) or isinstance(hi, bool):
            raise ConfigError(f"{self.category}: count must be an int or [min, max] ints, got {self.count!r}")
        if not 0 <= lo <= hi:
            raise ConfigError(f"{self.category}: count {list(self.count)} needs 0 <= min <= max")
        if hi > len(self.colours):
            raise ConfigError(
                f"{self.category}: count max {hi} exceeds the {len(self.colours)} colour(s) listed "
                f"({list(self.colours)}); each instance gets its own colour, so list more colours"
            )
        if self.size is not None and not all(_is_number(s) and s > 0 for s in self.size):
            raise ConfigError(f"{self.category}: size {self.size!r} must be three positive numbers (m)")
        if self.mass is not None and not (_is_number(self.mass) and self.mass >= 0):
            raise ConfigError(f"{self.category}: mass {self.mass!r} must be a number >= 0 (kg; 0 = static)")
        if self.yaw[0] > self.yaw[1]:
            raise ConfigError(f"{self.category}: yaw range {list(self.yaw)} must be [min, max] with min <= max")
        if self.category == "object":
            if not self.urdfs:
                raise ConfigError("object: category 'object' needs 'urdfs', e.g. [random_urdfs/012/012.urdf]")
            if hi > len(self.urdfs):
                raise ConfigError(
                    f"object: count max {hi} exceeds the {len(self.urdfs)} URDF(s) listed; list more urdfs"
                )
        elif self.urdfs:
            raise ConfigError(f"{self.category}: 'urdfs' is only valid for category 'object'; remove it")
        if not (_is_number(self.scale) and self.scale > 0):
            raise ConfigError(f"{self.category}: scale {self.scale!r} must be a positive number")
        if not (_is_number(self.travel) and self.travel > 0):
            raise ConfigError(f"{self.category}: travel {self.travel!r} must be a positive number (m)")

    @property
    def extents(self) -> tuple[float, float, float]:
        """Size in metres, the category default when the file gives none."""
        return self.size if self.size is not None else DEFAULT_SIZES[self.category]

    @property
    def body_mass(self) -> float:
        """Mass in kg, the category default when the file gives none."""
        return float(self.mass) if self.mass is not None else DEFAULT_MASSES[self.category]

    @classmethod
    def from_dict(cls, data: Any, where: str = "object") -> ObjectSpec:
        if not isinstance(data, dict):
            raise ConfigError(f"{where} must be a mapping with at least 'category' and 'colours', got {data!r}")
        _reject_unknown(data, cls, where)
        d = dict(data)
        if "category" not in d:
            raise ConfigError(f"{where} has no 'category'; use one of {CATEGORIES}")
        colours = d.get("colours")
        if isinstance(colours, str):
            colours = [colours]
        if not isinstance(colours, list | tuple) or not all(isinstance(c, str) for c in colours):
            raise ConfigError(f"{where}: 'colours' must be a list of colour words, got {colours!r}")
        d["colours"] = tuple(colours)
        count = d.get("count", 1)
        if isinstance(count, int) and not isinstance(count, bool):
            d["count"] = (count, count)
        elif isinstance(count, list | tuple) and len(count) == 2:
            d["count"] = tuple(count)
        else:
            raise ConfigError(f"{where}: count must be an int or [min, max], got {count!r}")
        if d.get("size") is not None:
            d["size"] = _tuple_of_numbers(d["size"], 3, f"{where}.size")
        if d.get("position") is not None:
            d["position"] = _tuple_of_numbers(d["position"], 2, f"{where}.position")
        yaw = d.get("yaw", 0.0)
        d["yaw"] = (float(yaw), float(yaw)) if _is_number(yaw) else _tuple_of_numbers(yaw, 2, f"{where}.yaw")
        urdfs = d.get("urdfs", ())
        if not isinstance(urdfs, list | tuple) or not all(isinstance(u, str) for u in urdfs):
            raise ConfigError(f"{where}: 'urdfs' must be a list of paths, got {urdfs!r}")
        d["urdfs"] = tuple(urdfs)
        try:
            return cls(**d)
        except ConfigError as e:
            raise ConfigError(f"{where}: {e}") from e
        except TypeError as e:  # e.g. a wrong type that slipped past the checks above
            raise ConfigError(f"{where}: {e}") from e


@dataclass(frozen=True)
class SceneConfig:
    """A whole scene: the robot's home pose, where objects may go and what objects exist."""

    name: str  # short name, e.g. "tabletop"
    description: str = ""  # one line for humans
    robot_urdf: str = "franka_panda/panda.urdf"  # relative to pybullet_data, or absolute
    home_joints: tuple[float, ...] = DEFAULT_HOME  # rad, Panda joints 1..7 at reset
    region_min: tuple[float, float] = (0.35, -0.30)  # m, (x, y) lower corner for sampled centres
    region_max: tuple[float, float] = (0.65, 0.30)  # m, (x, y) upper corner for sampled centres
    clearance: float = 0.03  # m, minimum gap between object footprints
    objects: tuple[ObjectSpec, ...] = ()
    source: str = field(default="<inline>", compare=False)  # file it was read from, for messages

    def __post_init__(self) -> None:
        if not self.name:
            raise ConfigError(f"scene in {self.source} has an empty name; give it 'name: <word>'")
        if len(self.home_joints) != 7 or not all(_is_number(q) for q in self.home_joints):
            raise ConfigError(f"scene {self.name}: home_joints {self.home_joints!r} must be 7 numbers (rad)")
        if any(lo >= hi for lo, hi in zip(self.region_min, self.region_max, strict=True)):
            raise ConfigError(
                f"scene {self.name}: region_min {list(self.region_min)} must be below region_max "
                f"{list(self.region_max)} on x and y"
            )
        if not (_is_number(self.clearance) and self.clearance >= 0):
            raise ConfigError(f"scene {self.name}: clearance {self.clearance!r} must be a number >= 0 (m)")
        if sum(1 for o in self.objects if o.category == "drawer") > 1:
            raise ConfigError(f"scene {self.name}: at most one drawer spec is supported; merge them")

    @classmethod
    def from_dict(cls, data: Any, source: str = "<inline>") -> SceneConfig:
        if not isinstance(data, dict):
            raise ConfigError(f"scene file {source} must hold a mapping at the top level, got {type(data).__name__}")
        _reject_unknown(data, cls, f"scene file {source}")
        d = dict(data)
        d.setdefault("name", Path(source).stem if source != "<inline>" else "")
        if not isinstance(d["name"], str):
            raise ConfigError(f"scene file {source}: name must be a string, got {d['name']!r}")
        if "home_joints" in d:
            d["home_joints"] = _tuple_of_numbers(d["home_joints"], 7, f"{source}: home_joints")
        for key in ("region_min", "region_max"):
            if key in d:
                d[key] = _tuple_of_numbers(d[key], 2, f"{source}: {key}")
        objs = d.get("objects", [])
        if not isinstance(objs, list):
            raise ConfigError(f"scene file {source}: 'objects' must be a list, got {type(objs).__name__}; "
                              "see config/scenes/tabletop.yaml for the format")
        try:
            d["objects"] = tuple(ObjectSpec.from_dict(o, f"objects[{i}]") for i, o in enumerate(objs))
            return cls(**d, source=source)
        except ConfigError as e:
            raise ConfigError(f"scene file {source}: {e}") from e


def load_scene(scene: str | os.PathLike[str], *, names_only: bool = False) -> SceneConfig:
    """Load and validate a scene by name (``config/scenes/<name>.yaml``) or by path.

    ``names_only``: accept only a scene name (see :func:`check_scene_name`), for values
    from outside the process. Raises ConfigError naming the file and the problem when it
    is missing or malformed (SceneNameError when ``names_only`` refuses the value).
    """
    if names_only:
        scene = scenes_dir() / f"{check_scene_name(scene)}.yaml"
    text = os.fspath(scene)
    if not text:
        raise ConfigError(f"empty scene name; use one of {available_scenes()} or a path to a .yaml file")
    looks_like_path = text.endswith((".yaml", ".yml")) or os.sep in text or "/" in text
    path = Path(text) if looks_like_path else scenes_dir() / f"{text}.yaml"
    if not path.is_file():
        raise ConfigError(
            f"scene {text!r} not found (looked for {path}); use one of {available_scenes()} or a path to a .yaml file"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"scene file {path} is not valid YAML: {e}") from e
    except OSError as e:
        raise ConfigError(f"scene file {path} cannot be read: {e}") from e
    return SceneConfig.from_dict(data, source=str(path))


@dataclass(frozen=True)
class Placement:
    """One concrete object of a sampled layout (what the simulator builds)."""

    id: str  # unique in the scene, e.g. "block_red_0"
    name: str  # grounding name, e.g. "red block"
    category: str
    colour: str
    rgba: tuple[float, float, float, float]
    size: tuple[float, float, float]  # m, extents in the object's own frame
    mass: float  # kg, 0 = static
    x: float  # m, centre
    y: float  # m, centre
    yaw: float  # rad
    urdf: str = ""  # category "object" only
    scale: float = 1.0
    travel: float = 0.0  # m, drawer only


def _footprint(cx: float, cy: float, sx: float, sy: float, yaw: float) -> tuple[float, float, float, float]:
    """Axis-aligned (xmin, ymin, xmax, ymax) of a rotated sx-by-sy rectangle, metres."""
    c, s = abs(math.cos(yaw)), abs(math.sin(yaw))
    hx, hy = 0.5 * (sx * c + sy * s), 0.5 * (sx * s + sy * c)
    return cx - hx, cy - hy, cx + hx, cy + hy


def drawer_footprint(p: Placement) -> tuple[float, float, float, float]:
    """Footprint of a drawer cabinet including the space the open drawer sweeps (it opens towards -x
    in the cabinet frame, i.e. towards the robot at yaw 0)."""
    sx = p.size[0] + p.travel
    ox = -0.5 * p.travel  # centre shift of the swept box, cabinet frame
    cx = p.x + ox * math.cos(p.yaw)
    cy = p.y + ox * math.sin(p.yaw)
    return _footprint(cx, cy, sx, p.size[1], p.yaw)


def _overlaps(a: tuple[float, ...], b: tuple[float, ...], gap: float) -> bool:
    return not (a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1] or b[3] + gap <= a[1])


def sample_layout(scene: SceneConfig, rng: np.random.Generator) -> list[Placement]:
    """Draw a concrete layout. All randomness comes from ``rng``.

    Fixed-position objects are placed first, then the rest by rejection sampling inside
    ``region_min``/``region_max`` so that footprints keep ``clearance`` apart.
    Raises ConfigError when the objects cannot be fitted.
    """
    # First decide every instance (category, colour, urdf, yaw) in file order ...
    pending: list[tuple[ObjectSpec, Placement]] = []
    per_key: dict[tuple[str, str], int] = {}
    for spec in scene.objects:
        n = int(rng.integers(spec.count[0], spec.count[1] + 1))
        colour_idx = rng.permutation(len(spec.colours))[:n]
        urdf_idx = rng.permutation(len(spec.urdfs))[:n] if spec.urdfs else [None] * n
        for ci, ui in zip(colour_idx, urdf_idx, strict=True):
            colour = spec.colours[int(ci)]
            k = per_key.get((spec.category, colour), 0)
            per_key[(spec.category, colour)] = k + 1
            yaw = float(rng.uniform(spec.yaw[0], spec.yaw[1])) if spec.yaw[1] > spec.yaw[0] else spec.yaw[0]
            pending.append(
                (
                    spec,
                    Placement(
                        id=f"{spec.category}_{colour}_{k}",
                        name=f"{colour} {spec.category}",
                        category=spec.category,
                        colour=colour,
                        rgba=COLOURS[colour],
                        size=spec.extents,
                        mass=spec.body_mass,
                        x=0.0,
                        y=0.0,
                        yaw=yaw,
                        urdf=spec.urdfs[int(ui)] if ui is not None else "",
                        scale=spec.scale,
                        travel=spec.travel if spec.category == "drawer" else 0.0,
                    ),
                )
            )
    # ... then place: fixed ones first, then the sampled ones, largest footprint first.
    # A dead end (no room for an object) restarts the placement, up to _LAYOUT_ATTEMPTS times.
    def box_of(p: Placement) -> tuple[float, float, float, float]:
        if p.category == "drawer":
            return drawer_footprint(p)
        return _footprint(p.x, p.y, p.size[0], p.size[1], p.yaw)

    fixed = [_replace_xy(p, *spec.position) for spec, p in pending if spec.position is not None]
    free = sorted(
        (p for spec, p in pending if spec.position is None), key=lambda p: -p.size[0] * p.size[1]
    )  # stable sort: equal sizes keep file order
    lo, hi = scene.region_min, scene.region_max
    for _attempt in range(_LAYOUT_ATTEMPTS):
        placed = list(fixed)
        boxes = [box_of(p) for p in fixed]
        for p in free:
            for _ in range(_MAX_TRIES_PER_OBJECT):
                q = _replace_xy(p, float(rng.uniform(lo[0], hi[0])), float(rng.uniform(lo[1], hi[1])))
                b = box_of(q)
                if not any(_overlaps(b, other, scene.clearance) for other in boxes):
                    placed.append(q)
                    boxes.append(b)
                    break
            else:
                failed = p.id
                break
        else:
            by_id = {q.id: q for q in placed}
            return [by_id[p.id] for _, p in pending]
    raise ConfigError(
        f"scene {scene.name} ({scene.source}): could not place {failed} without overlap in "
        f"{_LAYOUT_ATTEMPTS} attempts; enlarge region_min/region_max, reduce counts or sizes, or lower clearance"
    )


def _replace_xy(p: Placement, x: float, y: float) -> Placement:
    return replace(p, x=float(x), y=float(y))
