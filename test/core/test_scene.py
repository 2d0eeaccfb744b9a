"""Scene files, their validation and seeded layouts (no pybullet, no rclpy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from robomatrix.errors import ConfigError, SceneNameError
from robomatrix.hardware.safety import SafetyLimits
from robomatrix.hardware.sim import SimConfig
from robomatrix.hardware.sim.scene import (
    HELD_OUT_COLOURS,
    ObjectSpec,
    SceneConfig,
    available_scenes,
    check_scene_name,
    drawer_footprint,
    load_scene,
    sample_layout,
)

pytestmark = pytest.mark.sim

SHIPPED = ("tabletop", "tabletop_drawer", "unseen")


def test_shipped_scenes_are_listed() -> None:
    assert set(SHIPPED) <= set(available_scenes())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scene_layouts_fit_the_workspace(name: str) -> None:
    scene = load_scene(name)
    limits = SafetyLimits()
    for seed in range(20):
        layout = sample_layout(scene, np.random.default_rng(seed))
        ids = [p.id for p in layout]
        assert len(ids) == len(set(ids)), ids
        for p in layout:
            if p.category == "drawer":
                assert drawer_footprint(p)[0] > limits.workspace_min[0]
                continue
            assert limits.workspace_min[0] <= p.x <= limits.workspace_max[0], p
            assert limits.workspace_min[1] <= p.y <= limits.workspace_max[1], p
            assert p.name == f"{p.colour} {p.category}"


def test_same_seed_same_layout_and_different_seed_differs() -> None:
    scene = load_scene("tabletop")
    a = sample_layout(scene, np.random.default_rng(7))
    b = sample_layout(scene, np.random.default_rng(7))
    c = sample_layout(scene, np.random.default_rng(8))
    assert a == b
    assert a != c


def test_counts_follow_the_scene_ranges() -> None:
    scene = load_scene("tabletop")
    counts = set()
    for seed in range(30):
        layout = sample_layout(scene, np.random.default_rng(seed))
        blocks = sum(p.category == "block" for p in layout)
        bowls = sum(p.category == "bowl" for p in layout)
        assert 3 <= blocks <= 4 and 2 <= bowls <= 3
        assert sum(p.category == "bin" for p in layout) == 1
        counts.add((blocks, bowls))
    assert len(counts) > 1  # the counts really are drawn


def test_unseen_scene_uses_held_out_colours_on_objects() -> None:
    layout = sample_layout(load_scene("unseen"), np.random.default_rng(0))
    objects = [p for p in layout if p.category in ("object", "bowl")]
    assert objects and all(p.colour in HELD_OUT_COLOURS for p in objects)
    assert all(p.urdf.startswith("random_urdfs/") for p in layout if p.category == "object")


def test_drawer_scene_has_one_drawer_with_travel() -> None:
    layout = sample_layout(load_scene("tabletop_drawer"), np.random.default_rng(0))
    drawers = [p for p in layout if p.category == "drawer"]
    assert len(drawers) == 1 and drawers[0].travel > 0


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


def test_malformed_yaml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nobjects: [ {category: block\n")
    with pytest.raises(ConfigError, match="not valid YAML") as e:
        load_scene(path)
    assert str(path) in str(e.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("- just\n- a list\n", "mapping at the top level"),
        ("name: x\nobjekts: []\n", r"unknown key\(s\) \['objekts'\]"),
        ("name: x\nobjects:\n  - {category: block, colours: [mauve]}\n", r"unknown colour\(s\) \['mauve'\]"),
        ("name: x\nobjects:\n  - {category: spoon, colours: [red]}\n", "category 'spoon' is unknown"),
        ("name: x\nobjects:\n  - {category: block, colours: [red], count: 2}\n", "exceeds the 1 colour"),
        ("name: x\nobjects:\n  - {category: block, colours: [red], size: [0.1, 0.1]}\n", "3 numbers"),
        ("name: x\nobjects:\n  - {category: block, colours: [red], colour: red}\n", r"\['colour'\]"),
        ("name: x\nobjects:\n  - {category: object, colours: [red]}\n", "needs 'urdfs'"),
        ("name: x\nregion_min: [0.5, 0.0]\nregion_max: [0.4, 0.1]\n", "must be below region_max"),
        ("name: x\nobjects: 3\n", "'objects' must be a list"),
    ],
)
def test_scene_validation_names_the_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=expected) as e:
        load_scene(path)
    assert "bad.yaml" in str(e.value)


def test_missing_scene_lists_the_available_ones() -> None:
    with pytest.raises(ConfigError, match="not found") as e:
        load_scene("no_such_scene")
    assert "tabletop" in str(e.value)


@pytest.mark.parametrize(
    "value",
    ["../../../../etc/passwd", "/etc/passwd", "tabletop.yaml", "tabletop/../unseen", "..", "", "table top",
     "tabletop\n", 3, None],
)
def test_names_only_refuses_paths_and_odd_values(value: object) -> None:
    with pytest.raises(SceneNameError, match="not a scene name") as e:
        load_scene(value, names_only=True)  # type: ignore[arg-type]
    assert "letters, digits, _ and -" in str(e.value)
    assert all(name in str(e.value) for name in available_scenes())


def test_names_only_never_opens_a_path_even_to_a_valid_scene(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nobjects: []\n")
    assert load_scene(path).name == "mine"  # the operator's path still works without names_only
    with pytest.raises(SceneNameError, match="not a scene name"):
        load_scene(str(path), names_only=True)
    with pytest.raises(SceneNameError, match="'mine' not found"):
        load_scene("mine", names_only=True)  # a name resolves in the scene folder only


def test_names_only_loads_shipped_scenes_by_name() -> None:
    assert check_scene_name("tabletop_drawer") == "tabletop_drawer"
    assert load_scene("tabletop_drawer", names_only=True) == load_scene("tabletop_drawer")
    with pytest.raises(SceneNameError, match="'no_such_scene' not found") as e:
        load_scene("no_such_scene", names_only=True)
    assert isinstance(e.value, ConfigError) and "tabletop" in str(e.value)


def test_overcrowded_scene_says_how_to_fix_it() -> None:
    scene = SceneConfig(
        name="crowded",
        region_min=(0.4, 0.0),
        region_max=(0.41, 0.01),
        objects=(ObjectSpec(category="block", colours=("red", "green"), count=(2, 2)),),
    )
    with pytest.raises(ConfigError, match="enlarge region"):
        sample_layout(scene, np.random.default_rng(0))


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"control_hz": 30}, "control_hz must be an int >= 50"),
        ({"physics_hz": 250, "control_hz": 60}, "multiple of control_hz"),
        ({"gui": "yes"}, "gui must be true or false"),
        ({"seed": -1}, "0 <= seed < 2"),
        ({"camera_width": 4096}, "at most 1024"),
        ({"camera_eye": (0.45, 0.0, 0.0), "camera_target": (0.45, 0.0, 0.0)}, "coincide"),
        ({"scene": ""}, "scene name or path"),
    ],
)
def test_sim_config_validation(kwargs: dict, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        SimConfig(**kwargs)


def test_sim_config_from_dict() -> None:
    cfg = SimConfig.from_dict({"seed": 3, "camera_eye": [1.0, 0.0, 1.0]})
    assert cfg.seed == 3 and cfg.camera_eye == (1.0, 0.0, 1.0) and cfg.substeps == 4
    with pytest.raises(ConfigError, match=r"unknown sim setting\(s\) \['fps'\]"):
        SimConfig.from_dict({"fps": 30})
