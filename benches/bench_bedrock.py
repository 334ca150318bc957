"""The Bedrock adapter's own work, without the network: what it adds to a call and to an event.

Per non-streaming call: the caller's body translated to Converse, serialized and signed (SigV4
in the core), and the Converse reply decoded and translated back. Per stream event: one
event-stream frame decoded in the core, its payload parsed and turned into an OpenAI chunk or
Anthropic events. Targets: ≤ 30 µs per call, ≤ 5 µs per event. Run with `make bench` (or
`python -m benches.run bedrock`); `benches.models_bedrock_overhead` measures the same over
HTTP against the simulator. Never part of `make test`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from mcproute._core import EventStreamDecoder, encode_event_message
from mcproute.models.bedrock import BedrockAdapter
from mcproute.models.bedrock_config import AwsSettings
from mcproute.models.translate_bedrock import (
    ConverseToAnthropicStream,
    ConverseToOpenAIStream,
    anthropic_to_converse,
    converse_to_anthropic,
    converse_to_openai,
    openai_to_converse,
)
from mcproute.secret import Secret

ADAPTER = BedrockAdapter(
    "https://bedrock-runtime.us-east-1.amazonaws.com",
    AwsSettings("us-east-1", "AKIAIOSFODNN7EXAMPLE", Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEX")),
    model="anthropic.claude-3-5-haiku-20241022-v1:0",
)
MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Summarise the report in three bullet points."},
]
OPENAI_BODY = {"model": "claude", "messages": MESSAGES, "max_tokens": 256}
ANTHROPIC_BODY = {
    "model": "claude",
    "system": "You are terse.",
    "messages": MESSAGES[1:],
    "max_tokens": 256,
}
REPLY = orjson.dumps(
    {
        "output": {"message": {"role": "assistant", "content": [{"text": "w " * 16}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 14, "outputTokens": 16, "totalTokens": 30},
        "metrics": {"latencyMs": 312},
    }
)
FRAME = encode_event_message(
    [
        (":event-type", "contentBlockDelta"),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ],
    b'{"contentBlockIndex":0,"delta":{"text":" word"},"p":"abcdefghijklmnopqrstu"}',
)


def openai_call() -> Any:
    request = orjson.dumps(openai_to_converse(OPENAI_BODY))
    ADAPTER._headers(ADAPTER._converse[1], request, "application/json")
    return converse_to_openai(orjson.loads(REPLY), "claude", "req-1")


def anthropic_call() -> Any:
    request = orjson.dumps(anthropic_to_converse(ANTHROPIC_BODY))
    ADAPTER._headers(ADAPTER._converse[1], request, "application/json")
    return converse_to_anthropic(orjson.loads(REPLY), "claude", "req-1")


def openai_event() -> Callable[[], Any]:
    decoder = EventStreamDecoder()
    translator = ConverseToOpenAIStream("claude", "req-1", include_usage=True)

    def one() -> Any:
        ((headers, body),) = decoder.feed(FRAME)
        return translator.feed(str(headers[":event-type"]), orjson.loads(body))

    return one


def anthropic_event() -> Callable[[], Any]:
    decoder = EventStreamDecoder()
    translator = ConverseToAnthropicStream("claude", "req-1")

    def one() -> Any:
        ((headers, body),) = decoder.feed(FRAME)
        return translator.feed(str(headers[":event-type"]), orjson.loads(body))

    return one


@pytest.mark.parametrize(
    "case",
    ["BedrockAdapter work, OpenAI in and out", "BedrockAdapter work, Anthropic in and out"],
)
def test_bedrock_call(benchmark: Any, case: str) -> None:
    fn = openai_call if "OpenAI" in case else anthropic_call
    assert fn()
    benchmark.group = "models: Bedrock adapter work per non-streaming call (translate, sign, parse)"
    benchmark.extra_info.update(role="ours")
    benchmark(fn)


@pytest.mark.parametrize(
    "case", ["ConverseStream frame to OpenAI chunk", "ConverseStream frame to Anthropic events"]
)
def test_bedrock_stream_event(benchmark: Any, case: str) -> None:
    fn = openai_event() if "OpenAI" in case else anthropic_event()
    assert fn()
    benchmark.group = "models: Bedrock adapter work per stream event (decode frame, translate)"
    benchmark.extra_info.update(role="ours")
    benchmark(fn)
