"""Start, watch and stop the nodes of a parsed launch file. Imports no rclpy.

Used where ``ros2 launch`` is not installed (ROS 2 from PyPI has no ``launch`` package);
where it is, :func:`delegate_to_ros2_launch` hands the same file to it.

Each node runs as ``python -m robomatrix.nodes <exec> --ros-args ...`` in its own process
group, with the caller's environment plus the node's ``<env>``/``<set_env>`` values plus
the project defaults of :func:`robomatrix.rosenv.apply_ros_defaults` (discovery stays on
this machine unless the caller chose otherwise). Output lines are prefixed with
``[node name]``. Shutdown is SIGINT, then SIGTERM, then SIGKILL, each after a timeout,
sent to the node's whole process group so nothing is left behind.

Every node is tied to the launcher: on Linux each child asks the kernel, before it execs,
for SIGTERM when the launcher dies (``prctl(PR_SET_PDEATHSIG)``), so a launcher killed
with SIGKILL leaves no unsupervised robot behind. A node with ``respawn="true"`` that dies
on its own (non-zero exit code or killed by a signal) is started again after
``respawn_delay`` seconds unless the launch is shutting down; a node that exits with 0
stopped on purpose and stays stopped.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO

from robomatrix.errors import LaunchFileError
from robomatrix.launcher.xml_launch import (
    PACKAGE_NAME,
    LaunchDescription,
    NodeSpec,
    Param,
    default_package_shares,
    parse_launch_file,
)
from robomatrix.rosenv import apply_ros_defaults

logger = logging.getLogger(__name__)

CommandBuilder = Callable[[NodeSpec], list[str]]

DEFAULT_SHUTDOWN_TIMEOUT = 5.0  # seconds to wait after SIGINT (and again after SIGTERM)
MIN_RESPAWN_DELAY = 0.2  # seconds; keeps a node that dies at start-up from spinning the CPU
POLL_INTERVAL = 0.05  # seconds between checks while waiting
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_DEATH_SIGNAL = signal.SIGTERM  # what a node gets when its launcher dies: the clean way down
ORPHAN_EXIT_CODE = 75  # a child whose launcher died before it was tied to it exits with this, unexec'd


# --------------------------------------------------------------------------- tie children to the launcher


def _load_prctl() -> Callable[..., int] | None:
    """libc's prctl, or None (with a warning) where there is none: not Linux, or no libc found."""
    if not sys.platform.startswith("linux"):
        logger.warning(
            "%s has no PR_SET_PDEATHSIG: nodes are not stopped if the launcher is killed with SIGKILL "
            "(stop it with Ctrl-C or SIGTERM so it can stop them)", sys.platform,
        )
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError) as e:
        logger.warning(
            "cannot load libc's prctl (%s): nodes are not stopped if the launcher is killed with SIGKILL", e
        )
        return None
    prctl.restype = ctypes.c_int
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return prctl  # type: ignore[no-any-return]


_PRCTL: list[Callable[..., int] | None] = []  # loaded once, in the launcher, never in a forked child


def parent_death_hook(launcher_pid: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that ties the child to ``launcher_pid``; None where that is impossible.

    Runs in the forked child before exec: asks for SIGTERM when the parent dies, then checks
    that the parent is still ``launcher_pid`` (if the launcher died between fork and prctl the
    child has been re-parented already, and no signal would ever come: it exits at once with
    :data:`ORPHAN_EXIT_CODE`). Everything it needs is resolved here, in the launcher, so the
    child only makes two system calls (nothing that could wait on a lock another thread held
    at fork time).
    """
    if not _PRCTL:
        _PRCTL.append(_load_prctl())
    prctl = _PRCTL[0]
    if prctl is None:
        return None
    sig = int(PARENT_DEATH_SIGNAL)

    def tie() -> None:
        prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != launcher_pid:
            os._exit(ORPHAN_EXIT_CODE)

    return tie


# --------------------------------------------------------------------------- commands


def build_node_command(spec: NodeSpec, python: str | None = None) -> list[str]:
    """The argv that starts ``spec``: ``python -m robomatrix.nodes <exec> [args] --ros-args ...``.

    Raises :class:`LaunchFileError` for a package other than robomatrix (only ``ros2 launch``
    can find other packages' executables) and for a missing parameter file.
    """
    if spec.pkg != PACKAGE_NAME:
        raise LaunchFileError(
            f"{spec.source}: package {spec.pkg} is not available without ros2 launch; "
            f"install ROS 2 and use ros2 launch (this runner starts only {PACKAGE_NAME} nodes)"
        )
    cmd = [python or sys.executable, "-m", "robomatrix.nodes", spec.exec, *spec.arguments, "--ros-args"]
    if spec.name:
        cmd += ["-r", f"__node:={spec.name}"]
    if spec.namespace:
        cmd += ["-r", f"__ns:={spec.namespace}"]
    for p in spec.parameters:
        if isinstance(p, Param):
            # The middleware parses the value as YAML, as ros2 launch types it; '' keeps an
            # empty string a string.
            cmd += ["-p", f"{p.name}:={p.value if p.value != '' else chr(39) * 2}"]
        else:
            if not p.path.is_file():
                raise LaunchFileError(f"{spec.source}: parameter file {p.path} does not exist")
            cmd += ["--params-file", str(p.path)]
    for src, dst in spec.remappings:
        cmd += ["-r", f"{src}:={dst}"]
    return cmd


def build_node_env(spec: NodeSpec, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for ``spec``: ``base`` (default ``os.environ``), the node's env, project defaults.

    Everything in ``base`` is kept (``LD_LIBRARY_PATH`` included: the ROS wheels need it).
    """
    env = dict(os.environ if base is None else base)
    env.update(spec.env)
    apply_ros_defaults(env)
    env.setdefault("PYTHONUNBUFFERED", "1")  # so output lines arrive (and are prefixed) as printed
    return env


# --------------------------------------------------------------------------- runner


@dataclass
class _Proc:
    spec: NodeSpec
    cmd: list[str]
    env: dict[str, str]
    popen: subprocess.Popen[bytes] | None = None
    readers: list[threading.Thread] = field(default_factory=list)
    log_file: TextIO | None = None
    restarts: int = 0
    respawn_at: float | None = None  # monotonic time of a pending respawn
    finished: bool = False  # exited and handled, nothing pending
    returncode: int | None = None


@dataclass(frozen=True)
class NodeExit:
    """How one node process ended."""

    name: str
    returncode: int  # negative: killed by that signal
    expected: bool  # True when it exited after our shutdown signal


class LaunchRunner:
    """Runs the nodes of a :class:`LaunchDescription`.

    >>> with LaunchRunner(parse_launch_file("launch/robomatrix.launch.xml")) as runner:  # doctest: +SKIP
    ...     runner.wait(timeout=10.0)

    ``command_builder`` maps a node to its argv (default :func:`build_node_command`; tests
    inject small scripts). ``shutdown_timeout`` is how long each of SIGINT and SIGTERM gets
    before the next signal. ``log_dir`` receives ``<node>.log`` for nodes with
    ``output="log"`` or ``"both"`` (default: a fresh directory under ``ROS_LOG_DIR``).
    ``stdout`` is where ``[node]``-prefixed screen output goes (default ``sys.stdout``).
    ``tie_to_launcher`` (Linux) makes each node get SIGTERM when this process dies. The kernel
    sends it when the *thread* that started the node ends, so call :meth:`start` and
    :meth:`poll` (which respawns) from a thread that lives as long as the launch, normally
    the main thread.
    """

    def __init__(
        self,
        description: LaunchDescription,
        *,
        command_builder: CommandBuilder | None = None,
        shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
        log_dir: str | os.PathLike[str] | None = None,
        stdout: IO[str] | None = None,
        base_env: Mapping[str, str] | None = None,
        tie_to_launcher: bool = True,
    ) -> None:
        if shutdown_timeout < 0:
            raise ValueError(f"shutdown_timeout={shutdown_timeout} must be >= 0 seconds")
        self.description = description
        self._builder = command_builder or build_node_command
        self.shutdown_timeout = shutdown_timeout
        self._log_dir = Path(log_dir) if log_dir is not None else None
        self._stdout = stdout
        self._base_env = dict(os.environ if base_env is None else base_env)
        self.tie_to_launcher = tie_to_launcher
        self._procs: list[_Proc] = []
        self._lock = threading.Lock()
        self._started = False
        self._stopping = False
        self._shutdown_started = False
        self._stopped = False
        self.exits: list[NodeExit] = []

    # -- properties

    @property
    def log_dir(self) -> Path:
        if self._log_dir is None:
            ros_log = Path(apply_ros_defaults(dict(self._base_env))["ROS_LOG_DIR"])
            stamp = time.strftime("%Y-%m-%d-%H-%M-%S")
            self._log_dir = ros_log / f"robomatrix-launch-{stamp}-{os.getpid()}"
        return self._log_dir

    @property
    def pids(self) -> dict[str, int]:
        """Current process id of every running node, by name."""
        return {
            p.spec.label: p.popen.pid for p in self._procs if p.popen is not None and p.popen.poll() is None
        }

    @property
    def failures(self) -> list[NodeExit]:
        """Exits with a non-zero code that were not caused by our shutdown signals."""
        return [e for e in self.exits if not e.expected and e.returncode != 0]

    @property
    def exit_code(self) -> int:
        """0 when no node failed on its own; 1 otherwise."""
        return 1 if self.failures else 0

    # -- lifecycle

    def start(self) -> LaunchRunner:
        """Start every node. Commands are all built first, so a bad node starts nothing."""
        if self._started:
            raise RuntimeError("LaunchRunner.start() called twice; create a new runner to launch again")
        labels = [s.label for s in self.description.nodes]
        dupes = sorted({n for n in labels if labels.count(n) > 1})
        if dupes:
            logger.warning("several nodes share the name(s) %s; their output prefixes will look alike", dupes)
        self._procs = [
            _Proc(spec, self._builder(spec), build_node_env(spec, self._base_env)) for spec in self.description.nodes
        ]
        self._started = True
        if not self._procs:
            logger.warning("%s starts no nodes", self.description.file)
        try:
            for proc in self._procs:
                self._spawn(proc)
        except BaseException:
            self.shutdown()
            raise
        return self

    def poll(self) -> bool:
        """Handle exits and due respawns; return True while any node runs or will respawn."""
        if not self._started:
            return False
        shutdown_requested = False
        now = time.monotonic()
        for proc in self._procs:
            if proc.popen is not None and not proc.finished and proc.respawn_at is None:
                rc = proc.popen.poll()
                if rc is None:
                    continue
                self._reap(proc, rc, expected=self._stopping)
                if self._stopping:
                    continue
                if proc.spec.on_exit_shutdown:
                    logger.info("%s exited and has on_exit=shutdown: stopping every node", proc.spec.label)
                    shutdown_requested = True
                elif proc.spec.respawn and rc != 0:
                    delay = max(proc.spec.respawn_delay, MIN_RESPAWN_DELAY)
                    logger.info("respawning %s in %.1f s", proc.spec.label, delay)
                    proc.respawn_at = now + delay
                    proc.finished = False
            elif proc.respawn_at is not None and not self._stopping and now >= proc.respawn_at:
                proc.respawn_at = None
                proc.restarts += 1
                self._spawn(proc)
        if shutdown_requested:
            self.shutdown()
        return any(not p.finished for p in self._procs) and not self._stopped

    def wait(self, timeout: float | None = None) -> int | None:
        """Block until every node has exited (exit code) or ``timeout`` seconds pass (None)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll():
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(POLL_INTERVAL)
        return self.exit_code

    def shutdown(self) -> int:
        """Stop every node: SIGINT, then SIGTERM, then SIGKILL. Returns the exit code."""
        if self._stopped or not self._started:
            self._stopped = True
            return self.exit_code
        if self._shutdown_started:  # re-entered from poll() below (on_exit=shutdown)
            return self.exit_code
        self._shutdown_started = True
        self.poll()  # exits that happened before our signals count as unexpected
        self._stopping = True
        for proc in self._procs:
            if proc.respawn_at is not None:  # dead and waiting for a respawn: leave it dead
                proc.respawn_at = None
                proc.finished = True
        for sig, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM"), (signal.SIGKILL, "SIGKILL")):
            alive = self._alive()
            if not alive:
                break
            if sig != signal.SIGINT:
                logger.warning(
                    "%s still running %.1f s after the previous signal; sending %s",
                    ", ".join(p.spec.label for p in alive), self.shutdown_timeout, name,
                )
            for proc in alive:
                _signal_group(proc, sig)
            deadline = time.monotonic() + (self.shutdown_timeout if sig != signal.SIGKILL else 5.0)
            while self._alive() and time.monotonic() < deadline:
                time.sleep(POLL_INTERVAL / 2)
        for proc in self._procs:
            if proc.popen is not None and not proc.finished:
                rc = proc.popen.wait()
                self._reap(proc, rc, expected=True)
            proc.finished = True
            if proc.log_file is not None:
                with self._lock:
                    proc.log_file.close()
                proc.log_file = None
        self._stopped = True
        if self.failures:
            logger.error(
                "node(s) failed: %s",
                ", ".join(f"{e.name} (exit code {e.returncode})" for e in self.failures),
            )
        return self.exit_code

    def __enter__(self) -> LaunchRunner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- internals

    def _alive(self) -> list[_Proc]:
        return [p for p in self._procs if p.popen is not None and p.popen.poll() is None]

    def _spawn(self, proc: _Proc) -> None:
        spec = proc.spec
        if spec.output in ("log", "both") and proc.log_file is None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            proc.log_file = open(self.log_dir / f"{spec.label}.log", "a", encoding="utf-8")
        try:
            popen = subprocess.Popen(
                proc.cmd,
                env=proc.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # own process group: signals reach the node's children too
                preexec_fn=parent_death_hook(os.getpid()) if self.tie_to_launcher else None,
            )
        except OSError as e:
            raise LaunchFileError(f"{spec.source}: cannot start node {spec.label} ({proc.cmd[0]}): {e}") from e
        proc.popen = popen
        proc.finished = False
        proc.returncode = None
        to_screen_out = spec.output in ("screen", "both")
        proc.readers = [
            self._reader(proc, popen.stdout, screen=to_screen_out),
            self._reader(proc, popen.stderr, screen=True),  # as ros2 launch: stderr always on screen
        ]
        logger.info(
            "started %s (pid %d)%s", spec.label, popen.pid, f" restart {proc.restarts}" if proc.restarts else ""
        )

    def _reader(self, proc: _Proc, stream: IO[bytes] | None, screen: bool) -> threading.Thread:
        prefix = f"[{proc.spec.label}] "
        log_file = proc.log_file

        def forward() -> None:
            if stream is None:
                return
            with stream:
                for raw in iter(stream.readline, b""):
                    line = prefix + raw.decode("utf-8", errors="replace").rstrip("\r\n") + "\n"
                    with self._lock:
                        if screen:
                            out = self._stdout or sys.stdout
                            out.write(line)
                            out.flush()
                        if log_file is not None and not log_file.closed:
                            log_file.write(line)
                            log_file.flush()

        t = threading.Thread(target=forward, name=f"launch-output-{proc.spec.label}", daemon=True)
        t.start()
        return t

    def _reap(self, proc: _Proc, rc: int, expected: bool) -> None:
        _signal_group(proc, signal.SIGKILL)  # anything the node left behind in its group
        for t in proc.readers:
            t.join(timeout=2.0)
        proc.returncode = rc
        proc.finished = True
        self.exits.append(NodeExit(proc.spec.label, rc, expected))
        if proc.log_file is not None and not (proc.spec.respawn and rc != 0 and not self._stopping):
            with self._lock:
                proc.log_file.close()
            proc.log_file = None
        if expected:
            logger.info("%s stopped (exit code %d)", proc.spec.label, rc)
        elif rc == 0:
            logger.info("%s exited (exit code 0)", proc.spec.label)
        else:
            how = f"killed by signal {-rc}" if rc < 0 else f"exit code {rc}"
            logger.error("%s died unexpectedly (%s); %s", proc.spec.label, how, proc.spec.source)


def _signal_group(proc: _Proc, sig: signal.Signals) -> None:
    if proc.popen is None:
        return
    try:
        os.killpg(proc.popen.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------- entry points


def ros2_launch_available() -> bool:
    """True when a ``ros2`` command with the ``launch`` verb is installed."""
    ros2 = shutil.which("ros2")
    if ros2 is None:
        return False
    try:
        result = subprocess.run(
            [ros2, "launch", "--help"], stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def delegate_to_ros2_launch(
    file: str | os.PathLike[str],
    args: Mapping[str, str] | None = None,
    *,
    package: str | None = None,
    replace_process: bool = True,
) -> int:
    """Hand a launch file to ``ros2 launch`` (list argv, no shell).

    With ``package``, ``file`` is a file name inside that package (``ros2 launch pkg file``).
    ``replace_process`` execs ``ros2`` in place of this process (does not return);
    otherwise runs it and returns its exit code. The project's ROS defaults apply.
    """
    argv = ["ros2", "launch", *([package, str(file)] if package else [str(file)])]
    argv += [f"{k}:={v}" for k, v in (args or {}).items()]
    env = apply_ros_defaults(dict(os.environ))
    logger.info("delegating to %s", " ".join(argv))
    if replace_process:
        os.execvpe(argv[0], argv, env)
    return subprocess.run(argv, env=env, check=False).returncode


def run_launch_file(
    path: str | os.PathLike[str],
    args: Mapping[str, str] | None = None,
    *,
    package_shares: Mapping[str, str | os.PathLike[str]] | None = None,
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
    log_dir: str | os.PathLike[str] | None = None,
    command_builder: CommandBuilder | None = None,
) -> int:
    """Run a launch file locally until Ctrl-C (SIGINT/SIGTERM) or until every node has exited.

    Returns the exit code: 0, or 1 when a node failed on its own.
    """
    description = parse_launch_file(path, args, package_shares=package_shares)
    stop = threading.Event()
    previous: dict[int, object] = {}

    def request_stop(signum: int, _frame: object) -> None:
        logger.info("received %s: shutting down", signal.Signals(signum).name)
        stop.set()

    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, request_stop)
    runner = LaunchRunner(
        description, command_builder=command_builder, shutdown_timeout=shutdown_timeout, log_dir=log_dir
    )
    try:
        runner.start()
        while not stop.is_set() and runner.poll():
            stop.wait(POLL_INTERVAL)
    finally:
        code = runner.shutdown()
        if in_main:
            for sig, handler in previous.items():
                signal.signal(sig, handler)  # type: ignore[arg-type]
    return code


def parse_launch_args(items: list[str]) -> dict[str, str]:
    """Turn command-line ``name:=value`` items into a dict (as ``ros2 launch`` takes them)."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition(":=")
        if not sep or not name:
            raise LaunchFileError(f"launch argument {item!r} is not of the form name:=value (e.g. robot:=sim)")
        out[name] = value
    return out


def resolve_launch_file(
    name: str | os.PathLike[str], package_shares: Mapping[str, str | os.PathLike[str]] | None = None
) -> Path:
    """An existing path as given, else ``name`` inside robomatrix's share ``launch/`` directory."""
    path = Path(name)
    if path.is_file():
        return path.resolve()
    shares = default_package_shares() if package_shares is None else {k: Path(v) for k, v in package_shares.items()}
    share = shares.get(PACKAGE_NAME)
    candidate = Path(share) / "launch" / path if share is not None else None
    if candidate is not None and candidate.is_file():
        return candidate
    available = sorted(p.name for p in (Path(share) / "launch").glob("*.launch.xml")) if share is not None else []
    raise LaunchFileError(
        f"launch file {str(name)!r} not found as a path or in {PACKAGE_NAME}'s launch/ directory; "
        f"available: {', '.join(available) or 'none'}"
    )


def describe_arguments(description: LaunchDescription) -> str:
    """The declared arguments as text, like ``ros2 launch ... --show-args``."""
    lines = ["Arguments (pass arguments as '<name>:=<value>'):"]
    for a in description.arguments:
        lines.append(f"    '{a.name}':")
        lines.append(f"        {a.description}")
        if a.choices:
            lines.append(f"        Valid choices are: {list(a.choices)}")
        lines.append(f"        (default: '{a.default}')" if a.default is not None else "        (required)")
    return "\n".join(lines)


def launch(
    name: str | os.PathLike[str],
    args: Mapping[str, str] | None = None,
    *,
    use_ros2_launch: bool | None = None,
    **run_kwargs: object,
) -> int:
    """What ``robomatrix launch <file> name:=value ...`` does.

    ``use_ros2_launch``: None picks ``ros2 launch`` when :func:`ros2_launch_available`,
    True requires it, False always runs locally with :func:`run_launch_file`.
    """
    path = resolve_launch_file(name, run_kwargs.get("package_shares"))  # type: ignore[arg-type]
    if use_ros2_launch is None:
        use_ros2_launch = ros2_launch_available()
    if use_ros2_launch:
        return delegate_to_ros2_launch(path, args)
    return run_launch_file(path, args, **run_kwargs)  # type: ignore[arg-type]
