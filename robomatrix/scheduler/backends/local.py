"""Local-model backend: a transformers model folder or a GGUF file, run in-process.

Core module: imports no rclpy; heavy packages are imported when a model is loaded.

* A folder holding ``planner_meta.json`` is an embedded planner checkpoint: it runs with
  the grammar-constrained decoder of :mod:`.embedded`.
* Any other folder is loaded as a causal LM with transformers (chat template when the
  tokenizer has one) and decoded greedily; its text answer is parsed by the planner.
* A ``.gguf`` file runs through llama-cpp-python with the answer constrained to the plan's
  JSON schema (llama.cpp grammar). Without llama-cpp-python installed the error says how
  to install it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from robomatrix.scheduler.planner import LocalConfig, PlannerBackendError
from robomatrix.scheduler.prompt import Prompt
from robomatrix.skills.spec import SkillLibrary

log = logging.getLogger(__name__)

__all__ = ["GGUFBackend", "TransformersBackend", "make_local_backend"]

LLAMA_INSTALL = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install llama-cpp-python==0.3.36 torch==2.13.0 '
    "(a source build, ~3-6 minutes on 2 cores)"
)


def make_local_backend(config: LocalConfig, library: SkillLibrary, *, max_steps: int = 32) -> Any:
    """The backend for ``config.path``: embedded checkpoint folder, transformers folder or GGUF file."""
    if not config.path:
        raise PlannerBackendError(
            "planner backend 'local' needs local.path in config/planner.yaml: a transformers model folder "
            "or a .gguf file"
        )
    path = Path(config.path).expanduser()
    if not path.exists():
        raise PlannerBackendError(f"local model {path} does not exist; fix: set local.path to a model folder or .gguf")
    if path.is_file() and path.suffix.lower() == ".gguf":
        return GGUFBackend(path, config)
    if path.is_dir() and (path / "planner_meta.json").is_file():
        from robomatrix.scheduler.backends.embedded import EmbeddedBackend

        backend = EmbeddedBackend(library, path, threads=config.threads, max_steps=max_steps)
        backend.name = "local"
        return backend
    if path.is_dir() and (path / "config.json").is_file():
        return TransformersBackend(path, config)
    raise PlannerBackendError(
        f"local model {path} is neither a .gguf file nor a transformers folder (config.json); fix: point "
        "local.path at one"
    )


class TransformersBackend:
    """Any transformers causal LM folder, greedy decoding, no download (local files only)."""

    name = "local"

    def __init__(self, folder: Path, config: LocalConfig) -> None:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as e:
            raise PlannerBackendError(
                f"the local backend needs transformers ({e}); fix: pip install transformers==5.24.0 torch==2.13.0"
            ) from e
        torch.set_num_threads(max(1, config.threads))
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            self.model = AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True)
        except (OSError, ValueError) as e:
            raise PlannerBackendError(f"cannot load the transformers model in {folder}: {e}") from e
        self.model.eval()
        self.config = config
        self._torch = torch
        self._lock = threading.Lock()

    def complete(self, prompt: Prompt) -> str:
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            text = tok.apply_chat_template(prompt.messages, tokenize=False, add_generation_prompt=True)
        else:
            text = "\n\n".join(m["content"] for m in prompt.messages) + "\n\nAnswer (JSON):\n"
        inputs = tok(text, return_tensors="pt")
        with self._lock, self._torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=self.config.max_new_tokens, do_sample=False)
        return str(tok.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True))


class GGUFBackend:
    """A GGUF model through llama-cpp-python, answer constrained to the plan JSON schema."""

    name = "local"

    def __init__(self, file: Path, config: LocalConfig) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as e:
            raise PlannerBackendError(
                f"running {file.name} needs llama-cpp-python, which is not installed ({e}); fix: {LLAMA_INSTALL}"
            ) from e
        try:
            self.llm = Llama(model_path=str(file), n_ctx=config.n_ctx, n_threads=config.threads, verbose=False)
        except (ValueError, RuntimeError) as e:
            raise PlannerBackendError(f"llama.cpp cannot load {file}: {e}") from e
        self.config = config
        self._lock = threading.Lock()

    def complete(self, prompt: Prompt) -> str:
        with self._lock:
            out = self.llm.create_chat_completion(
                messages=prompt.messages,
                response_format={"type": "json_object", "schema": prompt.schema},
                temperature=0.0,
                max_tokens=self.config.max_new_tokens,
            )
        try:
            return str(out["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError) as e:
            raise PlannerBackendError(f"llama.cpp returned no message: {out!r:.200}") from e
