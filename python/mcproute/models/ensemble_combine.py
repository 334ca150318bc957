"""How an ensemble's answers are compared and combined: vote keys, tool-call agreement, the
judge's prompt and its strictly parsed scores, the merger's prompt, embedding clusters."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

Json = dict[str, Any]
_EDGE = " \t\n.!?,;:'\"`*"
# The judge's output cap: its reply is a short JSON object, and a capped call has a worst
# case the caller's budget can be reserved for.
JUDGE_MAX_TOKENS = 1024


def normalized_text(text: str) -> str:
    """Case, inner whitespace and surrounding punctuation ignored: "Paris." == "paris"."""
    return " ".join(text.split()).casefold().strip(_EDGE)


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            return raw.strip()
    return raw


def tool_call_key(calls: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """Each call as its function name and canonical JSON arguments (ids and order ignored)."""
    keys = []
    for call in calls:
        function = call.get("function") or {}
        arguments = orjson.dumps(_arguments(function.get("arguments")), option=orjson.OPT_SORT_KEYS)
        keys.append(f"{function.get('name')}({arguments.decode()})")
    return tuple(sorted(keys))


def tool_names(calls: Sequence[Mapping[str, Any]]) -> str:
    names = [str((c.get("function") or {}).get("name")) for c in calls]
    return ", ".join(names) if names else "no tool call"


def total_usage(usages: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """The top-level token counts of several OpenAI usage objects, added up."""
    out: dict[str, int] = {}
    for usage in usages:
        for key, value in usage.items():
            if isinstance(value, int) and not isinstance(value, bool):
                out[key] = out.get(key, 0) + value
    return out


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def clusters(vectors: Sequence[Sequence[float]], threshold: float) -> list[list[int]]:
    """Greedy clustering in the given order: each vector joins the first cluster whose first
    member it is at least ``threshold`` cosine-similar to, else starts its own."""
    out: list[list[int]] = []
    for i, vector in enumerate(vectors):
        for cluster in out:
            if _cosine(vectors[cluster[0]], vector) >= threshold:
                cluster.append(i)
                break
        else:
            out.append([i])
    return out


def _transcript(messages: Sequence[Mapping[str, Any]]) -> str:
    lines = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(
                str(p.get("text")) for p in content if isinstance(p, dict) and "text" in p
            )
        if isinstance(content, str) and content:
            lines.append(f"{message.get('role', 'user')}: {content}")
    return "\n".join(lines)


def _numbered(texts: Sequence[str]) -> str:
    return "\n\n".join(f'<answer n="{i}">\n{t}\n</answer>' for i, t in enumerate(texts, 1))


def judge_request(messages: Sequence[Mapping[str, Any]], texts: Sequence[str], rubric: str) -> Json:
    system = (
        "You judge candidate answers to the last message of a conversation.\n"
        f"Rubric: {rubric}\n"
        'Reply with only a JSON object {"scores": [...]}: one number from 0 to 10 per answer,'
        f" in the order given ({len(texts)} numbers), and nothing else."
    )
    user = f"<conversation>\n{_transcript(messages)}\n</conversation>\n\n{_numbered(texts)}"
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return {"messages": messages, "max_tokens": JUDGE_MAX_TOKENS}


class MalformedScores(ValueError):
    """The judge's reply is not the scores it was asked for; the message says what is wrong."""


def parse_scores(text: str, count: int) -> list[float]:
    """``{"scores": [n, ...]}`` with exactly ``count`` numbers from 0 to 10, nothing else."""
    try:
        value = orjson.loads(text.strip())
    except orjson.JSONDecodeError as exc:
        raise MalformedScores(f"the reply is not JSON ({exc})") from None
    if not isinstance(value, dict) or set(value) != {"scores"}:
        raise MalformedScores('the reply must be a JSON object with only the key "scores"')
    scores = value["scores"]
    if not isinstance(scores, list) or len(scores) != count:
        got = f"{len(scores)} items" if isinstance(scores, list) else type(scores).__name__
        raise MalformedScores(f"scores: expected a list of {count} numbers, got {got}")
    for i, score in enumerate(scores):
        number = isinstance(score, int | float) and not isinstance(score, bool)
        if not number or not 0 <= score <= 10:
            shown = repr(score)[:40]
            raise MalformedScores(f"scores[{i}]: must be a number from 0 to 10, got {shown}")
    return [float(s) for s in scores]


def merge_request(body: Mapping[str, Any], texts: Sequence[str]) -> Json:
    """The caller's request, with the members' answers as context for one combined answer."""
    system = (
        "Several assistants answered the user's last message; their answers follow. Write one"
        " answer to that message that keeps what is correct and useful in them and resolves"
        " their disagreements. Reply with the answer only; do not mention the assistants.\n\n"
        + _numbered(texts)
    )
    request = {
        k: v
        for k, v in body.items()
        if k not in ("tools", "tool_choice", "parallel_tool_calls", "n", "stream", "stream_options")
    }
    request["messages"] = [{"role": "system", "content": system}, *body.get("messages", [])]
    return request
