"""maintenance-copilot: cited answers from equipment manuals and maintenance logs, anomaly reports from sensor data.

    from copilot import Copilot
    cp = Copilot.load()                       # default index under $COPILOT_HOME, default offline model
    answer = cp.ask("What torque for the CP-80 gland nuts?")
    report = cp.analyse("corpus/sensors/P-101.csv")

Heavy libraries (torch, transformers, FAISS, Gradio) load only when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from copilot.app import Copilot
    from copilot.config import CopilotConfig, load_config
    from copilot.records import AnomalyEvent, AnomalyReport, Answer, Citation, Passage

# Exported names load on first use (PEP 562): `import copilot.generation.prompts` must not pull in pandas, FAISS or
# langchain.
_EXPORTS = {"Copilot": "copilot.app", "CopilotConfig": "copilot.config", "load_config": "copilot.config",
            "AnomalyEvent": "copilot.records", "AnomalyReport": "copilot.records", "Answer": "copilot.records",
            "Citation": "copilot.records", "Passage": "copilot.records"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'copilot' has no attribute {name!r}")


__all__ = ["Answer", "AnomalyEvent", "AnomalyReport", "Citation", "Copilot", "CopilotConfig", "Passage", "load_config"]
__version__ = "0.1.0"
