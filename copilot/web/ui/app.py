"""The Gradio app: chat, documents, sensors and batch-report tabs over one shared `CopilotService`.

This is the only module that imports gradio. It wires components to the plain handlers in `copilot.web.ui.chat`,
`documents`, `sensors` and `batch`, which hold the logic and are tested without a browser.

Concurrency: Gradio's queue runs each event in a worker; answer generation has its own concurrency group limited to
the service's generation slots, so a long answer queues other answers (each user sees their place in the queue)
while uploads, analyses and the page itself stay responsive. Each browser session has its own `gr.State`.

Offline: analytics are off, no share link is made, server-side rendering (a Node process) is off, and the theme's
fonts are the local ones Gradio ships.

Access: `copilot.web.guard.RequestGuard` sits in front of every Gradio route (Host, Origin, optional API key with a
login form, body sizes), Gradio's own per-file upload cap is `server.max_upload_bytes`, and the batch tab reads
folders under `server.batch_root` only (docs/security.md).
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: it reads this at import

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

import gradio as gr  # noqa: E402

from copilot.config import ServerConfig  # noqa: E402
from copilot.errors import USER_ERRORS  # noqa: E402
from copilot.web.api import body_limits  # noqa: E402
from copilot.web.feedback import FeedbackStore  # noqa: E402
from copilot.web.guard import BodyLimit, GuardPolicy, guard_middleware  # noqa: E402
from copilot.web.service import CopilotService  # noqa: E402
from copilot.web.ui import batch, chat, documents, sensors  # noqa: E402
from copilot.web.ui.style import CSS  # noqa: E402

T = TypeVar("T")
TITLE = "Maintenance copilot"
DEFAULT_SENSOR_DIR = Path(__file__).resolve().parents[2] / "corpus" / "sensors"
UPLOAD_ROUTE = "/gradio_api/upload"
# A Gradio event carries the chat shown so far (answers as HTML), so it is larger than an API question.
EVENT_LIMIT = BodyLimit(8 * 1024 * 1024, "one UI event", "the UI's EVENT_LIMIT")
EXAMPLES = [
    "What torque do the CP-80 seal gland nuts take?",
    "Pump P-101 is screaming and the discharge gauge is bouncing, what do I check?",
    "What does alarm E202 mean?",
]


def _shown(call: Callable[[], T]) -> T:
    """Run a handler; a domain error becomes a Gradio error message (a toast), not a stack trace."""
    try:
        return call()
    except USER_ERRORS as exc:
        raise gr.Error(str(exc)) from exc


def theme() -> gr.themes.Base:
    """Large text and spacing for a tablet; the fonts are local."""
    return gr.themes.Default(primary_hue="blue", secondary_hue="slate", text_size="lg", spacing_size="lg",
                             radius_size="md")


def build_ui(service: CopilotService, *, feedback: FeedbackStore | None = None,
             sensor_dir: Path | None = DEFAULT_SENSOR_DIR, batch_root: Path | None = None) -> gr.Blocks:
    """The whole app as a `gr.Blocks` (not launched); the batch tab opens folders under `batch_root` only (default:
    `server.batch_root` of the service's limits, else the current folder)."""
    store = feedback or FeedbackStore()
    limits = service.config.limits
    batch_root = (batch_root or limits.batch_root or Path.cwd()).resolve()
    sensor_files = sensors.corpus_sensor_files(sensor_dir)
    slots = service.config.generation_slots

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        session = gr.State(None)
        pending = gr.State("")
        gr.Markdown(f"## {TITLE}\nAnswers from your manuals, work orders and logs — every claim with its source.")
        with gr.Tabs(elem_classes="cp-tabs"):
            with gr.Tab("Ask", id="ask"):
                asset = gr.Dropdown(choices=chat.asset_choices(service), value=chat.ALL_ASSETS, label="Asset",
                                    info="Limit answers to one machine's documents and records", elem_id="cp-asset")
                chatbot = gr.Chatbot(elem_id="cp-chat", label="Answers", show_label=False, height="62vh",
                                     min_height=420, layout="panel", sanitize_html=True,
                                     feedback_options=("Like", "Dislike"), buttons=["copy"],
                                     placeholder="Ask about a fault, an alarm code, a procedure or a torque value.")
                with gr.Row(equal_height=True):
                    question = gr.Textbox(elem_id="cp-question", show_label=False, scale=5, lines=1, max_lines=4,
                                          placeholder="Type your question…", submit_btn=False,
                                          max_length=limits.max_question_chars)
                    ask = gr.Button("Ask", variant="primary", scale=1, elem_id="cp-ask", elem_classes="cp-big")
                gr.Examples(EXAMPLES, inputs=question, label="Try")
                with gr.Row():
                    helpful = gr.Button("✓ Helpful", elem_id="cp-helpful", elem_classes="cp-big")
                    wrong = gr.Button("✗ Wrong", elem_id="cp-wrong", elem_classes="cp-big")
                    restart = gr.Button("New conversation", elem_id="cp-new", elem_classes="cp-big")
                with gr.Row(equal_height=True):
                    correction = gr.Textbox(label="Correction (optional)", scale=5, lines=2,
                                            placeholder="What should the answer have said?",
                                            max_length=limits.max_correction_chars)
                    send = gr.Button("Send correction", scale=1, elem_classes="cp-big")
                status = gr.Markdown(elem_classes="cp-status")

            with gr.Tab("Documents", id="documents"):
                gr.Markdown("Add manuals or maintenance logs (md, txt, pdf, html, csv, jsonl, log). They are indexed "
                            "incrementally; answers keep working meanwhile.")
                uploads = gr.File(file_count="multiple", label="Manuals or logs", elem_id="cp-doc-upload")
                add = gr.Button("Add to index", variant="primary", elem_classes="cp-big")
                doc_status = gr.Markdown()
                skipped = gr.Dataframe(headers=documents.SKIPPED_COLUMNS, value=documents.skipped_rows(service),
                                       label="Not indexed, and why", interactive=False, wrap=True)
                indexed = gr.Dataframe(headers=documents.INDEXED_COLUMNS, value=documents.indexed_rows(service),
                                       label="Indexed documents", interactive=False, wrap=True)

            with gr.Tab("Sensors", id="sensors"):
                with gr.Row():
                    sensor_upload = gr.File(label="Sensor CSV", file_types=[".csv", ".txt"], scale=2)
                    with gr.Column(scale=2):
                        pick = gr.Dropdown(choices=list(sensor_files), value=None, label="…or an asset's sensor log",
                                           elem_id="cp-sensor-pick")
                        sensor_asset = gr.Textbox(label="Asset id (optional: taken from the file name)")
                    with gr.Column(scale=1):
                        fit_rows = gr.Number(value=None, label="Normal rows at the start (optional; 0 = automatic)",
                                             precision=0)
                        run = gr.Button("Analyse", variant="primary", elem_id="cp-analyse", elem_classes="cp-big")
                with gr.Row():
                    plot = gr.Image(label="Channels over time, anomaly windows shaded", type="pil", scale=3,
                                    elem_id="cp-sensor-plot", buttons=["download", "fullscreen"])
                    with gr.Column(scale=2):
                        report = gr.Markdown(elem_id="cp-sensor-report")
                with gr.Accordion("Report as JSON (as `copilot analyse --json`)", open=False):
                    report_json = gr.JSON()

            with gr.Tab("Batch report", id="batch"):
                with gr.Row():
                    folder = gr.Textbox(label=f"Batch output folder (inside {batch_root.name}/)", scale=3,
                                        placeholder="the --out folder of `copilot batch`")
                    report_files = gr.File(file_count="multiple", label="…or upload report.md / .html / .jsonl",
                                           file_types=[".md", ".html", ".jsonl"], scale=2)
                open_report = gr.Button("Open report", variant="primary", elem_classes="cp-big")
                with gr.Tabs():
                    with gr.Tab("Summary"):
                        batch_md = gr.Markdown()
                    with gr.Tab("Full report"):
                        batch_html = gr.HTML()
                    with gr.Tab("Records"):
                        batch_table = gr.Dataframe(interactive=False, wrap=True)

        # --- chat -------------------------------------------------------------------------------------------------
        def generate(pending_question: str, messages: chat.Messages, state: chat.ChatSession | None,
                     asset_choice: str) -> Iterator[tuple[chat.Messages, chat.ChatSession]]:
            yield from chat.answer_question(service, pending_question, messages, state, asset_choice)

        for trigger in (question.submit, ask.click):
            trigger(chat.add_question, [question, chatbot], [question, chatbot, pending], queue=False).then(
                generate, [pending, chatbot, session, asset], [chatbot, session],
                concurrency_limit=slots, concurrency_id="generate")

        def rate(state: chat.ChatSession | None, index: int | None, verdict: str, text: str | None = None) -> str:
            return chat.save_feedback(store, state, index, verdict, text, limit=limits.feedback_per_answer,
                                      max_correction_chars=limits.max_correction_chars)

        def on_like(state: chat.ChatSession | None, data: gr.LikeData) -> str:
            index = data.index if isinstance(data.index, int) else data.index[0]
            verdict = "helpful" if data.liked is True or data.liked == "Like" else "wrong"
            return rate(state, index, verdict)

        chatbot.like(on_like, [session], [status], queue=False)
        helpful.click(lambda s: rate(s, None, "helpful"), [session], [status], queue=False)
        wrong.click(lambda s: rate(s, None, "wrong"), [session], [status], queue=False)
        send.click(lambda s, text: (rate(s, None, "wrong", text), ""), [session, correction],
                   [status, correction], queue=False)
        restart.click(lambda: ([], None, ""), None, [chatbot, session, status], queue=False)

        # --- documents --------------------------------------------------------------------------------------------
        def add_documents(files: list[str] | None, progress: gr.Progress = gr.Progress(track_tqdm=True)  # noqa: B008
                          ) -> tuple[Any, ...]:
            text, rows, refused = _shown(lambda: documents.upload_documents(service, files, progress))
            return text, refused, rows, None, gr.Dropdown(choices=chat.asset_choices(service))

        add.click(add_documents, [uploads], [doc_status, skipped, indexed, uploads, asset],
                  concurrency_limit=1, concurrency_id="index")

        # --- sensors ----------------------------------------------------------------------------------------------
        def analyse(upload: str | None, choice: str | None, asset_id: str, rows: float | None) -> tuple[Any, ...]:
            return _shown(lambda: sensors.analyse_sensor_log(service, upload, choice, sensor_files, asset_id, rows))

        run.click(analyse, [sensor_upload, pick, sensor_asset, fit_rows], [plot, report, report_json],
                  concurrency_limit=2, concurrency_id="analyse")

        # --- batch ------------------------------------------------------------------------------------------------
        def show_batch(path: str, files: list[str] | None) -> tuple[Any, ...]:
            markdown, frame, table = _shown(lambda: batch.open_batch_report(path, files, batch_root))
            return markdown, frame, gr.Dataframe(value=table["data"], headers=table["headers"])

        open_report.click(show_batch, [folder, report_files], [batch_md, batch_html, batch_table])

        # A page opened after an index change (another tab, a terminal sync) gets the current lists.
        demo.load(lambda: (gr.Dropdown(choices=chat.asset_choices(service)), documents.indexed_rows(service)),
                  None, [asset, indexed], queue=False)
    return demo


def guard_policy(host: str, limits: ServerConfig) -> GuardPolicy:
    """The UI's access checks: as the API's, with a login form for the key and Gradio's upload route capped."""
    return GuardPolicy(bind_host=host, api_key=limits.api_key, allowed_origins=limits.allowed_origins,
                       body_limit=body_limits(limits, upload_routes=(UPLOAD_ROUTE,), feedback_routes=(),
                                              other=EVENT_LIMIT),
                       login_form=True, open_paths=("/gradio_api/startup-events",))  # Gradio's own start-up check


def launch_ui(service: CopilotService, host: str = "127.0.0.1", port: int = 7860, *,
              feedback: FeedbackStore | None = None, sensor_dir: Path | None = DEFAULT_SENSOR_DIR,
              batch_root: Path | None = None, block: bool = True) -> gr.Blocks:
    """Serve the app on host:port (never a public share link). With block=False it returns once the server is up."""
    limits = service.config.limits
    demo = build_ui(service, feedback=feedback, sensor_dir=sensor_dir, batch_root=batch_root)
    demo.queue(default_concurrency_limit=2, max_size=128)
    demo.launch(server_name=host, server_port=port, share=False, inbrowser=False, prevent_thread_lock=not block,
                show_error=True, ssr_mode=False, css=CSS, theme=theme(), quiet=not block, footer_links=[],
                max_file_size=limits.max_upload_bytes,
                app_kwargs={"middleware": [guard_middleware(guard_policy(host, limits))]})
    return demo
