"""The LLM provider: any OpenAI-compatible endpoint, through openai + instructor.

Two kinds of retry, kept apart on purpose:
- transport faults (429, 5xx, timeouts, connection errors) are retried by
  tenacity with exponential backoff and jitter, honouring Retry-After;
- invalid output (malformed JSON, schema errors) is retried by instructor,
  which feeds the validation error back to the model, bounded by a token
  budget so a retry loop cannot grow the context without limit.
The first attempt of every call is a plain openai request; instructor takes
over only after an invalid answer (its per-call cost is the pipeline's
largest CPU cost, and most answers are valid).

Structured output differs by server. OpenAI, vLLM and llama.cpp's own
llama-server take response_format {"type": "json_schema"}; the
llama-cpp-python server answers that with HTTP 500 but constrains output with
{"type": "json_object", "schema": ...}. The client starts from what the
endpoint is known to take and, for unknown servers, falls back once from
json_schema to json_object_schema when the server rejects the former.

Every HTTP attempt becomes a CallRecord (tokens, latency, outcome) for the
ledger; API keys never appear in them.

Limits: one call (its attempts, retries and re-asks together) ends at a deadline,
however slowly the server sends its answer; a call whose prompt alone is over
what is left of the document's token budget, or made after the run's token
budget is spent, is refused before it is sent.
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol, runtime_checkable

import instructor
import jiter
import openai

try:  # the HTTP library openai is built on (httpx2 from openai 3, httpx before)
    import httpx2 as http
except ImportError:  # pragma: no cover
    import httpx as http
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException, TokenBudgetExceeded
from instructor.processing import handle_reask_kwargs
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from .confidence import value_probabilities

STRUCTURED_OUTPUT_MODES = ("json_schema", "json_object_schema")
# The default deadline of one call: a remote endpoint answers in seconds, so a hung one should
# cost a few minutes at most; the embedded model on a few CPU cores may need several minutes.
REMOTE_CALL_TIMEOUT_S = 180.0
EMBEDDED_CALL_TIMEOUT_S = 900.0
_STREAMED_BODY = {"X-Stainless-Raw-Response": "stream"}  # openai hands back the reply unread

# Greedy decoding, stated in every request rather than left to a server's defaults (which
# differ: llama.cpp's repeat penalty is 1.0, llama-cpp-python's 1.1), so that two servers
# given the same request answer alike. Any OpenAI-compatible server takes these.
SAMPLING = {"temperature": 0, "top_p": 1.0, "seed": 0}
# What llama.cpp's server also reads (OpenAI's API refuses unknown keys, so only servers known
# to be llama.cpp get them): top-k 1 is greedy whatever the temperature; a mild repeat penalty
# keeps a small model from looping on a list until max_tokens; cache_prompt keeps the KV of
# the shared prefix (rules, key definitions, the excerpt) for the next request.
LLAMA_CPP_SAMPLING = {"top_k": 1, "min_p": 0.0, "repeat_penalty": 1.1, "repeat_last_n": 64,
                      "cache_prompt": True}
# The probability of each answer token (llama.cpp: the model's softmax before grammar and
# sampler), from which pipeline/confidence.py tells how sure the model was of each value.
TOKEN_LOGPROBS = {"logprobs": True, "top_logprobs": 1}


@dataclass(frozen=True)
class Endpoint:
    """Where to send requests. `label` says what it is, for summaries and the ledger."""

    base_url: Optional[str]
    api_key: str
    model: str
    structured_output: str = "json_schema"
    label: str = "openai-compatible"
    validation_retries: int = 2  # re-asks (with the validation error) after an invalid answer
    llama_cpp: bool = False  # a llama.cpp server: send its own sampling keys too

    @property
    def sampling(self) -> dict:
        """Every sampling setting a request carries to this endpoint."""
        return {**SAMPLING, **LLAMA_CPP_SAMPLING} if self.llama_cpp else dict(SAMPLING)

    def __repr__(self) -> str:  # never print the key
        return f"Endpoint({self.label}, {self.base_url}, model={self.model})"


@dataclass
class CallRecord:
    """One HTTP attempt, as stored in the llm_calls ledger."""

    model: str
    group: str
    chunk_sha256: str
    attempt: int
    outcome: str  # ok | validation_error | incomplete | http_<status> | timeout | connection_error | error
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0  # of prompt_tokens, those the server had in its prompt cache
    latency_ms: float = 0.0
    error: Optional[str] = None
    document_id: str = ""
    api: str = "chat"  # chat (a live request) | batch (a line of an OpenAI Batch API job, half price)
    # {field: {value: probability}} of the answer's values, where the server returned token
    # probabilities (confidence.value_probabilities); None where it did not
    value_probabilities: Optional[dict] = None


@runtime_checkable
class LanguageModel(Protocol):
    """What the pipeline needs from a model: its name, and one structured call with its usage.

    `extract` asks for one `response_model` (a pydantic model of a few TrialRecord keys) from chat
    `messages` and returns the validated object with one CallRecord per HTTP attempt (tokens,
    latency, outcome); when no valid answer comes it raises ExtractionFailed with the attempts and
    the last output, if any (its valid fields are kept). It may be called from several threads at
    once. `model` is recorded with every extraction and is part of the answer cache's key.
    LLMClient (any OpenAI-compatible endpoint) is one; trialsift.EmbeddedModel is another.
    """

    @property
    def model(self) -> str: ...

    def extract(self, response_model: type[BaseModel], messages: list[dict[str, str]], *, group: str = "",
                chunk_sha256: str = "", token_budget: Optional[int] = None) -> tuple[BaseModel, list[CallRecord]]: ...


def default_call_timeout_s(endpoint: Endpoint) -> float:
    return EMBEDDED_CALL_TIMEOUT_S if endpoint.label.startswith("embedded") else REMOTE_CALL_TIMEOUT_S


class CallDeadlineExceeded(openai.APITimeoutError):
    """A call ran past its deadline: never retried (the deadline covers the retries)."""

    def __init__(self, request, seconds: float):
        super().__init__(request=request)
        self.message = f"no complete answer within the call deadline of {seconds:g} s"
        self.args = (self.message,)


class ExtractionFailed(Exception):
    """A group could not be extracted after all retries; the reason is user-readable."""

    def __init__(self, reason: str, calls: list[CallRecord], last_output: Optional[dict] = None):
        super().__init__(reason)
        self.reason = reason
        self.calls = calls
        self.last_output = last_output  # the model's last answer, if it was a JSON object


def _in_chain(error: BaseException, wanted) -> Optional[BaseException]:
    """The first exception in error's cause chain for which wanted(exception) holds.
    instructor wraps the errors that matter here (openai's, the last completion)."""
    seen: Optional[BaseException] = error
    for _ in range(6):
        if seen is None or wanted(seen):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _api_error(error: BaseException) -> BaseException:
    """The openai error behind instructor's wrappers, if any (else the error itself)."""
    return _in_chain(error, lambda e: isinstance(e, openai.APIError)) or error


def _is_transient(error: BaseException) -> bool:
    error = _api_error(error)
    if isinstance(error, CallDeadlineExceeded):
        return False
    if isinstance(error, (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError)):
        return True
    return isinstance(error, openai.APIStatusError) and error.status_code >= 500


def _retry_after_seconds(error: BaseException) -> Optional[float]:
    response = getattr(_api_error(error), "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


@dataclass
class _Wait:
    """Exponential backoff with full jitter; a server's Retry-After wins when given."""

    base_s: float
    cap_s: float

    def __call__(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        hinted = _retry_after_seconds(error) if error else None
        if hinted is not None:
            return min(hinted, self.cap_s)
        return random.uniform(0, min(self.cap_s, self.base_s * 2 ** (state.attempt_number - 1)))


def _outcome_of(error: BaseException) -> str:
    error = _api_error(error)
    if isinstance(error, openai.APITimeoutError):
        return "timeout"
    if isinstance(error, openai.APIConnectionError):
        return "connection_error"
    if isinstance(error, openai.APIStatusError):
        return f"http_{error.status_code}"
    return "error"


class RateLimiter:
    """At most `per_minute` requests a minute, evenly spaced, shared by every worker thread
    (the endpoint's quota is per key, not per thread)."""

    def __init__(self, per_minute: float):
        if per_minute <= 0:
            raise ValueError("the request rate must be positive")
        self.interval_s = 60.0 / per_minute
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval_s
        if start > now:
            time.sleep(start - now)


class LLMClient:
    """Extracts one pydantic model from one chat prompt, with retries and a call ledger."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        transport_retries: int = 5,
        validation_retries: Optional[int] = None,
        max_output_tokens: int = 1200,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 30.0,
        requests_per_minute: Optional[float] = None,
        call_timeout_s: Optional[float] = None,
        run_token_budget: Optional[int] = None,
    ):
        self.endpoint = endpoint
        self.call_timeout_s = call_timeout_s or default_call_timeout_s(endpoint)
        self.run_token_budget = run_token_budget
        self._run_tokens = 0  # spent by every call of this client, all threads together
        self._run_tokens_lock = threading.Lock()
        self._rate = RateLimiter(requests_per_minute) if requests_per_minute else None
        self.structured_output = endpoint.structured_output
        self.transport_retries = transport_retries
        self.validation_retries = endpoint.validation_retries if validation_retries is None else validation_retries
        self.max_output_tokens = max_output_tokens
        self._wait = _Wait(backoff_base_s, backoff_cap_s)
        raw = openai.OpenAI(
            base_url=endpoint.base_url,
            api_key=endpoint.api_key,
            # A request may wait as long as its call has left: a separate, shorter read timeout
            # would cut a slow CPU's long answer and ask it again from the start.
            timeout=self.call_timeout_s,
            max_retries=0,  # tenacity owns transport retries
            http_client=openai.DefaultHttpxClient(transport=_DeadlineTransport(self._seconds_left)),
        )
        self._raw = raw
        self._client = instructor.from_openai(raw, mode=instructor.Mode.JSON_SCHEMA)
        self._local = threading.local()  # the CallRecord list of the call in progress, per thread
        self._client.on("completion:kwargs", self._on_request)
        self._client.on("completion:response", self._on_response)
        self._client.on("completion:error", self._on_error)
        self._client.on("parse:error", self._on_parse_error)

    @property
    def model(self) -> str:
        """The model's name, recorded with every extraction and part of the cache key."""
        return self.endpoint.model

    @property
    def label(self) -> str:
        """What the endpoint is, for summaries and the ledger."""
        return self.endpoint.label

    def without_key(self, text: str) -> str:
        """Keys never reach the ledger, the logs or exports, even when a server echoes them."""
        key = self.endpoint.api_key
        return redact(text.replace(key, "***") if key and len(key) >= 6 else text)

    # -- ledger hooks (run in the calling thread) ------------------------------------------
    def _current(self) -> Optional[list[CallRecord]]:
        return getattr(self._local, "calls", None)

    def _on_request(self, *args, **kwargs) -> None:
        if self._rate:
            self._rate.wait()  # every HTTP attempt, retries and re-asks included
        calls = self._current()
        if calls is None:
            return
        self._local.started = time.perf_counter()
        calls.append(
            CallRecord(
                model=self.endpoint.model,
                group=self._local.group,
                chunk_sha256=self._local.chunk,
                attempt=len(calls) + 1,
                outcome="pending",
            )
        )

    def _on_response(self, response: Any, *args, **kwargs) -> None:
        # Every live answer (first attempts and instructor's re-asks) passes here before it is
        # parsed, cached, or kept as a failure's last output: a server that echoes the request's
        # Authorization header loses the key here, before anything can store it.
        for choice in getattr(response, "choices", None) or []:
            message = getattr(choice, "message", None)
            if message is not None and isinstance(message.content, str):
                message.content = self.without_key(message.content)
        calls = self._current()
        if not calls:
            return
        record = calls[-1]
        record.latency_ms = (time.perf_counter() - self._local.started) * 1000
        usage = getattr(response, "usage", None)
        record.prompt_tokens = getattr(usage, "prompt_tokens", 0) or 0
        record.completion_tokens = getattr(usage, "completion_tokens", 0) or 0
        details = getattr(usage, "prompt_tokens_details", None)
        record.cached_prompt_tokens = getattr(details, "cached_tokens", 0) or 0
        with self._run_tokens_lock:
            self._run_tokens += record.prompt_tokens + record.completion_tokens
        finish = response.choices[0].finish_reason if getattr(response, "choices", None) else None
        record.outcome = "incomplete" if finish == "length" else "ok"
        record.value_probabilities = _value_probabilities(response)

    def _on_error(self, error: BaseException, *args, **kwargs) -> None:
        calls = self._current()
        if calls and calls[-1].outcome == "pending":
            calls[-1].latency_ms = (time.perf_counter() - self._local.started) * 1000
            calls[-1].outcome = _outcome_of(error)
            calls[-1].error = self.without_key(str(error))[:500]

    def _on_parse_error(self, error: BaseException, *args, **kwargs) -> None:
        calls = self._current()
        if calls:
            calls[-1].outcome = "validation_error"
            calls[-1].error = self.without_key(str(error))[:500]

    # -- the one public operation ---------------------------------------------------------------
    def extract(
        self,
        response_model: type[BaseModel],
        messages: list[dict[str, str]],
        *,
        group: str = "",
        chunk_sha256: str = "",
        token_budget: Optional[int] = None,
    ) -> tuple[BaseModel, list[CallRecord]]:
        """Return the validated object and every HTTP attempt it took.

        Raises ExtractionFailed (with the attempts) when retries are exhausted.
        """
        refusal = self._over_budget(messages, token_budget)
        if refusal:
            raise ExtractionFailed(refusal, [])
        self._local.calls = calls = []
        self._local.group, self._local.chunk = group, chunk_sha256
        self._local.deadline = time.monotonic() + self.call_timeout_s
        try:
            return self._extract_with_fallback(response_model, messages, token_budget), calls
        except Exception as error:  # every failure becomes a recorded, readable reason
            if isinstance(_api_error(error), openai.APITimeoutError) and (self._seconds_left() or 1.0) <= 0:
                error = CallDeadlineExceeded(getattr(_api_error(error), "request", None), self.call_timeout_s)
            raise ExtractionFailed(self.without_key(_reason(error)), list(calls), _last_json(error)) from error
        finally:
            self._local.calls = self._local.deadline = None

    def _over_budget(self, messages: list[dict[str, str]], token_budget: Optional[int]) -> Optional[str]:
        """Why a call must not be sent, if it must not: its prompt alone (about 4 characters a
        token) is over what is left of the document's budget, or the run's budget is spent."""
        if self.run_token_budget is not None and self._run_tokens >= self.run_token_budget:
            return f"the run's token budget of {self.run_token_budget} tokens is spent (--run-token-budget)"
        prompt_tokens = sum(len(str(m.get("content") or "")) for m in messages) // 4
        if token_budget is not None and prompt_tokens > token_budget:
            return (f"the document's token budget is spent: {token_budget} tokens left, the next call's prompt "
                    f"needs about {prompt_tokens} (--token-budget)")
        return None

    def _seconds_left(self) -> Optional[float]:
        """Seconds left before the current call's deadline, <= 0 once passed; None outside a call."""
        deadline = getattr(self._local, "deadline", None)
        return None if deadline is None else deadline - time.monotonic()

    def _time_left(self) -> Optional[float]:
        """Seconds left before the current call's deadline (None outside a call); raises
        CallDeadlineExceeded once it has passed."""
        left = self._seconds_left()
        if left is not None and left <= 0:
            raise CallDeadlineExceeded(http.Request("POST", str(self._raw.base_url)), self.call_timeout_s)
        return left

    def _request_timeout_s(self) -> float:
        """How long one request may wait: what its call has left, the whole deadline outside a call."""
        left = self._time_left()
        return self.call_timeout_s if left is None else left

    def _extract_with_fallback(self, response_model, messages, token_budget):
        """One more try for an answer cut off at max tokens, with twice the room (a long answer
        then fits, and a transient cut-off passes); one switch to json_object_schema for a
        server that rejects json_schema."""
        max_tokens = self.max_output_tokens
        while True:
            try:
                return self._extract_once(response_model, messages, token_budget, max_tokens)
            except Exception as wrapped:
                if max_tokens == self.max_output_tokens and _in_chain(wrapped, _is_cut_off):
                    max_tokens *= 2
                    continue
                error = _api_error(wrapped)
                rejected = isinstance(error, (openai.BadRequestError, openai.InternalServerError,
                                              openai.UnprocessableEntityError)) and _rejects_json_schema(error)
                if self.structured_output != "json_schema" or not rejected:
                    raise
                self.structured_output = "json_object_schema"  # remembered for later calls

    def transport_retrying(self) -> Retrying:
        """The retry policy for transport faults, shared with the Batch API's file and batch calls."""
        def wait(state: RetryCallState) -> float:  # never past the call's deadline
            deadline = getattr(self._local, "deadline", None)
            hinted = self._wait(state)
            return hinted if deadline is None else max(0.0, min(hinted, deadline - time.monotonic()))

        def deadline_passed(state: RetryCallState) -> bool:
            deadline = getattr(self._local, "deadline", None)
            return deadline is not None and time.monotonic() >= deadline

        return Retrying(
            retry=retry_if_exception(_is_transient),
            stop=stop_after_attempt(self.transport_retries + 1) | deadline_passed,
            wait=wait,
            reraise=True,
        )

    # -- one request: its body (also a Batch API line), its answer, the live call --------------
    def request_body(self, response_model: type[BaseModel], messages: list[dict[str, str]],
                     max_tokens: Optional[int] = None) -> dict:
        """The chat-completion body of a first attempt: what a live call sends, and a batch line."""
        body = {"model": self.endpoint.model, "messages": messages,
                "max_tokens": max_tokens or self.max_output_tokens, **self.endpoint.sampling}
        if self.endpoint.llama_cpp:
            body.update(TOKEN_LOGPROBS)
        if self.structured_output == "json_object_schema":
            body["response_format"] = {"type": "json_object", "schema": _grammar_schema(response_model)}
        else:
            schema = _grammar_schema(response_model) if self.endpoint.llama_cpp else _response_schema(response_model)
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": response_model.__name__[:64], "schema": schema}}
        return body

    @staticmethod
    def parse_answer(response_model: type[BaseModel], content: str) -> BaseModel:
        """Validate a model's answer text (code fences and unpaired surrogate escapes allowed);
        raises pydantic's ValidationError."""
        return response_model.model_validate_json(_answer_json(content))

    def _extract_once(self, response_model, messages, token_budget, max_tokens):
        """A plain openai call first; instructor only when the answer is invalid.

        Most answers are valid, and instructor's per-call plumbing (its hooks, retry loop and
        checks of the response model) costs about 10 ms of CPU a call, more than the rest of
        the pipeline: at 64 requests in flight that, not the LLM, would bound throughput. An
        invalid answer goes to instructor's re-ask loop as the conversation so far, so the
        first call is never repeated."""
        body = self.request_body(response_model, messages, max_tokens)
        response = self._first_attempt(body)
        choice = response.choices[0]
        if choice.finish_reason == "length":
            raise IncompleteOutputException(last_completion=response)
        try:
            return self.parse_answer(response_model, choice.message.content or "")
        except ValidationError as invalid:
            self._on_parse_error(invalid)
            used = _total_tokens(response)
            if self.validation_retries <= 0:
                raise InstructorRetryException(str(invalid), last_completion=response, n_attempts=1,
                                               total_usage=response.usage) from invalid
            if token_budget is not None and used >= token_budget:
                raise TokenBudgetExceeded(str(invalid), budget=token_budget, last_completion=response,
                                          n_attempts=1, total_usage=response.usage) from invalid
            conversation = {key: value for key, value in body.items() if key != "response_format"}
            reask = handle_reask_kwargs(conversation, instructor.Mode.JSON_SCHEMA, response, invalid)
            remaining = None if token_budget is None else token_budget - used
            # instructor writes a json_schema response_format itself; llama-cpp-python's form it does not know
            extra_body = {key: value for key, value in self.endpoint.sampling.items() if key != "temperature"}
            if self.structured_output == "json_object_schema":
                extra_body["response_format"] = body["response_format"]
            return self._reask(response_model, reask["messages"], remaining, max_tokens, extra_body)

    def _first_attempt(self, body: dict):
        """One chat completion through openai alone, with transport retries, into the ledger.
        The body goes as JSON bytes and the reply comes back as bytes (openai's documented
        route for raw requests): the typed create() would walk every message and the whole
        schema to transform it, and openai's lenient reading of the reply walks it field by
        field in Python; pydantic-core reads it in one pass. Together that was a quarter of
        the client's CPU per call, which bounds throughput at 64 requests in flight (bench/)."""
        content = json.dumps(body).encode()
        for attempt in self.transport_retrying():
            with attempt:
                self._on_request()
                try:
                    response = _chat_completion(self._post_before_deadline(content))
                except Exception as error:
                    self._on_error(error)
                    raise
                self._on_response(response)
                return response

    def _post_before_deadline(self, content: bytes) -> bytes:
        """The reply's bytes, its request sent with no more read timeout than the call has left."""
        try:
            response = self._raw.post("/chat/completions", content=content, cast_to=http.Response,
                                      options={"headers": _STREAMED_BODY, "timeout": self._request_timeout_s()})
        except openai.APITimeoutError:
            self._time_left()  # the deadline, not just one read, is what ran out: say so
            raise
        try:
            return b"".join(response.iter_bytes())  # read under the call's deadline (_DeadlineTransport)
        except http.TimeoutException as error:  # a read timed out, or the deadline passed, after openai handed the reply over
            self._time_left()  # the deadline, not just one read, is what ran out: say so
            raise openai.APITimeoutError(request=response.request) from error
        finally:
            response.close()

    def _reask(self, response_model, messages, token_budget, max_tokens, extra_body):
        """instructor's re-ask loop, from a conversation that already holds an invalid answer."""
        for attempt in self.transport_retrying():
            with attempt:
                return self._client.chat.completions.create(
                    model=self.endpoint.model,
                    messages=messages,
                    response_model=_instructor_model(response_model),
                    max_retries=self.validation_retries - 1,
                    token_budget=token_budget,
                    max_tokens=max_tokens,
                    temperature=0,
                    extra_body=extra_body,
                    timeout=self._request_timeout_s(),
                )


class _DeadlineTransport(http.BaseTransport):
    """HTTP for the model's client: every reply's body is read under the current call's deadline,
    whichever path sent the request (the first attempt, or instructor's re-asks). A server that
    drips its answer a byte at a time never trips a read timeout, which restarts with each byte."""

    def __init__(self, seconds_left: Callable[[], Optional[float]]):
        self._inner = http.HTTPTransport()
        self._seconds_left = seconds_left

    def handle_request(self, request):
        response = self._inner.handle_request(request)
        return http.Response(response.status_code, headers=response.headers, extensions=response.extensions,
                             stream=_DeadlineStream(response.stream, self._seconds_left, request))

    def close(self) -> None:
        self._inner.close()


class _DeadlineStream(http.SyncByteStream):
    def __init__(self, inner, seconds_left: Callable[[], Optional[float]], request) -> None:
        self._inner, self._seconds_left, self._request = inner, seconds_left, request

    def __iter__(self):
        for chunk in self._inner:
            left = self._seconds_left()
            if left is not None and left <= 0:
                raise http.ReadTimeout("the call's deadline passed while the reply was being read",
                                       request=self._request)
            yield chunk

    def close(self) -> None:
        self._inner.close()


def _chat_completion(reply: bytes) -> ChatCompletion:
    """The reply as openai's ChatCompletion: validated in one pass, or, for a server whose
    reply strays from the spec (a missing id, a float timestamp), read as leniently as
    openai itself reads it."""
    try:
        return ChatCompletion.model_validate_json(reply)
    except ValidationError:
        return ChatCompletion.construct(**json.loads(reply))


def _value_probabilities(response) -> Optional[dict]:
    """How sure the model was of each value of its answer, where the reply carries token
    probabilities and its text reads as JSON."""
    choices = getattr(response, "choices", None) or []
    logprobs = getattr(choices[0], "logprobs", None) if choices else None
    tokens = getattr(logprobs, "content", None) if logprobs is not None else None
    if not tokens or not isinstance(choices[0].message.content, str):
        return None
    try:
        answer = json.loads(_answer_json(choices[0].message.content))
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    return value_probabilities(((t.token, t.logprob) for t in tokens), answer)


def _total_tokens(response) -> int:
    usage = getattr(response, "usage", None)
    return (getattr(usage, "prompt_tokens", 0) or 0) + (getattr(usage, "completion_tokens", 0) or 0)


def _last_json(error: BaseException) -> Optional[dict]:
    """The last answer behind a failure, parsed leniently: code fences are allowed, and an
    answer cut off at max tokens keeps its complete values (jiter's partial mode drops the
    unfinished one)."""
    with_completion = _in_chain(error, lambda e: getattr(e, "last_completion", None) is not None)
    try:
        text = with_completion.last_completion.choices[0].message.content or ""
    except (AttributeError, IndexError):
        return None
    try:
        value = jiter.from_json(_answer_json(text).encode(), partial_mode=True)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _answer_json(text: str) -> str:
    """A model's answer as strict JSON: without code fences, and with each unpaired UTF-16
    surrogate escape ('\\uD83C' alone) as U+FFFD. JSON's grammar allows such escapes, so a
    grammar-constrained model can write them (copying an unusual character), but they encode
    no character and strict parsers refuse the whole answer for one of them."""
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[-1].rsplit("```", 1)[0]
    return _ESCAPE.sub(_paired_or_replaced, text) if "\\u" in text.lower() else text


# Escapes scanned left to right, so an escaped backslash ('\\\\') is consumed before what follows it.
_ESCAPE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"  # a surrogate pair
                     r"|\\u(?P<lone>[dD][89a-fA-F][0-9a-fA-F]{2})"  # a surrogate alone
                     r"|\\.", re.S)


def _paired_or_replaced(match: re.Match) -> str:
    return "\\ufffd" if match.group("lone") else match.group(0)


@functools.lru_cache(maxsize=256)
def _response_schema(response_model: type[BaseModel]) -> dict:
    """The model's JSON schema, built once and shared read-only by every request body."""
    return response_model.model_json_schema()


@functools.lru_cache(maxsize=256)
def _grammar_schema(response_model: type[BaseModel]) -> dict:
    return _every_key_required(response_model.model_json_schema())


def _every_key_required(schema: dict) -> dict:
    """Grammar-constrained small models take any optional key as licence to answer {}.
    Requiring every key (each still nullable) makes them consider every field."""
    def visit(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["required"] = list(node["properties"])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)
        return node

    return visit(json.loads(json.dumps(schema)))


@functools.lru_cache(maxsize=256)
def _instructor_model(response_model: type[BaseModel]) -> type[BaseModel]:
    """The model wrapped the way instructor wraps it on every call (a new pydantic class each
    time, the largest CPU cost of a call); wrapped once, instructor uses it as it is."""
    return instructor.openai_schema(response_model)


def _is_cut_off(error: BaseException) -> bool:
    return type(error).__name__ == "IncompleteOutputException"


def _rejects_json_schema(error: openai.APIStatusError) -> bool:
    text = str(error).lower()
    return any(word in text for word in ("json_schema", "response_format", "response format"))


def _reason(error: BaseException) -> str:
    """A short, user-readable reason for a failed extraction."""
    error = _api_error(error)
    name = type(error).__name__
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code} from the LLM endpoint after retries"
    if isinstance(error, CallDeadlineExceeded):
        return f"{error.message} (raise it with --call-timeout)"
    if isinstance(error, openai.APITimeoutError):
        return "the LLM endpoint timed out after retries"
    if isinstance(error, openai.APIConnectionError):
        return "could not connect to the LLM endpoint after retries"
    if "IncompleteOutput" in name:
        return "the model's output was cut off (max tokens reached)"
    if "TokenBudget" in name:
        return "the document's token budget was exhausted by validation retries"
    text = str(error).splitlines()[0] if str(error) else name
    if "RetryException" in name or "ValidationError" in name:
        return f"invalid model output after validation retries: {text[:300]}"
    return f"{name}: {text[:300]}"


# --- choosing an endpoint ---------------------------------------------------------------------


def configured_endpoint(model: Optional[str] = None) -> Optional[Endpoint]:
    """The endpoint the user configured with OPENAI_BASE_URL / OPENAI_API_KEY, if any."""
    base_url = os.environ.get("OPENAI_BASE_URL")
    api_key = os.environ.get("OPENAI_API_KEY")
    if not base_url and not api_key:
        return None
    return Endpoint(
        base_url=base_url,
        api_key=api_key or "not-needed",
        model=model or os.environ.get("TRIALSIFT_MODEL") or "gpt-4o-mini",
        structured_output=os.environ.get("TRIALSIFT_STRUCTURED_OUTPUT", "json_schema"),
        label="openai-compatible",
    )


def redact(text: str) -> str:
    """Remove the configured API key from any text that may be logged or stored."""
    key = os.environ.get("OPENAI_API_KEY")
    return text.replace(key, "***") if key and len(key) >= 6 else text


def to_json(obj: BaseModel) -> str:
    return json.dumps(obj.model_dump(mode="json"), sort_keys=True)
