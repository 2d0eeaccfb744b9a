"""`colcon build` of the repository as a ROS 2 workspace package, against the ROS wheels.

Proves what a ROS user gets: interfaces + Python package installed together, launch/,
config/ (with scenes) and skills/ (with the planner weights) under share/robomatrix, one
executable per node under lib/robomatrix, and that each node and the launch file start from
the install space alone (the checkout's sources and files out of reach) with their defaults.
One colcon build (module fixture) serves every test here.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

IGNORE = shutil.ignore_patterns(".venv", "build", "install", "log", ".git", "__pycache__", "out", ".pytest_cache",
                                ".ruff_cache", ".mypy_cache", "*.egg-info")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Path:
    colcon = shutil.which("colcon", path=str(Path(sys.executable).parent))
    if colcon is None:
        pytest.fail("colcon is not installed in the venv: run `make setup` (it is pinned in requirements.txt)")
    ws = tmp_path_factory.mktemp("ws")
    shutil.copytree(repo_root, ws / "src" / "robomatrix", ignore=IGNORE)
    venv = Path(sys.prefix)
    env = dict(os.environ, CMAKE_PREFIX_PATH=str(venv), AMENT_PREFIX_PATH=str(venv))
    out = subprocess.run(
        [colcon, "build", "--merge-install", "--event-handlers", "console_direct-",
         "--cmake-args", f"-DPython3_EXECUTABLE={sys.executable}", "-DBUILD_TESTING=OFF"],
        cwd=ws, env=env, capture_output=True, text=True, timeout=900,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    return ws / "install"


def install_env(workspace: Path) -> dict[str, str]:
    """What `source install/setup.bash` gives a Python process: the install space, not the checkout."""
    site = next(workspace.glob("lib/python3*/site-packages"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROBOMATRIX_")}
    env.update(PYTHONPATH=str(site), AMENT_PREFIX_PATH=f"{workspace}:{sys.prefix}",
               LD_LIBRARY_PATH=f"{workspace / 'lib'}:{os.environ.get('LD_LIBRARY_PATH', '')}")
    return env


def test_share_and_executables_are_installed(workspace: Path, repo_root: Path) -> None:
    share = workspace / "share" / "robomatrix"
    assert (share / "package.xml").is_file()
    assert (share / "launch" / "robomatrix.launch.xml").is_file()
    assert (share / "config" / "robot.yaml").is_file()
    assert (share / "skills").is_dir()
    # every resource folder of the checkout is installed, file for file
    for folder in ("launch", "config", "skills"):
        shipped = {p.relative_to(repo_root) for p in (repo_root / folder).rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts}
        installed = {p.relative_to(share) for p in (share / folder).rglob("*") if p.is_file()}
        assert shipped <= installed, sorted(shipped - installed)[:5]
    assert (share / "config" / "scenes" / "tabletop.yaml").is_file()
    assert (share / "skills" / "_planner" / "model.safetensors").is_file()
    assert (workspace / "share" / "ament_index" / "resource_index" / "packages" / "robomatrix").is_file()
    for node in ("hardware", "fake_controller", "skill_server", "scheduler"):
        exe = workspace / "lib" / "robomatrix" / node
        assert exe.is_file() and os.access(exe, os.X_OK), node


def test_installed_package_imports_sources_and_interfaces(workspace: Path) -> None:
    site = next(workspace.glob("lib/python3*/site-packages"))
    env = install_env(workspace)
    code = (
        "import robomatrix, robomatrix.config as c\n"
        "from robomatrix.msg import WorldState, ArmCommand, LanguageMotion\n"
        "from robomatrix.srv import ListSkills, Reset\n"
        "from robomatrix.action import ExecuteSkill, ExecuteTask\n"
        "print(robomatrix.__file__); print(c.project_share_dir())\n"
    )
    # run from a neutral folder so the checkout's sources cannot be picked up
    out = subprocess.run([sys.executable, "-c", code], cwd=workspace, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[-2].startswith(str(site)), lines
    assert lines[-1] == str(workspace / "share" / "robomatrix"), lines


READY = {"hardware": "sim robot up", "skill_server": "skill server up", "scheduler": "scheduler up"}


def start(cmd: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for_lines(procs: dict[str, tuple[subprocess.Popen, Path]], lines: dict[str, str], timeout: float) -> None:
    """Until each log holds its line; fails with the log of a process that died or never got there."""
    deadline = time.monotonic() + timeout
    pending = dict(lines)
    while pending and time.monotonic() < deadline:
        for name, line in list(pending.items()):
            proc, log = procs[name]
            text = log.read_text()
            if line in text:
                del pending[name]
            elif proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode} before {line!r}:\n{text[-3000:]}")
        time.sleep(0.2)
    if pending:
        name = next(iter(pending))
        pytest.fail(f"no {pending[name]!r} from {name} in {timeout:g} s:\n{procs[name][1].read_text()[-3000:]}")


def interrupt_all(procs: dict[str, tuple[subprocess.Popen, Path]]) -> dict[str, int]:
    for proc, _ in procs.values():
        proc.send_signal(signal.SIGINT)
    codes = {}
    for name, (proc, log) in procs.items():
        try:
            codes[name] = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"{name} did not exit within 20 s of Ctrl-C:\n{log.read_text()[-3000:]}")
    return codes


def test_each_node_starts_from_the_install_space_with_defaults(workspace: Path, tmp_path: Path) -> None:
    """The installed executables (what `ros2 run robomatrix <node>` runs), no parameters, cwd outside the repo."""
    env = install_env(workspace)
    procs = {}
    try:
        for node in READY:
            log = tmp_path / f"{node}.log"
            procs[node] = (start([sys.executable, str(workspace / "lib" / "robomatrix" / node)], env, tmp_path, log),
                           log)
        wait_for_lines(procs, READY, timeout=90)
    finally:
        codes = interrupt_all(procs)
    assert codes == dict.fromkeys(READY, 0), {n: procs[n][1].read_text()[-2000:] for n in READY}
    text = procs["scheduler"][1].read_text()
    assert "planner backend grounded" in text and "task timeout 300 s" in text, text[-2000:]


def test_launch_file_defaults_start_the_stack_from_the_install_space(workspace: Path, tmp_path: Path) -> None:
    """`robomatrix launch robomatrix.launch.xml` as issue 11 ran it: every node up, Ctrl-C ends it with 0."""
    env = install_env(workspace)
    log = tmp_path / "launch.log"
    proc = start([sys.executable, "-m", "robomatrix.cli", "launch", "robomatrix.launch.xml", "--local"],
                 env, tmp_path, log)
    procs = {name: (proc, log) for name in READY}
    try:
        wait_for_lines(procs, READY, timeout=90)
    finally:
        codes = interrupt_all({"launch": (proc, log)})
    assert codes == {"launch": 0}, log.read_text()[-3000:]
