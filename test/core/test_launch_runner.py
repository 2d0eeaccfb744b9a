"""The launch runner, with tiny fake node programs instead of real ROS nodes (no rclpy)."""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from robomatrix.errors import LaunchFileError
from robomatrix.launcher import NodeSpec, Param, ParamFile, parse_launch_file
from robomatrix.launcher.runner import (
    ORPHAN_EXIT_CODE,
    LaunchRunner,
    build_node_command,
    build_node_env,
    delegate_to_ros2_launch,
    describe_arguments,
    launch,
    parent_death_hook,
    parse_launch_args,
    resolve_launch_file,
    ros2_launch_available,
    run_launch_file,
)

# A fake node: argv[1] is the executable name from the launch file, the rest is what the
# real node would get. It reports itself as one JSON line on stdout, then behaves by name.
FAKE_NODE = r"""
import json, os, signal, subprocess, sys, time
name = sys.argv[1]
print(json.dumps({"pid": os.getpid(), "argv": sys.argv[1:], "env": {
    k: os.environ.get(k) for k in ("ROS_AUTOMATIC_DISCOVERY_RANGE", "KEEP_ME", "FOO", "SCOPED")}}),
    flush=True)
print("to stderr", file=sys.stderr, flush=True)
def bye(*_):
    print("stopping", flush=True)
    sys.exit(0)
if name == "ok":
    sys.exit(0)
if name == "fail":
    sys.exit(3)
if name == "stubborn":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
elif name == "crash_once":
    marker = os.environ["MARKER"]
    if not os.path.exists(marker):
        open(marker, "w").close()
        sys.exit(7)
    signal.signal(signal.SIGINT, bye)
elif name == "spawner":
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    print(json.dumps({"grandchild": child.pid}), flush=True)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
else:
    signal.signal(signal.SIGINT, bye)
while True:
    time.sleep(0.05)
"""


def fake_builder(spec: NodeSpec) -> list[str]:
    return [sys.executable, "-c", FAKE_NODE, *build_node_command(spec)[3:]]


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "t.launch.xml"
    path.write_text(f"<launch>\n{body}\n</launch>\n")
    return path


def runner_for(tmp_path: Path, body: str, **kw: object) -> tuple[LaunchRunner, io.StringIO]:
    out = io.StringIO()
    desc = parse_launch_file(write(tmp_path, body), package_shares={"robomatrix": tmp_path})
    kw.setdefault("shutdown_timeout", 1.0)
    kw.setdefault("log_dir", tmp_path / "logs")
    runner = LaunchRunner(desc, command_builder=fake_builder, stdout=out, **kw)  # type: ignore[arg-type]
    return runner, out


def reports(out: io.StringIO, name: str) -> list[dict]:
    prefix = f"[{name}] {{"
    return [
        json.loads(line[len(name) + 3 :]) for line in out.getvalue().splitlines() if line.startswith(prefix)
    ]


def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0); it is no longer running.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return True


# --------------------------------------------------------------------------- commands and env


def test_build_node_command(tmp_path: Path) -> None:
    params = tmp_path / "p.yaml"
    params.write_text("{}\n")
    spec = NodeSpec(
        pkg="robomatrix",
        exec="hardware",
        name="hw",
        namespace="/r1",
        arguments=("--x",),
        parameters=(Param("a", "1"), ParamFile(params), Param("empty", "")),
        remappings=(("in", "out"),),
    )
    assert build_node_command(spec, python="py") == [
        "py",
        "-m",
        "robomatrix.nodes",
        "hardware",
        "--x",
        "--ros-args",
        "-r",
        "__node:=hw",
        "-r",
        "__ns:=/r1",
        "-p",
        "a:=1",
        "--params-file",
        str(params),
        "-p",
        "empty:=''",
        "-r",
        "in:=out",
    ]


def test_other_packages_need_ros2_launch() -> None:
    with pytest.raises(
        LaunchFileError,
        match="package demo_nodes_cpp is not available without ros2 launch; "
        "install ROS 2 and use ros2 launch",
    ):
        build_node_command(NodeSpec(pkg="demo_nodes_cpp", exec="talker"))


def test_missing_param_file(tmp_path: Path) -> None:
    spec = NodeSpec(pkg="robomatrix", exec="x", parameters=(ParamFile(tmp_path / "nope.yaml"),))
    with pytest.raises(LaunchFileError, match="nope.yaml does not exist"):
        build_node_command(spec)


def test_node_env_applies_project_defaults_and_keeps_the_rest() -> None:
    env = build_node_env(
        NodeSpec(pkg="robomatrix", exec="x", env=(("FOO", "1"),)),
        {"LD_LIBRARY_PATH": "/opt/ros/lib", "HOME": "/h"},
    )
    assert env["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "LOCALHOST"
    assert env["LD_LIBRARY_PATH"] == "/opt/ros/lib"
    assert env["FOO"] == "1"
    chosen = build_node_env(NodeSpec(pkg="robomatrix", exec="x"), {"ROS_AUTOMATIC_DISCOVERY_RANGE": "SUBNET"})
    assert chosen["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "SUBNET"  # an explicit choice is never overridden


def test_a_bad_node_starts_nothing(tmp_path: Path) -> None:
    desc = parse_launch_file(
        write(tmp_path, '<node pkg="robomatrix" exec="sleep"/><node pkg="tf2_ros" exec="x"/>')
    )
    runner = LaunchRunner(desc)
    with pytest.raises(LaunchFileError, match="tf2_ros"):
        runner.start()
    assert runner.pids == {}


# --------------------------------------------------------------------------- running


def test_argv_env_and_prefixed_output(tmp_path: Path) -> None:
    runner, out = runner_for(
        tmp_path,
        """
        <set_env name="SCOPED" value="s"/>
        <node pkg="robomatrix" exec="ok" name="talker" namespace="ns" output="screen">
          <param name="rate" value="10"/>
          <remap from="chatter" to="talk"/>
          <env name="FOO" value="bar"/>
        </node>
        """,
        base_env={"PATH": os.environ.get("PATH", ""), "KEEP_ME": "kept", "HOME": str(tmp_path)},
    )
    with runner:
        assert runner.wait(timeout=20) == 0
    (report,) = reports(out, "talker")
    assert report["argv"] == [
        "ok",
        "--ros-args",
        "-r",
        "__node:=talker",
        "-r",
        "__ns:=/ns",
        "-p",
        "rate:=10",
        "-r",
        "chatter:=talk",
    ]
    assert report["env"] == {
        "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
        "KEEP_ME": "kept",
        "FOO": "bar",
        "SCOPED": "s",
    }
    assert "[talker] to stderr" in out.getvalue().splitlines()
    assert runner.exits[0].returncode == 0 and not runner.exits[0].expected


def test_output_log_goes_to_file_and_stderr_also_to_screen(tmp_path: Path) -> None:
    runner, out = runner_for(
        tmp_path, '<node pkg="robomatrix" exec="ok" name="quiet"/>'
    )  # output defaults to log
    with runner:
        assert runner.wait(timeout=20) == 0
    assert reports(out, "quiet") == []
    assert "[quiet] to stderr" in out.getvalue()
    logged = (tmp_path / "logs" / "quiet.log").read_text()
    assert '[quiet] {"pid"' in logged and "[quiet] to stderr" in logged


def test_clean_shutdown_escalates_and_leaves_no_process(tmp_path: Path) -> None:
    runner, out = runner_for(
        tmp_path,
        """
        <node pkg="robomatrix" exec="sleeper" name="a" output="screen"/>
        <node pkg="robomatrix" exec="stubborn" name="b" output="screen"/>
        <node pkg="robomatrix" exec="spawner" name="c" output="screen"/>
        """,
        shutdown_timeout=0.5,
    )
    runner.start()
    wait_for(
        lambda: len(reports(out, "a")) == 1 and len(reports(out, "b")) == 1 and len(reports(out, "c")) == 2
    )
    pids = list(runner.pids.values())
    grandchild = reports(out, "c")[1]["grandchild"]
    assert runner.wait(timeout=0.3) is None  # still running
    t0 = time.monotonic()
    code = runner.shutdown()
    elapsed = time.monotonic() - t0
    assert code == 0  # exits caused by our signals are not failures
    assert elapsed < 0.5 * 2 + 3.0  # SIGINT wait + SIGTERM wait + SIGKILL, with slack for a slow machine
    assert all(gone(p) for p in [*pids, grandchild])
    assert "[a] stopping" in out.getvalue()
    by_name = {e.name: e for e in runner.exits}
    assert by_name["a"].returncode == 0 and by_name["b"].returncode == -signal.SIGKILL
    assert all(e.expected for e in runner.exits)


def test_unexpected_death_keeps_others_running_and_fails_the_launch(tmp_path: Path) -> None:
    runner, out = runner_for(
        tmp_path,
        '<node pkg="robomatrix" exec="fail" name="bad" output="screen"/>'
        '<node pkg="robomatrix" exec="sleeper" name="good" output="screen"/>',
    )
    with runner:
        wait_for(lambda: runner.poll() and runner.failures != [])
        assert runner.failures[0].name == "bad" and runner.failures[0].returncode == 3
        assert "good" in runner.pids and "bad" not in runner.pids
        assert runner.wait(timeout=0.3) is None
    assert runner.exit_code == 1


def test_respawn(tmp_path: Path) -> None:
    runner, out = runner_for(
        tmp_path,
        '<node pkg="robomatrix" exec="crash_once" name="flaky" output="screen" respawn="true" respawn_delay="0.1">'
        f'<env name="MARKER" value="{tmp_path}/marker"/></node>',
    )
    with runner:
        wait_for(lambda: runner.poll() and len(reports(out, "flaky")) == 2 and "flaky" in runner.pids)
        first, second = reports(out, "flaky")
        assert first["pid"] != second["pid"] == runner.pids["flaky"]
        assert runner.exits[0].returncode == 7
    assert gone(second["pid"])
    assert [e.returncode for e in runner.exits] == [7, 0]
    assert runner.exit_code == 1  # the crash is reported even though the node came back


def test_respawn_skips_a_node_that_exited_cleanly(tmp_path: Path) -> None:
    runner, out = runner_for(
        tmp_path, '<node pkg="robomatrix" exec="ok" name="done" output="screen" respawn="true" respawn_delay="0"/>'
    )
    with runner:
        assert runner.wait(timeout=20) == 0  # exit code 0 means it stopped on purpose: not restarted
    assert len(reports(out, "done")) == 1 and [e.returncode for e in runner.exits] == [0]


def test_respawn_after_a_kill_and_not_while_shutting_down(tmp_path: Path) -> None:
    runner, out = runner_for(
        tmp_path, '<node pkg="robomatrix" exec="sleeper" name="s" output="screen" respawn="true" respawn_delay="0.2"/>'
    )
    with runner:
        wait_for(lambda: runner.poll() and len(reports(out, "s")) == 1)
        first = runner.pids["s"]
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: runner.poll() and len(reports(out, "s")) == 2)
        assert runner.pids["s"] != first and runner.exits[0].returncode == -signal.SIGKILL
        os.kill(runner.pids["s"], signal.SIGKILL)
        wait_for(lambda: not runner.poll() or len(runner.exits) == 2)
    # Killed again just before shutdown: the pending respawn is dropped, nothing is left running.
    assert len(reports(out, "s")) == 2 and runner.pids == {}


# A launcher in a process of its own, so that the test can kill it with SIGKILL.
LAUNCHER = r"""
import io, json, sys, time
from robomatrix.launcher import parse_launch_file
from robomatrix.launcher.runner import LaunchRunner, build_node_command
fake_node, launch_file = sys.argv[1], sys.argv[2]
desc = parse_launch_file(launch_file, package_shares={"robomatrix": "."})
out = io.StringIO()
runner = LaunchRunner(desc, command_builder=lambda s: [sys.executable, fake_node, *build_node_command(s)[3:]],
                      log_dir=sys.argv[3], stdout=out, tie_to_launcher=sys.argv[4] == "tie")
runner.start()
# Every node running and past its first output (killed sooner, it would die of a broken pipe anyway),
# and each respawning node (crash_once) restarted once, so that a restarted node is tied too.
def ready():
    pids = runner.pids
    return (len(pids) == len(desc.nodes) and len(runner.exits) == sum(s.respawn for s in desc.nodes)
            and all(f'"pid": {p},' in out.getvalue() for p in pids.values()))
while not ready():
    runner.poll()
    time.sleep(0.02)
print(json.dumps(runner.pids), flush=True)
while True:
    runner.poll()
    time.sleep(0.05)
"""


def start_launcher(tmp_path: Path, body: str, tie: bool = True) -> tuple[subprocess.Popen[str], dict[str, int]]:
    """A launcher process running the fake nodes of ``body``; returns it and its nodes' pids."""
    (tmp_path / "fake_node.py").write_text(FAKE_NODE)
    (tmp_path / "launcher.py").write_text(LAUNCHER)
    launcher = subprocess.Popen(
        [sys.executable, str(tmp_path / "launcher.py"), str(tmp_path / "fake_node.py"), str(write(tmp_path, body)),
         str(tmp_path / "logs"), "tie" if tie else "no"],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert launcher.stdout is not None
    return launcher, json.loads(launcher.stdout.readline())


@pytest.mark.parametrize("tie", [True, False])
def test_killing_the_launcher_with_sigkill_stops_every_node(tmp_path: Path, tie: bool) -> None:
    launcher, pids = start_launcher(
        tmp_path,
        "".join(f'<node pkg="robomatrix" exec="sleeper" name="n{i}" output="screen"/>' for i in range(3))
        + '<node pkg="robomatrix" exec="crash_once" name="r" output="screen" respawn="true" respawn_delay="0.1">'
        f'<env name="MARKER" value="{tmp_path}/marker"/></node>',
        tie=tie,
    )
    try:
        assert set(pids) == {"n0", "n1", "n2", "r"} and not any(gone(p) for p in pids.values())
        os.kill(launcher.pid, signal.SIGKILL)
        launcher.wait(timeout=5)
        if tie:
            wait_for(lambda: all(gone(p) for p in pids.values()), timeout=5.0)
        else:  # the control case: without the tie, the nodes outlive their launcher
            time.sleep(1.0)
            assert not any(gone(p) for p in pids.values())
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        for p in pids.values():
            if not gone(p):
                os.kill(p, signal.SIGKILL)


def test_a_child_whose_launcher_already_died_exits_before_exec() -> None:
    hook = parent_death_hook(os.getpid() + 1_000_000)  # not our pid: as if the launcher died and we were re-parented
    assert hook is not None  # Linux
    t0 = time.monotonic()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], preexec_fn=hook)
    assert child.wait(timeout=10) == ORPHAN_EXIT_CODE
    assert time.monotonic() - t0 < 5.0  # it never ran the 30 s program
    ok = subprocess.Popen([sys.executable, "-c", "pass"], preexec_fn=parent_death_hook(os.getpid()))
    assert ok.wait(timeout=30) == 0


def test_all_nodes_exiting_cleanly_ends_the_launch_with_zero(tmp_path: Path) -> None:
    runner, _ = runner_for(
        tmp_path, '<node pkg="robomatrix" exec="ok" name="a"/><node pkg="robomatrix" exec="ok" name="b"/>'
    )
    with runner:
        assert runner.wait(timeout=20) == 0
    assert sorted(e.name for e in runner.exits) == ["a", "b"]


def test_on_exit_shutdown_stops_everything(tmp_path: Path) -> None:
    runner, out = runner_for(
        tmp_path,
        '<node pkg="robomatrix" exec="ok" name="main" on_exit="shutdown"/>'
        '<node pkg="robomatrix" exec="sleeper" name="helper" output="screen"/>',
    )
    runner.start()
    assert runner.wait(timeout=20) == 0
    assert runner.pids == {}
    assert {e.name: e.expected for e in runner.exits} == {"main": False, "helper": True}


# --------------------------------------------------------------------------- entry points


def test_run_launch_file_returns_the_exit_code(tmp_path: Path) -> None:
    path = write(tmp_path, '<arg name="what" default="ok"/><node pkg="robomatrix" exec="$(var what)"/>')
    kw = {"command_builder": fake_builder, "log_dir": tmp_path / "logs", "shutdown_timeout": 1.0}
    assert run_launch_file(path, **kw) == 0  # type: ignore[arg-type]
    assert run_launch_file(path, {"what": "fail"}, **kw) == 1  # type: ignore[arg-type]


def test_run_launch_file_stops_on_ctrl_c(tmp_path: Path) -> None:
    path = write(tmp_path, '<node pkg="robomatrix" exec="sleeper" name="s"/>')
    before = signal.getsignal(signal.SIGINT)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    t0 = time.monotonic()
    code = run_launch_file(
        path, command_builder=fake_builder, log_dir=tmp_path / "logs", shutdown_timeout=2.0
    )
    assert code == 0
    assert time.monotonic() - t0 < 10
    assert signal.getsignal(signal.SIGINT) is before
    assert "stopping" in (tmp_path / "logs" / "s.log").read_text()


def fake_ros2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rc: int) -> Path:
    record = tmp_path / "ros2-argv.json"
    script = tmp_path / "bin" / "ros2"
    script.parent.mkdir()
    script.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        f"json.dump({{'argv': sys.argv[1:], 'range': os.environ.get('ROS_AUTOMATIC_DISCOVERY_RANGE')}}, "
        f"open({str(record)!r}, 'w'))\nsys.exit({rc})\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.delenv("ROS_AUTOMATIC_DISCOVERY_RANGE", raising=False)
    return record


def test_ros2_launch_available(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no ros2 here
    assert ros2_launch_available() is False
    fake_ros2(tmp_path, monkeypatch, rc=0)
    assert ros2_launch_available() is True


def test_ros2_launch_broken_is_not_available(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_ros2(tmp_path, monkeypatch, rc=2)
    assert ros2_launch_available() is False


def test_delegate_to_ros2_launch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = fake_ros2(tmp_path, monkeypatch, rc=4)
    code = delegate_to_ros2_launch(
        "robomatrix.launch.xml", {"robot": "sim", "gui": "a b"}, package="robomatrix", replace_process=False
    )
    assert code == 4
    seen = json.loads(record.read_text())
    assert seen["argv"] == ["launch", "robomatrix", "robomatrix.launch.xml", "robot:=sim", "gui:=a b"]
    assert seen["range"] == "LOCALHOST"


def test_parse_launch_args() -> None:
    assert parse_launch_args(["robot:=bridge", "namespace:=", "x:=a:=b"]) == {
        "robot": "bridge",
        "namespace": "",
        "x": "a:=b",
    }
    with pytest.raises(LaunchFileError, match="'robot=sim' is not of the form name:=value"):
        parse_launch_args(["robot=sim"])


def test_resolve_launch_file(tmp_path: Path) -> None:
    assert resolve_launch_file("robomatrix.launch.xml").name == "robomatrix.launch.xml"
    with pytest.raises(LaunchFileError, match="available: .*bridge_fake_controller.launch.xml"):
        resolve_launch_file("nope.launch.xml")


def test_describe_arguments() -> None:
    text = describe_arguments(parse_launch_file(resolve_launch_file("robomatrix.launch.xml")))
    assert "'robot':" in text and "(default: 'sim')" in text and "sim (pybullet simulation) | bridge" in text


def test_launch_runs_locally_without_ros2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no ros2 command
    path = write(tmp_path, '<node pkg="robomatrix" exec="ok"/>')
    assert launch(path, {}, command_builder=fake_builder, log_dir=tmp_path / "logs") == 0
