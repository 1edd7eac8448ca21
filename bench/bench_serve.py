"""HTTP API latency with the default model on 2 cores: one user, then several users at once (they queue).

Run: .venv/bin/python bench/bench_serve.py [--index DIR] [-n 6] [--users 3] [--out bench/results/serve.json]
Starts `copilot serve`'s app in-process on 127.0.0.1 (uvicorn, a free port) and asks the first N answerable questions
of corpus/eval/qa.jsonl that go to the language model, one at a time; then `--users` clients ask at the same moment.
With one generation slot the concurrent answers are decoded one after another, so the last user waits for all of
them; the figure to read is that nobody fails and the server stays responsive (`/health` is timed while they wait).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", help="index directory (default $COPILOT_HOME/index)")
    parser.add_argument("-n", type=int, default=6, help="questions asked one at a time")
    parser.add_argument("--users", type=int, default=3, help="clients asking at the same moment")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "serve.json"))
    args = parser.parse_args()

    import httpx
    import uvicorn

    from copilot import Copilot, load_config
    from copilot.web.api import create_app
    from copilot.web.service import CopilotService

    started = time.perf_counter()
    service = CopilotService(Copilot.load(load_config(None, {"index_dir": args.index} if args.index else {})))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    load_s = time.perf_counter() - started

    records = [json.loads(line) for line in (ROOT / "corpus" / "eval" / "qa.jsonl").read_text().splitlines()]
    questions = [r["question"] for r in records if r["answerable"]]
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600)

    def ask(question: str) -> tuple[float, dict]:  # type: ignore[type-arg]
        begin = time.perf_counter()
        response = client.post("/ask", json={"question": question})
        response.raise_for_status()
        return time.perf_counter() - begin, response.json()

    ask(questions[0])  # warm-up: loads the model
    single: list[float] = []
    routes: dict[str, int] = {}
    for question in questions[1:]:
        if len(single) >= args.n:
            break
        seconds, body = ask(question)
        if body["route"] == "fault_code":
            continue
        single.append(seconds)
        routes[body["route"]] = routes.get(body["route"], 0) + 1

    together = questions[args.n + 1:args.n + 1 + args.users]
    health_ms: list[float] = []
    begin = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.users) as pool:
        futures = [pool.submit(ask, q) for q in together]
        time.sleep(0.5)
        while not all(f.done() for f in futures):  # the page/API stays responsive while answers queue
            tick = time.perf_counter()
            client.get("/health").raise_for_status()
            health_ms.append((time.perf_counter() - tick) * 1000)
            time.sleep(0.5)
        waits = sorted(f.result()[0] for f in futures)
    wall = time.perf_counter() - begin

    search_ms = []
    for question in questions[:20]:
        tick = time.perf_counter()
        client.post("/search", json={"query": question, "k": 5}).raise_for_status()
        search_ms.append((time.perf_counter() - tick) * 1000)
    server.should_exit = True

    result = {
        "machine": "2 cores, no GPU", "load_s": round(load_s, 1),
        "one_user": {"questions": len(single), "p50_s": round(statistics.median(single), 2),
                     "max_s": round(max(single), 2), "routes": routes},
        "concurrent": {"users": len(waits), "wall_s": round(wall, 1), "each_s": [round(w, 1) for w in waits],
                       "health_checks": len(health_ms),
                       "health_max_ms": round(max(health_ms), 1) if health_ms else None},
        "search_ms_p50": round(statistics.median(search_ms), 1),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
