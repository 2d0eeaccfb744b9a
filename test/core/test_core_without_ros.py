"""The core decides everything and must import without rclpy (STYLE: thin nodes over a plain core)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import robomatrix

# Modules allowed to import rclpy: the ROS adapters and the CLI's ROS client.
ROS_PACKAGES = ("robomatrix.nodes", "robomatrix.cli")


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(robomatrix.__path__, "robomatrix."):
        if info.name.startswith(ROS_PACKAGES) or info.name.split(".")[1] in ("msg", "srv", "action"):
            continue
        names.append(info.name)
    return sorted(names)


def test_there_are_core_modules() -> None:
    mods = core_modules()
    assert "robomatrix.hardware.safety" in mods
    assert "robomatrix.config" in mods


def test_core_imports_with_rclpy_blocked() -> None:
    mods = core_modules()
    code = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'rclpy' or name.startswith('rclpy.'):\n"
        "            raise ImportError('rclpy is blocked: core modules must not import it')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {mods!r}:\n"
        "    importlib.import_module(m)\n"
        "print('ok', len(sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")
