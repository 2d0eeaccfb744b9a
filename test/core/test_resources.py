"""robomatrix.resources: every data folder found in a checkout, an install prefix and the ament index."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from robomatrix import resources
from robomatrix.config import ControlConfig, StackConfig, load_stack_config, parse_stack_config
from robomatrix.errors import ConfigError
from robomatrix.hardware.bridge import BridgeConfig
from robomatrix.hardware.safety import SafetyLimits
from robomatrix.hardware.sim import SimConfig
from robomatrix.hardware.sim.scene import available_scenes, load_scene
from robomatrix.resources import ResourceNotFoundError, packaged_default, resource_dir, share_dir
from robomatrix.scheduler.planner import PlannerConfig, load_planner_config
from robomatrix.scheduler.runner import SchedulerConfig
from robomatrix.skills.executor import ExecutionConfig

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for kind in resources.KINDS.values():
        monkeypatch.delenv(kind.env, raising=False)
    monkeypatch.delenv(resources.SHARE_ENV, raising=False)
    monkeypatch.delenv("AMENT_PREFIX_PATH", raising=False)
    return monkeypatch


def make_share(folder: Path, with_scene: str = "tiny") -> Path:
    """A minimal share/robomatrix: package.xml and one folder per resource kind."""
    for kind in resources.KINDS.values():
        (folder / kind.relative).mkdir(parents=True, exist_ok=True)
    (folder / "package.xml").write_text("<package/>")
    (folder / "config" / "scenes" / f"{with_scene}.yaml").write_text("objects: []\n")
    return folder


def test_checkout_resolves_every_kind(clean_env: pytest.MonkeyPatch) -> None:
    assert share_dir() == REPO
    for name, kind in resources.KINDS.items():
        assert resource_dir(name) == REPO / kind.relative, name
    assert (resource_dir("planner") / "model.safetensors").is_file()
    assert "tabletop" in available_scenes()


def test_installed_prefix_is_found_without_ament_prefix_path(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # colcon layout: <prefix>/lib/python3.11/site-packages/robomatrix and <prefix>/share/robomatrix
    share = make_share(tmp_path / "share" / "robomatrix")
    clean_env.setattr(resources, "PACKAGE_DIR", tmp_path / "lib" / "python3.11" / "site-packages" / "robomatrix")
    assert share_dir() == share
    for name, kind in resources.KINDS.items():
        assert resource_dir(name) == share / kind.relative, name
    assert available_scenes() == ["tiny"]


def test_stray_site_packages_config_is_not_a_share(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    (site / "config" / "scenes").mkdir(parents=True)  # another distribution's top-level config/
    share = make_share(tmp_path / "share" / "robomatrix")
    clean_env.setattr(resources, "PACKAGE_DIR", site / "robomatrix")
    assert resource_dir("scenes") == share / "config" / "scenes"


def test_ament_prefix_path_after_the_codes_own_share(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    other = make_share(tmp_path / "ws" / "share" / "robomatrix")
    clean_env.setenv("AMENT_PREFIX_PATH", f"{tmp_path / 'empty'}:{tmp_path / 'ws'}")
    assert share_dir() == REPO  # the checkout's code reads the checkout's files
    clean_env.setattr(resources, "PACKAGE_DIR", tmp_path / "somewhere" / "robomatrix")
    assert share_dir() == other
    assert resource_dir("skills") == other / "skills"
    assert resources.package_share("robomatrix") == other
    assert resources.package_share("not_a_package") is None


def test_env_overrides(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    share = make_share(tmp_path / "mine")
    clean_env.setenv(resources.SHARE_ENV, str(share))
    assert share_dir() == share
    assert resource_dir("scenes") == share / "config" / "scenes"
    own = tmp_path / "scenes_only"
    own.mkdir()
    clean_env.setenv("ROBOMATRIX_SCENES_DIR", str(own))
    assert resource_dir("scenes") == own
    assert resource_dir("skills") == share / "skills"


def test_bad_env_values_name_the_variable(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("ROBOMATRIX_PLANNER_DIR", str(tmp_path / "nope"))
    with pytest.raises(ResourceNotFoundError, match=r"ROBOMATRIX_PLANNER_DIR=.*nope.*is not a folder"):
        resource_dir("planner")
    clean_env.setenv(resources.SHARE_ENV, str(tmp_path / "gone"))
    with pytest.raises(ResourceNotFoundError, match="ROBOMATRIX_SHARE_DIR=.*gone.*is not a folder"):
        share_dir()


def test_nothing_found_lists_every_place_and_the_fix(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    clean_env.setattr(resources, "PACKAGE_DIR", site / "robomatrix")
    clean_env.setenv("AMENT_PREFIX_PATH", str(tmp_path / "ws"))
    with pytest.raises(ResourceNotFoundError) as info:
        resource_dir("scenes")
    msg = str(info.value)
    for place in (site / "config" / "scenes", tmp_path / "share" / "robomatrix" / "config" / "scenes",
                  tmp_path / "ws" / "share" / "robomatrix" / "config" / "scenes"):
        assert str(place) in msg
    assert "ROBOMATRIX_SCENES_DIR" in msg and "colcon build" in msg
    with pytest.raises(ConfigError, match="scene"):  # what the hardware node reported at start
        load_scene("tabletop")
    with pytest.raises(ValueError, match="unknown resource kind 'weights'"):
        resource_dir("weights")


def test_missing_file_lists_the_folder(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ResourceNotFoundError, match=r"robots\.yaml does not exist; .* holds: .*robot\.yaml"):
        resources.resource_file("config", "robots.yaml")


# --------------------------------------------------------------------------- defaults come from config/


def robot_yaml() -> dict:
    return yaml.safe_load((REPO / "config" / "robot.yaml").read_text())


def planner_yaml() -> dict:
    return yaml.safe_load((REPO / "config" / "planner.yaml").read_text())


def as_data(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize(("cls", "section"), [
    (ControlConfig, "control"), (SafetyLimits, "safety"), (BridgeConfig, "bridge"), (SchedulerConfig, "scheduler"),
])
def test_dataclass_defaults_are_the_yaml_values(cls: type, section: str) -> None:
    data = robot_yaml()[section]
    obj = cls()
    assert set(data) <= {f.name for f in dataclasses.fields(cls)}
    for key, value in data.items():
        assert as_data(getattr(obj, key)) == value, f"{cls.__name__}.{key}"


def test_sim_and_execution_defaults_are_the_yaml_values() -> None:
    data = robot_yaml()
    sim = SimConfig()
    for key, value in data["sim"].items():
        assert getattr(sim, key) == value, key
    assert sim.control_hz == data["control"]["rate_hz"]
    assert ExecutionConfig().correction_hold == data["skill_server"]["correction_hold"]
    assert StackConfig().backend == data["robot"]["backend"]


def test_planner_defaults_are_the_yaml_values() -> None:
    data = planner_yaml()
    cfg = PlannerConfig()
    assert (cfg.backend, cfg.max_steps) == (data["backend"], data["max_steps"])
    for section in ("embedded", "openai", "local"):
        for key, value in data[section].items():
            assert getattr(getattr(cfg, section), key) == value, f"{section}.{key}"
    assert load_planner_config() == dataclasses.replace(cfg, source=str(REPO / "config" / "planner.yaml"))


def test_partial_file_keeps_packaged_values(tmp_path: Path) -> None:
    path = tmp_path / "robot.yaml"
    path.write_text("control:\n  rate_hz: 100\nscheduler:\n  task_timeout: 42\n")
    cfg = load_stack_config(path)
    assert cfg.control.rate_hz == 100
    assert cfg.control.observation_rate_hz == robot_yaml()["control"]["observation_rate_hz"]
    sched = cfg.settings("scheduler")
    assert sched["task_timeout"] == 42 and sched["tick_hz"] == robot_yaml()["scheduler"]["tick_hz"]
    assert cfg.settings("skill_server") == robot_yaml()["skill_server"]
    planner = tmp_path / "planner.yaml"
    planner.write_text("backend: openai\nopenai:\n  model: m\n")
    p = load_planner_config(planner)
    assert (p.backend, p.openai.model, p.openai.timeout_s) == ("openai", "m", planner_yaml()["openai"]["timeout_s"])


def test_unknown_node_setting_is_an_error() -> None:
    cfg = parse_stack_config({"scheduler": {"tick_rate": 10}}, source="my.yaml")
    with pytest.raises(ConfigError, match=r"my.yaml: unknown key\(s\) \['tick_rate'\] in 'scheduler'.*tick_hz"):
        cfg.settings("scheduler")


def test_packaged_default_missing_key_says_where(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    share = make_share(tmp_path / "share")
    (share / "config" / "robot.yaml").write_text("control: {rate_hz: 60}\n")
    clean_env.setenv(resources.SHARE_ENV, str(share))
    assert packaged_default("robot.yaml", "control", "rate_hz")() == 60
    with pytest.raises(ConfigError, match=r"share/config/robot.yaml has no 'control.observation_rate_hz'"):
        ControlConfig()
