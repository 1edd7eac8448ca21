"""LoRA fine-tuning of the domain model on the copilot's own prompts: `copilot finetune data|train|eval|export`.

`data` builds examples through the copilot's real `Retriever` and `copilot.generation.prompts`, so training sees
exactly what inference will; `train` runs peft LoRA per a recipe (configs/); `eval` compares base and tuned on the
held-out split; `export` merges the adapter (and writes a GGUF). The bundled adapter that serving uses lives in
`copilot/generation/adapters/`. This package imports `copilot`; `copilot` never imports it: the subcommand is
registered through the `copilot.commands` entry point (pyproject.toml).
"""
