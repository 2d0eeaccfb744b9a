"""Multi-process ROS tier: real node processes over DDS (localhost only, own domain id)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.ros


class NodeProcess:
    """One node started as ``python -m robomatrix.nodes <name>``, output captured to a file."""

    def __init__(self, name: str, params: dict[str, Any], log_dir: Path, ros_name: str | None = None,
                 namespace: str = "", remaps: dict[str, str] | None = None) -> None:
        self.name = name
        self.log_path = log_dir / f"{namespace.strip('/').replace('/', '_') + '_' if namespace else ''}{ros_name or name}.log"
        argv = [sys.executable, "-m", "robomatrix.nodes", name, "--ros-args"]
        if ros_name:
            argv += ["-r", f"__node:={ros_name}"]
        if namespace:
            argv += ["-r", f"__ns:={namespace}"]
        for src, dst in (remaps or {}).items():
            argv += ["-r", f"{src}:={dst}"]
        for k, v in params.items():
            value = str(v).lower() if isinstance(v, bool) else str(v)
            argv += ["-p", f"{k}:={value}"]
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        if not self._log.closed:  # stop() closes it; the file stays readable
            self._log.flush()
        return self.log_path.read_text()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """Kill the node on purpose (a crash test); its exit code then does not count."""
        self.proc.kill()
        self.proc.wait()
        self.killed = True

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._log.close()
                raise AssertionError(
                    f"{self.name} did not exit within {timeout} s of SIGINT:\n{self.output()}") from None
        self._log.close()
        return 0 if getattr(self, "killed", False) else self.proc.returncode


def _starter(log_dir: Path) -> Iterator[Callable[..., NodeProcess]]:
    started: list[NodeProcess] = []

    def start(name: str, ros_name: str | None = None, namespace: str = "", remaps: dict[str, str] | None = None,
              **params: Any) -> NodeProcess:
        p = NodeProcess(name, params, log_dir, ros_name=ros_name, namespace=namespace, remaps=remaps)
        started.append(p)
        return p

    yield start
    codes = {p.name: p.stop() for p in reversed(started)}
    bad = {n: c for n, c in codes.items() if c != 0}
    assert not bad, "nodes exited uncleanly: " + "; ".join(
        f"{n}={c}\n{p.output()[-3000:]}" for p in started for n, c in bad.items() if p.name == n)


@pytest.fixture
def start_node(tmp_path: Path) -> Iterator[Callable[..., NodeProcess]]:
    """Start node processes; at teardown every one must exit cleanly (code 0) on SIGINT."""
    yield from _starter(tmp_path)


@pytest.fixture(scope="module")
def start_module_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., NodeProcess]]:
    """``start_node`` for a whole module: one stack shared by its tests (start-up is the slow part)."""
    yield from _starter(tmp_path_factory.mktemp("nodes"))


DISCOVERY_SETTLE_S = 0.5  # s spun after a server is found, before the first request
GOAL_ANSWER_S = 3.0  # s without an answer to a service request before it is sent again


class RosHarness:
    """The test's own rclpy node, spun on demand."""

    def __init__(self) -> None:
        import rclpy

        self.rclpy = rclpy
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(f"test_harness_{time.monotonic_ns()}", context=self.context)
        from rclpy.executors import SingleThreadedExecutor

        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)

    def spin_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.executor.spin_once(timeout_sec=0.01)

    def wait_until(self, cond: Callable[[], bool], timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if cond():
                return
            self.executor.spin_once(timeout_sec=0.02)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    def wait_ready(self, client: Any, timeout: float) -> bool:
        """``wait_for_server`` (an action client) or ``wait_for_service``, then a short settle.

        Both return once the server's request reader is matched; the server's reply writer may
        not have matched this client's reply reader yet (Fast DDS waits 100 ms for it, then drops
        the reply), so a request sent at once can lose its answer on a loaded machine. Spinning
        ``DISCOVERY_SETTLE_S`` first lets discovery finish."""
        wait = getattr(client, "wait_for_server", None) or client.wait_for_service
        if not wait(timeout_sec=timeout):
            return False
        self.spin_for(DISCOVERY_SETTLE_S)
        return True

    def send_goal(self, client: Any, goal: Any, feedback: Callable[[Any], None] | None = None,
                  timeout: float = 10.0) -> Any:
        """Send an action goal and return its goal handle, surviving a lost request or acceptance
        reply: the product's own :func:`robomatrix.cli.ros_client.send_goal`."""
        from robomatrix.cli.ros_client import StackNotRunningError, send_goal

        try:
            return send_goal(client, goal, lambda t: self.executor.spin_once(timeout_sec=t), feedback, timeout)
        except StackNotRunningError:
            raise AssertionError(f"timed out after {timeout} s waiting for goal response") from None

    def call(self, client: Any, request: Any, timeout: float = 10.0, what: str = "service reply") -> Any:
        """Call a service and return its response; the request is sent again when no reply came
        within ``GOAL_ANSWER_S`` (a reply or request lost to discovery, see ``send_goal``). For
        services whose repeat does no harm (every one the tests call: queries, e-stop, reset)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            fut = client.call_async(request)
            answer_by = min(end, time.monotonic() + GOAL_ANSWER_S)
            while time.monotonic() < answer_by and not fut.done():
                self.executor.spin_once(timeout_sec=0.02)
            if fut.done():
                return fut.result()
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    def wait_publishers(self, topic: str, timeout: float = 30.0, count: int = 1) -> None:
        """Wait until this node has discovered ``count`` publishers of ``topic`` (a subscription
        made with ``latest`` misses what is published before then)."""
        self.wait_until(lambda: self.node.count_publishers(topic) >= count, timeout, f"a publisher of {topic}")

    def latest(self, msg_type: type, topic: str) -> list[Any]:
        """Subscribe and return the (live) list of received messages."""
        got: list[Any] = []
        self.node.create_subscription(msg_type, topic, got.append, 50)
        return got

    def close(self) -> None:
        """Destroy what the test made on this node, action clients included (``destroy_node`` leaves them), and
        collect the garbage while the context is alive: an action client left to the garbage collector of a later
        test, after its context was shut down, crashed that test's process (a segfault in CI, 2026-12-06)."""
        import gc

        from robomatrix.cli.ros_client import destroy_waitables

        destroy_waitables(self.node)
        gc.collect()
        self.executor.shutdown()
        self.node.destroy_node()
        gc.collect()
        self.rclpy.shutdown(context=self.context)


@pytest.fixture
def ros() -> Iterator[RosHarness]:
    h = RosHarness()
    yield h
    h.close()


@pytest.fixture(scope="module")
def module_ros() -> Iterator[RosHarness]:
    """``ros`` for a whole module."""
    h = RosHarness()
    yield h
    h.close()
