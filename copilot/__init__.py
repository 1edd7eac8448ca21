"""maintenance-copilot: cited answers from equipment manuals and maintenance logs, anomaly reports from sensor data.

    from copilot import Copilot
    cp = Copilot.load()                       # default index under $COPILOT_HOME, default offline model
    answer = cp.ask("What torque for the CP-80 gland nuts?")
    report = cp.analyse("corpus/sensors/P-101.csv")

Heavy libraries (torch, transformers, FAISS, Gradio) load only when first used.
"""

from copilot.app import Copilot
from copilot.config import CopilotConfig, load_config
from copilot.records import AnomalyEvent, AnomalyReport, Answer, Citation, Passage

__all__ = ["Answer", "AnomalyEvent", "AnomalyReport", "Citation", "Copilot", "CopilotConfig", "Passage", "load_config"]
__version__ = "0.1.0"
