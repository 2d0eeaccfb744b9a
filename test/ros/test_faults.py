"""Faults of the process tree, with real processes: the launcher killed, a node killed and respawned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rclpy.action import ActionClient

from robomatrix.action import ExecuteSkill
from robomatrix.launcher.proctree import child_processes as children
from robomatrix.launcher.proctree import process_gone as gone
from robomatrix.msg import SkillArgument, WorldState

pytestmark = pytest.mark.ros


def node_pid(nodes: dict[int, str], exec_name: str) -> int:
    found = [pid for pid, cmd in nodes.items() if f"robomatrix.nodes {exec_name} " in cmd]
    assert len(found) == 1, nodes
    return found[0]


class Launch:
    """``robomatrix launch`` (the local runner) as a process of its own."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.log_path = tmp_path / "launch.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in close()
        # A namespace of its own: nodes another session left running in this domain stay out of it.
        self.ns = f"/faults_{os.getpid()}_{time.monotonic_ns() % 1_000_000}"
        argv = [sys.executable, "-m", "robomatrix.cli", "launch", "--local", "robomatrix.launch.xml",
                "robot:=sim", "start_scheduler:=false", "skill_controller:=oracle", f"namespace:={self.ns[1:]}",
                *args]
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.nodes: dict[int, str] = {}

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def wait_for_nodes(self, count: int, timeout: float = 30.0) -> dict[int, str]:
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.proc.poll() is None:
            # only children that have exec'd a node: a child caught between fork and exec still shows
            # the launcher's command line (seen once in a fresh-clone run)
            self.nodes = {pid: cmd for pid, cmd in children(self.proc.pid).items() if "robomatrix.nodes " in cmd}
            if len(self.nodes) == count:
                return self.nodes
            time.sleep(0.05)
        raise AssertionError(f"{count} node processes expected, found {self.nodes}:\n{self.output()[-3000:]}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for pid in self.nodes:
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)
        self._log.close()


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[type]:
    started: list[Launch] = []

    def start(*args: str) -> Launch:
        started.append(Launch(tmp_path, *args))
        return started[-1]

    yield start  # type: ignore[misc]
    for s in started:
        s.close()


def move_to(ros, client, what: str, feedback: list | None = None):  # type: ignore[no-untyped-def]
    goal = ExecuteSkill.Goal(skill="move_to")
    goal.arguments.append(SkillArgument(name="object", type="object", value=what))
    handle = ros.send_goal(client, goal, None if feedback is None else feedback.append)
    assert handle.accepted
    return handle


# This failed about 1 run in 10 until 2026-12-06: the dead launcher's parent-death SIGTERM comes once
# per launcher thread the node is handed to (strace: two, 1.5 ms apart), and the second was taken as
# "stop now", interrupting close() before the hold went out. Repeats within 0.25 s are now one request.
def test_killing_the_launcher_stops_every_node_and_the_arm_holds(launch, ros) -> None:
    stack = launch()
    obs = ros.latest(WorldState, f"{stack.ns}/observation")
    client = ActionClient(ros.node, ExecuteSkill, f"{stack.ns}/execute_skill")
    pids = list(stack.wait_for_nodes(2))
    ros.wait_until(lambda: len(obs) > 0, 30.0, "observations")
    assert ros.wait_ready(client, 30.0), stack.output()[-3000:]
    feedback: list = []
    handle = move_to(ros, client, "red block", feedback)
    result = handle.get_result_async()

    def moving() -> bool:
        v = obs[-1].ee_twist.linear
        return len(feedback) >= 3 and abs(v.x) + abs(v.y) + abs(v.z) > 0.01

    ros.wait_until(moving, 20.0, "the arm moving under the skill")
    assert not obs[-1].watchdog_holding
    os.kill(stack.proc.pid, signal.SIGKILL)
    t0 = time.monotonic()
    while not all(gone(p) for p in pids) and time.monotonic() - t0 < 5.0:
        ros.spin_for(0.05)
    alive = [p for p in pids if not gone(p)]
    assert not alive, f"node processes {alive} outlived their launcher"
    ros.spin_for(0.5)  # the last messages on their way
    assert obs[-1].watchdog_holding, ("the hardware node's last observation says the arm holds; last flags "
                                      f"{[o.watchdog_holding for o in obs[-8:]]} of {len(obs)}:\n{stack.output()[-3000:]}")
    # Mostly the skill server tells its client why the goal ended (not always: see bench_faults.py).
    if result.done():
        assert not result.result().result.success and "shut down" in result.result().result.reason


def test_a_killed_skill_server_respawns_and_serves_again(launch, ros) -> None:
    stack = launch("respawn:=true")
    obs = ros.latest(WorldState, f"{stack.ns}/observation")
    client = ActionClient(ros.node, ExecuteSkill, f"{stack.ns}/execute_skill")
    nodes = stack.wait_for_nodes(2)
    server = node_pid(nodes, "skill_server")
    ros.wait_until(lambda: len(obs) > 0, 30.0, "observations")
    assert ros.wait_ready(client, 30.0), stack.output()[-3000:]
    os.kill(server, signal.SIGKILL)
    t0 = time.monotonic()
    end = t0 + 30.0
    while time.monotonic() < end:
        nodes = children(stack.proc.pid)  # a fork not yet exec'd shows the launcher's command line
        if server not in nodes and any("robomatrix.nodes skill_server " in cmd for cmd in nodes.values()):
            break
        ros.spin_for(0.05)
    respawned = node_pid(nodes, "skill_server")
    assert respawned != server and time.monotonic() - t0 >= 2.0  # respawn_delay of the launch file
    # The killed server may still be listed until its lease runs out: wait for the new one's own word.
    ros.wait_until(lambda: stack.output().count("skill server up") == 2, 30.0, "the respawned skill server")
    handle = None
    for _ in range(3):  # a goal sent before the new server is discovered gets no answer: send again
        ros.spin_for(1.0)
        try:
            handle = move_to(ros, client, "red block")
            break
        except AssertionError:
            continue
    assert handle is not None, stack.output()[-3000:]
    fut = handle.get_result_async()
    ros.wait_until(fut.done, 60.0, "the respawned skill server's result")
    assert fut.result().result.success, fut.result().result.reason
    assert "skill_server died unexpectedly (killed by signal 9)" in stack.output()
    assert node_pid(children(stack.proc.pid), "hardware") == node_pid(stack.nodes, "hardware")  # untouched


# -- faults mid-task, with the scheduler (issue 13): each ends with the arm held and the task told why --------

def _task_stack(launch, ros, *args: str):  # type: ignore[no-untyped-def]
    """The whole stack with the scheduler; (stack, observations, commands, execute_task client, block name)."""
    from robomatrix.action import ExecuteTask
    from robomatrix.msg import ArmCommand

    stack = launch("start_scheduler:=true", *args)
    obs = ros.latest(WorldState, f"{stack.ns}/observation")
    cmds: list = []
    ros.node.create_subscription(ArmCommand, f"{stack.ns}/command", lambda m: cmds.append((time.monotonic(), m)), 50)
    client = ActionClient(ros.node, ExecuteTask, f"{stack.ns}/execute_task")
    stack.wait_for_nodes(3)
    ros.wait_until(lambda: len(obs) > 0, 30.0, "observations")
    assert ros.wait_ready(client, 30.0), stack.output()[-3000:]
    block = next(o.name for o in obs[-1].objects if o.category == "block")
    return stack, obs, cmds, client, block


def _task_moving(ros, client, cmds: list, block: str):  # type: ignore[no-untyped-def]
    """Send "move to the <block>"; its result future, as soon as the skill reports its first motion.

    Not "once N commands arrived on our own subscription": that subscription may match late, and a
    short move_to then finished before the fault was injected (CI: the task reported SUCCESS)."""
    from robomatrix.action import ExecuteTask

    feedback: list = []
    res = ros.send_goal(client, ExecuteTask.Goal(task=f"move to the {block}"), feedback.append,
                        timeout=20.0).get_result_async()
    ros.wait_until(lambda: res.done() or any(f.feedback.language_motion and f.feedback.source != "person"
                                             for f in feedback), 30.0, "the skill's first motion")
    assert not res.done(), f"the task ended before the fault: {res.result().result.summary}"
    return res


def _held_since(obs: list, cmds: list, t: float, n_obs: int) -> bool:
    from robomatrix.msg import ArmCommand

    return (any(m.watchdog_holding for m in obs[n_obs:])
            or any(tc >= t and m.mode == ArmCommand.MODE_HOLD for tc, m in cmds))


def test_a_skill_server_killed_mid_task_fails_the_task_at_once_naming_the_fix(launch, ros) -> None:

    stack, obs, cmds, client, block = _task_stack(launch, ros)
    server = node_pid(stack.nodes, "skill_server")
    result = _task_moving(ros, client, cmds, block)
    n_obs = len(obs)
    t_kill = time.monotonic()
    os.kill(server, signal.SIGKILL)
    # Bounds for a loaded shared machine (load 6 on 2 cores seen); bench_faults.py has the times:
    # held in 0.3-0.8 s, told in 1.6 s (23 s before the heartbeat).
    ros.wait_until(lambda: _held_since(obs, cmds, t_kill, n_obs), 5.0, "the arm held (hardware watchdog)")
    ros.wait_until(result.done, 10.0, "the task's result after the skill server died")
    after = time.monotonic() - t_kill
    r = result.result().result
    assert not r.success
    assert "skill server" in r.summary and "respawn:=true" in r.summary, r.summary
    assert "not retried or replanned" in r.summary and "replan(s)" not in r.summary, r.summary
    assert after < 6.0, f"the task was told {after:.1f} s after the kill: {r.summary}"


def test_a_scheduler_killed_mid_task_ends_the_cli_and_the_arm_holds(launch, ros, tmp_path: Path) -> None:
    stack, obs, cmds, _client, block = _task_stack(launch, ros)
    scheduler = node_pid(stack.nodes, "scheduler")
    from robomatrix.msg import LanguageMotion

    bowl = next(o.name for o in obs[-1].objects if o.category == "bowl")
    # The kill lands as place_over starts: its about 3 s (oracle, idle) outlast the 1.5 s of silence the skill
    # server waits. Killed 20 commands into move_to instead, a loaded CI machine saw move_to end by itself
    # first (the arm held, but for the skill's end, and the server never named the silence).
    skills: list[str] = []
    ros.node.create_subscription(LanguageMotion, f"{stack.ns}/language_motion",
                                 lambda m: skills.append(m.skill) if m.source != "person" else None, 50)
    cli_log = tmp_path / "cli.log"
    with cli_log.open("w") as out:
        cli = subprocess.Popen([sys.executable, "-m", "robomatrix.cli", "task", "--namespace", stack.ns[1:],
                                f"put the {block} in the {bowl}"], stdout=out, stderr=subprocess.STDOUT)
        try:
            ros.wait_until(lambda: "place_over" in skills, 60.0, "place_over running")
            t_kill = time.monotonic()
            n_obs = len(obs)
            os.kill(scheduler, signal.SIGKILL)
            ros.wait_until(lambda: _held_since(obs, cmds, t_kill, n_obs), 5.0, "the arm held after the scheduler died")
            held_after = time.monotonic() - t_kill
            rc = cli.wait(10.0)
            cli_after = time.monotonic() - t_kill
        finally:
            if cli.poll() is None:
                cli.kill()
    said = cli_log.read_text()
    assert rc == 3, said
    assert "the scheduler stopped while the task ran" in said and "respawn:=true" in said, said
    assert cli_after < 6.0
    # The skill server held the arm because its client fell silent (not because the skill ended).
    ros.wait_until(lambda: "the scheduler that sent this goal fell silent" in stack.output(), 5.0,
                   "the skill server's reason")
    # CLIENT_SILENT_S (1.5 s) of silence, then the hold and its observation: the measured figure is bench_faults'; here
    # only a bound a loaded 2-core CI machine keeps (3.5 s was seen there, against about 2 s idle)
    assert held_after < 5.0


LLM_TIMEOUT_S, LLM_RETRIES, LLM_BACKOFF_S = 1.0, 1, 0.1


def test_llm_endpoint_down_slow_or_garbage_fails_the_task_in_time_and_nothing_moves(launch, ros, tmp_path) -> None:
    """The openai planner backend against a loopback server: every fault ends the task with a reason
    naming the endpoint and a fix, within (retries + 1) x timeout + backoff (+ slack), and no arm
    command is sent."""
    from robomatrix.action import ExecuteTask

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from loopback_llm import LoopbackLLM

    llm = LoopbackLLM()
    cfg = tmp_path / "planner.yaml"
    cfg.write_text(f"backend: openai\nopenai:\n  base_url: {llm.base_url}\n  model: m\n  timeout_s: {LLM_TIMEOUT_S}\n"
                   f"  retries: {LLM_RETRIES}\n  backoff_s: {LLM_BACKOFF_S}\n")
    try:
        stack, obs, cmds, client, block = _task_stack(launch, ros, f"planner_config:={cfg}")
        bound = (LLM_RETRIES + 1) * LLM_TIMEOUT_S + LLM_BACKOFF_S * 2 + 1.5  # + slack for a loaded machine
        expect = {"down": ("is not reachable", "start the server"),
                  "slow": (f"did not answer within {LLM_TIMEOUT_S:g} s", "raise openai.timeout_s"),
                  "not_json": ("not valid JSON", "fix:"),
                  "not_a_plan": ("invalid after a re-ask", "fix:"),
                  "unknown_skill": ("teleport", "fix:")}
        for mode, (what, fix) in expect.items():
            llm.mode = mode
            if mode != "down" and llm.server is None:
                llm.start()
            n_cmd = len(cmds)
            t0 = time.monotonic()
            res = ros.send_goal(client, ExecuteTask.Goal(task=f"move to the {block}")).get_result_async()
            ros.wait_until(res.done, bound + 5.0, f"the task's result ({mode})")
            took = time.monotonic() - t0
            r = res.result().result
            assert not r.success and what in r.summary and fix in r.summary, (mode, r.summary)
            assert llm.base_url in r.summary, (mode, r.summary)
            assert took < bound, (mode, took, r.summary)
            ros.spin_for(0.3)
            assert len(cmds) == n_cmd, f"{mode}: the arm was commanded"
    finally:
        llm.close()


@pytest.mark.slow
def test_each_node_frozen_for_2_s_mid_task_ends_held_and_never_in_a_false_success(launch, ros) -> None:
    """SIGSTOP, 2 s, SIGCONT of the hardware node, the skill server and the scheduler, one task each
    on one stack: the arm holds while commands stop (the hardware node's stale-command watchdog,
    or the skill server when its scheduler falls silent), and the task either succeeds (the
    scheduler checked the goal on the settled world) or fails with a reason."""
    from robomatrix.srv import Reset

    stack, obs, cmds, client, block = _task_stack(launch, ros)
    reset = ros.node.create_client(Reset, f"{stack.ns}/reset")
    for victim in ("skill_server", "scheduler", "hardware"):
        reply = ros.call(reset, Reset.Request(seed=0), 10.0, "the world reset")  # the arm home: the task moves it again
        assert reply.success, reply.message
        n_reset = len(obs)
        ros.wait_until(lambda n=n_reset: len(obs) > n + 5, 10.0, "observations after the reset")
        block = next(o.name for o in obs[-1].objects if o.category == "block")
        pid = node_pid(children(stack.proc.pid), victim)
        res = _task_moving(ros, client, cmds, block)
        n_obs = len(obs)
        t0 = time.monotonic()
        os.kill(pid, signal.SIGSTOP)
        try:
            ros.spin_for(2.0)
            held = _held_since(obs, cmds, t0, n_obs)  # what arrived while it was frozen
        finally:
            os.kill(pid, signal.SIGCONT)
        if victim == "skill_server":  # commands stopped: the hardware node's watchdog (0.25 s) holds
            assert held, "the arm was not held while the skill server froze"
        elif victim == "scheduler":
            # The skill server holds 1.5 s after the scheduler's last heartbeat (on a loaded
            # machine its word may arrive just after the 2 s): its reason says why.
            ros.wait_until(lambda t=t0, n=n_obs: _held_since(obs, cmds, t, n), 1.0, "the arm held")
            ros.wait_until(lambda: "the scheduler that sent this goal fell silent" in stack.output(), 5.0,
                           "the skill server holding because the scheduler fell silent")
        # A frozen hardware node is a frozen (simulated) arm: nothing moves, nothing to observe.
        ros.wait_until(res.done, 60.0, f"the task's result after {victim} froze")
        r = res.result().result
        if r.success:
            assert r.goal_holds and all(r.goal_holds), r.summary
        else:
            assert r.summary, "a failure says why"
            if victim == "skill_server":
                assert "skill server" in r.summary, r.summary
        assert stack.proc.poll() is None and len(children(stack.proc.pid)) == 3, "nothing died"
        ros.spin_for(1.0)  # the next task starts from a quiet arm


@pytest.mark.slow
def test_a_jumping_ros_clock_changes_no_timeout(launch, ros) -> None:
    """Every duration the nodes measure uses the steady clock or robot time (the observation
    stamps), never the ROS clock: a second publisher on /clock (use_sim_time nodes) jumping
    +1e6 s and back at 50 Hz during a task ends no skill early, trips no heartbeat or observation
    watchdog, and the task succeeds. (The host's wall clock cannot be changed
    without root: that the nodes never read it for a duration is checked on the source, in
    test/core/test_clocks.py.)"""
    from rosgraph_msgs.msg import Clock as ClockMsg

    from robomatrix.action import ExecuteTask

    stack, obs, cmds, client, block = _task_stack(launch, ros)
    pub = ros.node.create_publisher(ClockMsg, "/clock", 10)
    res = ros.send_goal(client, ExecuteTask.Goal(task=f"move to the {block}"), timeout=20.0).get_result_async()
    k = 0
    end = time.monotonic() + 60.0
    while not res.done() and time.monotonic() < end:
        k += 1
        msg = ClockMsg()
        msg.clock.sec = 1_000_000 if k % 2 else 0
        pub.publish(msg)
        ros.spin_for(0.02)
    assert res.done() and res.result().result.success, res.result().result.summary if res.done() else "no result"
    out = stack.output()
    # What a clock-driven timeout would say. (A replan is not counted: once in five runs on the
    # loaded 2-core machine move_to ended 0.1 m above the block and the task replanned; that has
    # not been tied to the clock.)
    for timeout in ("fell silent", "stopped answering", "no observation for", "task timeout after"):
        assert timeout not in out, f"{timeout!r} in the nodes' output:\n{out[-3000:]}"
