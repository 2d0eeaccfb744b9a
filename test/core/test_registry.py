"""The one registry class every name -> thing table uses (robomatrix.registry)."""

from __future__ import annotations

import pytest

from robomatrix.errors import ConfigError, UnknownBackendError
from robomatrix.registry import Registry, same_definition


def test_register_get_names_and_unknown_names() -> None:
    reg: Registry[type] = Registry("widget")

    @reg.register("b")
    class B:
        pass

    @reg.register("a")
    class A:
        pass

    assert reg.get("a") is A and reg.get("b") is B
    assert reg.names() == ("a", "b") and list(reg) == ["a", "b"] and len(reg) == 2
    assert "a" in reg and "c" not in reg and 3 not in reg
    with pytest.raises(ConfigError, match="unknown widget 'c'; choose one of a, b"):
        reg.get("c")
    reg.remove("a")
    assert reg.names() == ("b",)


def test_a_name_taken_by_another_definition_raises() -> None:
    reg: Registry[type] = Registry("widget", error=UnknownBackendError, duplicate_error=ConfigError)

    class A:
        pass

    class Other:
        pass

    reg.add("a", A)
    reg.add("a", A)  # the same definition again (a module imported twice) is no conflict
    with pytest.raises(ConfigError, match="widget 'a' is registered twice") as info:
        reg.add("a", Other)
    assert not isinstance(info.value, UnknownBackendError)
    assert reg.get("a") is A
    with pytest.raises(ConfigError, match="non-empty name"):
        reg.add("", Other)
    assert same_definition(A, A) and not same_definition(A, Other) and not same_definition(1, 2)


def test_on_register_and_located_names() -> None:
    seen: list[tuple[str, object]] = []
    reg: Registry[object] = Registry("thing", on_register=lambda n, x: seen.append((n, x)),
                                     located={"json_thing": "json"})
    reg.add("z", 1)
    assert seen == [("z", 1)]
    assert reg.names() == ("json_thing", "z")  # located names first, then the others sorted
    with pytest.raises(ConfigError, match="unknown thing 'json_thing'"):
        reg.get("json_thing")  # importing json registers nothing under that name
