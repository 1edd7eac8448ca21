"""Text generation: backends (`backends`: transformers, llama.cpp GGUF, an OpenAI-compatible server, none), finding
models offline (`models`), the chat prompts shared with fine-tuning (`prompts`), and the bundled LoRA adapter
(`adapters/`).
"""
