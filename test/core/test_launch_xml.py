"""The XML launch parser: the real launch files, substitutions, scoping, and every error path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from robomatrix import resources
from robomatrix.errors import LaunchFileError
from robomatrix.launcher import Param, ParamFile, declared_arguments, parse_launch_file

REPO = Path(__file__).resolve().parents[2]
MAIN = REPO / "launch" / "robomatrix.launch.xml"
BRIDGE = REPO / "launch" / "bridge_fake_controller.launch.xml"


def write(tmp_path: Path, body: str, name: str = "t.launch.xml") -> Path:
    path = tmp_path / name
    path.write_text(f"<launch>\n{body}\n</launch>\n")
    return path


def parse(tmp_path: Path, body: str, args: dict[str, str] | None = None, **kw: object):
    kw.setdefault("package_shares", {"robomatrix": tmp_path})
    kw.setdefault("environ", {})
    return parse_launch_file(write(tmp_path, body), args, **kw)  # type: ignore[arg-type]


def error(tmp_path: Path, body: str, args: dict[str, str] | None = None, **kw: object) -> str:
    with pytest.raises(LaunchFileError) as info:
        parse(tmp_path, body, args, **kw)
    return str(info.value)


# --------------------------------------------------------------------------- the real files


def test_main_launch_file_respawn_is_off_by_default_and_per_node() -> None:
    d = parse_launch_file(MAIN, package_shares={"robomatrix": "/share/robomatrix"})
    assert [(n.exec, n.respawn) for n in d.nodes] == [("hardware", False), ("skill_server", False), ("scheduler", False)]
    d = parse_launch_file(MAIN, {"respawn": "true"}, package_shares={"robomatrix": "/share/robomatrix"})
    assert [(n.exec, n.respawn, n.respawn_delay) for n in d.nodes] == [
        ("hardware", False, 2.0), ("skill_server", True, 2.0), ("scheduler", True, 2.0)]
    d = parse_launch_file(MAIN, {"respawn_hardware": "1"}, package_shares={"robomatrix": "/share/robomatrix"})
    assert [n.respawn for n in d.nodes] == [True, False, False]


def test_main_launch_file_defaults() -> None:
    d = parse_launch_file(MAIN, package_shares={"robomatrix": "/share/robomatrix"})
    assert [n.exec for n in d.nodes] == ["hardware", "skill_server", "scheduler"]
    assert d.nodes[1].params["controller"] == "policy"
    hw = d.nodes[0]
    assert (hw.pkg, hw.name, hw.namespace) == ("robomatrix", "hardware", "")
    assert hw.params == {
        "config": "/share/robomatrix/config/robot.yaml",
        "backend": "sim",
        "rgbd": "false",  # the scene camera renders only for perception:=true
        "gui": "false",
        "use_sim_time": "true",
    }
    names = [a.name for a in d.arguments]
    assert names == [
        "robot",
        "namespace",
        "config",
        "gui",
        "use_sim_time",
        "start_skill_server",
        "skill_controller",
        "start_scheduler",
        "planner_config",
        "dot_dir",
        "respawn",
        "respawn_hardware",
        "perception",
    ]
    assert d.nodes[1].remappings == d.nodes[2].remappings == (("observation", "observation"),)
    assert d.nodes[2].params == {
        "config": "/share/robomatrix/config/robot.yaml",
        "planner_config": "",
        "dot_dir": "",
        "use_sim_time": "true",
    }
    for a in d.arguments:
        assert len(a.description) > 20, a
        assert not a.required
    robot = next(a for a in d.arguments if a.name == "robot")
    assert "sim" in robot.description and "bridge" in robot.description


def test_main_launch_file_perception_feeds_skill_server_and_scheduler() -> None:
    d = parse_launch_file(MAIN, {"perception": "true"}, package_shares={"robomatrix": "/share/robomatrix"})
    assert [n.exec for n in d.nodes] == ["hardware", "perception", "skill_server", "scheduler"]
    assert d.nodes[1].params["config"] == "/share/robomatrix/config/robot.yaml"
    for node in d.nodes[2:]:
        assert node.remappings == (("observation", "perception/observation"),), node.name


def test_main_launch_file_overrides() -> None:
    d = parse_launch_file(
        MAIN,
        {
            "robot": "bridge",
            "namespace": "robot1",
            "config": "/tmp/my.yaml",
            "gui": "true",
            "use_sim_time": "false",
            "start_skill_server": "true",
            "skill_controller": "oracle",
            "start_scheduler": "True",
            "planner_config": "/tmp/planner.yaml",
            "dot_dir": "/tmp/trees",
        },
    )
    sched = d.nodes[2]
    assert (sched.params["planner_config"], sched.params["dot_dir"]) == ("/tmp/planner.yaml", "/tmp/trees")
    assert sched.params["config"] == "/tmp/my.yaml"
    assert d.nodes[1].params["controller"] == "oracle"
    assert [n.exec for n in d.nodes] == ["hardware", "skill_server", "scheduler"]
    assert {n.namespace for n in d.nodes} == {"/robot1"}
    assert d.nodes[0].params == {
        "config": "/tmp/my.yaml",
        "backend": "bridge",
        "rgbd": "false",
        "gui": "true",
        "use_sim_time": "false",
    }
    assert all(n.params["use_sim_time"] == "false" for n in d.nodes)


def test_default_share_is_the_checkout_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AMENT_PREFIX_PATH", raising=False)
    d = parse_launch_file(MAIN, environ={})
    assert d.nodes[0].params["config"] == str(REPO / "config" / "robot.yaml")


def test_checkout_share_wins_over_another_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # the launch file and the nodes it starts must read the same files: those of the running code
    share = fake_share(tmp_path)
    monkeypatch.setenv("AMENT_PREFIX_PATH", str(tmp_path))
    d = parse_launch_file(MAIN, environ={})
    assert d.nodes[0].params["config"] == str(REPO / "config" / "robot.yaml")
    assert share != REPO


def test_installed_code_uses_the_ament_share(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    share = fake_share(tmp_path)
    monkeypatch.setattr(resources, "PACKAGE_DIR", tmp_path / "elsewhere" / "robomatrix")
    monkeypatch.setenv("AMENT_PREFIX_PATH", str(tmp_path))
    d = parse_launch_file(MAIN, environ={})
    assert d.nodes[0].params["config"] == str(share / "config" / "robot.yaml")


def fake_share(prefix: Path) -> Path:
    share = prefix / "share" / "robomatrix"
    for sub in ("launch", "config"):
        (share / sub).mkdir(parents=True)
    (share / "package.xml").write_text("<package/>")
    return share


def test_bridge_example_launch_file() -> None:
    d = parse_launch_file(BRIDGE, {"namespace": "r2"}, package_shares={"robomatrix": "/s"})
    assert [n.exec for n in d.nodes] == ["fake_controller", "hardware"]
    assert d.nodes[1].params["backend"] == "bridge"
    assert {n.namespace for n in d.nodes} == {"/r2"}
    assert all(a.description for a in d.arguments)


def test_declared_arguments_lists_without_evaluating() -> None:
    assert declared_arguments(MAIN)[:2] == ["robot", "namespace"]


def readme_launch_arguments() -> set[str]:
    """Every ``name:=value`` the README shows, except ROS parameter overrides (``-p name:=value``)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return {m.group(2) for m in re.finditer(r"(-p\s+)?\b([A-Za-z_][A-Za-z0-9_]*):=", text) if not m.group(1)}


def test_readme_launch_arguments_are_declared() -> None:
    shown = readme_launch_arguments()
    # the README's examples the issue named, so the scan itself cannot silently find nothing
    assert {"robot", "gui", "config", "use_sim_time", "planner_config", "dot_dir"} <= shown
    declared = set(declared_arguments(MAIN)) | set(declared_arguments(BRIDGE))
    missing = sorted(shown - declared)
    assert not missing, f"README.md shows launch argument(s) {missing} that no launch file declares"


# --------------------------------------------------------------------------- substitutions


def test_substitutions(tmp_path: Path) -> None:
    d = parse(
        tmp_path,
        """
        <arg name="a" default="x"/>
        <let name="b" value="$(var a)-$(env HOME)-$(env MISSING fallback)"/>
        <node pkg="robomatrix" exec="n">
          <param name="b" value="$(var b)"/>
          <param name="share" value="$(find-pkg-share robomatrix)/config"/>
          <param name="dir" value="$(dirname)"/>
          <param name="quoted" value="$(env MISSING 'two words')"/>
          <param name="nested" value="$(env MISSING $(var a))"/>
        </node>
        """,
        environ={"HOME": "/home/u"},
    )
    p = d.nodes[0].params
    assert p["b"] == "x-/home/u-fallback"
    assert p["share"] == f"{tmp_path}/config"
    assert p["dir"] == str(tmp_path.resolve())
    assert p["quoted"] == "two words"
    assert p["nested"] == "x"


def test_set_env_is_seen_by_env_substitution_and_passed_to_nodes(tmp_path: Path) -> None:
    d = parse(
        tmp_path,
        """
        <set_env name="A" value="1"/>
        <group>
          <set-env name="B" value="2"/>
          <node pkg="robomatrix" exec="inner"><env name="C" value="$(env B)"/></node>
        </group>
        <node pkg="robomatrix" exec="outer"/>
        """,
        environ={"KEEP": "same"},
    )
    inner, outer = d.nodes
    assert dict(inner.env) == {"A": "1", "B": "2", "C": "2"}
    assert dict(outer.env) == {"A": "1"}  # the group's set_env is scoped


# --------------------------------------------------------------------------- node contents


def test_node_children_and_attributes(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("n: {ros__parameters: {}}\n")
    d = parse(
        tmp_path,
        """
        <node pkg="robomatrix" exec="n" name="nn" namespace="ns" output="both" args="--a 'b c'"
              respawn="true" respawn_delay="1.5" on_exit="shutdown">
          <param name="x" value="1"/>
          <param from="$(dirname)/p.yaml"/>
          <param name="y" value=""/>
          <remap from="in" to="/out"/>
        </node>
        """,
    )
    n = d.nodes[0]
    assert n.arguments == ("--a", "b c")
    assert n.parameters == (Param("x", "1"), ParamFile(tmp_path.resolve() / "p.yaml"), Param("y", ""))
    assert n.remappings == (("in", "/out"),)
    assert (n.namespace, n.output, n.respawn, n.respawn_delay, n.on_exit_shutdown) == (
        "/ns",
        "both",
        True,
        1.5,
        True,
    )
    assert n.source.endswith("t.launch.xml:3")  # the body starts on line 2 with a newline


# --------------------------------------------------------------------------- conditions


@pytest.mark.parametrize(
    ("value", "started"),
    [("true", True), ("TRUE", True), ("1", True), ("false", False), ("False", False), ("0", False)],
)
def test_if_unless(tmp_path: Path, value: str, started: bool) -> None:
    d = parse(
        tmp_path,
        """
        <arg name="on" default="false"/>
        <node pkg="robomatrix" exec="when" if="$(var on)"/>
        <node pkg="robomatrix" exec="unless" unless="$(var on)"/>
        <group if="$(var on)"><node pkg="robomatrix" exec="grouped"/></group>
        <let name="extra" value="yes" if="$(var on)"/>
        """,
        {"on": value},
    )
    expected = ["when", "grouped"] if started else ["unless"]
    assert [n.exec for n in d.nodes] == expected
    assert ("extra" in d.configurations) is started


def test_required_arg_inside_false_group_is_not_required(tmp_path: Path) -> None:
    d = parse(tmp_path, '<group if="false"><arg name="needed"/></group>')
    assert d.nodes == []


# --------------------------------------------------------------------------- groups, namespaces


def test_groups_and_namespaces(tmp_path: Path) -> None:
    d = parse(
        tmp_path,
        """
        <push_ros_namespace namespace="top"/>
        <node pkg="robomatrix" exec="a"/>
        <group>
          <push-ros-namespace namespace="sub"/>
          <let name="v" value="inner"/>
          <node pkg="robomatrix" exec="b"/>
          <node pkg="robomatrix" exec="c" namespace="rel"/>
          <node pkg="robomatrix" exec="d" namespace="/abs"/>
        </group>
        <group scoped="false">
          <let name="leaks" value="1"/>
        </group>
        <node pkg="robomatrix" exec="e"/>
        """,
    )
    assert {n.exec: n.namespace for n in d.nodes} == {
        "a": "/top",
        "b": "/top/sub",
        "c": "/top/sub/rel",
        "d": "/abs",
        "e": "/top",
    }
    assert "v" not in d.configurations
    assert d.configurations["leaks"] == "1"


def test_empty_namespace_means_root(tmp_path: Path) -> None:
    d = parse(tmp_path, '<push_ros_namespace namespace=""/><node pkg="robomatrix" exec="a"/>')
    assert d.nodes[0].namespace == ""


# --------------------------------------------------------------------------- include


def test_include_passes_args_relative_to_including_file(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "child.launch.xml").write_text(
        """<launch>
          <arg name="who" description="required"/>
          <arg name="n" default="1"/>
          <node pkg="robomatrix" exec="child" name="$(var who)"><param name="dir" value="$(dirname)"/>
            <param name="n" value="$(var n)"/></node>
        </launch>"""
    )
    d = parse(
        tmp_path,
        """
        <group>
          <push_ros_namespace namespace="r1"/>
          <include file="sub/child.launch.xml"><arg name="who" value="first"/></include>
        </group>
        <include file="$(dirname)/sub/child.launch.xml"><arg name="who" value="second"/><arg name="n" value="2"/></include>
        """,
    )
    a, b = d.nodes
    assert (a.name, a.namespace, a.params["n"]) == ("first", "/r1", "1")
    assert (b.name, b.namespace, b.params["n"]) == ("second", "", "2")
    assert a.params["dir"] == str(sub.resolve())
    assert d.configurations["who"] == "second"  # like ros2 launch, an include is not scoped


def test_command_line_may_set_args_declared_by_includes(tmp_path: Path) -> None:
    (tmp_path / "c.launch.xml").write_text(
        '<launch><arg name="deep" default="a"/><node pkg="robomatrix" exec="$(var deep)"/></launch>'
    )
    d = parse(tmp_path, '<include file="c.launch.xml"/>', {"deep": "b"})
    assert d.nodes[0].exec == "b"


# --------------------------------------------------------------------------- errors


def test_unknown_tag(tmp_path: Path) -> None:
    msg = error(tmp_path, '<node pkg="robomatrix" exec="a"/>\n<executable cmd="ls"/>')
    assert "<executable>" in msg and "t.launch.xml:3" in msg and "accepted here:" in msg and "node" in msg


def test_unknown_child_of_node(tmp_path: Path) -> None:
    msg = error(tmp_path, '<node pkg="robomatrix" exec="a"><parameter name="x" value="1"/></node>')
    assert "<parameter>" in msg and "param, remap, env" in msg


def test_unknown_attribute(tmp_path: Path) -> None:
    msg = error(tmp_path, '<node pkg="robomatrix" exec="a" launch-prefix="gdb"/>')
    assert "'launch-prefix'" in msg and "<node>" in msg and "t.launch.xml:2" in msg and "accepted:" in msg


def test_unknown_attribute_on_skipped_node_is_still_an_error(tmp_path: Path) -> None:
    msg = error(tmp_path, '<node pkg="robomatrix" exec="a" if="false" nmae="x"/>')
    assert "'nmae'" in msg


@pytest.mark.parametrize("kind", ["eval", "command"])
def test_eval_and_command_refused(tmp_path: Path, kind: str) -> None:
    msg = error(tmp_path, f'<let name="x" value="$({kind} \'1+1\')"/>')
    assert f"$({kind}" in msg and "not supported" in msg
    assert "execute" in msg or "run a shell command" in msg
    assert "var, env, find-pkg-share, dirname" in msg


def test_unknown_substitution(tmp_path: Path) -> None:
    msg = error(tmp_path, '<let name="x" value="$(anon n)"/>')
    assert "unknown substitution '$(anon" in msg and "Supported substitutions" in msg


def test_unclosed_substitution(tmp_path: Path) -> None:
    assert "not closed" in error(tmp_path, '<let name="x" value="$(var a"/>')


def test_undefined_var(tmp_path: Path) -> None:
    msg = error(tmp_path, '<let name="x" value="$(var nope)"/>')
    assert "'nope'" in msg and "not set" in msg


def test_unset_env_without_default(tmp_path: Path) -> None:
    msg = error(tmp_path, '<let name="x" value="$(env NOPE_123)"/>')
    assert "'NOPE_123'" in msg and "default" in msg


def test_unknown_package_share(tmp_path: Path) -> None:
    msg = error(tmp_path, '<let name="x" value="$(find-pkg-share nav2_bringup)"/>')
    assert "nav2_bringup" in msg and "robomatrix" in msg


def test_missing_required_arg(tmp_path: Path) -> None:
    msg = error(tmp_path, '<arg name="robot_ip" description="IP of the controller"/>')
    assert (
        "required argument 'robot_ip'" in msg and "robot_ip:=<value>" in msg and "IP of the controller" in msg
    )


def test_undeclared_command_line_arg(tmp_path: Path) -> None:
    msg = error(tmp_path, '<arg name="robot" default="sim"/>', {"robto": "bridge"})
    assert "'robto'" in msg and "not declared" in msg and "declared: robot" in msg


def test_undeclared_include_arg(tmp_path: Path) -> None:
    (tmp_path / "c.launch.xml").write_text('<launch><arg name="a" default="1"/></launch>')
    msg = error(tmp_path, '<include file="c.launch.xml"><arg name="b" value="2"/></include>')
    assert "'b'" in msg and "c.launch.xml" in msg and "declared: a" in msg


def test_missing_include(tmp_path: Path) -> None:
    assert "does not exist" in error(tmp_path, '<include file="nope.launch.xml"/>')


def test_include_cycle(tmp_path: Path) -> None:
    msg = error(tmp_path, '<include file="t.launch.xml"/>')
    assert "include cycle" in msg


@pytest.mark.parametrize("value", ["yes", "on", "", "2"])
def test_bad_boolean(tmp_path: Path, value: str) -> None:
    msg = error(tmp_path, f'<node pkg="robomatrix" exec="a" if="{value}"/>')
    assert f"'{value}' is not a boolean" in msg and "true, false, 1, 0" in msg and "'if'" in msg


def test_bad_boolean_respawn(tmp_path: Path) -> None:
    assert "'respawn'" in error(tmp_path, '<node pkg="robomatrix" exec="a" respawn="maybe"/>')


def test_if_and_unless_together(tmp_path: Path) -> None:
    assert "both 'if' and 'unless'" in error(tmp_path, '<node pkg="robomatrix" exec="a" if="1" unless="1"/>')


def test_bad_output_and_on_exit(tmp_path: Path) -> None:
    assert "accepted: screen, log, both" in error(tmp_path, '<node pkg="robomatrix" exec="a" output="tty"/>')
    assert "accepted: shutdown" in error(tmp_path, '<node pkg="robomatrix" exec="a" on_exit="restart"/>')
    assert "respawn_delay" in error(tmp_path, '<node pkg="robomatrix" exec="a" respawn_delay="soon"/>')


def test_missing_required_attribute(tmp_path: Path) -> None:
    assert "needs the attribute 'exec'" in error(tmp_path, '<node pkg="robomatrix"/>')


def test_text_content_is_an_error(tmp_path: Path) -> None:
    assert "must not contain text" in error(tmp_path, '<node pkg="robomatrix" exec="a">oops</node>')


def test_malformed_xml_names_line(tmp_path: Path) -> None:
    msg = error(tmp_path, '<node pkg="robomatrix" exec="a">\n</nod>')
    assert "not well-formed" in msg and "t.launch.xml:3" in msg


def test_wrong_root(tmp_path: Path) -> None:
    path = tmp_path / "x.xml"
    path.write_text("<robot/>")
    with pytest.raises(LaunchFileError, match="root element must be <launch>"):
        parse_launch_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LaunchFileError, match="does not exist"):
        parse_launch_file(tmp_path / "none.launch.xml")


def test_arg_choices(tmp_path: Path) -> None:
    body = '<arg name="robot" default="sim"><choice value="sim"/><choice value="bridge"/></arg>'
    assert parse(tmp_path, body, {"robot": "bridge"}).configurations["robot"] == "bridge"
    msg = error(tmp_path, body, {"robot": "ur5"})
    assert "'ur5'" in msg and "sim, bridge" in msg
