"""The OpenAI-compatible backend against a real HTTP server on localhost (a scripted stand-in for vLLM/llama.cpp)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from copilot.config import GenerationConfig
from copilot.errors import GenerationError
from copilot.generation.backends import OpenAIGenerator

REPLY = "Tighten the gland nuts to 35 N·m [1]."


class Handler(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Handler.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for word in REPLY.split(" "):
                chunk = {"choices": [{"delta": {"content": word + " "}}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            return
        payload = json.dumps({"choices": [{"message": {"content": REPLY}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint():
    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


def test_generate_and_stream_speak_the_chat_completions_protocol(endpoint, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "secret")
    generator = OpenAIGenerator(GenerationConfig(backend="openai", endpoint=endpoint, model="served-model"))
    messages = [{"role": "user", "content": "torque?"}]
    assert generator.generate(messages, max_new_tokens=20) == REPLY
    assert "".join(generator.stream(messages, max_new_tokens=20)).strip() == REPLY
    sent = Handler.requests[-1]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer secret"
    assert sent["body"]["model"] == "served-model" and sent["body"]["temperature"] == 0.0


def test_an_unreachable_endpoint_says_so() -> None:
    generator = OpenAIGenerator(GenerationConfig(backend="openai", endpoint="http://127.0.0.1:9/v1"), timeout_s=2)
    with pytest.raises(GenerationError, match="is the server running"):
        generator.generate([{"role": "user", "content": "x"}], max_new_tokens=5)
