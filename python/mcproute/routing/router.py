"""The Router: picks a deployment per attempt, retries, falls back across groups, hedges.

Attempts are caller-supplied coroutines (or async iterators for streams) that receive the
chosen Deployment and the AttemptContext; they raise UpstreamError for classified failures.
The Rust balancer of each group does the picking and keeps health; this module owns time:
backoff, Retry-After, timeouts (`deadline`: `asyncio.timeout`'s semantics, cheaper), hedging,
and cancellation when the caller goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

import aiohttp

from mcproute import tracing
from mcproute._core import Balancer, NoDeploymentAvailable, Pick
from mcproute.deadline import deadline
from mcproute.errors import FailureKind, UpstreamError
from mcproute.routing.latency import LatencyWindow
from mcproute.routing.policy import RouterPolicy
from mcproute.routing.types import AttemptContext, AttemptEvent, Deployment

T = TypeVar("T")
Attempt = Callable[[Deployment, AttemptContext], Awaitable[T]]
StreamAttempt = Callable[[Deployment, AttemptContext], AsyncIterator[T]]
Observer = Callable[[AttemptEvent], None]

# Failures that say nothing about the deployment's health.
_NOT_HEALTH = frozenset(
    {
        FailureKind.BAD_REQUEST,
        FailureKind.AUTH,
        FailureKind.CONTEXT_WINDOW,
        FailureKind.CONTENT_POLICY,
    }
)


class StreamCut(UpstreamError):
    """A stream that had started ended early, for ``reason``: ``idle_timeout``,
    ``total_timeout``, ``upstream_cut`` (the upstream closed it) or ``upstream_error``."""

    def __init__(self, error: UpstreamError, reason: str) -> None:
        super().__init__(
            error.kind,
            str(error),
            status=error.status,
            retry_after=error.retry_after,
            deployment=error.deployment,
        )
        self.reason = reason


class UnknownGroupError(KeyError):
    """The model group is not configured."""

    def __str__(self) -> str:
        return f"unknown model group {self.args[0]!r}"


def classify(exc: BaseException, deployment: str) -> UpstreamError | None:
    """Map transport exceptions to UpstreamError; None for anything that is not upstream's."""
    if isinstance(exc, UpstreamError):
        return exc
    if isinstance(exc, TimeoutError):
        return UpstreamError(FailureKind.TIMEOUT, "upstream timed out", deployment=deployment)
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientConnectionError | OSError):
        return UpstreamError(
            FailureKind.CONNECTION, f"upstream connection failed: {exc}", deployment=deployment
        )
    return None


class _Group:
    def __init__(self, name: str, policy: RouterPolicy) -> None:
        self.name = name
        self.balancer = Balancer(policy.strategy, **policy.balancer_options())
        self.deployments: dict[str, Deployment] = {}
        self.latency = LatencyWindow()

    def update(self, deployments: Sequence[Deployment]) -> None:
        names = []
        for d in deployments:
            if d.group != self.name:
                raise ValueError(f"deployment {d.name!r} belongs to {d.group!r}, not {self.name!r}")
            self.balancer.upsert(d.name, d.weight, d.max_concurrency)
            self.deployments[d.name] = d
            names.append(d.name)
        if len(set(names)) != len(names):
            raise ValueError(f"group {self.name!r}: deployment names must be unique")
        self.balancer.retain(names)
        for stale in set(self.deployments) - set(names):
            del self.deployments[stale]


class Router:
    """Routes calls to model groups; one instance per process is the normal use."""

    def __init__(
        self,
        groups: Mapping[str, Sequence[Deployment]],
        policy: RouterPolicy | None = None,
        *,
        observer: Observer | None = None,
    ) -> None:
        self.policy = policy or RouterPolicy()
        self.observer = observer
        self._groups: dict[str, _Group] = {}
        self._contexts: dict[tuple[str, str, int, bool], AttemptContext] = {}
        self._rng = random.Random()
        # For metrics: retries by group, fallbacks by (from group, to group).
        self.retries: Counter[str] = Counter()
        self.fallbacks: Counter[tuple[str, str]] = Counter()
        self.set_groups(groups)

    # --- configuration -------------------------------------------------------------------

    def set_groups(self, groups: Mapping[str, Sequence[Deployment]]) -> None:
        """Replace the configured groups; unchanged deployments keep their health and load."""
        for name, deployments in groups.items():
            group = self._groups.get(name) or _Group(name, self.policy)
            group.update(deployments)
            self._groups[name] = group
        for name in set(self._groups) - set(groups):
            del self._groups[name]
        self._contexts.clear()  # timeouts may have changed with the deployments

    def set_weight(self, group: str, deployment: str, weight: float) -> bool:
        return self._group(group).balancer.set_weight(deployment, weight)

    @property
    def groups(self) -> list[str]:
        return list(self._groups)

    def stats(self) -> dict[str, dict[str, dict[str, object]]]:
        """Per group, per deployment: in_flight, successes, failures, ejections, latency..."""
        return {name: g.balancer.stats() for name, g in self._groups.items()}

    def _group(self, name: str) -> _Group:
        try:
            return self._groups[name]
        except KeyError:
            raise UnknownGroupError(name) from None

    # --- calls ---------------------------------------------------------------------------

    async def call(self, group: str, attempt: Attempt[T]) -> T:
        """Run `attempt` on a deployment of `group`, with retries and fallbacks."""
        if tracing.ACTIVE:
            attempt = tracing.attempt(attempt)  # a client span per attempt
        visited: list[str] = []
        current: str | None = group
        while current is not None:
            visited.append(current)
            try:
                return await self._call_group(current, attempt)
            except UpstreamError as exc:
                current = self._fallback(group, visited[-1], exc, visited)
                if current is None:
                    raise
                self.fallbacks[visited[-1], current] += 1
        raise AssertionError("unreachable")

    def stream(self, group: str, attempt: StreamAttempt[T]) -> AsyncIterator[T]:
        """Relay a stream; retries and fallbacks apply only before its first chunk."""
        if tracing.ACTIVE:
            attempt = tracing.stream_attempt(attempt)
        return self._stream(group, attempt)

    def _fallback(
        self, origin: str, current: str, exc: UpstreamError, visited: list[str]
    ) -> str | None:
        p = self.policy
        if exc.kind is FailureKind.CONTEXT_WINDOW:
            candidates: Sequence[str] = [p.context_window_fallbacks.get(current, "")]
        elif exc.kind is FailureKind.CONTENT_POLICY:
            candidates = [p.content_policy_fallbacks.get(current, "")]
        elif exc.retryable:
            candidates = p.fallbacks.get(origin, ())
        else:
            return None
        for name in candidates:
            if name and name not in visited and name in self._groups:
                return name
        return None

    def _context(self, deployment: Deployment, attempt: int, hedge: bool = False) -> AttemptContext:
        # Contexts are immutable and depend only on these: build each once.
        key = (deployment.group, deployment.name, attempt, hedge)
        ctx = self._contexts.get(key)
        if ctx is None:
            t = self.policy.timeouts(deployment.group, deployment.timeouts)
            ctx = self._contexts[key] = AttemptContext(
                attempt=attempt,
                connect_timeout=t["connect_timeout_s"],
                first_byte_timeout=t["first_byte_timeout_s"],
                total_timeout=t["total_timeout_s"],
                stream_idle_timeout=t["stream_idle_timeout_s"],
                hedge=hedge,
            )
        return ctx

    async def _pick(
        self,
        group: _Group,
        failed: list[str],
        n: int,
        last: UpstreamError | None,
        exclude: str | None = None,
    ) -> Pick:
        """Pick for attempt `n`. A retry goes at once to a deployment this call has not tried;
        only when none is left does it back off (a 429 needs no backoff: the balancer cools
        that deployment down, and the wait happens in _wait_for_capacity if nothing is left)."""
        skip = [*failed, exclude] if exclude else failed
        pick = group.balancer.pick(skip)
        if self._may_back_off(n, last) and pick.name in failed:
            pick.cancel()
            await asyncio.sleep(self._backoff(n - 1, last))
            pick = group.balancer.pick(skip)
        return pick

    @staticmethod
    def _may_back_off(n: int, last: UpstreamError | None) -> bool:
        """Whether attempt `n`, after `last` failed, may have to wait before its pick."""
        return n > 0 and last is not None and last.kind is not FailureKind.RATE_LIMITED

    def _backoff(self, n: int, exc: UpstreamError | None) -> float:
        p = self.policy
        delay = self._rng.uniform(0, min(p.backoff_max_s, p.backoff_base_s * 2**n))
        if exc is not None and exc.retry_after is not None:
            delay = max(delay, min(exc.retry_after, p.retry_after_max_s))
        return delay

    async def _call_group(self, name: str, attempt: Attempt[T]) -> T:
        group = self._group(name)
        last: UpstreamError | None = None
        failed: list[str] = []  # retries go elsewhere while another deployment is available
        for n in range(self.policy.num_retries + 1):
            if n > 0:
                self.retries[name] += 1
            try:
                if self.policy.hedge and len(group.deployments) > 1:
                    return await self._hedged(group, attempt, n, failed, last)
                return await self._attempt(group, attempt, n, failed, last)
            except NoDeploymentAvailable as exc:
                last = await self._wait_for_capacity(name, exc, last, n)
            except UpstreamError as exc:
                if not exc.retryable:
                    raise
                last = exc
        assert last is not None
        raise last

    async def _wait_for_capacity(
        self, name: str, exc: NoDeploymentAvailable, last: UpstreamError | None, n: int
    ) -> UpstreamError:
        """Every deployment is at its limit or cooling down: wait out the Retry-After (up to
        the cap) before the next try, or fail now when even the cap would not be enough."""
        # No attempt of this call was refused (others put every deployment in cooldown):
        # the caller still gets a Retry-After, the balancer's default cooldown.
        retry_after = last.retry_after if last else self.policy.default_cooldown_s
        if (
            last is not None
            and retry_after is not None
            and retry_after > self.policy.retry_after_max_s
        ):
            raise last
        error = UpstreamError(
            FailureKind.RATE_LIMITED, f"group {name!r}: {exc}", retry_after=retry_after
        )
        if n < self.policy.num_retries:
            await asyncio.sleep(self._backoff(n, error))
        return error

    async def _attempt(
        self,
        group: _Group,
        attempt: Attempt[T],
        n: int,
        failed: list[str],
        last: UpstreamError | None,
        exclude: str | None = None,
        on_pick: Callable[[str], None] | None = None,
        hedge: bool = False,
    ) -> T:
        if self._may_back_off(n, last):
            pick = await self._pick(group, failed, n, last, exclude)
        else:  # nothing to wait for: no coroutine made
            pick = group.balancer.pick([*failed, exclude] if exclude else failed)
        if on_pick is not None:
            on_pick(pick.name)
        deployment = group.deployments[pick.name]
        ctx = self._context(deployment, n, hedge)
        try:
            with deadline(ctx.total_timeout):
                result = await attempt(deployment, ctx)
        except BaseException as exc:
            failed.append(pick.name)
            error = self._failed(group, pick, exc)
            if error is exc:
                raise
            raise error from exc
        self._succeeded(group, pick)
        return result

    def _succeeded(self, group: _Group, pick: Pick) -> None:
        latency = pick.elapsed
        pick.success(latency)
        group.latency.add(latency)
        self._emit(group.name, pick.name, "success", latency)

    def _failed(self, group: _Group, pick: Pick, exc: BaseException) -> BaseException:
        """Report a failed attempt; return what to raise: the UpstreamError it maps to, or the
        exception itself when it is not the upstream's (cancellation, a bug)."""
        self._report_failure(group, pick, exc)
        mapped = classify(exc, pick.name)
        return exc if mapped is None else mapped

    def _report_failure(self, group: _Group, pick: Pick, exc: BaseException) -> None:
        latency = pick.elapsed
        mapped = classify(exc, pick.name)
        if isinstance(exc, asyncio.CancelledError) or mapped is None:
            pick.cancel()
            self._emit(group.name, pick.name, "cancelled", latency)
            return
        if mapped.kind is FailureKind.RATE_LIMITED:
            pick.rate_limited(mapped.retry_after)
            outcome = "rate_limited"
        elif mapped.kind in _NOT_HEALTH:
            pick.cancel()
            outcome = "rejected"
        else:
            pick.failure(latency)
            outcome = "failure"
        mapped.deployment = mapped.deployment or pick.name
        self._emit(group.name, pick.name, outcome, latency, mapped.kind.value)

    def _emit(
        self, group: str, deployment: str, outcome: str, latency: float, kind: str | None = None
    ) -> None:
        if self.observer is not None:
            self.observer(AttemptEvent(group, deployment, outcome, latency, kind))

    def hedge_delay(self, group: str) -> float:
        p = self.policy
        observed = self._group(group).latency.quantile(p.hedge_quantile)
        delay = p.hedge_default_delay_s if observed is None else observed
        return min(p.hedge_max_delay_s, max(p.hedge_min_delay_s, delay))

    async def _hedged(
        self,
        group: _Group,
        attempt: Attempt[T],
        n: int,
        failed: list[str],
        last: UpstreamError | None,
    ) -> T:
        """First attempt now, a second on another deployment after the hedge delay; the
        first success wins and the other is cancelled."""
        picked: list[str] = []
        first = asyncio.ensure_future(
            self._attempt(group, attempt, n, failed, last, on_pick=picked.append)
        )
        tasks = {first}
        try:
            done, _ = await asyncio.wait(tasks, timeout=self.hedge_delay(group.name))
            if not done:
                second = asyncio.ensure_future(
                    self._attempt(group, attempt, n, failed, last, exclude=picked[0], hedge=True)
                )
                tasks.add(second)
            errors: list[BaseException] = []
            pending = set(tasks)
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    exc = task.exception()
                    if exc is None:
                        return task.result()
                    errors.append(exc)
            raise errors[0]
        finally:
            for task in tasks:
                if not task.done():
                    task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # --- streams -------------------------------------------------------------------------

    async def _stream(self, origin: str, attempt: StreamAttempt[T]) -> AsyncIterator[T]:
        visited: list[str] = []
        current: str | None = origin
        while current is not None:
            visited.append(current)
            try:
                opened = await self._open_stream(current, attempt)
            except UpstreamError as exc:
                current = self._fallback(origin, visited[-1], exc, visited)
                if current is None:
                    raise
                self.fallbacks[visited[-1], current] += 1
                continue
            relay = self._relay(*opened)
            try:
                async for chunk in relay:
                    yield chunk
            finally:
                await relay.aclose()  # the consumer left early: cancel the upstream now
            return

    async def _open_stream(
        self, name: str, attempt: StreamAttempt[T]
    ) -> tuple[_Group, Pick, AttemptContext, AsyncIterator[T], T]:
        """Start a stream and wait for its first chunk, retrying within the group: a first
        byte later than the first-byte timeout is retried on another deployment."""
        group = self._group(name)
        last: UpstreamError | None = None
        failed: list[str] = []
        for n in range(self.policy.num_retries + 1):
            if n > 0:
                self.retries[name] += 1
            try:
                pick = await self._pick(group, failed, n, last)
            except NoDeploymentAvailable as exc:
                last = await self._wait_for_capacity(name, exc, last, n)
                continue
            deployment = group.deployments[pick.name]
            ctx = self._context(deployment, n)
            iterator = aiter(attempt(deployment, ctx))
            try:
                with deadline(_earliest(ctx.first_byte_timeout, ctx.total_timeout)):
                    first = await anext(iterator)
            except StopAsyncIteration:
                pick.failure()
                failed.append(pick.name)
                last = UpstreamError(
                    FailureKind.CONNECTION,
                    "stream ended before its first chunk",
                    deployment=pick.name,
                )
                continue
            except BaseException as exc:
                await _close(iterator)
                failed.append(pick.name)
                if isinstance(exc, TimeoutError):
                    exc = UpstreamError(
                        FailureKind.TIMEOUT,
                        f"no first byte within {ctx.first_byte_timeout:g} s",
                        deployment=pick.name,
                    )
                error = self._failed(group, pick, exc)
                if not isinstance(error, UpstreamError) or not error.retryable:
                    if error is exc:
                        raise
                    raise error from exc
                last = error
                continue
            pick.first_byte()
            return group, pick, ctx, iterator, first
        assert last is not None
        raise last

    async def _relay(
        self, group: _Group, pick: Pick, ctx: AttemptContext, iterator: AsyncIterator[T], first: T
    ) -> AsyncGenerator[T, None]:
        """Yield chunks as they come, within the idle timeout between them and the total
        timeout of the attempt; an early end raises StreamCut with its reason."""
        loop = asyncio.get_running_loop()
        idle = ctx.stream_idle_timeout
        total = ctx.total_timeout
        ends_at = None if total is None else loop.time() + total - pick.elapsed
        try:
            yield first
            while True:
                limit, reason = idle, "idle_timeout"
                if ends_at is not None and (limit is None or ends_at - loop.time() < limit):
                    limit, reason = max(ends_at - loop.time(), 0.0), "total_timeout"
                try:
                    with deadline(limit):
                        chunk = await anext(iterator)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise _timed_out(reason, ctx, pick.name) from None
                yield chunk
        except BaseException as exc:
            # GeneratorExit / CancelledError: the consumer went away; cancel upstream work.
            await _close(iterator)
            error = self._failed(group, pick, exc)
            if error is exc and not isinstance(exc, UpstreamError):
                raise
            if isinstance(error, StreamCut):
                raise error from None
            assert isinstance(error, UpstreamError)
            raise StreamCut(error, _ending(error, total, pick)) from exc
        self._succeeded(group, pick)


def _ending(error: UpstreamError, total: float | None, pick: Pick) -> str:
    """Why a stream the upstream side ended early ended (the HTTP client's own total timeout
    may fire just before ours)."""
    if error.kind is FailureKind.CONNECTION:
        return "upstream_cut"
    if error.kind is FailureKind.TIMEOUT and total is not None and pick.elapsed >= total:
        return "total_timeout"
    return "upstream_error"


def _earliest(*limits: float | None) -> float | None:
    present = [t for t in limits if t is not None]
    return min(present) if present else None


def _timed_out(reason: str, ctx: AttemptContext, deployment: str) -> StreamCut:
    if reason == "idle_timeout":
        message = f"stream idle for more than {ctx.stream_idle_timeout:g} s"
    else:
        message = f"stream went on past the {ctx.total_timeout:g} s total timeout"
    return StreamCut(UpstreamError(FailureKind.TIMEOUT, message, deployment=deployment), reason)


async def _close(iterator: AsyncIterator[object]) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        # Closing a broken upstream stream must not mask the error that broke it.
        with contextlib.suppress(Exception):
            await close()
