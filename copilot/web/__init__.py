"""The front ends that run as a server: the shared service (`service`: one Copilot, hot index swaps, uploads), the
HTTP API (`api`), the Gradio UI (`ui/`) and the answer feedback log (`feedback`).
"""
