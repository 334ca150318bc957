"""An ensemble handle: several models asked at once, their answers combined by a strategy.

The members run through the Router together (``routing.aggregate``: one deadline, the rest
cancelled once the strategy has its answer). ``first`` streams the first member to produce a
token; the other strategies decide on whole answers and then stream the combined one. The
reply is the combined answer in the caller's format, with every member's answer in its
``mcproute`` field (``result.answers`` from ``generate``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from mcproute.config_ensembles import EnsembleConfig
from mcproute.errors import FailureKind, UpstreamError
from mcproute.models import ensemble_combine as combine
from mcproute.models import served
from mcproute.models.ensemble_parts import own_deployment, report
from mcproute.models.ensemble_stream import StreamedAnswer, trailer
from mcproute.models.routed import Context, Generation, RoutedModel
from mcproute.models.target import TokenCount
from mcproute.models.translate import (
    OpenAIToAnthropicStream,
    anthropic_to_openai_request,
    openai_to_anthropic_response,
)
from mcproute.models.upstream_client import REPLACEMENTS, Replacements
from mcproute.redact import redact
from mcproute.routing.aggregate import AggregateError, AggregateResult, Mode, aggregate

if TYPE_CHECKING:
    from mcproute.context import ContextStore
    from mcproute.routing import AttemptContext, Deployment, Router

Json = dict[str, Any]
EXTENSION = "mcproute"  # the reply field with the members' answers


@dataclass(frozen=True)
class MemberAnswer:
    """One member's part: its answer, or why there is none.

    ``status``: "answered", "failed", "deadline" (still running at the deadline) or
    "cancelled" (stopped once the strategy had its answer)."""

    model: str
    status: str
    text: str | None = None
    tool_calls: Sequence[Mapping[str, Any]] = ()
    finish_reason: str | None = None
    usage: Mapping[str, int] = field(default_factory=dict)
    latency_s: float | None = None
    error: str | None = None
    kind: FailureKind | None = None  # why it failed (a deadline is a timeout)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def to_json(self) -> Json:
        out: Json = {"model": self.model, "status": self.status}
        if self.status == "answered":
            out |= {"text": self.text, "finish_reason": self.finish_reason, "usage": self.usage}
            if self.tool_calls:
                out["tool_calls"] = list(self.tool_calls)
        if self.latency_s is not None:
            out["latency_s"] = round(self.latency_s, 4)
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class EnsembleGeneration(Generation):
    """A combined completion; ``answers`` has every member's, in configuration order."""

    answers: tuple[MemberAnswer, ...] = ()
    strategy: str = ""


class _Round(NamedTuple):
    """What a helper model (judge, merger) works from, and where its part is recorded."""

    body: Mapping[str, Any]
    answered: Sequence[MemberAnswer]
    extension: Json  # the reply's "mcproute" field
    helper_usage: list[Mapping[str, Any]]


class EnsembleError(UpstreamError):
    """The ensemble has no answer it may give; the message names each member's failure."""

    def __init__(self, kind: FailureKind, message: str, answers: Sequence[MemberAnswer]):
        super().__init__(kind, message)
        self.answers = tuple(answers)


def _failure(exc: BaseException) -> str:
    if isinstance(exc, UpstreamError):
        return redact(f"upstream {exc.kind.value}: {exc}")
    return redact(f"{type(exc).__name__}: {exc}")


TIMEOUT = FailureKind.TIMEOUT


def _kind(exc: BaseException) -> FailureKind:
    return exc.kind if isinstance(exc, UpstreamError) else FailureKind.SERVER


def _has_token(chunk: Mapping[str, Any]) -> bool:
    for choice in chunk.get("choices") or []:
        delta = choice.get("delta") or {}
        if delta.get("content") or delta.get("tool_calls") or choice.get("finish_reason"):
            return True
    return False


async def _closed(iterator: AsyncIterator[Any]) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()


_BACKGROUND: set[asyncio.Future[None]] = set()  # held until done (the loop keeps weak refs)


async def _stopped(
    tasks: Sequence[asyncio.Future[Any]], streams: Sequence[AsyncIterator[Any]]
) -> None:
    await asyncio.gather(*tasks, return_exceptions=True)
    for stream in streams:
        await _closed(stream)


def _in_background(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.ensure_future(work)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


class EnsembleModel(RoutedModel):
    """Several routed models answering as one (``ModelRegistry.get_model`` of an ensemble)."""

    def __init__(
        self,
        config: EnsembleConfig,
        members: Sequence[RoutedModel],
        helpers: Mapping[str, RoutedModel],
        router: Router,
        store: ContextStore,
    ) -> None:
        capabilities = frozenset.intersection(*(m.capabilities for m in members))
        super().__init__(config.name, router, store, capabilities - {"embeddings"})
        self.config = config
        self.strategy = config.strategy
        self._members = dict(zip(config.models, members, strict=True))  # configured name ->
        self._helpers = dict(helpers)
        self._leader: str | None = None  # strategy "first": the member that won last

    def __repr__(self) -> str:
        models = self.config.models
        return f"EnsembleModel({self.name!r}, strategy={self.strategy!r}, models={models!r})"

    def member_groups(self) -> dict[str, str]:
        """Each member as configured -> the model group it calls."""
        return {name: model.name for name, model in self._members.items()}

    def helper_groups(self) -> dict[str, tuple[str, str]]:
        """The helpers this strategy calls: role -> (as configured, the model group)."""
        config = self.config
        used = {"best": "judge", "merge": "merger"}.get(config.strategy)
        if config.strategy == "majority" and config.match == "embedding":
            used = "embeddings"
        names = config.helpers()
        if used is None or used not in names:
            return {}
        return {used: (names[used], self._helpers[used].name)}

    # --- asking the members

    async def _ask(self, body: Mapping[str, Any]) -> list[MemberAnswer]:
        """Every member's answer, cut at the deadline; fewer than ``min_answers`` is an error."""
        config = self.config
        request = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
        by_group = {m.name: (name, m.chat_attempt(request)) for name, m in self._members.items()}
        loop = asyncio.get_running_loop()
        started = loop.time()
        ended: dict[str, float] = {}
        answered_by: dict[str, str] = {}  # group -> the deployment whose answer it is

        async def attempt(deployment: Deployment, ctx: AttemptContext) -> Json:
            try:
                completion = await by_group[deployment.group][1](deployment, ctx)
            finally:
                ended[deployment.group] = loop.time()
            answered_by[deployment.group] = deployment.name
            return completion

        exact_majority = (
            config.strategy == "majority"
            and config.match == "exact"
            and config.min_answers <= len(config.models) // 2 + 1
        )
        mode: Mode = (
            "first" if config.strategy == "first" else "majority" if exact_majority else "all"
        )
        try:
            result: AggregateResult[Json] = await aggregate(
                self._router,
                list(by_group),
                attempt,
                mode=mode,
                deadline=config.deadline_s,
                normalize=lambda c: self._vote_key(Generation.from_completion(c)),
            )
        except AggregateError as exc:
            result = AggregateResult(value=None, errors=exc.errors, pending=exc.pending)
        cut = loop.time() - started >= config.deadline_s
        answers = []
        for group, (name, _) in by_group.items():
            latency = ended[group] - started if group in ended else None
            if group in result.results:
                gen = Generation.from_completion(result.results[group])
                answers.append(
                    MemberAnswer(
                        name,
                        "answered",
                        gen.text,
                        gen.tool_calls,
                        gen.finish_reason,
                        gen.usage,
                        latency,
                        raw=gen.raw,
                    )
                )
            elif group in result.errors:
                failure = result.errors[group]
                error, kind = _failure(failure), _kind(failure)
                answers.append(
                    MemberAnswer(name, "failed", latency_s=latency, error=error, kind=kind)
                )
            elif cut:
                error = f"no answer within the {config.deadline_s:g} s deadline"
                answers.append(MemberAnswer(name, "deadline", error=error, kind=TIMEOUT))
            else:
                answers.append(MemberAnswer(name, "cancelled"))
            report(name, answered_by.get(group), answers[-1].usage)
        answered = [a for a in answers if a.status == "answered"]
        if len(answered) < config.min_answers:
            raise self._error(answers, len(answered))
        return answers

    def _error(self, answers: Sequence[MemberAnswer], count: int) -> EnsembleError:
        """A timeout if a member ran out of time; else the members' common failure kind."""
        kinds = {a.kind for a in answers if a.status in ("failed", "deadline")}
        if FailureKind.TIMEOUT in kinds or len(kinds) != 1 or None in kinds:
            kind = FailureKind.TIMEOUT if FailureKind.TIMEOUT in kinds else FailureKind.SERVER
        else:
            kind = next(iter(kinds)) or FailureKind.SERVER
        failures = "; ".join(f"{a.model}: {a.error}" for a in answers if a.error)
        return EnsembleError(
            kind,
            f"ensemble {self.name!r}: {count} of {len(answers)} models answered"
            f" (min_answers {self.config.min_answers}): {failures}",
            answers,
        )

    def _vote_key(self, gen: Generation) -> object:
        if gen.tool_calls:
            return ("tools", combine.tool_call_key(gen.tool_calls))
        return combine.normalized_text(gen.text)

    # --- combining

    def _agreed_call(self, answered: Sequence[MemberAnswer]) -> MemberAnswer | None:
        """The fastest answer if the members call tools and agree on the calls; an error if
        they disagree; None when no member calls a tool."""
        if not any(a.tool_calls for a in answered):
            return None
        keys = {combine.tool_call_key(a.tool_calls) for a in answered}
        if len(keys) > 1:
            calls = "; ".join(f"{a.model}: {combine.tool_names(a.tool_calls)}" for a in answered)
            raise EnsembleError(
                FailureKind.SERVER,
                f"ensemble {self.name!r}: the models disagree on the tool call ({calls})",
                answered,
            )
        return _fastest(answered)

    async def _combine(self, body: Mapping[str, Any]) -> Json:
        answers = await self._ask(body)
        answered = [a for a in answers if a.status == "answered"]
        extension: Json = {"ensemble": self.name, "strategy": self.strategy}
        helper_usage: list[Mapping[str, Any]] = []
        strategy = self.strategy
        if strategy == "all":
            completion = _all_choices(answered)
        elif strategy == "first":
            completion = dict(_fastest(answered).raw)
            extension["chosen"] = _fastest(answered).model
        else:
            agreed = self._agreed_call(answered)
            if agreed is not None:
                chosen = agreed
            elif strategy == "majority":
                chosen, votes = await self._majority(answered, helper_usage)
                extension["votes"] = votes
            elif strategy == "best":
                chosen = await self._best(_Round(body, answered, extension, helper_usage))
            else:
                merged = await self._merge(_Round(body, answered, extension, helper_usage))
                chosen = None
                completion = merged
            if chosen is not None:
                completion = dict(chosen.raw)
                extension["chosen"] = chosen.model
        usage = combine.total_usage([*(a.usage for a in answered), *helper_usage])
        extension["answers"] = [a.to_json() for a in answers]
        return {**completion, "model": self.name, "usage": usage, EXTENSION: extension}

    async def _majority(
        self, answered: Sequence[MemberAnswer], helper_usage: list[Mapping[str, Any]]
    ) -> tuple[MemberAnswer, int]:
        """The answer most members agree with; a tie goes to the group with the fastest answer."""
        ordered = sorted(answered, key=_latency)
        if self.config.match == "embedding":
            embedder = self._helpers["embeddings"]
            texts = {"input": [a.text or "" for a in ordered]}
            try:
                result = await self._called("embeddings", lambda: embedder.embeddings(texts))
            except UpstreamError as exc:
                raise self._helper_failed("embeddings", exc, answered) from None
            helper_usage.append(result.get("usage") or {})
            rows = sorted(result.get("data") or [], key=lambda row: row.get("index", 0))
            vectors = [list(row.get("embedding") or []) for row in rows]
            groups = combine.clusters(vectors, self.config.similarity)
        else:
            keyed: dict[object, list[int]] = {}
            for i, a in enumerate(ordered):
                keyed.setdefault(combine.normalized_text(a.text or ""), []).append(i)
            groups = list(keyed.values())
        winner = max(groups, key=len)  # max keeps the first of equals: the fastest group
        return ordered[winner[0]], len(winner)

    async def _called(self, role: str, call: Callable[[], Awaitable[Json]]) -> Json:
        """A helper model's call, told to the request's accounting whether it answers or not
        (in a holder of its own, so the deployment told is the helper's)."""
        name = self.config.helpers()[role]
        with own_deployment() as answered_by:
            try:
                result = await call()
            except BaseException:
                report(name, answered_by(), None)
                raise
        report(name, answered_by(), result.get("usage"))
        return result

    def _helper_failed(
        self, role: str, exc: UpstreamError, answered: Sequence[MemberAnswer]
    ) -> EnsembleError:
        name = self.config.helpers()[role]
        message = f"ensemble {self.name!r}: {role} model {name!r} failed: {_failure(exc)}"
        return EnsembleError(exc.kind, message, answered)

    async def _best(self, rnd: _Round) -> MemberAnswer:
        """The judge's highest-scored answer; equal scores go to the faster answer."""
        body, answered, extension, helper_usage = rnd
        judge = self._helpers["judge"]
        request = combine.judge_request(
            body.get("messages") or [], [a.text or "" for a in answered], self.config.rubric
        )
        record: Json = {"model": self.config.judge}
        extension["judge"] = record
        try:
            scored = await self._called("judge", lambda: judge.chat(request))
            verdict = Generation.from_completion(scored)
            helper_usage.append(verdict.usage)
            record["usage"] = verdict.usage
            scores = combine.parse_scores(verdict.text, len(answered))
        except (UpstreamError, combine.MalformedScores) as exc:
            problem = _failure(exc) if isinstance(exc, UpstreamError) else str(exc)
            message = f"judge {self.config.judge!r} returned no usable scores: {problem}"
            if self.config.on_judge_error == "error":
                kind = exc.kind if isinstance(exc, UpstreamError) else FailureKind.SERVER
                raise EnsembleError(kind, f"ensemble {self.name!r}: {message}", answered) from None
            record["error"] = message  # the documented fallback: the fastest answer
            return _fastest(answered)
        record["scores"] = {a.model: s for a, s in zip(answered, scores, strict=True)}
        ranked = sorted(zip(answered, scores, strict=True), key=lambda p: (-p[1], _latency(p[0])))
        return ranked[0][0]

    async def _merge(self, rnd: _Round) -> Json:
        body, answered, extension, helper_usage = rnd
        merger = self._helpers["merger"]
        request = combine.merge_request(body, [a.text or "" for a in answered])
        try:
            completion = await self._called("merger", lambda: merger.chat(request))
        except UpstreamError as exc:
            raise self._helper_failed("merger", exc, answered) from None
        helper_usage.append(completion.get("usage") or {})
        extension["merger"] = {"model": self.config.merger, "usage": completion.get("usage")}
        return completion

    # --- the model handle's methods

    async def generate(
        self, prompt: str | None = None, context: Context = None, **params: Any
    ) -> EnsembleGeneration:
        completion = await self.chat(await self._request(prompt, context, params))
        base = Generation.from_completion(completion)
        answers = completion[EXTENSION]["answers"]
        return EnsembleGeneration(
            text=base.text,
            finish_reason=base.finish_reason,
            model=base.model,
            usage=base.usage,
            tool_calls=base.tool_calls,
            raw=completion,
            answers=tuple(_answer_of(a) for a in answers),
            strategy=self.strategy,
        )

    async def chat(self, body: Mapping[str, Any]) -> Json:
        """The combined OpenAI-format completion, members' answers in its ``mcproute`` field."""
        return await self._combine(body)

    def chat_stream(self, body: Mapping[str, Any]) -> AsyncIterator[Json]:
        """The combined answer as chunks, then one chunk with no choices and the members'
        answers in its ``mcproute`` field (as ``chat`` gives them)."""
        if self.strategy == "first":
            return self._race(body)  # no generator layer of its own: it runs per chunk
        return self._combined_stream(body)

    async def _combined_stream(self, body: Mapping[str, Any]) -> AsyncIterator[Json]:
        completion = await self._combine(body)
        options = body.get("stream_options") or {"include_usage": True}
        for chunk in _as_chunks(completion, bool(options.get("include_usage"))):
            yield chunk
        yield trailer(completion, self.name, completion[EXTENSION], EXTENSION)

    def _start_order(self) -> list[str]:
        """The last winner first (the likeliest to win again, and its connection is the one
        kept alive), then the others as configured."""
        order = list(self._members)
        if self._leader in self._members:
            order.remove(self._leader)
            order.insert(0, self._leader)
        return order

    async def _race(self, body: Mapping[str, Any]) -> AsyncIterator[Json]:
        """The first member to produce a token streams; the others are stopped then, by the
        winner's own task, before anything else runs (members that had not sent their
        request yet never do)."""
        request = {**body, "stream": True}
        streams = {name: aiter(m.chat_stream(request)) for name, m in self._members.items()}
        loop = asyncio.get_running_loop()
        started = loop.time()
        decided: asyncio.Future[tuple[str, list[Json]] | None] = loop.create_future()
        errors: dict[str, tuple[str, FailureKind]] = {}
        tasks: dict[str, asyncio.Task[None]] = {}
        deployments: dict[str, str] = {}
        # The losers' connections, closed to stop them, opened again once the winner has
        # streamed: the next race sends on open connections
        replacements = Replacements()

        async def until_token(name: str, stream: AsyncIterator[Json]) -> None:
            seen = []
            holder = [""]  # this task's own: the deployment it notes is this member's
            served.SERVED_BY.set(holder)
            REPLACEMENTS.set(replacements)
            try:
                async for chunk in stream:
                    seen.append(chunk)
                    if _has_token(chunk):
                        break
            except Exception as exc:
                errors[name] = (_failure(exc), _kind(exc))
                if len(errors) == len(streams) and not decided.done():
                    decided.set_result(None)
                return
            finally:
                if len(holder) > 1:
                    deployments[name] = holder[1]
            if not decided.done():
                decided.set_result((name, seen))
                for other, task in tasks.items():
                    if other != name:
                        task.cancel()  # now, before the owner of the race even wakes

        winner: tuple[str, list[Json]] | None = None
        try:
            async with asyncio.timeout(self.config.deadline_s):
                for name in self._start_order():
                    if tasks:  # one loop turn, in which the last member's request leaves
                        # (aiohttp writes it from a task of its own): a ready request never
                        # waits behind another member's connection setup
                        await asyncio.sleep(0)
                    if decided.done():
                        break  # decided already: the rest are never sent
                    tasks[name] = loop.create_task(until_token(name, streams[name]))
                winner = await decided  # its wake-up is queued before the losers' cancellation
        except TimeoutError:
            pass
        finally:
            for task in tasks.values():
                task.cancel()  # no-ops once decided; the losers' connections close meanwhile
            losers = [s for name, s in streams.items() if winner is None or name != winner[0]]
            cleanup = _stopped(list(tasks.values()), losers)
            if winner is None:
                await cleanup
                replacements.due()
            else:
                _in_background(cleanup)
        if winner is None:
            deadline = f"no token within the {self.config.deadline_s:g} s deadline"
            answers = [
                MemberAnswer(n, "failed", error=errors[n][0], kind=errors[n][1])
                if n in errors
                else MemberAnswer(n, "deadline", error=deadline, kind=TIMEOUT)
                for n in self._members
            ]
            for member in self._members:
                report(member, deployments.get(member), None)
            raise self._error(answers, 0)
        name, seen = winner
        self._leader = name
        stream = streams[name]
        collected = StreamedAnswer()
        try:
            for chunk in seen:  # chunks are ours (decoded for this call): relabel in place
                chunk["model"] = self.name
                collected.feed(chunk)
                yield chunk
            async for chunk in stream:
                chunk["model"] = self.name
                collected.feed(chunk)
                yield chunk
        finally:
            await _closed(stream)
            replacements.due()
            for member in self._members:  # the losers reported nothing: they cost nothing
                usage = collected.usage if member == name else None
                report(member, deployments.get(member), usage)
        answers = []
        for member in self._members:
            if member == name:
                answer = MemberAnswer(
                    member,
                    "answered",
                    collected.text,
                    collected.tool_calls,
                    collected.finish_reason,
                    dict(collected.usage),
                    loop.time() - started,
                )
            elif member in errors:
                error, kind = errors[member]
                answer = MemberAnswer(member, "failed", error=error, kind=kind)
            else:
                answer = MemberAnswer(member, "cancelled")
            answers.append(answer)
        extension: Json = {"ensemble": self.name, "strategy": self.strategy, "chosen": name}
        extension["answers"] = [a.to_json() for a in answers]
        yield trailer(seen[0] if seen else {}, self.name, extension, EXTENSION)

    async def messages(self, body: Mapping[str, Any]) -> Json:
        completion = await self.chat(anthropic_to_openai_request(body))
        message = openai_to_anthropic_response(completion)
        if self.strategy == "all":  # every answer, one text block each
            texts = [a["text"] for a in completion[EXTENSION]["answers"] if a.get("text")]
            message["content"] = [{"type": "text", "text": t} for t in texts]
        return {**message, EXTENSION: completion[EXTENSION]}

    async def messages_stream(self, body: Mapping[str, Any]) -> AsyncIterator[Json]:
        """Anthropic events; the members' answers ride on the final ``message_stop``."""
        translator = OpenAIToAnthropicStream(self.name)
        extension = None
        async for chunk in self.chat_stream(anthropic_to_openai_request({**body, "stream": True})):
            if EXTENSION in chunk:
                extension = chunk[EXTENSION]
                continue
            for event in translator.feed(chunk):
                yield event
        for event in translator.finish():
            if event.get("type") == "message_stop" and extension is not None:
                event[EXTENSION] = extension
            yield event

    async def count_tokens(self, body: Mapping[str, Any]) -> TokenCount:
        """The input every member reads, counted as the first member would."""
        return await next(iter(self._members.values())).count_tokens(body)

    def _unsupported(self, what: str) -> UpstreamError:
        return UpstreamError(
            FailureKind.BAD_REQUEST,
            f"model {self.name!r} is an ensemble: it answers chat and messages requests,"
            f" not {what}",
        )

    async def embeddings(self, body: Mapping[str, Any]) -> Json:
        raise self._unsupported("embeddings")

    async def completions(self, body: Mapping[str, Any]) -> Json:
        raise self._unsupported("legacy completions")

    async def completions_stream(self, body: Mapping[str, Any]) -> AsyncIterator[Json]:
        raise self._unsupported("legacy completions")
        yield {}  # pragma: no cover - makes this an async generator


def _latency(answer: MemberAnswer) -> float:
    return answer.latency_s if answer.latency_s is not None else float("inf")


def _fastest(answered: Sequence[MemberAnswer]) -> MemberAnswer:
    return min(answered, key=_latency)


def _all_choices(answered: Sequence[MemberAnswer]) -> Json:
    """One choice per answer, in configuration order."""
    choices = []
    for i, answer in enumerate(answered):
        choice = dict((answer.raw.get("choices") or [{}])[0])
        choices.append({**choice, "index": i})
    return {**answered[0].raw, "choices": choices}


def _answer_of(row: Mapping[str, Any]) -> MemberAnswer:
    return MemberAnswer(
        model=row["model"],
        status=row["status"],
        text=row.get("text"),
        tool_calls=tuple(row.get("tool_calls") or ()),
        finish_reason=row.get("finish_reason"),
        usage=dict(row.get("usage") or {}),
        latency_s=row.get("latency_s"),
        error=row.get("error"),
    )


def _as_chunks(completion: Mapping[str, Any], include_usage: bool) -> list[Json]:
    """A whole completion as the chunks a stream of it would have had."""
    base = {
        "id": completion.get("id"),
        "object": "chat.completion.chunk",
        "created": completion.get("created", 0),
        "model": completion.get("model"),
    }
    chunks = []
    for choice in completion.get("choices") or []:
        index = choice.get("index", 0)
        message = choice.get("message") or {}
        delta: Json = {"role": "assistant", "content": message.get("content") or ""}
        if message.get("tool_calls"):
            delta["tool_calls"] = [
                {**call, "index": i} for i, call in enumerate(message["tool_calls"])
            ]
        chunks.append(
            {**base, "choices": [{"index": index, "delta": delta, "finish_reason": None}]}
        )
        end = {"index": index, "delta": {}, "finish_reason": choice.get("finish_reason")}
        chunks.append({**base, "choices": [end]})
    if include_usage:
        chunks.append({**base, "choices": [], "usage": completion.get("usage")})
    return chunks
