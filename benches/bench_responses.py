"""The Responses API's cost in the proxy: what `/v1/responses` adds to a chat call.

A request pays its contract check and its translation to a chat request; a JSON answer the
translation of the chat completion into a `response` object; a stream the translation of each
chat chunk into its typed events. Run with `make bench` (or `python -m benches.run responses`).
Never part of `make test`.
"""

from __future__ import annotations

from typing import Any

from mcproute.contract.responses import CREATE
from mcproute.models.translate_responses import (
    ChatToResponseStream,
    ResponseShell,
    responses_to_chat_request,
)

TOOL = {
    "type": "function",
    "name": "search_flights",
    "parameters": {"type": "object", "properties": {"to": {"type": "string"}}, "required": ["to"]},
}
# A turn that answers a function call: instructions, the call and its output, tools.
BODY: dict[str, Any] = {
    "model": "gpt-4",
    "instructions": "You are a careful assistant for a travel agency.",
    "input": [
        {"role": "user", "content": "Flights to Lisbon for three days?"},
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "search_flights",
            "arguments": '{"to":"LIS","days":3}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "3 flights: 09:10, 13:45"},
    ],
    "tools": [TOOL],
    "max_output_tokens": 256,
    "temperature": 0.2,
}
COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-4",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Three flights leave tomorrow: 09:10."},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 60, "completion_tokens": 9, "total_tokens": 69},
}
CHUNK = {"id": "c", "choices": [{"index": 0, "delta": {"content": " word"}, "finish_reason": None}]}
ID = "resp_" + "0" * 32


def _request(body: dict[str, Any]) -> Any:
    CREATE.check(body)
    return responses_to_chat_request(body)


def test_request(benchmark: Any) -> None:
    benchmark.group = "responses: request → chat request (contract check included)"
    benchmark.extra_info.update(role="ours", label="CREATE.check + responses_to_chat_request")
    benchmark(_request, BODY)


def test_completion(benchmark: Any) -> None:
    shell = ResponseShell(BODY, ID, "gpt-4")
    benchmark.group = "responses: chat completion → response object"
    benchmark.extra_info.update(role="ours", label="ResponseShell.from_chat")
    benchmark(shell.from_chat, COMPLETION)


def test_stream_chunk(benchmark: Any) -> None:
    stream = ChatToResponseStream(ResponseShell(BODY, ID, "gpt-4"))
    stream.start()
    stream.feed(CHUNK)  # the message item is open: each further chunk is one text delta
    benchmark.group = "responses: one streamed text chunk → its event"
    benchmark.extra_info.update(role="ours", label="ChatToResponseStream.feed")
    benchmark(stream.feed, CHUNK)
