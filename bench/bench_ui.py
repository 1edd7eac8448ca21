"""What a technician sees in the browser, with the default model on 2 cores: page load, first words, checked answer.

Run: .venv/bin/python bench/bench_ui.py [--index DIR] [-n 5] [--out bench/results/ui.json] [--screenshot PNG]
Starts `copilot ui` in-process on 127.0.0.1 and drives Debian's headless Chromium (Playwright) through the first N
answerable questions of corpus/eval/qa.jsonl that go to the language model: time from tapping Ask until the model's
first words show (streaming), and until the checked answer with its sources replaces the draft.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", help="index directory (default $COPILOT_HOME/index)")
    parser.add_argument("-n", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "ui.json"))
    parser.add_argument("--screenshot", help="save the page after the last answer (PNG)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from copilot import Copilot, load_config
    from copilot.web.service import CopilotService
    from copilot.web.ui.app import launch_ui

    service = CopilotService(Copilot.load(load_config(None, {"index_dir": args.index} if args.index else {})))
    port = _free_port()
    demo = launch_ui(service, "127.0.0.1", port, block=False)
    url = f"http://127.0.0.1:{port}"
    records = [json.loads(line) for line in (ROOT / "corpus" / "eval" / "qa.jsonl").read_text().splitlines()]
    questions = [r["question"] for r in records if r["answerable"]]
    service.ask(questions[0])  # warm-up: loads the model, as a running server would have

    first_words: list[float] = []
    answered: list[float] = []
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(tempfile.mkdtemp(), executable_path="/usr/bin/chromium",
                                                            headless=True, args=FLAGS,
                                                            viewport={"width": 1024, "height": 1366})
        page = context.new_page()
        begin = time.perf_counter()
        page.goto(url)
        page.locator("#cp-ask").wait_for()
        page_load_s = time.perf_counter() - begin
        asked = 0
        for question in questions[1:]:
            if asked >= args.n:
                break
            if service.copilot.retriever.plan(question).codes:  # code-table answers skip the model
                continue
            page.locator("#cp-new").click()  # each question on its own, not as a follow-up of the previous one
            page.wait_for_function("() => !document.querySelector('#cp-chat .cp-answer')")
            answers_before = 0
            page.get_by_placeholder("Type your question…").fill(question)
            begin = time.perf_counter()
            page.locator("#cp-ask").click()
            page.wait_for_function("() => { const d = [...document.querySelectorAll('#cp-chat .cp-draft')].pop();"
                                   " return (d && d.querySelector('.cp-writing')) ||"
                                   f" document.querySelectorAll('#cp-chat .cp-answer').length > {answers_before}; }}",
                                   timeout=300_000)
            first_words.append(time.perf_counter() - begin)
            page.wait_for_function(f"() => document.querySelectorAll('#cp-chat .cp-answer').length > "
                                   f"{answers_before}", timeout=300_000)
            answered.append(time.perf_counter() - begin)
            asked += 1
        if args.screenshot:
            page.screenshot(path=args.screenshot)
        context.close()
    demo.close()

    result = {"machine": "2 cores, no GPU", "questions": len(answered), "page_load_s": round(page_load_s, 2),
              "first_words_p50_s": round(statistics.median(first_words), 2),
              "answer_p50_s": round(statistics.median(answered), 2), "answer_max_s": round(max(answered), 2)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
