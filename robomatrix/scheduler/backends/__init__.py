"""Planner backends: embedded (own model), openai_compat (HTTP), local (transformers / GGUF)."""
