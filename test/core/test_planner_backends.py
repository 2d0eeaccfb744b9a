"""Planner backends over real HTTP on loopback: the OpenAI-compatible client against a real
server running the embedded planner model, plus endpoint down / slow / garbage; local backend errors."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from planner_world import WORLD, free_port  # test/core helper module

from robomatrix.scheduler import PlanInvalid, Planner, PlannerBackendError
from robomatrix.scheduler.planner import LocalConfig, OpenAIConfig, PlannerConfig
from robomatrix.scheduler.prompt import build_prompt
from robomatrix.skills.spec import load_skill_library

LIB = load_skill_library()
class _Canned:
    """A loopback HTTP server whose handler behaviour is set per test (slow, garbage, errors)."""

    def __init__(self, handler: Any) -> None:
        self.calls = 0
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                outer.calls += 1
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                code, payload = handler(body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _chat(content: str) -> dict[str, Any]:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}


def _planner(base_url: str, **kw: Any) -> Planner:
    cfg = PlannerConfig(backend="openai", openai=OpenAIConfig(base_url=base_url, model="m", **kw))
    return Planner.from_config(cfg, LIB)


@pytest.fixture(scope="module")
def model_server() -> Iterator[str]:
    """The real embedded planner model behind a real OpenAI-compatible endpoint on 127.0.0.1."""
    pytest.importorskip("transformers")
    from robomatrix.scheduler.backends.embedded import EmbeddedBackend
    from robomatrix.scheduler.backends.openai_compat import PlannerChatServer

    with PlannerChatServer(EmbeddedBackend(LIB)) as server:
        yield server.base_url


def test_openai_backend_against_real_model_server(model_server: str) -> None:
    planner = _planner(model_server, timeout_s=10)
    plan = planner.plan("please put the crimson cube into the green dish", WORLD)
    assert [s.skill for s in plan.steps] == ["move_to", "grasp", "place_over", "release"]
    assert plan.steps[0].args == {"object": "block_red_0"} and plan.steps[2].args == {"target": "bowl_green_0"}
    assert plan.backend == "openai"
    plan = planner.plan("push the blue block forward", WORLD)
    assert plan.steps[-1].args == {"object": "block_blue_0", "direction": "forward", "distance": 0.1}


def test_request_carries_messages_json_mode_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[dict[str, Any]]] = []
    answer = {"steps": [{"skill": "move_to", "args": {"object": "red block"}}]}
    server = _Canned(lambda body: (seen.append((body,)) or 200, _chat(json.dumps(answer))))
    monkeypatch.setenv("PLANNER_TEST_KEY", "sekret")
    try:
        plan = _planner(server.base_url, api_key_env="PLANNER_TEST_KEY").plan("go to the red block", WORLD)
    finally:
        server.close()
    body = seen[0][0]
    assert body["model"] == "m" and body["response_format"] == {"type": "json_object"}
    assert body["messages"][0]["role"] == "system" and "Task: go to the red block" in body["messages"][1]["content"]
    assert plan.steps[0].args == {"object": "block_red_0"}


def test_endpoint_down_fails_fast_with_a_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    t0 = time.monotonic()
    with pytest.raises(PlannerBackendError, match="is not reachable.*start the server"):
        _planner(url, timeout_s=5, retries=1, backoff_s=0.05).plan("put the red block in the green bowl", WORLD)
    assert time.monotonic() - t0 < 2.0


def test_slow_endpoint_times_out_within_the_configured_timeout() -> None:
    def slow(body: dict[str, Any]) -> tuple[int, Any]:
        time.sleep(2.0)
        return 200, _chat("{}")

    server = _Canned(slow)
    t0 = time.monotonic()
    try:
        with pytest.raises(PlannerBackendError, match=r"did not answer within 0.4 s"):
            _planner(server.base_url, timeout_s=0.4, retries=1, backoff_s=0.05).plan("go to the red block", WORLD)
    finally:
        elapsed = time.monotonic() - t0
        server.close()
    assert elapsed < 0.4 * 2 + 0.05 + 0.6  # two tries of 0.4 s, one backoff, slack
    assert server.calls == 2


def test_garbage_answer_is_reasked_then_plan_invalid() -> None:
    server = _Canned(lambda body: (200, _chat("Sure! I'd love to help you with blocks.")))
    try:
        with pytest.raises(PlanInvalid) as info:
            _planner(server.base_url, timeout_s=5).plan("put the red block in the green bowl", WORLD)
    finally:
        server.close()
    assert server.calls == 2 and len(info.value.errors) == 2
    assert all("not valid JSON" in e for e in info.value.errors)


def test_non_chat_payload_and_http_errors() -> None:
    server = _Canned(lambda body: (200, b"<html>hello</html>"))
    try:
        with pytest.raises(PlannerBackendError, match="chat-completions format"):
            _planner(server.base_url, timeout_s=5).plan("go to the red block", WORLD)
    finally:
        server.close()
    server = _Canned(lambda body: (503, {"error": "overloaded"}))
    try:
        with pytest.raises(PlannerBackendError, match="HTTP 503"):
            _planner(server.base_url, timeout_s=5, retries=2, backoff_s=0.01).plan("go to the red block", WORLD)
    finally:
        server.close()
    assert server.calls == 3
    server = _Canned(lambda body: (401, {"error": "bad key"}))
    try:
        with pytest.raises(PlannerBackendError, match="refused the key"):
            _planner(server.base_url, timeout_s=5).plan("go to the red block", WORLD)
    finally:
        server.close()


def test_local_backend_errors_and_checkpoint_folder(tmp_path: Path) -> None:
    def planner(path: str) -> Planner:
        return Planner.from_config(PlannerConfig(backend="local", local=LocalConfig(path=path)), LIB)

    with pytest.raises(PlannerBackendError, match="needs local.path"):
        planner("")
    with pytest.raises(PlannerBackendError, match="does not exist"):
        planner(str(tmp_path / "nope"))
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        with pytest.raises(PlannerBackendError, match="pip install llama-cpp-python"):
            planner(str(gguf))
    else:
        with pytest.raises(PlannerBackendError):
            planner(str(gguf))
    pytest.importorskip("transformers")
    from robomatrix.scheduler.backends.embedded import default_model_dir

    backend = planner(str(default_model_dir())).backend
    assert backend.name == "local"
    answer = json.loads(backend.complete(build_prompt("put the blue block in the bin", WORLD, LIB)))
    assert set(answer) in ({"steps"}, {"refuse"})
