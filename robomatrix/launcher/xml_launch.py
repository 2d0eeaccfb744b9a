"""Parse the subset of the ROS 2 XML launch format that robomatrix uses. Imports no rclpy.

The files are the ones ``ros2 launch robomatrix <file>`` reads through ``launch_xml``;
this module evaluates them the same way (launch configurations, scoped groups, pushed
namespaces, conditions, includes) into plain dataclasses so that
:mod:`robomatrix.launcher.runner` can start the nodes where ``ros2 launch`` is not
installed.

Supported (anything else is a :class:`~robomatrix.errors.LaunchFileError`, never skipped):

* ``<launch>`` root; ``<arg name default description>`` with optional ``<choice value>``
  children (no default = required); ``<let name value>``;
* ``<node pkg exec name namespace output args respawn respawn_delay on_exit>`` with
  ``<param name value>``, ``<param from>``, ``<remap from to>``, ``<env name value>``;
* ``<group scoped>``, ``<push_ros_namespace namespace>`` (or ``push-ros-namespace``),
  ``<set_env name value>`` (or ``set-env``), ``<include file>`` with ``<arg name value>``;
* ``if`` / ``unless`` on every action element;
* substitutions ``$(var n)``, ``$(env N)``, ``$(env N default)``,
  ``$(find-pkg-share pkg)``, ``$(dirname)``. ``$(eval)`` and ``$(command)`` are refused:
  this runner never executes text taken from a file.

Semantics follow ``ros2 launch``: an ``<include>`` is *not* scoped (its launch
configurations and environment changes stay visible after it; wrap it in a ``<group>`` to
contain them), a ``<group>`` is scoped unless ``scoped="false"``, and a relative node
namespace is appended to the pushed namespace.

``respawn``: the local runner restarts a node that died on its own (non-zero exit code or
killed by a signal), not one that exited with 0; ``ros2 launch`` restarts after any exit
that was not part of shutting down. The robomatrix nodes exit with 0 only when asked to stop.

Stricter than ``ros2 launch`` on purpose: a command-line argument or an ``<include>``
``<arg>`` that the target file does not declare is an error (ros2 launch ignores it, which
hides typos).
"""

from __future__ import annotations

import logging
import os
import shlex
import xml.parsers.expat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from robomatrix import resources
from robomatrix.errors import LaunchFileError

logger = logging.getLogger(__name__)

PACKAGE_NAME = "robomatrix"

OUTPUT_MODES = ("screen", "log", "both")
_TRUE = ("true", "1")
_FALSE = ("false", "0")

SUPPORTED_SUBSTITUTIONS = ("var", "env", "find-pkg-share", "dirname")
_REFUSED_SUBSTITUTIONS = {
    "eval": "it would execute Python text taken from the launch file",
    "command": "it would run a shell command taken from the launch file",
}

# Attributes every action element accepts besides its own.
_CONDITION_ATTRS = ("if", "unless")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class LaunchArgument:
    """A declared ``<arg>``: what ``--show-args`` lists."""

    name: str
    default: str | None  # None: required (must be given on the command line or by an include)
    description: str
    choices: tuple[str, ...] = ()
    source: str = ""  # "file:line" of the declaration

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class Param:
    """``<param name value>``: passed as ``-p name:=value`` (the middleware parses it as YAML)."""

    name: str
    value: str


@dataclass(frozen=True)
class ParamFile:
    """``<param from="file.yaml">``: passed as ``--params-file``."""

    path: Path


@dataclass(frozen=True)
class NodeSpec:
    """One ``<node>`` with every substitution resolved."""

    pkg: str
    exec: str
    name: str | None = None
    namespace: str = ""  # fully qualified ("/a/b") or "" for the root namespace
    output: str = "log"  # screen | log | both, as in ros2 launch (log: stdout to file, stderr also to screen)
    arguments: tuple[str, ...] = ()  # the `args` attribute, split like a shell would (no shell is run)
    parameters: tuple[Param | ParamFile, ...] = ()  # in file order: later entries win
    remappings: tuple[tuple[str, str], ...] = ()
    env: tuple[tuple[str, str], ...] = ()  # set_env in scope, then the node's own <env>
    respawn: bool = False  # start again after dying on its own (exit code != 0 or a signal); 0 = stopped on purpose
    respawn_delay: float = 0.0  # seconds before a respawn
    on_exit_shutdown: bool = False  # on_exit="shutdown": stop the whole launch when it exits
    source: str = ""  # "file:line" of the <node> element

    @property
    def label(self) -> str:
        """The name used to prefix output lines."""
        return self.name or self.exec

    @property
    def params(self) -> dict[str, str]:
        return {p.name: p.value for p in self.parameters if isinstance(p, Param)}

    @property
    def param_files(self) -> tuple[Path, ...]:
        return tuple(p.path for p in self.parameters if isinstance(p, ParamFile))


@dataclass
class LaunchDescription:
    """The evaluated launch file."""

    file: Path
    arguments: list[LaunchArgument] = field(default_factory=list)
    nodes: list[NodeSpec] = field(default_factory=list)
    configurations: dict[str, str] = field(default_factory=dict)  # top-level launch configs at the end


# --------------------------------------------------------------------------- XML with lines


@dataclass
class _Element:
    tag: str
    attrib: dict[str, str]
    line: int
    file: Path
    children: list[_Element] = field(default_factory=list)
    text: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def _read_xml(path: Path) -> _Element:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LaunchFileError(f"cannot read launch file {path}: {e.strerror or e}") from e
    parser = xml.parsers.expat.ParserCreate()
    stack: list[_Element] = []
    root: list[_Element] = []

    def start(tag: str, attrib: dict[str, str]) -> None:
        el = _Element(tag, dict(attrib), parser.CurrentLineNumber, path)
        if stack:
            stack[-1].children.append(el)
        else:
            root.append(el)
        stack.append(el)

    def end(_tag: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack:
            stack[-1].text += data

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as e:
        raise LaunchFileError(f"{path}:{e.lineno}: not well-formed XML: {xml.parsers.expat.errors.messages[e.code]}") from e
    return root[0]


# --------------------------------------------------------------------------- substitutions


@dataclass
class _Sub:
    kind: str
    args: list[list[str | _Sub]]  # each argument is a sequence of text and nested substitutions


def _parse_subs(text: str, where: str) -> list[str | _Sub]:
    """Split ``text`` into literal text and ``$(...)`` substitutions (nested allowed)."""
    parts, pos = _parse_seq(text, 0, where, top=True)
    if pos != len(text):  # pragma: no cover - _parse_seq consumes everything at top level
        raise LaunchFileError(f"{where}: cannot parse {text!r}")
    return parts


def _parse_seq(text: str, pos: int, where: str, top: bool) -> tuple[list[str | _Sub], int]:
    """Parse literal text and substitutions up to the end (top) or the end of one argument."""
    parts: list[str | _Sub] = []
    buf: list[str] = []
    quote: str | None = None
    while pos < len(text):
        ch = text[pos]
        if text.startswith("$(", pos):
            if buf:
                parts.append("".join(buf))
                buf = []
            sub, pos = _parse_one(text, pos + 2, where)
            parts.append(sub)
            continue
        if not top:
            if quote:
                if ch == quote:
                    quote = None
                    pos += 1
                    continue
            elif ch in "'\"" and not buf and not parts:
                quote = ch
                pos += 1
                continue
            elif ch.isspace() or ch == ")":
                break
        buf.append(ch)
        pos += 1
    if quote:
        raise LaunchFileError(f"{where}: unterminated quote in substitution in {text!r}")
    if buf:
        parts.append("".join(buf))
    return parts, pos


def _parse_one(text: str, pos: int, where: str) -> tuple[_Sub, int]:
    """Parse from just after ``$(`` to just after the matching ``)``."""
    start = pos
    while pos < len(text) and not text[pos].isspace() and text[pos] != ")":
        pos += 1
    kind = text[start:pos]
    if not kind:
        raise LaunchFileError(f"{where}: empty substitution '$()' in {text!r}")
    if kind in _REFUSED_SUBSTITUTIONS:
        raise LaunchFileError(
            f"{where}: substitution '$({kind} ...)' is not supported: {_REFUSED_SUBSTITUTIONS[kind]}. "
            f"Supported substitutions: {', '.join(SUPPORTED_SUBSTITUTIONS)}"
        )
    if kind not in SUPPORTED_SUBSTITUTIONS:
        raise LaunchFileError(
            f"{where}: unknown substitution '$({kind} ...)'. "
            f"Supported substitutions: {', '.join(SUPPORTED_SUBSTITUTIONS)}"
        )
    args: list[list[str | _Sub]] = []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            raise LaunchFileError(f"{where}: substitution '$({kind}' is not closed with ')' in {text!r}")
        if text[pos] == ")":
            return _Sub(kind, args), pos + 1
        arg, pos = _parse_seq(text, pos, where, top=False)
        args.append(arg)


# --------------------------------------------------------------------------- evaluation


@dataclass
class _Scope:
    configs: dict[str, str]
    env: dict[str, str]
    namespace: str

    def copy(self) -> _Scope:
        return _Scope(dict(self.configs), dict(self.env), self.namespace)


def default_package_shares() -> dict[str, Path]:
    """Where ``$(find-pkg-share robomatrix)`` points when the caller gives no mapping.

    The share folder of :mod:`robomatrix.resources`: the checkout this code runs from, or the
    share/robomatrix of the prefix it is installed in, then ``AMENT_PREFIX_PATH``, so a launch
    file and the nodes it starts read the same config/ and skills/.
    """
    try:
        return {PACKAGE_NAME: resources.resource_dir("launch").parent}
    except resources.ResourceNotFoundError:
        return {}


def _join_ns(base: str, ns: str) -> str:
    """Join namespaces as launch_ros does: an absolute ``ns`` replaces ``base``."""
    ns = ns.strip()
    if ns.startswith("/"):
        joined = ns
    elif not ns:
        joined = base
    else:
        joined = base.rstrip("/") + "/" + ns
    joined = "/" + "/".join(p for p in joined.split("/") if p)
    return "" if joined == "/" else joined


class _Evaluator:
    def __init__(
        self,
        root_file: Path,
        cli_args: Mapping[str, str],
        package_shares: Mapping[str, Path],
        environ: Mapping[str, str],
    ) -> None:
        self.root_file = root_file
        self.cli_args = dict(cli_args)
        self.package_shares = {k: Path(v) for k, v in package_shares.items()}
        self.desc = LaunchDescription(file=root_file)
        self.scope = _Scope(dict(cli_args), dict(environ), "")
        self.declared: dict[str, LaunchArgument] = {}
        self.base_env: Mapping[str, str] = dict(environ)
        self.include_stack: list[Path] = []

    # -- substitution evaluation

    def subst(self, text: str, el: _Element, attr: str) -> str:
        where = f"{el.where} (<{el.tag} {attr}=...>)"
        return self._eval_parts(_parse_subs(text, where), el, where)

    def _eval_parts(self, parts: list[str | _Sub], el: _Element, where: str) -> str:
        out: list[str] = []
        for p in parts:
            out.append(p if isinstance(p, str) else self._eval_sub(p, el, where))
        return "".join(out)

    def _eval_sub(self, sub: _Sub, el: _Element, where: str) -> str:
        args = [self._eval_parts(a, el, where) for a in sub.args]

        def need(lo: int, hi: int, usage: str) -> None:
            if not lo <= len(args) <= hi:
                raise LaunchFileError(f"{where}: '$({sub.kind} ...)' takes {usage}, got {len(args)} argument(s)")

        if sub.kind == "var":
            need(1, 1, "one argument: $(var NAME)")
            if args[0] not in self.scope.configs:
                known = ", ".join(sorted(self.scope.configs)) or "none"
                raise LaunchFileError(
                    f"{where}: launch configuration '{args[0]}' is not set; declare it with <arg> or <let> "
                    f"before use (set here: {known})"
                )
            return self.scope.configs[args[0]]
        if sub.kind == "env":
            need(1, 2, "one or two arguments: $(env NAME) or $(env NAME default)")
            if args[0] in self.scope.env:
                return self.scope.env[args[0]]
            if len(args) == 2:
                return args[1]
            raise LaunchFileError(
                f"{where}: environment variable '{args[0]}' is not set; set it or give a default: "
                f"$(env {args[0]} <default>)"
            )
        if sub.kind == "find-pkg-share":
            need(1, 1, "one argument: $(find-pkg-share PACKAGE)")
            return str(self._find_share(args[0], where))
        if sub.kind == "dirname":
            need(0, 0, "no arguments")
            return str(el.file.parent)
        raise LaunchFileError(f"{where}: unknown substitution '{sub.kind}'")  # pragma: no cover

    def _find_share(self, pkg: str, where: str) -> Path:
        if pkg in self.package_shares:
            return self.package_shares[pkg]
        share = resources.package_share(pkg, self.scope.env)
        if share is not None:
            return share
        raise LaunchFileError(
            f"{where}: package '{pkg}' not found for $(find-pkg-share {pkg}); known packages: "
            f"{', '.join(sorted(self.package_shares)) or 'none'} (and AMENT_PREFIX_PATH)"
        )

    # -- helpers

    def check_attrs(self, el: _Element, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> None:
        for a in el.attrib:
            if a not in allowed:
                raise LaunchFileError(
                    f"{el.where}: unknown attribute '{a}' on <{el.tag}>; accepted: {', '.join(allowed)}"
                )
        for a in required:
            if a not in el.attrib:
                raise LaunchFileError(f"{el.where}: <{el.tag}> needs the attribute '{a}'")
        if el.text.strip():
            raise LaunchFileError(f"{el.where}: <{el.tag}> must not contain text ({el.text.strip()[:40]!r})")

    def no_children(self, el: _Element) -> None:
        if el.children:
            c = el.children[0]
            raise LaunchFileError(f"{c.where}: <{el.tag}> takes no child elements, found <{c.tag}>")

    def attr(self, el: _Element, name: str, default: str | None = None) -> str | None:
        if name not in el.attrib:
            return default
        return self.subst(el.attrib[name], el, name)

    def boolean(self, el: _Element, name: str, default: bool) -> bool:
        value = self.attr(el, name)
        if value is None:
            return default
        return _to_bool(value, f"{el.where}: attribute '{name}' of <{el.tag}>")

    def condition_holds(self, el: _Element) -> bool:
        if "if" in el.attrib and "unless" in el.attrib:
            raise LaunchFileError(f"{el.where}: <{el.tag}> has both 'if' and 'unless'; use one")
        if "if" in el.attrib:
            return self.boolean(el, "if", True)
        if "unless" in el.attrib:
            return not self.boolean(el, "unless", False)
        return True

    # -- actions

    def run_file(self, path: Path) -> None:
        path = path.resolve()
        if path in self.include_stack:
            chain = " -> ".join(str(p) for p in [*self.include_stack, path])
            raise LaunchFileError(f"{path}: include cycle: {chain}")
        root = _read_xml(path)
        if root.tag != "launch":
            raise LaunchFileError(f"{root.where}: the root element must be <launch>, found <{root.tag}>")
        self.check_attrs(root, ("version",))
        self.include_stack.append(path)
        try:
            self.run_children(root)
        finally:
            self.include_stack.pop()

    def run_children(self, parent: _Element) -> None:
        for el in parent.children:
            self.run_action(el)

    def run_action(self, el: _Element) -> None:
        handler = _ACTIONS.get(el.tag)
        if handler is None:
            raise LaunchFileError(
                f"{el.where}: unknown tag <{el.tag}>; accepted here: {', '.join(sorted(_ACTIONS))}"
            )
        handler(self, el)

    def do_arg(self, el: _Element) -> None:
        self.check_attrs(el, ("name", "default", "description", *_CONDITION_ATTRS), ("name",))
        for c in el.children:
            if c.tag != "choice":
                raise LaunchFileError(f"{c.where}: unknown tag <{c.tag}> inside <arg>; accepted: choice")
            self.check_attrs(c, ("value",), ("value",))
            self.no_children(c)
        if not self.condition_holds(el):
            return
        name = el.attrib["name"]
        choices = tuple(self.subst(c.attrib["value"], c, "value") for c in el.children)
        default = self.attr(el, "default")
        description = el.attrib.get("description", "no description given.")
        if choices and default is not None and default not in choices:
            raise LaunchFileError(
                f"{el.where}: default '{default}' of argument '{name}' is not one of its choices: {', '.join(choices)}"
            )
        decl = LaunchArgument(name, default, description, choices, el.where)
        if name not in self.declared:
            self.declared[name] = decl
            self.desc.arguments.append(decl)
        if name not in self.scope.configs:
            if default is None:
                raise LaunchFileError(
                    f"{el.where}: required argument '{name}' was not given ({description}); "
                    f"pass it as {name}:=<value>"
                )
            self.scope.configs[name] = default
        value = self.scope.configs[name]
        if choices and value not in choices:
            raise LaunchFileError(
                f"{el.where}: argument '{name}' got '{value}', which is not one of its choices: {', '.join(choices)}"
            )

    def do_let(self, el: _Element) -> None:
        self.check_attrs(el, ("name", "value", *_CONDITION_ATTRS), ("name", "value"))
        self.no_children(el)
        if self.condition_holds(el):
            self.scope.configs[el.attrib["name"]] = self.subst(el.attrib["value"], el, "value")

    def do_set_env(self, el: _Element) -> None:
        self.check_attrs(el, ("name", "value", *_CONDITION_ATTRS), ("name", "value"))
        self.no_children(el)
        if self.condition_holds(el):
            self.scope.env[self.subst(el.attrib["name"], el, "name")] = self.subst(el.attrib["value"], el, "value")

    def do_push_ns(self, el: _Element) -> None:
        self.check_attrs(el, ("namespace", *_CONDITION_ATTRS), ("namespace",))
        self.no_children(el)
        if self.condition_holds(el):
            self.scope.namespace = _join_ns(self.scope.namespace, self.subst(el.attrib["namespace"], el, "namespace"))

    def do_group(self, el: _Element) -> None:
        self.check_attrs(el, ("scoped", *_CONDITION_ATTRS))
        if not self.condition_holds(el):
            return
        if not self.boolean(el, "scoped", True):
            self.run_children(el)
            return
        saved = self.scope
        self.scope = saved.copy()
        try:
            self.run_children(el)
        finally:
            self.scope = saved

    def do_include(self, el: _Element) -> None:
        self.check_attrs(el, ("file", *_CONDITION_ATTRS), ("file",))
        for c in el.children:
            if c.tag != "arg":
                raise LaunchFileError(f"{c.where}: unknown tag <{c.tag}> inside <include>; accepted: arg")
            self.check_attrs(c, ("name", "value"), ("name", "value"))
            self.no_children(c)
        if not self.condition_holds(el):
            return
        target = Path(self.subst(el.attrib["file"], el, "file"))
        if not target.is_absolute():
            target = el.file.parent / target
        if not target.is_file():
            raise LaunchFileError(f"{el.where}: included launch file {target} does not exist")
        # Values are evaluated before any is set, as ros2 launch does; they stay set afterwards
        # (an include is not scoped).
        values = [(c.attrib["name"], self.subst(c.attrib["value"], c, "value")) for c in el.children]
        declared_in_target = declared_arguments(target)
        for (name, _), c in zip(values, el.children, strict=True):
            if name not in declared_in_target:
                raise LaunchFileError(
                    f"{c.where}: argument '{name}' passed to {target.name} is not declared there; "
                    f"declared: {', '.join(sorted(declared_in_target)) or 'none'}"
                )
        self.scope.configs.update(values)
        self.run_file(target)

    def do_node(self, el: _Element) -> None:
        self.check_attrs(
            el,
            ("pkg", "exec", "name", "namespace", "output", "args", "respawn", "respawn_delay", "on_exit",
             *_CONDITION_ATTRS),
            ("pkg", "exec"),
        )
        # Validate children even when the node is skipped, so typos are found on every run.
        for c in el.children:
            if c.tag == "param":
                if "from" in c.attrib:
                    self.check_attrs(c, ("from",))
                else:
                    self.check_attrs(c, ("name", "value"), ("name", "value"))
                self.no_children(c)
            elif c.tag == "remap":
                self.check_attrs(c, ("from", "to"), ("from", "to"))
                self.no_children(c)
            elif c.tag == "env":
                self.check_attrs(c, ("name", "value"), ("name", "value"))
                self.no_children(c)
            else:
                raise LaunchFileError(
                    f"{c.where}: unknown tag <{c.tag}> inside <node>; accepted: param, remap, env"
                )
        if not self.condition_holds(el):
            return
        output = self.attr(el, "output", "log") or "log"
        if output not in OUTPUT_MODES:
            raise LaunchFileError(
                f"{el.where}: output='{output}' of <node>; accepted: {', '.join(OUTPUT_MODES)}"
            )
        on_exit = self.attr(el, "on_exit")
        if on_exit is not None and on_exit != "shutdown":
            raise LaunchFileError(f"{el.where}: on_exit='{on_exit}' of <node>; accepted: shutdown")
        delay_text = self.attr(el, "respawn_delay", "0") or "0"
        try:
            delay = float(delay_text)
        except ValueError as e:
            raise LaunchFileError(f"{el.where}: respawn_delay='{delay_text}' is not a number of seconds") from e
        if delay < 0:
            raise LaunchFileError(f"{el.where}: respawn_delay='{delay_text}' must be >= 0 seconds")
        params: list[Param | ParamFile] = []
        remaps: list[tuple[str, str]] = []
        node_env: dict[str, str] = {}
        for c in el.children:
            if c.tag == "param" and "from" in c.attrib:
                params.append(ParamFile(Path(self.subst(c.attrib["from"], c, "from"))))
            elif c.tag == "param":
                params.append(Param(self.subst(c.attrib["name"], c, "name"), self.subst(c.attrib["value"], c, "value")))
            elif c.tag == "remap":
                remaps.append((self.subst(c.attrib["from"], c, "from"), self.subst(c.attrib["to"], c, "to")))
            else:
                node_env[self.subst(c.attrib["name"], c, "name")] = self.subst(c.attrib["value"], c, "value")
        args_text = self.attr(el, "args", "") or ""
        try:
            arguments = tuple(shlex.split(args_text))
        except ValueError as e:
            raise LaunchFileError(f"{el.where}: cannot split args='{args_text}': {e}") from e
        # Environment the node gets beyond the caller's: what set_env changed in scope, then <env>.
        env = {k: v for k, v in self.scope.env.items() if self.base_env.get(k) != v}
        env.update(node_env)
        self.desc.nodes.append(
            NodeSpec(
                pkg=self.subst(el.attrib["pkg"], el, "pkg"),
                exec=self.subst(el.attrib["exec"], el, "exec"),
                name=self.attr(el, "name"),
                namespace=_join_ns(self.scope.namespace, self.attr(el, "namespace", "") or ""),
                output=output,
                arguments=arguments,
                parameters=tuple(params),
                remappings=tuple(remaps),
                env=tuple(env.items()),
                respawn=self.boolean(el, "respawn", False),
                respawn_delay=delay,
                on_exit_shutdown=on_exit == "shutdown",
                source=el.where,
            )
        )


_ACTIONS = {
    "arg": _Evaluator.do_arg,
    "let": _Evaluator.do_let,
    "node": _Evaluator.do_node,
    "group": _Evaluator.do_group,
    "include": _Evaluator.do_include,
    "set_env": _Evaluator.do_set_env,
    "set-env": _Evaluator.do_set_env,
    "push_ros_namespace": _Evaluator.do_push_ns,
    "push-ros-namespace": _Evaluator.do_push_ns,
}


def _to_bool(value: str, where: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise LaunchFileError(f"{where}: '{value}' is not a boolean; accepted: true, false, 1, 0 (any case)")


def declared_arguments(path: str | os.PathLike[str]) -> list[str]:
    """Argument names a launch file declares (without evaluating it), in file order."""
    root = _read_xml(Path(path))
    out: list[str] = []

    def walk(el: _Element) -> None:
        for c in el.children:
            if c.tag == "include":
                continue
            if c.tag == "arg" and "name" in c.attrib and c.attrib["name"] not in out:
                out.append(c.attrib["name"])
            walk(c)

    walk(root)
    return out


def parse_launch_file(
    path: str | os.PathLike[str],
    args: Mapping[str, str] | None = None,
    *,
    package_shares: Mapping[str, str | os.PathLike[str]] | None = None,
    environ: Mapping[str, str] | None = None,
) -> LaunchDescription:
    """Evaluate a launch file into a :class:`LaunchDescription`.

    ``args`` are the command-line ``name:=value`` pairs; each must be declared by the file.
    ``package_shares`` maps package names to share directories for ``$(find-pkg-share)``
    (default: :func:`default_package_shares`). ``environ`` is what ``$(env)`` reads
    (default: ``os.environ``). Raises :class:`LaunchFileError` on anything unsupported.
    """
    file = Path(path).resolve()
    if not file.is_file():
        raise LaunchFileError(f"launch file {file} does not exist")
    args = dict(args or {})
    shares = default_package_shares() if package_shares is None else {k: Path(v) for k, v in package_shares.items()}
    env = dict(os.environ if environ is None else environ)
    declared = declared_arguments(file)
    ev = _Evaluator(file, args, shares, env)
    ev.run_file(file)
    # Arguments declared by included files may be set from the command line too (as with
    # ros2 launch); anything else is a typo that would otherwise be silently ignored.
    undeclared = [a for a in args if a not in declared and a not in ev.declared]
    if undeclared:
        known = declared + [a for a in ev.declared if a not in declared]
        raise LaunchFileError(
            f"{file}: argument(s) {', '.join(repr(a) for a in undeclared)} given but not declared by this file "
            f"or its includes; declared: {', '.join(known) or 'none'}"
        )
    ev.desc.configurations = dict(ev.scope.configs)
    logger.debug("parsed %s: %d node(s)", file, len(ev.desc.nodes))
    return ev.desc
