"""Name -> thing tables filled by decorators: one class for every registry of the project.

Shared leaf (imports only :mod:`robomatrix.errors`). Each registry is an instance:
hardware backends, policy kinds, skill oracles, condition predicates, planner backends.
``@REGISTRY.register("name")`` returns what it decorates unchanged (one source of truth, no
parallel if/elif factory beside it); :meth:`Registry.get` raises the registry's error naming
the known names. A name may also be *located* (name -> module, imported on first use, like
Gymnasium's string entry points) so that listing names loads nothing heavy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from robomatrix.errors import ConfigError

__all__ = ["Registry", "same_definition"]

T = TypeVar("T")


def _where(item: Any) -> str:
    module, qualname = getattr(item, "__module__", None), getattr(item, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else repr(item)


def same_definition(old: Any, new: Any) -> bool:
    """True when ``new`` is ``old`` or the same definition imported again (same module and
    qualified name): re-importing a module must not count as registering a name twice."""
    if old is new:
        return True
    keys = [(getattr(x, "__module__", None), getattr(x, "__qualname__", None)) for x in (old, new)]
    return None not in keys[0] and keys[0] == keys[1]


class Registry(Generic[T]):
    """Named entries of one kind (``what``: "robot backend", "policy kind", ...).

    ``error``: the exception raised for an unknown name (and for a name registered twice,
    unless ``duplicate_error`` is given).
    ``may_replace(old, new)``: whether ``new`` may take the place of ``old`` under the same
    name (default :func:`same_definition`); otherwise registering it raises ``error``.
    ``on_register(name, item)``: called after each registration (e.g. to set ``cls.kind``).
    ``located``: name -> module whose import registers that name (imported by :meth:`get`).
    """

    def __init__(
        self,
        what: str,
        *,
        error: type[Exception] = ConfigError,
        duplicate_error: type[Exception] | None = None,
        may_replace: Callable[[T, T], bool] = same_definition,
        on_register: Callable[[str, T], None] | None = None,
        located: Mapping[str, str] | None = None,
    ) -> None:
        self.what = what
        self.error = error
        self.duplicate_error = duplicate_error or error
        self._may_replace = may_replace
        self._on_register = on_register
        self._located = dict(located or {})
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: register what it decorates under ``name`` and return it unchanged."""

        def deco(item: T) -> T:
            return self.add(name, item)

        return deco

    def add(self, name: str, item: T) -> T:
        """Register ``item`` under ``name``; raises ``error`` when another definition has it."""
        if not isinstance(name, str) or not name:
            raise self.duplicate_error(f"a {self.what} needs a non-empty name, got {name!r}")
        old = self._entries.get(name)
        if old is not None and not self._may_replace(old, item):
            raise self.duplicate_error(
                f"{self.what} {name!r} is registered twice ({_where(old)} and {_where(item)}); "
                "register the new one under another name"
            )
        self._entries[name] = item
        if self._on_register is not None:
            self._on_register(name, item)
        return item

    def get(self, name: str) -> T:
        """The entry registered as ``name`` (importing its module when it is only located);
        ``error`` listing the known names otherwise."""
        if isinstance(name, str) and name not in self._entries and name in self._located:
            importlib.import_module(self._located[name])  # the module registers the name
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise self.error(f"unknown {self.what} {name!r}; choose one of {', '.join(self.names())}") from None

    def names(self) -> tuple[str, ...]:
        """Every known name: the located ones first, in the order given, then the others sorted."""
        return (*self._located, *sorted(set(self._entries) - set(self._located)))

    def remove(self, name: str) -> None:
        """Forget ``name`` (tests that register a temporary entry)."""
        self._entries.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._entries or name in self._located)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __repr__(self) -> str:
        return f"Registry({self.what!r}: {', '.join(self.names())})"
