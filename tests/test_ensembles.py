"""Ensembles: several simulated members answering differently, through the registry, the
library client, MCP sampling and the proxy (with the official SDKs)."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import openai
import pytest

from mcproute.client import MCPClient
from mcproute.config import ConfigError, parse_config
from mcproute.models import ModelRegistry
from mcproute.models.ensemble import EnsembleError, EnsembleGeneration, EnsembleModel
from mcproute.models.ensemble_combine import tool_call_key
from mcproute.models.http import _pooled, close_session
from mcproute.protocol.client.sampling import sampling_handler
from mcproute.proxy.reload import config_diff
from mcproute.testing.upstream import Simulator, SimulatorSettings
from models_support import write
from proxy_support import running_proxy

SECRET = "sk-live-0123456789abcdefSECRETVALUE"
TOOLS: Any = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@contextlib.asynccontextmanager
async def simulators(**members: SimulatorSettings) -> AsyncIterator[dict[str, Simulator]]:
    """One simulator per member (each its own answer and timing), closed afterwards."""
    sims = {name: await Simulator(settings).start() for name, settings in members.items()}
    try:
        yield sims
    finally:
        await close_session()
        for sim in sims.values():
            await sim.stop()


def document(sims: dict[str, Simulator], ensembles: dict[str, Any]) -> dict[str, Any]:
    """One provider per simulator; "gamma" speaks Anthropic's format, so members mix formats."""
    models = {
        name: {
            "type": "anthropic" if name == "gamma" else "openai",
            "endpoint": sim.url,
            "api_key": "sk-test",
            "models": [{"name": name, "model": "gpt-4"}],
        }
        for name, sim in sims.items()
    }
    return {"mcp": {"models": models, "ensembles": ensembles}}


def registry_of(sims: dict[str, Simulator], ensembles: dict[str, Any]) -> ModelRegistry:
    return ModelRegistry(parse_config(document(sims, ensembles)))


def three(**extra: SimulatorSettings) -> dict[str, SimulatorSettings]:
    return {
        "alpha": SimulatorSettings(reply="Paris"),
        "beta": SimulatorSettings(reply="paris.", latency=0.05),
        "gamma": SimulatorSettings(reply="Lyon", latency=0.1),
        **extra,
    }


MEMBERS = ["alpha", "beta", "gamma"]


def test_config_check_names_each_problem(tmp_path: Path) -> None:
    doc = {
        "mcp": {
            "models": {"openai": {"api_key": "k", "models": ["gpt-4", "gpt-4o"]}},
            "aliases": {"smart": "gpt-4"},
            "ensembles": {
                "a": {"models": ["gpt-4", "nope"], "strategy": "majority", "min_answers": 3},
                "b": {"models": ["gpt-4", "gpt-4o"], "strategy": "best", "judge": "b"},
                "c": {"models": ["gpt-4", "smart"], "strategy": "vote"},
                "d": {"models": ["gpt-4", "a"], "strategy": "merge"},
                "gpt-4o": {"models": ["gpt-4"], "strategy": "first", "min_answers": 2},
            },
        }
    }
    with pytest.raises(ConfigError) as info:
        parse_config(doc)
    text = str(info.value)
    for expected in (
        "mcp.ensembles.a.min_answers: 3 is more than the ensemble's 2 models",
        "mcp.ensembles.a.models[1]: unknown model 'nope'",
        "mcp.ensembles.b.judge: 'b' is this ensemble itself",
        "mcp.ensembles.c.strategy: must be one of first, all, majority, best, merge",
        "mcp.ensembles.c.models[1]: 'smart' is the same model as 'gpt-4'",
        "mcp.ensembles.d.merger: is required by strategy 'merge'",
        "mcp.ensembles.d.models[1]: 'a' is an ensemble; members must be models",
        "mcp.ensembles.gpt-4o: has the name of a model",
        "mcp.ensembles.gpt-4o.models: an ensemble needs at least two models",
        "mcp.ensembles.gpt-4o.min_answers: strategy 'first' uses one answer",
    ):
        assert expected in text
    path = str(write(tmp_path / "c.yaml", doc))
    checked = subprocess.run(
        [sys.executable, "-m", "mcproute.cli", "config", "check", path],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert checked.returncode == 1
    assert "mcp.ensembles.b.judge: 'b' is this ensemble itself" in checked.stderr


async def test_majority_through_the_library_client() -> None:
    async with simulators(**three()) as sims:
        ensembles = {"consensus": {"models": MEMBERS, "strategy": "majority", "min_answers": 2}}
        async with MCPClient(registry=registry_of(sims, ensembles)) as client:
            result = await client.send_request(model="consensus", prompt="capital of France?")
    assert isinstance(result, EnsembleGeneration)
    assert result.text == "Paris"
    assert result.raw["mcproute"]["votes"] == 2
    by_model = {a.model: a for a in result.answers}
    assert [a.model for a in result.answers] == MEMBERS
    assert by_model["alpha"].status == by_model["beta"].status == "answered"
    assert by_model["beta"].text == "paris."
    assert by_model["alpha"].usage["completion_tokens"] == 1
    assert by_model["alpha"].latency_s is not None
    assert by_model["gamma"].status == "cancelled"  # the majority was reached without it
    assert result.usage["completion_tokens"] == 2  # the members that answered, added up


async def test_majority_by_embedding_similarity() -> None:
    members = {
        "alpha": SimulatorSettings(reply="The capital is Paris"),
        "beta": SimulatorSettings(reply="Lyon", latency=0.02),
        "gamma": SimulatorSettings(reply="The capital is Paris", latency=0.04),
        "embed": SimulatorSettings(),
    }
    async with simulators(**members) as sims:
        ensembles = {
            "consensus": {
                "models": MEMBERS,
                "strategy": "majority",
                "match": "embedding",
                "embeddings": "embed",
                "similarity": 0.99,
            }
        }
        registry = registry_of(sims, ensembles)
        result = await (await registry.get_model("consensus")).generate("capital?")
        await registry.aclose()
        embedded = sims["embed"].requests[-1].body
    assert result.text == "The capital is Paris"
    assert result.raw["mcproute"]["votes"] == 2
    assert embedded["input"] == ["The capital is Paris", "Lyon", "The capital is Paris"]


async def test_a_member_past_the_deadline_and_too_few_answers() -> None:
    members = three(gamma=SimulatorSettings(reply="Lyon", latency=5.0))
    async with simulators(**members) as sims:
        ensembles = {
            "everyone": {"models": MEMBERS, "strategy": "all", "deadline_s": 0.5},
            "strict": {"models": MEMBERS, "strategy": "all", "deadline_s": 0.5, "min_answers": 3},
        }
        registry = registry_of(sims, ensembles)
        result = await (await registry.get_model("everyone")).generate("hi")
        assert [c["message"]["content"] for c in result.raw["choices"]] == ["Paris", "paris."]
        assert [a.status for a in result.answers] == ["answered", "answered", "deadline"]
        with pytest.raises(EnsembleError) as info:
            await (await registry.get_model("strict")).generate("hi")
        await registry.aclose()
    assert info.value.status is None
    assert info.value.kind.value == "timeout"
    assert "2 of 3 models answered (min_answers 3)" in str(info.value)
    assert "gamma: no answer within the 0.5 s deadline" in str(info.value)


async def test_best_with_a_judge_and_malformed_scores() -> None:
    members = three(
        judge=SimulatorSettings(reply='{"scores": [2, 9, 9]}'),
        bad=SimulatorSettings(reply="They are all great"),
        short=SimulatorSettings(reply='{"scores": [2, 9]}'),
    )
    async with simulators(**members) as sims:
        ensembles = {
            "judged": {"models": MEMBERS, "strategy": "best", "judge": "judge", "rubric": "R!"},
            "badly": {"models": MEMBERS, "strategy": "best", "judge": "bad"},
            "miscounted": {"models": MEMBERS, "strategy": "best", "judge": "short"},
            "lenient": {
                "models": MEMBERS,
                "strategy": "best",
                "judge": "bad",
                "on_judge_error": "fastest",
            },
        }
        registry = registry_of(sims, ensembles)
        result = await (await registry.get_model("judged")).generate("capital?")
        judge_prompt = sims["judge"].requests[-1].body["messages"]
        with pytest.raises(EnsembleError) as malformed:
            await (await registry.get_model("badly")).generate("capital?")
        with pytest.raises(EnsembleError) as miscounted:
            await (await registry.get_model("miscounted")).generate("capital?")
        fallback = await (await registry.get_model("lenient")).generate("capital?")
        await registry.aclose()
    assert result.text == "paris."  # 9 ties with Lyon's 9; beta answered faster
    assert result.raw["mcproute"]["judge"]["scores"] == {"alpha": 2, "beta": 9, "gamma": 9}
    assert "R!" in judge_prompt[0]["content"]
    assert "Lyon" in judge_prompt[1]["content"]
    assert "judge 'bad' returned no usable scores: the reply is not JSON" in str(malformed.value)
    assert "scores: expected a list of 3 numbers, got 2 items" in str(miscounted.value)
    assert fallback.text == "Paris"
    assert "not JSON" in fallback.raw["mcproute"]["judge"]["error"]


async def test_merge_writes_one_answer_from_the_members() -> None:
    writers = {
        "writer": SimulatorSettings(reply="Paris, says most"),
        "broken": SimulatorSettings(fault="500"),
    }
    async with simulators(**three(**writers)) as sims:
        ensembles = {
            "merged": {"models": MEMBERS, "strategy": "merge", "merger": "writer"},
            "unmerged": {"models": MEMBERS, "strategy": "merge", "merger": "broken"},
        }
        registry = registry_of(sims, ensembles)
        result = await (await registry.get_model("merged")).generate("capital?", max_tokens=50)
        asked = sims["writer"].requests[-1].body
        with pytest.raises(EnsembleError) as failed:
            await (await registry.get_model("unmerged")).generate("capital?")
        await registry.aclose()
    assert result.text == "Paris, says most"
    system = asked["messages"][0]["content"]
    assert all(text in system for text in ("Paris", "paris.", "Lyon"))
    assert asked["messages"][1:] == [{"role": "user", "content": "capital?"}]
    assert asked["max_tokens"] == 50
    assert result.usage["completion_tokens"] == 3 + 3  # three members, then the merger's three
    assert "merger model 'broken' failed: upstream server" in str(failed.value)


async def test_tool_calls_must_agree() -> None:
    members = {
        "alpha": SimulatorSettings(),
        "beta": SimulatorSettings(latency=0.02),
        "gamma": SimulatorSettings(reply="no tool for you"),
    }
    async with simulators(**members) as sims:
        ensembles = {
            "agree": {"models": ["alpha", "beta"], "strategy": "majority"},
            "disagree": {"models": MEMBERS, "strategy": "majority", "min_answers": 3},
        }
        registry = registry_of(sims, ensembles)
        agreed = await (await registry.get_model("agree")).generate("weather?", tools=TOOLS)
        with pytest.raises(EnsembleError) as info:
            await (await registry.get_model("disagree")).generate("weather?", tools=TOOLS)
        await registry.aclose()
    assert agreed.tool_calls[0]["function"]["name"] == "get_weather"
    assert "disagree on the tool call" in str(info.value)
    assert "gamma: no tool call" in str(info.value)
    same = tool_call_key([{"id": "a", "function": {"name": "f", "arguments": '{"x":1,"y":2}'}}])
    also = tool_call_key([{"id": "b", "function": {"name": "f", "arguments": '{"y": 2, "x": 1}'}}])
    other = tool_call_key([{"id": "a", "function": {"name": "f", "arguments": '{"x": 2}'}}])
    assert same == also != other


RACERS = {  # alpha's first token comes first, the others' long after; alpha waits a little so
    # that every member has received its request before the winner is known, even on a busy host
    "alpha": SimulatorSettings(reply="fast answer here", ttft=0.2),
    "beta": SimulatorSettings(reply="slow", ttft=0.8),
    "gamma": SimulatorSettings(reply="slower", ttft=1.0),
}


async def test_first_streams_the_fastest_and_cancels_the_rest() -> None:
    async with simulators(**RACERS) as sims:
        registry = registry_of(sims, {"fastest": {"models": MEMBERS, "strategy": "first"}})
        model = await registry.get_model("fastest")
        chunks = [c async for c in model.stream("hi")]
        await asyncio.sleep(1.0)  # past the losers' first token, had they gone on
        await registry.aclose()
        assert [sims[m].served for m in MEMBERS] == [1, 1, 1]
        assert sims["beta"].streamed == sims["gamma"].streamed == 0
    assert "".join(c.text for c in chunks) == "fast answer here"
    assert {c.raw["model"] for c in chunks} == {"fastest"}


async def test_the_losers_connections_are_opened_again_and_the_next_race_sends_on_them() -> None:
    """The connections closed to stop the losers are replaced, idle, once the winner has
    streamed: the next race's losers send on them (no connection set up in the race), one
    replacement per connection closed, and the losers still do no upstream work."""
    async with simulators(**RACERS) as sims:
        registry = registry_of(sims, {"fastest": {"models": MEMBERS, "strategy": "first"}})
        model = await registry.get_model("fastest")
        client = _pooled().client

        def idle(member: str) -> list[Any]:
            port = int(sims[member].url.rsplit(":", 1)[1])
            return [c for k, conns in client._idle.items() if k[2] == port for c in conns]

        async def replaced() -> dict[str, list[Any]]:
            for _ in range(500):
                if not client._opening and all(idle(m) for m in MEMBERS):
                    break
                await asyncio.sleep(0.01)
            return {m: idle(m) for m in MEMBERS}

        texts = ["".join([c.text async for c in model.stream("hi")])]
        before = await replaced()
        assert all(len(conns) == 1 for conns in before.values())  # the winner's kept, 2 new
        texts.append("".join([c.text async for c in model.stream("hi")]))
        after = await replaced()
        await asyncio.sleep(1.0)  # past the losers' first token, had they gone on
        await registry.aclose()
        assert [sims[m].served for m in MEMBERS] == [2, 2, 2]
        assert sims["beta"].streamed == sims["gamma"].streamed == 0
    assert texts == ["fast answer here"] * 2
    assert after["alpha"] == before["alpha"]  # the winner's connection, kept alive
    for loser in ("beta", "gamma"):
        assert not before[loser][0].open  # the second race's request went out on it, stopped
        assert len(after[loser]) == 1
        assert after[loser] != before[loser]


async def test_the_last_winner_starts_first_and_still_has_to_win() -> None:
    """The member configured last wins; the next race starts it first (its connection is the
    one kept alive). Starting first decides nothing: when it is slow the next time, another
    member wins and leads the race after."""
    racers = {
        "alpha": SimulatorSettings(reply="slow", ttft=0.8),
        "beta": SimulatorSettings(reply="slow", ttft=0.8),
        "gamma": SimulatorSettings(reply="fast answer here", ttft=0.2),
    }
    async with simulators(**racers) as sims:
        registry = registry_of(sims, {"fastest": {"models": MEMBERS, "strategy": "first"}})
        model = await registry.get_model("fastest")
        assert isinstance(model, EnsembleModel)
        assert model._start_order() == MEMBERS
        first = "".join([c.text async for c in model.stream("hi")])
        assert model._start_order() == ["gamma", "alpha", "beta"]
        racers["gamma"].ttft, racers["beta"].ttft = 1.5, 0.2  # the simulators read them live
        gamma_sent = sims["gamma"].streamed
        second = [c async for c in model.stream("hi")]
        await asyncio.sleep(1.5)  # past the losers' first token, had they gone on
        await registry.aclose()
        assert [sims[m].served for m in MEMBERS] == [2, 2, 2]
        assert sims["alpha"].streamed == 0
        assert sims["gamma"].streamed == gamma_sent  # nothing more: it lost this time
    assert first == "fast answer here"
    assert "".join(c.text for c in second) == "slow"
    assert second[-1].raw["mcproute"]["chosen"] == "beta"
    assert model._start_order() == ["beta", "alpha", "gamma"]


async def test_sampling_targets_an_ensemble_by_hint_and_reload_changes_it() -> None:
    async with simulators(**three()) as sims:
        ensembles = {"consensus": {"models": MEMBERS, "strategy": "majority"}}
        registry = registry_of(sims, ensembles)
        handle = sampling_handler(registry)
        params = {
            "messages": [{"role": "user", "content": {"type": "text", "text": "capital?"}}],
            "modelPreferences": {"hints": [{"name": "consensus"}]},
            "maxTokens": 20,
        }
        sampled = await handle("sampling/createMessage", params)
        changed = {"consensus": {**ensembles["consensus"], "strategy": "all"}}
        new = parse_config(document(sims, changed))
        diff = config_diff(registry.config, new)  # what the proxy's reload goes by
        registry.apply(new)
        reloaded = await registry.get_model("consensus")
        await registry.aclose()
    assert sampled["content"]["text"] == "Paris"
    assert sampled["model"] == "consensus"
    assert [r.body["max_tokens"] for s in sims.values() for r in s.requests] == [20, 20, 20]
    assert getattr(reloaded, "strategy", None) == "all"
    assert diff["ensembles"] == {"added": [], "removed": [], "changed": ["consensus"]}
    assert diff["changed"] is True


async def test_over_the_proxy_with_the_sdks(tmp_path: Path) -> None:
    members = three(
        delta=SimulatorSettings(fault="500", error_detail=f"key={SECRET}"),
        epsilon=SimulatorSettings(latency=5.0),
    )
    async with simulators(**members) as sims:
        ensembles = {
            "consensus": {"models": MEMBERS, "strategy": "majority", "min_answers": 2},
            "fastest": {"models": MEMBERS, "strategy": "first"},
            "broken": {
                "models": ["alpha", "delta", "epsilon"],
                "strategy": "all",
                "min_answers": 2,
                "deadline_s": 0.3,
            },
        }
        async with running_proxy(
            tmp_path, config_document=lambda _sim, _mcp: document(sims, ensembles)
        ) as proxy:
            key = proxy.key("models")
            oai = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=key, max_retries=0)
            plain = await oai.chat.completions.create(
                model="consensus", messages=[{"role": "user", "content": "capital?"}]
            )
            detailed = await oai.chat.completions.create(
                model="consensus",
                messages=[{"role": "user", "content": "capital?"}],
                extra_headers={"x-mcproute-answers": "true"},
            )
            stream = await oai.chat.completions.create(
                model="fastest", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            streamed = "".join(
                [c.choices[0].delta.content or "" async for c in stream if c.choices]
            )
            with pytest.raises(openai.APIStatusError) as failed:
                await oai.chat.completions.create(
                    model="broken", messages=[{"role": "user", "content": "hi"}]
                )
            responded = await oai.responses.create(model="consensus", input="capital?", store=False)
            listed = {m.id: m.model_extra async for m in oai.models.list()}
            async with aiohttp.ClientSession() as http:
                headers = {"Authorization": f"Bearer {proxy.key('metrics')}"}
                async with http.get(f"{proxy.url}/metrics", headers=headers) as response:
                    metrics = await response.text()
            await oai.close()
            ant = anthropic.AsyncAnthropic(base_url=proxy.url, api_key=key, max_retries=0)
            message = await ant.messages.create(
                model="consensus",
                max_tokens=20,
                messages=[{"role": "user", "content": "capital?"}],
            )
            async with ant.messages.stream(
                model="consensus", max_tokens=20, messages=[{"role": "user", "content": "hi"}]
            ) as events:
                ant_streamed = await events.get_final_text()
            await ant.close()
    assert plain.choices[0].message.content == "Paris"
    assert plain.model_extra is not None
    assert "mcproute" not in plain.model_extra
    extension = (detailed.model_extra or {})["mcproute"]
    assert [a["model"] for a in extension["answers"]] == MEMBERS
    assert streamed == "Paris"
    assert failed.value.status_code == 504
    text = str(failed.value.body)
    assert "delta: upstream server" in text
    assert "epsilon: no answer within" in text
    assert SECRET not in text
    assert (listed["consensus"] or {})["mcproute"]["ensemble"]["strategy"] == "majority"
    assert message.content[0].type == "text"
    assert message.content[0].text == "Paris"
    assert ant_streamed == "Paris"
    assert responded.output_text == "Paris"
    tokens = [
        line for line in metrics.splitlines() if line.startswith("gen_ai_client_token_usage_count")
    ]
    for model in ("consensus", "alpha", "beta"):  # gamma was cancelled: majority without it
        assert any(f'gen_ai_request_model="{model}"' in line for line in tokens), model


async def test_streamed_replies_report_each_members_answer() -> None:
    """The last chunk of a stream carries the members' answers, as `chat` gives them: the
    winner of `first` with its streamed text and usage, the rest cancelled; a majority's
    answers the same as the whole reply's."""
    async with simulators(**RACERS) as sims:
        registry = registry_of(sims, {"fastest": {"models": MEMBERS, "strategy": "first"}})
        first = [c async for c in (await registry.get_model("fastest")).stream("hi")]
        await registry.aclose()
    report = first[-1].raw["mcproute"]
    assert first[-1].raw["choices"] == []
    assert all("mcproute" not in c.raw for c in first[:-1])
    assert (report["strategy"], report["chosen"]) == ("first", "alpha")
    alpha, beta, gamma = report["answers"]
    assert (alpha["model"], alpha["status"], alpha["text"]) == (
        "alpha",
        "answered",
        "fast answer here",
    )
    assert alpha["usage"]["completion_tokens"] > 0
    assert alpha["finish_reason"] == "stop"
    assert [beta["status"], gamma["status"]] == ["cancelled", "cancelled"]

    async with simulators(**three()) as sims:
        registry = registry_of(sims, {"consensus": {"models": MEMBERS, "strategy": "majority"}})
        model = await registry.get_model("consensus")
        whole = await model.chat({"messages": [{"role": "user", "content": "capital?"}]})
        streamed = [c async for c in model.stream("capital?")]
        await registry.aclose()
    report = streamed[-1].raw["mcproute"]
    assert "".join(c.text for c in streamed) == "Paris"
    assert report["votes"] == whole["mcproute"]["votes"] == 2

    def parts(answers: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(a["model"], a["status"], a.get("text"), a.get("usage")) for a in answers]

    assert parts(report["answers"]) == parts(whole["mcproute"]["answers"])
    assert [a["text"] for a in report["answers"][:2]] == ["Paris", "paris."]


async def test_streamed_answers_over_the_proxy_only_when_asked(tmp_path: Path) -> None:
    """Stock SDKs parse the streams either way; with the header the answers arrive on the
    last event (OpenAI: a chunk with no choices; Anthropic: message_stop); each member's
    usage is counted under its own name."""
    async with simulators(**three()) as sims:
        ensembles = {
            "consensus": {"models": MEMBERS, "strategy": "majority"},
            "fastest": {"models": MEMBERS, "strategy": "first"},
        }
        async with running_proxy(
            tmp_path, config_document=lambda _sim, _mcp: document(sims, ensembles)
        ) as proxy:
            key = proxy.key("models")
            oai = openai.AsyncOpenAI(base_url=f"{proxy.url}/v1", api_key=key, max_retries=0)
            asked = {"x-mcproute-answers": "true"}
            chat = [{"role": "user", "content": "capital?"}]
            plain = [
                c
                async for c in await oai.chat.completions.create(
                    model="consensus",
                    messages=chat,
                    stream=True,  # type: ignore[arg-type]
                )
            ]
            detailed = [
                c
                async for c in await oai.chat.completions.create(
                    model="fastest",
                    messages=chat,
                    stream=True,
                    extra_headers=asked,  # type: ignore[arg-type]
                )
            ]
            await oai.close()
            ant = anthropic.AsyncAnthropic(base_url=proxy.url, api_key=key, max_retries=0)
            events = [
                e
                async for e in await ant.messages.create(
                    model="consensus",
                    max_tokens=20,
                    messages=chat,  # type: ignore[arg-type]
                    stream=True,
                    extra_headers=asked,
                )
            ]
            await ant.close()
            async with aiohttp.ClientSession() as http:
                headers = {"Authorization": f"Bearer {proxy.key('metrics')}"}
                async with http.get(f"{proxy.url}/metrics", headers=headers) as response:
                    metrics = await response.text()
    assert "".join(c.choices[0].delta.content or "" for c in plain if c.choices) == "Paris"
    assert all("mcproute" not in (c.model_extra or {}) for c in plain)
    assert "".join(c.choices[0].delta.content or "" for c in detailed if c.choices) == "Paris"
    last = detailed[-1]
    assert last.choices == []
    report = (last.model_extra or {})["mcproute"]
    assert [(a["model"], a["status"]) for a in report["answers"]] == [
        ("alpha", "answered"),
        ("beta", "cancelled"),
        ("gamma", "cancelled"),
    ]
    stop = events[-1]
    assert stop.type == "message_stop"
    answers = (stop.model_extra or {})["mcproute"]["answers"]
    assert [a["text"] for a in answers if a["status"] == "answered"] == ["Paris", "paris."]
    assert all("mcproute" not in (e.model_extra or {}) for e in events[:-1])
    tokens = [
        line for line in metrics.splitlines() if line.startswith("gen_ai_client_token_usage_count")
    ]
    for model in ("consensus", "fastest", "alpha", "beta"):  # gamma: cancelled every time
        assert any(f'gen_ai_request_model="{model}"' in line for line in tokens), model
    assert not any('gen_ai_request_model="gamma"' in line for line in tokens)
