"""A scripted OpenAI-compatible HTTP server on loopback, for tests and benchmarks.

trialsift talks to LLMs through the real `openai` client (and `instructor` on
top of it). To test retries, validation and fault handling deterministically,
and to benchmark throughput without a model, this module serves the same HTTP
API from a script: a list of steps consumed in order, or a callable that picks
a step per request. A seeded FaultPlan injects 429s, 500s, timeouts and bad
payloads at set rates. Standard library only, so it runs anywhere the tests do.

    with ScriptedLLM(responder=[{"phase": "PHASE2"}, HttpError(429)]) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        ...
    server.requests, server.stats
"""

from __future__ import annotations

import collections
import email.parser
import email.policy
import itertools
import json
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional, Union

# --- Script steps: what one chat completion request gets back -----------------


@dataclass(frozen=True)
class HttpError:
    """Answer with this HTTP status; a str body goes into OpenAI's error envelope."""

    status: int
    body: Union[str, dict] = "scripted error"
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Truncated:
    """Answer with this content and finish_reason "length", as when max_tokens runs out."""

    content: str


@dataclass(frozen=True)
class ToolCall:
    """Answer with one assistant tool call (what instructor's TOOLS mode reads)."""

    name: str
    arguments_json: str


@dataclass(frozen=True)
class Delay:
    """Wait, then answer. In a list, `Delay(s)` delays the next step; a callable
    returns `Delay(s, then=step)` (sleeping inside it would stall the server lock)."""

    seconds: float
    then: Optional["Step"] = None


@dataclass(frozen=True)
class Drip:
    """Answer with `then`, its body sent one byte every `interval_s` (a server that never
    stalls long enough for a read timeout, yet never finishes in time)."""

    interval_s: float
    then: "Step"


@dataclass(frozen=True)
class WithLogprobs:
    """Answer with these tokens (text, log probability), joined as the content, and their
    probabilities in the choice's `logprobs`, as a server asked for them reports them."""

    tokens: tuple[tuple[str, float], ...]


# A step is a dict (sent as JSON content), a str (sent as raw content), or one of the above.
Step = Union[dict, str, HttpError, Truncated, ToolCall, Delay, Drip, WithLogprobs]
Responder = Union[list, tuple, Callable[[dict], Step]]

SCRIPT_EXHAUSTED = HttpError(500, "script exhausted")
FAULT_KINDS = ("http_429", "http_500", "timeout", "malformed", "truncated", "schema_invalid")


@dataclass(frozen=True)
class FaultPlan:
    """Rates of injected faults, drawn with a seeded RNG before the responder is asked.

    A faulted request consumes no script step: the script stays the happy path
    and the faults land on top of it, the same ones for the same seed and
    request order. A timeout fault waits `timeout_s` and hangs up without a
    reply; give the client a shorter timeout than that.
    """

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_timeout: float = 0.0
    rate_malformed: float = 0.0
    rate_truncated: float = 0.0
    rate_schema_invalid: float = 0.0
    timeout_s: float = 5.0
    retry_after_s: float = 0.0  # the Retry-After of injected 429s; 0 keeps retrying clients fast

    def __post_init__(self) -> None:
        if min(self.rates()) < 0.0 or sum(self.rates()) > 1.0:
            raise ValueError("fault rates must be >= 0 and sum to at most 1")

    def rates(self) -> tuple[float, ...]:
        return (self.rate_429, self.rate_500, self.rate_timeout,
                self.rate_malformed, self.rate_truncated, self.rate_schema_invalid)

    def draw(self, rng: random.Random) -> Optional[str]:
        """One uniform draw per request: a kind from FAULT_KINDS, or None for no fault."""
        draw, threshold = rng.random(), 0.0
        for kind, rate in zip(FAULT_KINDS, self.rates()):
            threshold += rate
            if draw < threshold:
                return kind
        return None

    def step_for(self, kind: str) -> Step:
        """The step that plays out an answered fault (every kind but "timeout")."""
        return {"http_429": HttpError(429, "injected rate limit", {"Retry-After": str(self.retry_after_s)}),
                "http_500": HttpError(500, "injected server error"),
                "malformed": '{"injected": "malformed JSON',
                "truncated": Truncated('{"injected": "trunc'),
                "schema_invalid": {"unexpected": True}}[kind]


class Script:
    """Turns the responder into one step per request. It takes no lock of its
    own: the server calls it under the lock that also orders the fault draws,
    so callables need not be thread-safe."""

    def __init__(self, responder: Responder) -> None:
        scripted = isinstance(responder, (list, tuple))
        self._steps = collections.deque(responder) if scripted else None
        self._callable = None if scripted else responder

    def next(self, request_json: dict) -> tuple[float, Step]:
        """(seconds to wait first, the step to answer with)."""
        step = self._callable(request_json) if self._callable else self._pop()
        wait_s = 0.0
        while isinstance(step, Delay):
            wait_s += step.seconds
            step = step.then if step.then is not None else self._pop()
        return wait_s, step

    def _pop(self) -> Step:
        return self._steps.popleft() if self._steps else SCRIPT_EXHAUSTED


# --- Rendering steps as OpenAI payloads ---------------------------------------


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)  # the usual ~4 characters per token


def render(step: Step, request_json: dict, completion_id: str, model: str) -> tuple[int, dict, dict, str]:
    """(status, JSON payload, headers, outcome) of one step answering one request."""
    if isinstance(step, Drip):
        return render(step.then, request_json, completion_id, model)
    if isinstance(step, HttpError):
        body = step.body if isinstance(step.body, dict) else _error_body(step.body, step.status)
        return step.status, body, dict(step.headers), f"http_{step.status}"
    message: dict[str, Any] = {"role": "assistant", "content": None}
    logprobs = None
    if isinstance(step, WithLogprobs):
        logprobs = {"content": [{"token": text, "logprob": logprob, "bytes": list(text.encode()), "top_logprobs": []}
                                for text, logprob in step.tokens]}
        step = "".join(text for text, _ in step.tokens)
    if isinstance(step, ToolCall):
        message["tool_calls"] = [{"id": f"call_{completion_id}", "type": "function",
                                  "function": {"name": step.name, "arguments": step.arguments_json}}]
        finish_reason, generated, outcome = "tool_calls", step.arguments_json, "ok"
    elif isinstance(step, Truncated):
        message["content"] = generated = step.content
        finish_reason, outcome = "length", "truncated"
    elif isinstance(step, (dict, str)):
        message["content"] = generated = step if isinstance(step, str) else json.dumps(step)
        finish_reason, outcome = "stop", "ok"
    else:
        return render(HttpError(500, f"not a script step: {step!r}"), request_json, completion_id, model)
    contents = [message.get("content") for message in request_json.get("messages") or []]
    prompt = "".join(text if isinstance(text, str) else json.dumps(text) for text in contents)
    usage = {"prompt_tokens": _tokens(prompt), "completion_tokens": _tokens(generated)}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return 200, {
        "id": completion_id, "object": "chat.completion", "created": int(time.time()),
        "model": request_json.get("model") or model, "usage": usage,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": logprobs}],
    }, {}, outcome


def as_sse(completion: dict, include_usage: bool) -> bytes:
    """The same completion as a stream: one delta with the whole message, a finish chunk, [DONE]."""
    choice = completion["choices"][0]
    delta = dict(choice["message"])
    if "tool_calls" in delta:  # streamed tool calls carry their position
        delta["tool_calls"] = [call | {"index": i} for i, call in enumerate(delta["tool_calls"])]
    head = {"id": completion["id"], "object": "chat.completion.chunk",
            "created": completion["created"], "model": completion["model"]}
    chunks = [head | {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
              head | {"choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]}]
    if include_usage:
        chunks.append(head | {"choices": [], "usage": completion["usage"]})
    return "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks).encode() + b"data: [DONE]\n\n"


# --- Files and Batches: enough of the API for a batch-mode client -------------


class BatchStore:
    """In-memory files and batches. A batch moves one state per poll (validating
    -> in_progress -> completed) so clients exercise their polling loop;
    completing answers every input line through `answer_line`."""

    def __init__(self, answer_line: Callable[[dict], tuple[int, dict]]) -> None:
        self._answer_line = answer_line
        self._lock = threading.RLock()  # handlers run on many threads
        self._ids = itertools.count(1)
        self._files: dict[str, dict] = {}
        self._contents: dict[str, bytes] = {}
        self._batches: dict[str, dict] = {}

    def add_file(self, filename: str, purpose: str, content: bytes) -> dict:
        with self._lock:
            file_id = f"file-{next(self._ids):06d}"
            self._contents[file_id] = content
            self._files[file_id] = {"id": file_id, "object": "file", "bytes": len(content),
                                    "created_at": int(time.time()), "filename": filename,
                                    "purpose": purpose, "status": "processed"}
            return dict(self._files[file_id])

    def file(self, file_id: str) -> Optional[dict]:
        with self._lock:
            return self._files.get(file_id)

    def content(self, file_id: str) -> Optional[bytes]:
        with self._lock:
            return self._contents.get(file_id)

    def create_batch(self, request_json: dict) -> Optional[dict]:
        with self._lock:
            if request_json.get("input_file_id") not in self._files:
                return None
            batch_id = f"batch_{next(self._ids):06d}"
            self._batches[batch_id] = {
                "id": batch_id, "object": "batch", "endpoint": request_json.get("endpoint"),
                "input_file_id": request_json["input_file_id"],
                "completion_window": request_json.get("completion_window", "24h"),
                "status": "validating", "output_file_id": None, "error_file_id": None,
                "created_at": int(time.time()), "metadata": request_json.get("metadata"),
                "request_counts": {"total": 0, "completed": 0, "failed": 0}}
            return dict(self._batches[batch_id])

    def poll(self, batch_id: str) -> Optional[dict]:
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is None:
                return None
            if batch["status"] == "validating":
                batch.update(status="in_progress", in_progress_at=int(time.time()))
            elif batch["status"] == "in_progress":
                self._complete(batch)
            elif batch["status"] == "cancelling":
                batch.update(status="cancelled", cancelled_at=int(time.time()))
            return dict(batch)

    def cancel(self, batch_id: str) -> Optional[dict]:
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is not None and batch["status"] in ("validating", "in_progress"):
                batch.update(status="cancelling", cancelling_at=int(time.time()))
            return None if batch is None else dict(batch)

    def _complete(self, batch: dict) -> None:
        output_lines, failed = [], 0
        for number, line in enumerate(self._contents[batch["input_file_id"]].decode().split("\n")):
            if not line.strip():
                continue
            item = json.loads(line)
            status, body = self._answer_line(item["body"])
            failed += status != 200
            output_lines.append(json.dumps({
                "id": f"batch_req_{number:06d}", "custom_id": item["custom_id"], "error": None,
                "response": {"status_code": status, "request_id": f"req_{number:06d}", "body": body}}) + "\n")
        output = self.add_file(f"{batch['id']}_output.jsonl", "batch_output", "".join(output_lines).encode())
        batch.update(status="completed", completed_at=int(time.time()), output_file_id=output["id"],
                     request_counts={"total": len(output_lines), "completed": len(output_lines) - failed,
                                     "failed": failed})


# --- The server ---------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it: lower-cased header names, and the
    parsed JSON body (None for GETs and file uploads)."""

    method: str
    path: str
    headers: dict
    body: Any

    @property
    def messages(self) -> list:
        return self.body.get("messages", []) if isinstance(self.body, dict) else []


@dataclass(frozen=True)
class Decision:
    """The fate of one chat request: wait `wait_s`, then answer `step` (None: hang up)."""

    wait_s: float
    step: Optional[Step]
    completion_id: str
    fault: Optional[str]


class ScriptedLLM:
    """The scripted server: `with ScriptedLLM(...) as server:` serves on server.base_url.

    One lock orders everything a request decides (record it, draw its fault,
    take its script step), so a sequential run is reproducible; the waiting
    (latency, delays, timeouts) happens outside it, so concurrent requests overlap.
    """

    def __init__(self, responder: Optional[Responder] = None, faults: FaultPlan = FaultPlan(),
                 latency_s: float = 0.0, max_in_flight: Optional[int] = None, seed: int = 0,
                 model: str = "scripted-model", keep_requests: bool = True) -> None:
        self.model, self.faults, self.latency_s = model, faults, latency_s
        # A benchmark's hundreds of thousands of requests would fill the heap that the
        # server's garbage collector walks, with every handler stalled: it can keep none.
        self.keep_requests = keep_requests
        self._script = Script([] if responder is None else responder)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._in_flight = threading.BoundedSemaphore(max_in_flight) if max_in_flight else None
        self._stopping = threading.Event()  # wakes waiting handlers at shutdown
        self._requests: list[RecordedRequest] = []
        self._stats: collections.Counter = collections.Counter()
        self._completion_ids = itertools.count(1)
        self.batch_store = BatchStore(self._answer_batch_line)
        self._http: Optional[_Server] = None

    def __enter__(self) -> "ScriptedLLM":
        self._stopping.clear()
        self._http = _Server(("127.0.0.1", 0), _Handler)
        self._http.app = self
        threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05},  # quick shutdown
                         name="scripted-llm", daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self._http.shutdown()
        self._http.close_all()

    @property
    def base_url(self) -> str:
        if self._http is None:
            raise RuntimeError("the server is not running: use `with ScriptedLLM(...) as server:`")
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request, in the order the server decided on them (none if not keep_requests)."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [request for request in self.requests if request.path == "/v1/chat/completions"]

    @property
    def stats(self) -> dict[str, int]:
        """Outcomes served: ok, http_<status>, timeout, malformed, truncated, schema_invalid
        (plus script_exhausted and responder_error, each counted on top of its http_500)."""
        with self._lock:
            return dict(self._stats)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._keep(request)

    def _keep(self, request: RecordedRequest) -> None:
        if self.keep_requests:
            self._requests.append(request)

    def decide(self, request: RecordedRequest) -> Decision:
        """Record a chat request and choose its fate: a fault first, else the script's next step."""
        with self._lock:
            self._keep(request)
            completion_id = f"chatcmpl-{next(self._completion_ids):06d}"
            fault = self.faults.draw(self._rng)
            if fault == "timeout":  # counted now: by the time it hangs up, the test may be reading stats
                self._stats["timeout"] += 1
                return Decision(self.latency_s + self.faults.timeout_s, None, completion_id, fault)
            if fault is not None:
                return Decision(self.latency_s, self.faults.step_for(fault), completion_id, fault)
            try:
                wait_s, step = self._script.next(request.body)
            except Exception as error:  # a broken responder should fail the test, not hang the client
                wait_s, step = 0.0, HttpError(500, f"responder raised {type(error).__name__}: {error}")
                self._stats["responder_error"] += 1
            if step is SCRIPT_EXHAUSTED:
                self._stats["script_exhausted"] += 1
            return Decision(self.latency_s + wait_s, step, completion_id, None)

    def serve(self, decision: Decision, request_json: dict) -> Optional[tuple[int, dict, dict, float]]:
        """Wait as decided, holding an in-flight slot; then (status, payload, headers, seconds between
        the body's bytes), or None to hang up."""
        if self._in_flight:
            self._in_flight.acquire()  # excess requests queue here, as at a saturated server
        try:
            self._stopping.wait(decision.wait_s)
            if decision.step is None:
                return None
            status, payload, headers, outcome = render(decision.step, request_json, decision.completion_id, self.model)
            self._count(decision.fault or outcome)
            return status, payload, headers, decision.step.interval_s if isinstance(decision.step, Drip) else 0.0
        finally:
            if self._in_flight:
                self._in_flight.release()

    def _count(self, outcome: str) -> None:
        with self._lock:
            self._stats[outcome] += 1

    def _answer_batch_line(self, request_json: dict) -> tuple[int, dict]:
        """Batch lines go through the responder only: no faults, no latency, not in `requests`."""
        with self._lock:
            completion_id = f"chatcmpl-{next(self._completion_ids):06d}"
            _, step = self._script.next(request_json)
        status, body, _, outcome = render(step, request_json, completion_id, self.model)
        self._count(outcome)
        return status, body


class _Server(ThreadingHTTPServer):
    """A thread per connection. It tracks open connections so that shutdown can
    end idle keep-alive ones instead of leaving their threads blocked on a read."""

    daemon_threads = True  # never wait for a sleeping handler at exit
    request_queue_size = 256  # listen backlog: a 64-way burst must not be refused
    app: ScriptedLLM

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def close_all(self) -> None:
        with self.connections_lock:
            for connection in self.connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # the client closed it first
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    """HTTP plumbing and routing; every decision is the ScriptedLLM's."""

    protocol_version = "HTTP/1.1"  # keep-alive as real servers do, so every reply has a Content-Length
    disable_nagle_algorithm = True  # headers and body go out in two writes; Nagle would hold the body ~40 ms
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read server.requests, not stderr

    def do_GET(self) -> None:
        app, store, path = self.server.app, self.server.app.batch_store, self.path.split("?")[0]
        app.record(RecordedRequest("GET", path, self._headers(), None))
        if path == "/health":
            return self._send_json(200, {"status": "ok"})
        if path == "/v1/models":
            return self._send_json(200, {"object": "list", "data": [
                {"id": app.model, "object": "model", "created": 0, "owned_by": "scripted"}]})
        if match := re.fullmatch(r"/v1/files/([^/]+)/content", path):
            content = store.content(match[1])
            return self._not_found() if content is None else self._send(200, content, "application/octet-stream")
        if match := re.fullmatch(r"/v1/files/([^/]+)", path):
            return self._send_json_or_404(store.file(match[1]))
        if match := re.fullmatch(r"/v1/batches/([^/]+)", path):
            return self._send_json_or_404(store.poll(match[1]))
        self._not_found()

    def do_POST(self) -> None:
        app, store, path = self.server.app, self.server.app.batch_store, self.path.split("?")[0]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if path == "/v1/files":
            app.record(RecordedRequest("POST", path, self._headers(), None))
            fields = _multipart_fields(self.headers.get("Content-Type", ""), raw)
            filename, content = fields.get("file", ("upload.jsonl", b""))
            purpose = fields.get("purpose", (None, b"batch"))[1].decode()
            return self._send_json(200, store.add_file(filename, purpose, content))
        try:
            request = RecordedRequest("POST", path, self._headers(), json.loads(raw or b"{}"))
        except json.JSONDecodeError:
            app.record(RecordedRequest("POST", path, self._headers(), None))
            return self._send_json(400, _error_body("request body is not JSON", 400))
        if path == "/v1/chat/completions":
            return self._chat_completion(app, request)
        app.record(request)
        if path == "/v1/batches":
            return self._send_json_or_404(store.create_batch(request.body))
        if match := re.fullmatch(r"/v1/batches/([^/]+)/cancel", path):
            return self._send_json_or_404(store.cancel(match[1]))
        self._not_found()

    def _chat_completion(self, app: ScriptedLLM, request: RecordedRequest) -> None:
        reply = app.serve(app.decide(request), request.body)
        if reply is None:  # timeout fault: the client gave up long ago; hang up without a word
            self.close_connection = True
            return
        status, payload, headers, drip_s = reply
        if status == 200 and request.body.get("stream"):
            include_usage = bool((request.body.get("stream_options") or {}).get("include_usage"))
            return self._send(200, as_sse(payload, include_usage), "text/event-stream")
        if drip_s:
            return self._send_dripping(json.dumps(payload).encode(), drip_s, app)
        self._send_json(status, payload, headers)

    def _send_dripping(self, body: bytes, interval_s: float, app: ScriptedLLM) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        try:
            for index in range(len(body)):
                if app._stopping.wait(interval_s):
                    break
                self.wfile.write(body[index:index + 1])
                self.wfile.flush()
        except OSError:  # the client gave up
            self.close_connection = True

    def _headers(self) -> dict:
        return {name.lower(): value for name, value in self.headers.items()}

    def _not_found(self) -> None:
        self._send_json(404, _error_body(f"no route or object for {self.command} {self.path}", 404))

    def _send_json_or_404(self, payload: Optional[dict]) -> None:
        return self._not_found() if payload is None else self._send_json(200, payload)

    def _send_json(self, status: int, payload: dict, headers: Optional[dict] = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _send(self, status: int, body: bytes, content_type: str, headers: Optional[dict] = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _error_body(message: str, status: int) -> dict:
    """OpenAI's error envelope; the openai client puts `message` into its exception."""
    return {"error": {"message": message, "type": "scripted_error", "code": status}}


def _multipart_fields(content_type: str, raw: bytes) -> dict[str, tuple[Optional[str], bytes]]:
    """name -> (filename, bytes) of a multipart/form-data body, parsed by the email package."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    return {part.get_param("name", header="content-disposition"): (part.get_filename(), part.get_payload(decode=True))
            for part in message.iter_parts()}
