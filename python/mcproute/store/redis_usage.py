"""The usage counters (`governance.counters.UsageCounter`) in Redis, for replicas: one script
per admission (`RESERVE`), one per settlement (`SETTLE`), both on Redis `TIME`, so skewed
clocks between replicas neither stretch nor shrink a window nor move a budget period.

Per subject: a hash of one-second buckets (`r:<second>` requests, `t:<second>` tokens, with
their running sums `R` and `T` and the oldest second still in them, `o`), a
sorted set of the leases in flight (scored by their expiry, so a crashed replica's slots free
themselves), and a counter of micro-dollars per budget period. Every key starts with the
installation's prefix (`store.redis_state.key_prefix`, written into the scripts' text) and carries
the hash tag `{gov}`: one admission touches several subjects, and Redis Cluster runs a script on
one slot.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from redis.exceptions import NoScriptError, RedisError

from mcproute.governance.counters import (
    LEASE_MIN,
    LEASE_SHARE,
    WINDOW_SECONDS,
    Admission,
    Ask,
    Charge,
    Settlement,
    SubjectUsage,
    Ticket,
    given_back,
    micros,
)
from mcproute.governance.limits import Limits
from mcproute.store.turn_batch import TurnBatch, deliver

_COMMON = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local P = '@PREFIX@{gov}:'
local function fields(text)  -- arguments come packed, space-separated: fewer for the client
    local out = {}
    for f in string.gmatch(text .. ' ', '([^ ]*) ') do out[#out + 1] = f end
    return out
end
"""

# ARGV: "mode rid tokens cost-micros lease-s window-s want slots ahead-s share min" (mode:
# reserve | read; want, slots, ahead-s: a grant of headroom, `counters.Ask`), then per subject
# two: its name, "rpm tpm max_parallel budget-micros period" (-1: no such limit; period '': no
# budget). Returns one space-separated string (`RedisUsage._run` reads it).
RESERVE = (
    _COMMON
    + """
local function civil(z)  -- days since 1970-01-01 -> year, month (H. Hinnant's algorithm)
    z = z + 719468
    local era = math.floor(z / 146097)
    local doe = z - era * 146097
    local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
        - math.floor(doe / 146096)) / 365)
    local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
    local mp = math.floor((5 * doy + 2) / 153)
    local m = mp < 10 and mp + 3 or mp - 9
    local y = yoe + era * 400
    if m <= 2 then y = y + 1 end
    return y, m
end
local function first_day(y, m)  -- the month's first day, in days since 1970-01-01
    if m <= 2 then y = y - 1 end
    local era = math.floor(y / 400)
    local yoe = y - era * 400
    local mp = m > 2 and m - 3 or m + 9
    local doy = math.floor((153 * mp + 2) / 5)
    return era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
end
local function period(kind)
    local day = math.floor(now / 86400)
    if kind == 'day' then return 'd' .. day, (day + 1) * 86400 end
    if kind == 'week' then
        local w = math.floor((day + 3) / 7)
        return 'w' .. w, ((w + 1) * 7 - 3) * 86400
    end
    if kind == 'month' then
        local y, m = civil(day)
        local index = y * 12 + m - 1
        return 'm' .. index, first_day(math.floor((index + 1) / 12), (index + 1) % 12 + 1) * 86400
    end
    return 'total', -1
end
local head = fields(ARGV[1])
local window = tonumber(head[6])
-- A subject's window: buckets r:<second> and t:<second>, their running sums R and T, and o,
-- the oldest second that may still have buckets (older ones are gone from the sums). A bucket
-- leaves the window when its last instant does; each admission subtracts the buckets that
-- left since the last one (one a second under steady traffic), so it never reads them all.
local function window_counts(wkey)
    local stale_max = math.floor(now - window) - 1
    local h = redis.call('HMGET', wkey, 'R', 'T', 'o')
    local req, tok, o = tonumber(h[1]), tonumber(h[2]), tonumber(h[3])
    if req == nil or tok == nil or o == nil or stale_max - o > 2 * window then
        -- new, idle for long, or written without the sums: count the buckets once
        req, tok = 0, 0
        local all, stale = redis.call('HGETALL', wkey), {}
        for j = 1, #all, 2 do
            local f, kind = all[j], string.sub(all[j], 1, 2)
            if kind == 'r:' or kind == 't:' then
                if tonumber(string.sub(f, 3)) <= stale_max then
                    stale[#stale + 1] = f
                elseif kind == 'r:' then
                    req = req + tonumber(all[j + 1])
                else
                    tok = tok + tonumber(all[j + 1])
                end
            end
        end
        if #stale > 0 then redis.call('HDEL', wkey, unpack(stale)) end
        o = stale_max + 1
        redis.call('HSET', wkey, 'R', req, 'T', tok, 'o', o)
    elseif stale_max >= o then
        local gone = {}
        for sec = o, stale_max do
            local v = redis.call('HMGET', wkey, 'r:' .. sec, 't:' .. sec)
            req, tok = req - (tonumber(v[1]) or 0), tok - (tonumber(v[2]) or 0)
            gone[#gone + 1], gone[#gone + 2] = 'r:' .. sec, 't:' .. sec
        end
        redis.call('HDEL', wkey, unpack(gone))
        o = stale_max + 1
        redis.call('HSET', wkey, 'R', req, 'T', tok, 'o', o)
    end
    -- the oldest buckets still counting requests and tokens, for the reset headers
    local first_r, first_t = nil, nil
    if req > 0 or tok > 0 then
        for sec = o, math.floor(now) + 2 do  -- (+2: the buckets of grants, `ahead_s`)
            local v = redis.call('HMGET', wkey, 'r:' .. sec, 't:' .. sec)
            if first_r == nil and (tonumber(v[1]) or 0) > 0 then first_r = sec end
            if first_t == nil and (tonumber(v[2]) or 0) > 0 then first_t = sec end
            if (first_r or req <= 0) and (first_t or tok <= 0) then break end
        end
    end
    return req, tok, first_r, first_t
end
local mode, rid = head[1], head[2]
local ask_tokens, ask_cost, lease = tonumber(head[3]), tonumber(head[4]), tonumber(head[5])
local n = (#ARGV - 1) / 2
local second = math.floor(now)
local subjects, out = {}, {}
for i = 1, n do
    local f = fields(ARGV[2 * i + 1])
    local s = {name = ARGV[2 * i], rpm = tonumber(f[1]), tpm = tonumber(f[2]),
        par = tonumber(f[3]), budget = tonumber(f[4]), kind = f[5]}
    local req, tok, first_r, first_t = window_counts(P .. 'w:' .. s.name)
    s.req, s.tok, s.inflight, s.spend, s.pid, s.pend = req, tok, 0, 0, '', 0
    if s.par >= 0 then
        redis.call('ZREMRANGEBYSCORE', P .. 'p:' .. s.name, '-inf', now)
        s.inflight = redis.call('ZCARD', P .. 'p:' .. s.name)
    end
    if s.kind ~= '' then
        s.pid, s.pend = period(s.kind)
        s.spend = tonumber(redis.call('GET', P .. 'b:' .. s.name .. ':' .. s.pid) or '0')
    end
    local function reset(first)
        if first == nil then return 0 end
        return math.max(first + 1 + window - now, 0)
    end
    s.rreset, s.treset = reset(first_r), reset(first_t)
    s.preset = s.kind == '' and '0' or (s.pend < 0 and 'inf' or tostring(s.pend - now))
    subjects[i] = s
    for _, v in ipairs({string.format('%d %d %d %d', s.req, s.tok, s.inflight, s.spend), s.pid,
            tostring(s.rreset), tostring(s.treset), s.preset}) do
        out[#out + 1] = v
    end
end
local count, slots = 1, 1
local function answer(allowed, index, limit, wait)
    local reply = {allowed, index, limit, tostring(wait), string.format('%d', second), count, slots}
    for _, v in ipairs(out) do reply[#reply + 1] = v end
    return table.concat(reply, ' ')
end
if mode == 'read' then return answer(1, -1, '', 0) end
for i, s in ipairs(subjects) do
    if s.rpm >= 0 and s.req + 1 > s.rpm then
        return answer(0, i - 1, 'rpm', s.req > 0 and s.rreset or window)
    end
    if s.tpm >= 0 and (s.tok >= s.tpm or s.tok + ask_tokens > s.tpm) then
        return answer(0, i - 1, 'tpm', s.tok > 0 and s.treset or window)
    end
    if s.par >= 0 and s.inflight + 1 > s.par then return answer(0, i - 1, 'max_parallel', 1) end
    if s.budget >= 0 and (s.spend >= s.budget or s.spend + ask_cost > s.budget) then
        return answer(0, i - 1, 'budget', s.preset)
    end
end
-- A grant of headroom (`counters.lease_size`): `want` requests cut to 1/share of each limit's
-- headroom, or just this one request when that is under `min`.
local want, want_slots = tonumber(head[7]) or 1, tonumber(head[8]) or 1
local ahead = tonumber(head[9]) or 0
if want > 1 then
    local share, least = tonumber(head[10]), tonumber(head[11])
    local parallel = false
    count, slots = want, want_slots
    for _, s in ipairs(subjects) do
        if s.rpm >= 0 then count = math.min(count, math.floor((s.rpm - s.req) / share)) end
        if s.tpm >= 0 and ask_tokens > 0 then
            count = math.min(count, math.floor((s.tpm - s.tok) / (ask_tokens * share)))
        end
        if s.budget >= 0 and ask_cost > 0 then
            count = math.min(count, math.floor((s.budget - s.spend) / (ask_cost * share)))
        end
        if s.par >= 0 and lease > 0 then
            parallel = true
            slots = math.min(slots, math.floor((s.par - s.inflight) / share))
        end
    end
    if parallel then slots = math.min(slots, count) else slots = 1 end
    if count < least or (parallel and slots < least) then
        count, slots = 1, 1
    else
        second = math.floor(now + ahead)
    end
end
local members = {now + lease, rid}  -- ZADD's score-member pairs: the slots taken
if slots > 1 then
    members = {}
    for k = 0, slots - 1 do
        members[2 * k + 1], members[2 * k + 2] = now + lease, rid .. '.' .. k
    end
end
for _, s in ipairs(subjects) do
    local wkey = P .. 'w:' .. s.name
    redis.call('HINCRBY', wkey, 'r:' .. second, count)
    redis.call('HINCRBY', wkey, 't:' .. second, count * ask_tokens)
    redis.call('HINCRBY', wkey, 'R', count)
    redis.call('HINCRBY', wkey, 'T', count * ask_tokens)
    redis.call('EXPIRE', wkey, math.ceil(window + ahead) + 2)
    if s.par >= 0 and lease > 0 then
        redis.call('ZADD', P .. 'p:' .. s.name, unpack(members))
        redis.call('EXPIRE', P .. 'p:' .. s.name, math.ceil(lease) + 1)
    end
    if s.kind ~= '' then
        local bkey = P .. 'b:' .. s.name .. ':' .. s.pid
        redis.call('INCRBY', bkey, count * ask_cost)
        if s.pend > 0 then redis.call('EXPIREAT', bkey, math.ceil(s.pend) + 86400) end
    end
end
return answer(1, -1, '', 0)
"""
)

# ARGV: window s, then per settlement "id second tokens cost-micros n requests", then the slots
# it frees, space-separated ('' for none), then per subject two: its name, "budget-period
# leased" (period '': no budget; leased 1 or 0); n counts the subjects (second '': now). A
# settlement applies once (a marker per settlement id, kept an hour), so a retried batch is
# harmless.
SETTLE = (
    _COMMON
    + """
local window, at = tonumber(ARGV[1]), 2
while at <= #ARGV do
local head = fields(ARGV[at])
local rid, second = head[1], head[2]
local tokens, cost, n = tonumber(head[3]), tonumber(head[4]), tonumber(head[5])
local requests = tonumber(head[6]) or 0
local freed = {}
for m in string.gmatch(ARGV[at + 1], '[^ ]+') do freed[#freed + 1] = m end
local sec = second == '' and math.floor(now) or tonumber(second)
-- Once per settlement: a batch that timed out on its way may have run before it is retried.
local fresh = rid == '' or redis.call('SET', P .. 's:' .. rid, 1, 'NX', 'EX', 3600)
for i = 1, fresh and n or 0 do
    local f = fields(ARGV[at + 1 + 2 * i])
    local name, pid, leased = ARGV[at + 2 * i], f[1], f[2]
    local wkey, field = P .. 'w:' .. name, 't:' .. sec
    local oldest = tonumber(redis.call('HGET', wkey, 'o'))
    -- (a bucket older than the window's oldest has left it: nothing to add or give back)
    if oldest == nil or sec >= oldest then
        local applied = 0
        if tokens > 0 or second == '' then
            redis.call('HINCRBY', wkey, field, tokens)
            redis.call('EXPIRE', wkey, math.ceil(window) + 2)
            applied = tokens
        elseif tokens < 0 and redis.call('HEXISTS', wkey, field) == 1 then
            local left = redis.call('HINCRBY', wkey, field, tokens)
            applied = tokens
            if left < 0 then
                redis.call('HSET', wkey, field, 0)
                applied = tokens - left
            end
        end
        if oldest ~= nil and applied ~= 0 then redis.call('HINCRBY', wkey, 'T', applied) end
        if requests < 0 and redis.call('HEXISTS', wkey, 'r:' .. sec) == 1 then
            local left = redis.call('HINCRBY', wkey, 'r:' .. sec, requests)
            local given = requests
            if left < 0 then
                redis.call('HSET', wkey, 'r:' .. sec, 0)
                given = requests - left
            end
            if oldest ~= nil then redis.call('HINCRBY', wkey, 'R', given) end
        end
    end
    if pid ~= '' and cost ~= 0 then
        local bkey = P .. 'b:' .. name .. ':' .. pid
        if redis.call('INCRBY', bkey, cost) < 0 then redis.call('SET', bkey, 0, 'KEEPTTL') end
    end
    if leased == '1' and #freed > 0 then redis.call('ZREM', P .. 'p:' .. name, unpack(freed)) end
end
at = at + 2 + n * 2
end
return 1
"""
)

# ARGV: lease s, then pairs: subject, rid.
RENEW = (
    _COMMON
    + """
local lease = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
    redis.call('ZADD', P .. 'p:' .. ARGV[i], 'XX', now + lease, ARGV[i + 1])
end
return 1
"""
)


def _limit(value: int | None) -> int:
    return -1 if value is None else value


@functools.lru_cache(maxsize=4096)
def _limit_fields(limits: Limits) -> str:
    """A subject's limits as `RESERVE` reads them (the same few limits recur: cached)."""
    budget = None if limits.budget_usd is None else micros(limits.budget_usd)
    period = "" if budget is None else limits.budget_period
    return (
        f"{_limit(limits.rpm)} {_limit(limits.tpm)} {_limit(limits.max_parallel)}"
        f" {_limit(budget)} {period}"
    )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _seconds(value: Any) -> float:
    text = _text(value)
    return math.inf if text == "inf" else float(text)


def _admission(raw: bytes, subjects: int) -> Admission:
    """`RESERVE`'s reply (one space-separated string)."""
    reply = raw.split(b" ")
    allowed, index, limit, wait, second, count, slots = reply[:7]
    usage = []
    for i in range(subjects):
        req, tok, inflight, spend, pid, rreset, treset, preset = reply[7 + 8 * i : 15 + 8 * i]
        usage.append(
            SubjectUsage(
                int(req),
                int(tok),
                int(inflight),
                int(spend),
                _text(pid),
                _seconds(rreset),
                _seconds(treset),
                _seconds(preset),
            )
        )
    return Admission(
        allowed == b"1",
        int(second),
        tuple(usage),
        int(index),
        _text(limit),
        _seconds(wait),
        int(count),
        int(slots),
    )


class RedisUsage:
    """The scripts of the usage counters on `client`; `call` maps Redis failures to
    `StoreUnavailableError`."""

    def __init__(
        self, client: Any, call: Callable[[Callable[[], Any]], Awaitable[Any]], prefix: str
    ) -> None:
        # The prefix is a checked namespace (letters, digits, '_', '.', '-'): safe in a Lua string.
        if "'" in prefix or "\\" in prefix:
            raise ValueError(f"Redis key prefix {prefix!r} cannot be written into a script")

        def script(text: str) -> Any:
            return client.register_script(text.replace("@PREFIX@", prefix))

        self._client = client
        self._reserve = script(RESERVE)
        self._settle = script(SETTLE)
        self._renew = script(RENEW)
        self._call = call
        self._batch: TurnBatch[list[str]] = TurnBatch(self._dispatch)
        self._in_flight: set[asyncio.Future[None]] = set()

    def _args(self, mode: str, charges: Sequence[Charge], ask: Ask) -> list[str]:
        args = [
            f"{mode} {ask.rid} {ask.tokens} {ask.cost_micros} {ask.lease_s} {WINDOW_SECONDS}"
            f" {ask.want} {ask.slots} {ask.ahead_s} {LEASE_SHARE} {LEASE_MIN}"
        ]
        for charge in charges:
            args.append(charge.subject)
            args.append(_limit_fields(charge.limits))
        return args

    def _script(self, args: list[str]) -> asyncio.Future[bytes]:
        """Run `RESERVE` with `args` in a pipeline shared with the other admissions of this
        turn of the event loop: one round trip for all of them, each script still atomic on
        its own. A pipeline does not wait for the one before it (each has a connection)."""
        future: asyncio.Future[bytes] = self._batch.add(args)
        return future

    def _dispatch(self, batch: list[tuple[list[str], asyncio.Future[Any]]]) -> None:
        task = asyncio.ensure_future(self._send(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _send(self, batch: list[tuple[list[str], asyncio.Future[Any]]]) -> None:
        try:
            replies = await self._call(lambda: self._pipelined([args for args, _ in batch]))
        except BaseException as exc:  # every waiter gets the failure
            replies = [exc] * len(batch)
        deliver(batch, replies)

    async def _pipelined(self, arg_lists: list[list[str]]) -> list[Any]:
        sha = self._reserve.sha
        for attempt in range(2):
            pipe = self._client.pipeline(transaction=False)
            for args in arg_lists:
                pipe.evalsha(sha, 0, *args)
            replies = await pipe.execute(raise_on_error=False)
            if attempt or not any(isinstance(r, NoScriptError) for r in replies):
                break
            sha = await self._client.script_load(self._reserve.script)  # Redis restarted
        for reply in replies:
            if isinstance(reply, Exception) and not isinstance(reply, RedisError):
                raise reply
        if any(isinstance(r, RedisError) for r in replies):
            raise next(r for r in replies if isinstance(r, RedisError))
        return list(replies)

    async def _run(self, mode: str, charges: Sequence[Charge], ask: Ask) -> Admission:
        args = self._args(mode, charges, ask)
        future = self._script(args)
        try:
            raw = await asyncio.shield(future)
        except asyncio.CancelledError:  # the caller left: give back what it was admitted
            if mode == "reserve":
                future.add_done_callback(lambda done: self._abandoned(done, charges, ask))
            raise
        return _admission(raw, len(charges))

    def _abandoned(self, done: asyncio.Future[bytes], charges: Sequence[Charge], ask: Ask) -> None:
        if done.cancelled() or done.exception() is not None:
            return
        admission = _admission(done.result(), len(charges))
        if admission.allowed:
            release = given_back(charges, ask, admission)
            task = asyncio.ensure_future(self.settle([release]))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def reserve(self, charges: Sequence[Charge], ask: Ask) -> Admission:
        return await self._run("reserve", charges, ask)

    async def read(self, charges: Sequence[Charge]) -> tuple[SubjectUsage, ...]:
        return (await self._run("read", charges, Ask(""))).usage

    async def settle(self, settlements: Sequence[Settlement]) -> None:
        args: list[Any] = [WINDOW_SECONDS]
        for s in settlements:
            t = s.ticket
            second = "" if t.second is None else t.second
            counts = f"{s.tokens} {s.cost_micros} {len(t.subjects)} {s.requests}"
            args.append(f"{s.id} {second} {counts}")
            args.append(" ".join(s.freed()) if any(t.leased) else "")
            for subject, period, leased in zip(t.subjects, t.periods, t.leased, strict=True):
                args += [subject, f"{period} {int(leased)}"]
        if len(args) > 1:
            await self._call(lambda: self._settle(keys=[], args=args))

    async def renew(self, tickets: Sequence[Ticket], lease_s: float) -> None:
        args: list[Any] = [lease_s]
        for t in tickets:
            for subject, leased in zip(t.subjects, t.leased, strict=True):
                if leased:
                    for member in t.members():
                        args += [subject, member]
        if len(args) > 1:
            await self._call(lambda: self._renew(keys=[], args=args))
