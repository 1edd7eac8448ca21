"""The HTTP API (`copilot serve`): FastAPI over a shared `CopilotService`, answering with the CLI's JSON.

    POST /ask        {"question", "asset"?, "history"?}       -> as `copilot ask --json`, plus "answer_id"
    POST /search     {"query", "k"?, "asset"?, "type"?, "source"?} -> as `copilot search --json`
    POST /analyse    multipart: file (sensor CSV), asset?, fit_rows? -> as `copilot analyse --json`
    POST /index      multipart: files (manuals, logs)          -> what was added, updated, skipped and failed, and why
    GET  /index      the index's statistics                    -> as `copilot index stats`
    GET  /assets     asset ids the index knows
    POST /feedback   {"answer_id", "verdict", "correction"?}  -> the stored feedback record
    GET  /health     liveness and what is loaded
    GET  /openapi.json, /docs                                  the OpenAPI description

Every request passes `copilot.web.guard.RequestGuard` first (Host, Origin, API key, body size; docs/security.md).
Questions, answers and analyses run in a daemon thread while the handler watches the connection: when the client goes
away the work is told to stop (an answer stops at its next streamed piece and frees its generation slot), and on
SIGTERM answers and analyses stop the same way, while an index upload gets `server.shutdown_grace_s` to finish before
the server exits without it (the index's generation swap is atomic, so a cut-off upload leaves the old index live).
Index uploads are not cancelled by a disconnect (a half-added upload helps nobody). Requests carry their own
conversation history; the only server-side state is the bounded log of given answers that feedback refers to. Domain
errors become 4xx responses with the CLI's one-line message, with absolute server paths shortened to file names.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from copilot.config import ServerConfig
from copilot.errors import USER_ERRORS, GenerationError, ModelLoadError
from copilot.web.feedback import AnswerLog, Feedback, FeedbackStore
from copilot.web.guard import BodyLimit, GuardPolicy, guard_middleware
from copilot.web.service import Cancelled, CopilotService, LimitError, hide_paths, report_dict, safe_file_name

DocType = Literal["manual", "work_order", "log", "table", "text"]
T = TypeVar("T")
UPLOAD_ROUTES = ("/index", "/analyse")
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers on top of the files' own bytes
POLL_S = 0.25  # how often a running request checks whether its client is still there
SHOWN_INPUT_CHARS = 200  # of a rejected value echoed in a 422 reply


class AskRequest(BaseModel):
    """A question, optionally about one asset, optionally following earlier turns of a conversation."""

    question: str = Field(min_length=1, description="the technician's question (server.max_question_chars)")
    asset: str | None = Field(None, max_length=200, description="prefer this asset's documents and logs, e.g. P-101")
    history: list[tuple[str, str]] = Field(default_factory=list,
                                           description="earlier turns as [question, answer] pairs, oldest first")


class SearchRequest(BaseModel):
    """Hybrid search without generation, with the filters of `copilot search`."""

    query: str = Field(min_length=1)
    k: int = Field(5, ge=1, le=100, description="hits to return")
    asset: str | None = Field(None, max_length=200)
    type: list[DocType] | None = Field(None, description="only these document types")
    source: list[str] | None = Field(None, max_length=100, description="only these file names")


class FeedbackRequest(BaseModel):
    """A technician's verdict on an answer this server gave, named by the `answer_id` of its POST /ask reply.

    The record is built from the answer as the server kept it; sending the whole answer object back (as earlier
    versions asked) still works, but only its `answer_id` is read.
    """

    model_config = ConfigDict(extra="forbid")

    verdict: Literal["helpful", "wrong"]
    answer_id: str | None = Field(None, max_length=64, description="the answer_id of a POST /ask reply")
    answer: dict[str, Any] | None = Field(None, description="deprecated: the POST /ask reply (its answer_id is read)")
    correction: str | None = Field(None, description="what the answer should have said (at most "
                                                     "server.max_correction_chars)")


def body_limits(limits: ServerConfig, upload_routes: tuple[str, ...] = UPLOAD_ROUTES,
                feedback_routes: tuple[str, ...] = ("/feedback",),
                other: BodyLimit | None = None) -> Callable[[str], BodyLimit]:
    """The request-body limit of each route: uploads, feedback, and everything else."""
    uploads = BodyLimit(limits.max_request_upload_bytes + MULTIPART_OVERHEAD, "the files of one upload",
                        "server.max_request_upload_bytes")
    feedback = BodyLimit(limits.max_feedback_bytes, "a feedback request", "server.max_feedback_bytes")
    rest = other or BodyLimit(limits.max_body_bytes, "a JSON request", "server.max_body_bytes")

    def limit(path: str) -> BodyLimit:
        if any(path == r or path.endswith(r) for r in upload_routes):
            return uploads
        if path in feedback_routes:
            return feedback
        return rest

    return limit


def _short(value: Any) -> Any:
    """A rejected input as a 422 reply shows it: scalars as they are, anything long cut to SHOWN_INPUT_CHARS."""
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = value if isinstance(value, str) else json.dumps(jsonable_encoder(value), ensure_ascii=False)
    if len(text) <= SHOWN_INPUT_CHARS:
        return value if isinstance(value, str) else jsonable_encoder(value)
    return f"{text[:SHOWN_INPUT_CHARS]}… ({len(text)} characters)"


async def _until_done_or_gone(http: Request, service: CopilotService, work: Callable[[Callable[[], bool]], T],
                              cancel_on_disconnect: bool = True) -> T:
    """Run `work(cancelled)` in a daemon thread; tell it to stop when the client disconnects or the server stops.

    A daemon thread (not the thread pool) so that a server told to stop never waits on work nobody will read.
    Raises `Cancelled` when the client went away.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    cancel = threading.Event()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def run() -> None:
        try:
            result = work(lambda: cancel.is_set() or service.stopping.is_set())
        except BaseException as exc:  # handed to the request's task
            error = exc
            try:
                loop.call_soon_threadsafe(settle, lambda: future.set_exception(error))
            except RuntimeError:  # the loop is gone: the server stopped
                pass
        else:
            try:
                loop.call_soon_threadsafe(settle, lambda: future.set_result(result))
            except RuntimeError:
                pass

    threading.Thread(target=run, daemon=True, name=f"copilot {http.url.path}").start()
    try:
        while True:
            done, _ = await asyncio.wait({future}, timeout=POLL_S)
            if done:
                return future.result()
            if cancel_on_disconnect and service.stopping.is_set():
                raise Cancelled("the server is stopping; ask again when it is back")
            if cancel_on_disconnect and await http.is_disconnected():
                cancel.set()
                raise Cancelled("the client went away; the work was stopped")
    finally:
        if cancel_on_disconnect:
            cancel.set()  # also when this task is cancelled (the server is shutting down)


def _save_upload(upload: UploadFile, folder: Path, limits: ServerConfig) -> Path:
    """Copy one uploaded file to `folder` under its sanitised name; 413 when it is over the per-file limit."""
    path = folder / safe_file_name(upload.filename or "upload")
    written = 0
    with open(path, "wb") as handle:
        while chunk := upload.file.read(1024 * 1024):
            written += len(chunk)
            if written > limits.max_upload_bytes:
                raise LimitError(f"{path.name} is over {limits.max_upload_bytes / 2**20:.1f} MB, the most one "
                                 "uploaded file may be (server.max_upload_bytes)")
            handle.write(chunk)
    return path


def create_app(service: CopilotService, feedback: FeedbackStore | None = None, *,
               bind_host: str = "127.0.0.1", limits: ServerConfig | None = None) -> FastAPI:
    """The API application over one shared service.

    Args:
        bind_host: the address it listens on; a loopback one makes the guard refuse other Host names.
        limits: sizes, API key and origins (default: the service's `ServiceConfig.limits`).
    """
    store = feedback or FeedbackStore()
    limits = limits or service.config.limits
    answers = AnswerLog(limits.remembered_answers, limits.feedback_per_answer)
    policy = GuardPolicy(bind_host=bind_host, api_key=limits.api_key, allowed_origins=limits.allowed_origins,
                         body_limit=body_limits(limits))
    app = FastAPI(title="Maintenance copilot API", version="1", description=(__doc__ or "").split("\n\n")[0],
                  middleware=[guard_middleware(policy)])

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"type": e.get("type"), "loc": e.get("loc"), "msg": e.get("msg"), "input": _short(e.get("input"))}
                  for e in exc.errors()[:20]]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(LimitError)
    async def too_large(request: Request, exc: LimitError) -> JSONResponse:
        return JSONResponse({"detail": hide_paths(str(exc))}, status_code=413)

    @app.exception_handler(Cancelled)
    async def gone(request: Request, exc: Cancelled) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=499)  # nobody reads it: the client left

    @app.exception_handler(GenerationError)
    async def generation_failed(request: Request, exc: GenerationError) -> JSONResponse:
        return JSONResponse({"detail": hide_paths(str(exc))}, status_code=502)

    @app.exception_handler(ModelLoadError)
    async def model_missing(request: Request, exc: ModelLoadError) -> JSONResponse:
        return JSONResponse({"detail": hide_paths(str(exc))}, status_code=503)

    for error in USER_ERRORS:
        @app.exception_handler(error)
        async def bad_request(request: Request, exc: Exception) -> JSONResponse:
            return JSONResponse({"detail": hide_paths(str(exc))}, status_code=400)

    @app.get("/health")
    def health() -> dict[str, Any]:
        copilot = service.copilot
        return {"status": "ok", "chunks": len(copilot.index), "files": len(copilot.index.manifest.files),
                "generator": getattr(copilot.generator, "name", type(copilot.generator).__name__)}

    @app.post("/ask")
    async def ask(request: AskRequest, http: Request) -> dict[str, Any]:
        """Answer with checked citations, or abstain: the JSON of `copilot ask --json`, plus the `answer_id` that
        POST /feedback takes. Stops when the client disconnects."""
        service.check_question(request.question, request.history)  # 413 at once, before any work
        answer = await _until_done_or_gone(
            http, service, lambda cancelled: service.ask(request.question, request.history, request.asset, cancelled))
        answer_id = answers.remember(answer, request.asset, request.history)
        return {**answer.to_dict(), "answer_id": answer_id}

    @app.post("/search")
    def search(request: SearchRequest) -> dict[str, Any]:
        """The JSON line of `copilot search --json`: {"query", "hits": [...]}."""
        if len(request.query) > limits.max_question_chars:
            raise LimitError(f"the query is {len(request.query)} characters; the limit is "
                             f"{limits.max_question_chars} (server.max_question_chars)")
        hits = service.search(request.query, k=request.k, asset=request.asset, doc_types=request.type,
                              sources=request.source)
        return {"query": request.query, "hits": [h.to_dict() for h in hits]}

    @app.post("/analyse")
    async def analyse(http: Request, file: UploadFile = File(..., description="sensor CSV, wide or long form"),  # noqa: B008
                      asset: str | None = Form(None), fit_rows: int | None = Form(None)) -> dict[str, Any]:
        """Anomaly report of an uploaded sensor log: the JSON of `copilot analyse --json`."""

        def work(cancelled: Callable[[], bool]) -> dict[str, Any]:
            with tempfile.TemporaryDirectory(prefix="copilot-analyse-") as folder:
                path = _save_upload(file, Path(folder), limits)
                return service.analyse(path, asset=asset, fit_rows=fit_rows, cancelled=cancelled).to_dict()

        return await _until_done_or_gone(http, service, work)

    @app.post("/index")
    async def add_to_index(http: Request,
                           files: list[UploadFile] = File(..., description="manuals or logs")  # noqa: B008
                           ) -> dict[str, Any]:
        """Add documents incrementally; reports what was added, updated, skipped and failed, with reasons."""
        if len(files) > limits.max_upload_files:
            raise LimitError(f"{len(files)} files in one upload; the limit is {limits.max_upload_files} "
                             "(server.max_upload_files)")

        def work(cancelled: Callable[[], bool]) -> dict[str, Any]:
            with tempfile.TemporaryDirectory(prefix="copilot-upload-") as folder:
                paths = []
                for number, upload in enumerate(files):  # a folder each: names that sanitise alike both arrive
                    (Path(folder) / str(number)).mkdir()
                    paths.append(_save_upload(upload, Path(folder) / str(number), limits))
                names = [upload.filename or "upload" for upload in files]
                return report_dict(service.add_documents(paths, names=names))

        return await _until_done_or_gone(http, service, work, cancel_on_disconnect=False)

    @app.get("/index")
    def index_stats() -> dict[str, Any]:
        """What `copilot index stats` prints, plus every indexed document (paths relative to the index's folder)."""
        return {**service.stats(), "documents": service.documents()}

    @app.get("/assets")
    def assets() -> dict[str, list[str]]:
        return {"assets": service.assets()}

    @app.post("/feedback")
    def feedback_(request: FeedbackRequest) -> dict[str, Any]:
        """Store a verdict (and optional correction) on an answer this server gave, as a new record: nothing is
        overwritten, and a later verdict on the same answer supersedes the earlier one for training."""
        answer_id = request.answer_id or str((request.answer or {}).get("answer_id") or "")
        if not answer_id:
            raise HTTPException(422, "name the answer: send the answer_id of the POST /ask reply")
        if request.correction and len(request.correction) > limits.max_correction_chars:
            raise LimitError(f"the correction is {len(request.correction)} characters; the limit is "
                             f"{limits.max_correction_chars} (server.max_correction_chars)")
        given = answers.claim(answer_id)
        record = Feedback.on(given.answer, request.verdict, correction=request.correction, asset=given.asset,
                             history=given.history, answer_id=answer_id)
        return store.append(record).to_dict()

    return app


def serve(service: CopilotService, host: str = "127.0.0.1", port: int = 8000,
          feedback: FeedbackStore | None = None, limits: ServerConfig | None = None) -> None:
    """Run the API with uvicorn until interrupted; on SIGTERM or Ctrl-C it stops within `shutdown_grace_s`."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            service.stopping.set()  # answers and analyses stop at their next check and answer 499 at once
            super().handle_exit(sig, frame)

    limits = limits or service.config.limits
    app = create_app(service, feedback, bind_host=host, limits=limits)
    config = uvicorn.Config(app, host=host, port=port, log_level="info",
                            timeout_graceful_shutdown=max(1, round(limits.shutdown_grace_s)))
    try:
        Server(config).run()
    finally:
        service.stopping.set()
