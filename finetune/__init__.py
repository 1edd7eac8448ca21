"""LoRA fine-tuning of the domain language model on the copilot's own prompt format (issue 6: not yet built).

Will import only `copilot.generation.prompts` and `copilot.records`, so training and serving share one prompt format.
"""
