"""The HTTP API (`copilot serve`): FastAPI over a shared `CopilotService`, answering with the CLI's JSON.

    POST /ask        {"question", "asset"?, "history"?}       -> as `copilot ask --json`
    POST /search     {"query", "k"?, "asset"?, "type"?, "source"?} -> as `copilot search --json`
    POST /analyse    multipart: file (sensor CSV), asset?, fit_rows? -> as `copilot analyse --json`
    POST /index      multipart: files (manuals, logs)          -> what was added, updated, skipped and failed, and why
    GET  /index      the index's statistics                    -> as `copilot index stats`
    GET  /assets     asset ids the index knows
    POST /feedback   {"question", "answer", "verdict", ...}    -> the stored feedback record
    GET  /health     liveness and what is loaded
    GET  /openapi.json, /docs                                  the OpenAPI description

Handlers are plain `def`: FastAPI runs them in its thread pool, so a long generation never blocks the event loop, and
the service serialises generation and index writes (see `copilot.web.service`). Requests carry their own conversation
history: the server keeps no per-user state. Domain errors become 4xx responses with the CLI's one-line message.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from copilot.errors import USER_ERRORS, GenerationError, ModelLoadError
from copilot.records import Answer, Citation, Passage
from copilot.web.feedback import Feedback, FeedbackStore
from copilot.web.service import CopilotService, report_dict, safe_file_name

DocType = Literal["manual", "work_order", "log", "table", "text"]


class AskRequest(BaseModel):
    """A question, optionally about one asset, optionally following earlier turns of a conversation."""

    question: str = Field(min_length=1, description="the technician's question")
    asset: str | None = Field(None, description="prefer this asset's documents and logs, e.g. P-101")
    history: list[tuple[str, str]] = Field(default_factory=list,
                                           description="earlier turns as [question, answer] pairs, oldest first")


class SearchRequest(BaseModel):
    """Hybrid search without generation, with the filters of `copilot search`."""

    query: str = Field(min_length=1)
    k: int = Field(5, ge=1, le=100, description="hits to return")
    asset: str | None = None
    type: list[DocType] | None = Field(None, description="only these document types")
    source: list[str] | None = Field(None, description="only these file names")


class FeedbackRequest(BaseModel):
    """A technician's verdict on an answer this API returned (send back the answer's JSON)."""

    verdict: Literal["helpful", "wrong"]
    answer: dict[str, Any] = Field(description="the answer object as returned by POST /ask")
    correction: str | None = None
    asset: str | None = None
    history: list[tuple[str, str]] = Field(default_factory=list)
    id: str | None = Field(None, description="send the same id again to replace an earlier verdict")


def _answer_from_dict(data: dict[str, Any]) -> Answer:
    try:
        cites = tuple(Citation(**c) for c in data.get("citations", []))
        passages = tuple(Passage(p["n"], p["chunk_id"], "", p["source"], p.get("path", p["source"]), p.get("page"),
                                 p.get("section"), float(p.get("score", 0.0)), page_label=p.get("page_label"))
                         for p in data.get("passages", []))
        return Answer(question=str(data["question"]), text=str(data["answer"]), citations=cites, passages=passages,
                      abstained=bool(data.get("abstained", False)), route=str(data.get("route", "rag")))
    except (KeyError, TypeError, ValueError) as exc:
        raise HTTPException(422, f"'answer' must be an answer object as POST /ask returns it ({exc})") from exc


def create_app(service: CopilotService, feedback: FeedbackStore | None = None) -> FastAPI:
    """The API application over one shared service."""
    store = feedback or FeedbackStore()
    app = FastAPI(title="Maintenance copilot API", version="1", description=__doc__.split("\n\n")[0])

    @app.exception_handler(GenerationError)
    async def generation_failed(request: Request, exc: GenerationError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=502)

    @app.exception_handler(ModelLoadError)
    async def model_missing(request: Request, exc: ModelLoadError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    for error in USER_ERRORS:
        @app.exception_handler(error)
        async def bad_request(request: Request, exc: Exception) -> JSONResponse:
            return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.get("/health")
    def health() -> dict[str, Any]:
        copilot = service.copilot
        return {"status": "ok", "chunks": len(copilot.index), "files": len(copilot.index.manifest.files),
                "generator": getattr(copilot.generator, "name", type(copilot.generator).__name__)}

    @app.post("/ask")
    def ask(request: AskRequest) -> dict[str, Any]:
        """Answer with checked citations, or abstain: the JSON of `copilot ask --json`."""
        return service.ask(request.question, request.history, request.asset).to_dict()

    @app.post("/search")
    def search(request: SearchRequest) -> dict[str, Any]:
        """The JSON line of `copilot search --json`: {"query", "hits": [...]}."""
        hits = service.search(request.query, k=request.k, asset=request.asset, doc_types=request.type,
                              sources=request.source)
        return {"query": request.query, "hits": [h.to_dict() for h in hits]}

    @app.post("/analyse")
    def analyse(file: UploadFile = File(..., description="sensor CSV, wide or long form"),  # noqa: B008
                asset: str | None = Form(None), fit_rows: int | None = Form(None)) -> dict[str, Any]:
        """Anomaly report of an uploaded sensor log: the JSON of `copilot analyse --json`."""
        with tempfile.TemporaryDirectory(prefix="copilot-analyse-") as folder:
            path = Path(folder) / safe_file_name(file.filename or "sensors.csv")
            with open(path, "wb") as handle:
                shutil.copyfileobj(file.file, handle)
            return service.analyse(path, asset=asset, fit_rows=fit_rows).to_dict()

    @app.post("/index")
    def add_to_index(files: list[UploadFile] = File(..., description="manuals or logs")) -> dict[str, Any]:  # noqa: B008
        """Add documents incrementally; reports what was added, updated, skipped and failed, with reasons."""
        with tempfile.TemporaryDirectory(prefix="copilot-upload-") as folder:
            paths = []
            for upload in files:
                path = Path(folder) / safe_file_name(upload.filename or "upload")
                with open(path, "wb") as handle:
                    shutil.copyfileobj(upload.file, handle)
                paths.append(path)
            return report_dict(service.add_documents(paths))

    @app.get("/index")
    def index_stats() -> dict[str, Any]:
        """What `copilot index stats` prints, plus every indexed document."""
        return {**service.stats(), "documents": service.documents()}

    @app.get("/assets")
    def assets() -> dict[str, list[str]]:
        return {"assets": service.assets()}

    @app.post("/feedback")
    def feedback_(request: FeedbackRequest) -> dict[str, Any]:
        """Store a verdict (and optional correction) for fine-tuning; the same `id` again supersedes it."""
        answer = _answer_from_dict(request.answer)
        record = Feedback.on(answer, request.verdict, correction=request.correction, asset=request.asset,
                             history=[list(turn) for turn in request.history], feedback_id=request.id)
        return store.append(record).to_dict()

    return app


def serve(service: CopilotService, host: str = "127.0.0.1", port: int = 8000,
          feedback: FeedbackStore | None = None) -> None:
    """Run the API with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(service, feedback), host=host, port=port, log_level="info")
