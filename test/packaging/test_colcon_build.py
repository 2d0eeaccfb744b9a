"""`colcon build` of the repository as a ROS 2 workspace package, against the ROS wheels.

Proves what a ROS user gets: interfaces + Python package installed together, launch/,
config/ and skills/ under share/robomatrix, one executable per node under lib/robomatrix.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


def test_share_and_executables_are_installed(workspace: Path) -> None:
    share = workspace / "share" / "robomatrix"
    assert (share / "package.xml").is_file()
    assert (share / "launch" / "robomatrix.launch.xml").is_file()
    assert (share / "config" / "robot.yaml").is_file()
    assert (share / "skills").is_dir()
    assert (workspace / "share" / "ament_index" / "resource_index" / "packages" / "robomatrix").is_file()
    for node in ("hardware", "fake_controller", "skill_server", "scheduler"):
        exe = workspace / "lib" / "robomatrix" / node
        assert exe.is_file() and os.access(exe, os.X_OK), node


def test_installed_package_imports_sources_and_interfaces(workspace: Path) -> None:
    site = next(workspace.glob("lib/python3*/site-packages"))
    env = dict(os.environ, PYTHONPATH=str(site), AMENT_PREFIX_PATH=f"{workspace}:{sys.prefix}",
               LD_LIBRARY_PATH=f"{workspace / 'lib'}:{os.environ.get('LD_LIBRARY_PATH', '')}")
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
