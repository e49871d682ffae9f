"""The scripted server speaks enough OpenAI for the real openai and instructor clients.

Every test talks to it over real HTTP with `openai.OpenAI(..., max_retries=0)`,
so what passes here is what the pipeline's LLM code will see.
"""

from __future__ import annotations

import collections
import concurrent.futures
import json
import math
import time
import urllib.request

import instructor
import openai
import pydantic
import pytest

from tests.scripted_llm import Delay, FaultPlan, HttpError, ScriptedLLM, ToolCall, Truncated

MODEL = "scripted-model"


def client_for(server: ScriptedLLM, timeout: float = 10.0) -> openai.OpenAI:
    """The real client, without its own retries; the timeout turns a hung server into a failure."""
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0, timeout=timeout)


def ask(client: openai.OpenAI, prompt: str = "Which phase is this trial?", **options):
    return client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": prompt}], **options)


# --- Plain chat completions ---------------------------------------------------


def test_scripted_steps_come_back_in_order_and_requests_are_recorded():
    with ScriptedLLM(responder=[{"phase": "PHASE2"}, "not json {"]) as server:
        client = client_for(server)
        first = ask(client, "first prompt, forty characters long.....")
        second = ask(client, "second prompt")

    assert json.loads(first.choices[0].message.content) == {"phase": "PHASE2"}
    assert second.choices[0].message.content == "not json {"
    assert first.choices[0].finish_reason == "stop"
    assert first.id != second.id and first.model == MODEL and first.created > 0
    assert first.usage.prompt_tokens == 10  # 40 characters / 4
    assert first.usage.completion_tokens == len('{"phase": "PHASE2"}') // 4
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens
    assert [r.messages for r in server.chat_requests] == [
        [{"role": "user", "content": "first prompt, forty characters long....."}],
        [{"role": "user", "content": "second prompt"}]]
    assert server.chat_requests[0].headers["authorization"] == "Bearer test"
    assert server.stats == {"ok": 2}


def test_a_server_that_keeps_no_requests_still_answers_in_order_and_counts():
    with ScriptedLLM(responder=[{"phase": "PHASE2"}, {"phase": "PHASE3"}], keep_requests=False) as server:
        client = client_for(server)
        answers = [json.loads(ask(client).choices[0].message.content) for _ in range(2)]
        client.models.list()

    assert answers == [{"phase": "PHASE2"}, {"phase": "PHASE3"}]
    assert server.requests == [] and server.stats == {"ok": 2}


def test_health_and_models_endpoints():
    with ScriptedLLM(model="tiny-model") as server:
        models = client_for(server).models.list()
        with urllib.request.urlopen(server.base_url.removesuffix("/v1") + "/health") as response:
            health = json.load(response)
    assert [model.id for model in models.data] == ["tiny-model"]
    assert health == {"status": "ok"}


def test_http_500_is_an_internal_server_error_and_the_script_goes_on():
    with ScriptedLLM(responder=[HttpError(500, "boom"), {"ok": True}]) as server:
        client = client_for(server)
        with pytest.raises(openai.InternalServerError) as raised:
            ask(client)
        after = ask(client)
    assert raised.value.status_code == 500 and "boom" in str(raised.value)
    assert json.loads(after.choices[0].message.content) == {"ok": True}
    assert server.stats == {"http_500": 1, "ok": 1}


def test_http_429_is_a_rate_limit_error_with_retry_after_visible():
    with ScriptedLLM(responder=[HttpError(429, "slow down", {"Retry-After": "7"})]) as server:
        with pytest.raises(openai.RateLimitError) as raised:
            ask(client_for(server))
    assert raised.value.response.headers["retry-after"] == "7"
    assert server.stats == {"http_429": 1}


def test_truncated_step_has_finish_reason_length():
    with ScriptedLLM(responder=[Truncated('{"phase": "PHA')]) as server:
        reply = ask(client_for(server))
    assert reply.choices[0].finish_reason == "length"
    assert reply.choices[0].message.content == '{"phase": "PHA'
    assert server.stats == {"truncated": 1}


def test_tool_call_step_is_an_assistant_tool_call():
    with ScriptedLLM(responder=[ToolCall("Phase", '{"phase": "PHASE3"}')]) as server:
        reply = ask(client_for(server))
    call = reply.choices[0].message.tool_calls[0]
    assert reply.choices[0].finish_reason == "tool_calls"
    assert (call.function.name, json.loads(call.function.arguments)) == ("Phase", {"phase": "PHASE3"})


def test_delay_step_waits_then_answers_with_the_next_step():
    with ScriptedLLM(responder=[Delay(0.3), {"late": True}]) as server:
        started = time.monotonic()
        reply = ask(client_for(server))
        elapsed = time.monotonic() - started
    assert elapsed >= 0.3
    assert json.loads(reply.choices[0].message.content) == {"late": True}
    assert len(server.chat_requests) == 1


def test_callable_can_delay_one_answer_without_stalling_the_others():
    def slow_for_the_first(request_json: dict):
        prompt = request_json["messages"][-1]["content"]
        return Delay(1.0, then={"slow": True}) if prompt == "slow" else {"slow": False}

    with ScriptedLLM(responder=slow_for_the_first) as server:
        client = client_for(server)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            slow = pool.submit(ask, client, "slow")
            time.sleep(0.1)  # let the slow one be decided first
            started = time.monotonic()
            fast_reply = ask(client, "fast")
            fast_elapsed = time.monotonic() - started
            slow_reply = slow.result()
    assert fast_elapsed < 0.9  # not queued behind the sleeping request
    assert json.loads(fast_reply.choices[0].message.content) == {"slow": False}
    assert json.loads(slow_reply.choices[0].message.content) == {"slow": True}


def test_exhausted_script_answers_500_and_says_so():
    with ScriptedLLM(responder=[{"only": 1}]) as server:
        client = client_for(server)
        ask(client)
        with pytest.raises(openai.InternalServerError, match="script exhausted"):
            ask(client)
    assert len(server.chat_requests) == 2
    assert server.stats["script_exhausted"] == 1


def test_a_responder_that_raises_gives_a_500_naming_the_error():
    def broken(request_json: dict) -> dict:
        raise KeyError("field_group")

    with ScriptedLLM(responder=broken) as server:
        with pytest.raises(openai.InternalServerError, match="responder raised KeyError"):
            ask(client_for(server))
    assert server.stats == {"responder_error": 1, "http_500": 1}


def test_callable_responder_answers_from_the_request():
    def by_field_group(request_json: dict) -> dict:
        prompt = request_json["messages"][-1]["content"]
        return {"group": "eligibility"} if "eligibility" in prompt else {"group": "design"}

    with ScriptedLLM(responder=by_field_group) as server:
        client = client_for(server)
        answers = [json.loads(ask(client, prompt).choices[0].message.content)["group"]
                   for prompt in ("extract eligibility", "extract design", "eligibility again")]
    assert answers == ["eligibility", "design", "eligibility"]


def test_streaming_request_gets_one_delta_then_done():
    with ScriptedLLM(responder=[{"phase": "PHASE1"}]) as server:
        stream = ask(client_for(server), stream=True, stream_options={"include_usage": True})
        chunks = list(stream)
    content = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    finish_reasons = [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices]
    assert json.loads(content) == {"phase": "PHASE1"}
    assert finish_reasons[-1] == "stop"
    assert chunks[-1].usage.completion_tokens == len(content) // 4


# --- Faults ---------------------------------------------------------------------


FAULTS = FaultPlan(rate_429=0.10, rate_500=0.10, rate_timeout=0.02, rate_malformed=0.05,
                   rate_truncated=0.05, rate_schema_invalid=0.05, timeout_s=1.5)
EXPECTED_RATES = {"http_429": 0.10, "http_500": 0.10, "timeout": 0.02, "malformed": 0.05,
                  "truncated": 0.05, "schema_invalid": 0.05}


def outcomes_of_a_faulty_run(seed: int, requests: int) -> tuple[list[str], dict]:
    """Client-side view of each response, classified without asking the server."""
    outcomes = []
    with ScriptedLLM(responder=lambda request_json: {"answer": 42}, faults=FAULTS, seed=seed) as server:
        client = client_for(server, timeout=0.5)  # well above a loopback answer, below timeout_s
        for _ in range(requests):
            try:
                reply = ask(client).choices[0]
            except openai.RateLimitError:
                outcomes.append("http_429")
            except openai.InternalServerError:
                outcomes.append("http_500")
            except openai.APITimeoutError:
                outcomes.append("timeout")
            else:
                outcomes.append(classify(reply.message.content, reply.finish_reason))
    return outcomes, server.stats


def classify(content: str, finish_reason: str) -> str:
    if finish_reason == "length":
        return "truncated"
    try:
        parsed = json.loads(content)
    except json.JSONDecodeError:
        return "malformed"
    return "ok" if parsed == {"answer": 42} else "schema_invalid"


def test_fault_rates_are_honoured_and_reproducible_with_the_same_seed():
    requests = 200
    outcomes, stats = outcomes_of_a_faulty_run(seed=7, requests=requests)
    counts = collections.Counter(outcomes)

    assert counts == stats  # the server's tally matches what the client saw
    for kind, rate in EXPECTED_RATES.items():
        mean, sd = requests * rate, math.sqrt(requests * rate * (1 - rate))
        assert abs(counts[kind] - mean) <= 4 * sd + 1, (kind, counts[kind], mean)
    assert outcomes_of_a_faulty_run(seed=7, requests=requests)[0] == outcomes
    # A different seed gives a different sequence (a short run is enough to tell).
    assert outcomes_of_a_faulty_run(seed=8, requests=50)[0] != outcomes[:50]


def test_fault_rates_must_not_exceed_one():
    with pytest.raises(ValueError):
        FaultPlan(rate_429=0.6, rate_500=0.6)


# --- Concurrency ----------------------------------------------------------------


def test_64_concurrent_requests_overlap():
    latency_s, in_flight = 0.2, 64
    with ScriptedLLM(responder=lambda request_json: {"ok": True}, latency_s=latency_s) as server:
        client = client_for(server)
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(in_flight) as pool:
            replies = list(pool.map(lambda i: ask(client, f"document {i}"), range(in_flight)))
        elapsed = time.monotonic() - started
    assert len(replies) == in_flight and server.stats == {"ok": in_flight}
    assert latency_s <= elapsed < 3.0  # serial would take 12.8 s


def test_max_in_flight_makes_excess_requests_wait():
    latency_s, cap, requests = 0.2, 4, 8
    with ScriptedLLM(responder=lambda request_json: {"ok": True}, latency_s=latency_s,
                     max_in_flight=cap) as server:
        client = client_for(server)
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(requests) as pool:
            list(pool.map(lambda i: ask(client), range(requests)))
        elapsed = time.monotonic() - started
    assert elapsed >= (requests / cap) * latency_s  # two waves of four, not one of eight


# --- Files and Batches ----------------------------------------------------------


def test_files_and_batches_round_trip():
    def echo_document(request_json: dict) -> dict:
        return {"seen": request_json["messages"][0]["content"]}

    lines = [{"custom_id": f"doc-{i}", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": MODEL, "messages": [{"role": "user", "content": f"document {i}"}]}}
             for i in range(3)]
    with ScriptedLLM(responder=echo_document) as server:
        client = client_for(server)
        uploaded = client.files.create(
            file=("input.jsonl", "".join(json.dumps(line) + "\n" for line in lines).encode()), purpose="batch")
        batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                      completion_window="24h")
        statuses = [batch.status]
        while batch.status not in ("completed", "failed") and len(statuses) < 5:
            batch = client.batches.retrieve(batch.id)
            statuses.append(batch.status)
        output = client.files.content(batch.output_file_id).text

    assert uploaded.purpose == "batch" and uploaded.bytes > 0
    assert statuses == ["validating", "in_progress", "completed"]
    assert batch.request_counts.total == batch.request_counts.completed == 3
    results = [json.loads(line) for line in output.splitlines()]
    assert [result["custom_id"] for result in results] == ["doc-0", "doc-1", "doc-2"]
    for i, result in enumerate(results):
        assert result["response"]["status_code"] == 200
        content = result["response"]["body"]["choices"][0]["message"]["content"]
        assert json.loads(content) == {"seen": f"document {i}"}


def test_batch_cancel_goes_through_cancelling():
    with ScriptedLLM() as server:
        client = client_for(server)
        uploaded = client.files.create(file=("input.jsonl", b""), purpose="batch")
        batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                      completion_window="24h")
        cancelled = client.batches.cancel(batch.id)
        after = client.batches.retrieve(batch.id)
    assert (cancelled.status, after.status) == ("cancelling", "cancelled")


# --- instructor on top ----------------------------------------------------------


class Phase(pydantic.BaseModel):
    phase: str
    enrollment: int


def test_instructor_json_mode_extracts_a_model():
    with ScriptedLLM(responder=[{"phase": "PHASE2", "enrollment": 120}]) as server:
        llm = instructor.from_openai(client_for(server), mode=instructor.Mode.JSON)
        extracted = llm.chat.completions.create(
            model=MODEL, response_model=Phase, messages=[{"role": "user", "content": "Phase 2, n=120."}])
    assert extracted.model_dump() == {"phase": "PHASE2", "enrollment": 120}
    request = server.chat_requests[0].body
    assert request["response_format"] == {"type": "json_object"}
    assert "enrollment" in json.dumps(request["messages"])  # the schema rides along in the prompt


CONTENT_MODES = [instructor.Mode.JSON, instructor.Mode.MD_JSON, instructor.Mode.JSON_SCHEMA]


@pytest.mark.parametrize("mode", CONTENT_MODES, ids=lambda mode: mode.name)
@pytest.mark.parametrize("bad_answer, error_type", [
    ('{"phase": "PHASE2", "enrollment": ', "json_invalid"),  # malformed JSON
    ({"phase": "PHASE2", "enrollment": "many"}, "int_type"),  # valid JSON, wrong type
])
def test_instructor_retries_a_bad_answer_and_feeds_the_error_back(mode, bad_answer, error_type):
    with ScriptedLLM(responder=[bad_answer, {"phase": "PHASE2", "enrollment": 120}]) as server:
        llm = instructor.from_openai(client_for(server), mode=mode)
        extracted = llm.chat.completions.create(
            model=MODEL, response_model=Phase, max_retries=2,
            messages=[{"role": "user", "content": "Phase 2, n=120."}])
    assert extracted.enrollment == 120
    first, second = server.chat_requests
    added = second.messages[len(first.messages):]
    assert added[0]["role"] == "assistant"
    assert added[0]["content"] == (bad_answer if isinstance(bad_answer, str) else json.dumps(bad_answer))
    assert added[-1]["role"] == "user" and error_type in added[-1]["content"]


def test_instructor_tools_mode_reads_a_tool_call():
    with ScriptedLLM(responder=[ToolCall("Phase", '{"phase": "PHASE3", "enrollment": 40}')]) as server:
        llm = instructor.from_openai(client_for(server), mode=instructor.Mode.TOOLS)
        extracted = llm.chat.completions.create(
            model=MODEL, response_model=Phase, messages=[{"role": "user", "content": "Phase 3, n=40."}])
    assert extracted.model_dump() == {"phase": "PHASE3", "enrollment": 40}
    assert server.chat_requests[0].body["tools"][0]["function"]["name"] == "Phase"
