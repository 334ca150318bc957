"""OpenAI's Responses API, served through the Router in the chat format.

    POST   /v1/responses        a response, as JSON or (`"stream": true`) typed `response.*` events
    GET    /v1/responses/{id}   a stored response
    GET    /v1/responses/{id}/input_items   ?limit=&order=&after=  its request's input items
    DELETE /v1/responses/{id}

The body is checked against `contract.responses`, translated to a chat request
(`models.translate_responses`), and run like `/v1/chat/completions`, so every upstream the
Router reaches serves it. Unless `"store": false`, the response is kept as a shared context of
the caller's tenant (`context.responses`): `previous_response_id` continues its conversation.
A key reaches only its own tenant's responses, and only those of models its scopes allow;
anything else is the same 404 as an id that does not exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from aiohttp import web

from mcproute.context.responses import (
    ResponseNotFoundError,
    ResponseStore,
    StoredResponse,
    is_response_id,
    new_response_id,
)
from mcproute.contract import responses as contract
from mcproute.errors import FailureKind, UpstreamError
from mcproute.models.translate_responses import (
    ChatToResponseStream,
    ResponseShell,
    input_items,
    items_to_messages,
    responses_to_chat_request,
)
from mcproute.proxy import governance
from mcproute.proxy.auth import RECORD, allows, tenant_of
from mcproute.proxy.contexts import CONTEXTS, referenced_messages
from mcproute.proxy.ensemble_accounting import accounted
from mcproute.proxy.errors import error_response
from mcproute.proxy.handling import BadRequest, checked_body, guarded
from mcproute.proxy.query_params import query_limit
from mcproute.proxy.routes import Failure, _call, _close, _model, _relay
from mcproute.store.sqlite_contexts import ContextTooLargeError

OPERATION = "chat"  # gen_ai.operation.name: a Responses call is a chat completion upstream
Json = dict[str, Any]
MAX_ITEMS = 100  # per page of input items, as OpenAI's API bounds it


def _store(request: web.Request) -> ResponseStore:
    return ResponseStore(request.app[CONTEXTS])


def _json(body: Any) -> web.Response:
    return web.Response(body=orjson.dumps(body), content_type="application/json")


def _not_found(request: web.Request, response_id: str, param: str | None) -> web.Response:
    message = f"{param + ': ' if param else ''}no response with id {response_id!r}"
    return error_response(request, 404, message, "response_not_found", param=param)


async def _stored(request: web.Request, response_id: str) -> StoredResponse:
    """A response this key may see: of its tenant, and of a model its scopes allow."""
    record = request[RECORD]
    found = await _store(request).load(tenant_of(record), response_id)
    if not allows(record, "models", str(found.response.get("model"))):
        raise ResponseNotFoundError(response_id)
    return found


def _response_id(request: web.Request) -> str:
    ident = request.match_info["id"]
    if not is_response_id(ident):
        raise BadRequest(f"id: expected {contract.RESPONSE_ID.describe}")
    return ident


@guarded
async def create(request: web.Request) -> web.StreamResponse:
    body = await checked_body(request, contract.CREATE)
    name = body["model"]
    model = await _model(request, name)
    history: list[Json] = []
    previous = body.get("previous_response_id")
    if previous is not None:
        try:
            history = (await _stored(request, previous)).conversation
        except ResponseNotFoundError:
            return _not_found(request, previous, "previous_response_id")
    shared = await referenced_messages(request, body)  # like instructions: not carried over
    chat, turn = responses_to_chat_request(body, [*shared, *history])
    if not chat["messages"]:
        raise BadRequest("input: give at least one input item")
    await governance.admit(request, chat, model=model)
    shell = ResponseShell(body, new_response_id(), name)
    saving = _Saving(request, body, [*history, *turn], input_items(body["input"]))
    with accounted(request, model, OPERATION):
        if body.get("stream"):
            chat["stream_options"] = {"include_usage": True}  # response.completed reports usage
            translator = ChatToResponseStream(shell)
            events = _events(model.chat_stream(chat), translator, saving)
            return await _relay(request, name, events, anthropic=True, failure=_failure(translator))
        completion = await _call(request, OPERATION, name, model.chat(chat))
    response = shell.from_chat(completion)
    await saving.save(response)
    return _json(response)


class _Saving:
    """Where a new response goes once finished: nowhere with `"store": false`, else into the
    caller's tenant with the conversation it continues."""

    def __init__(
        self, request: web.Request, body: Json, asked: list[Json], items: list[Json]
    ) -> None:
        self.store = _store(request) if body.get("store", True) else None
        self.tenant = tenant_of(request[RECORD])
        self.asked = asked
        self.items = items

    async def save(self, response: Json) -> None:
        if self.store is None:
            return
        conversation = [*self.asked, *items_to_messages(response["output"])]
        try:
            await self.store.save(self.tenant, response, conversation, self.items)
        except ContextTooLargeError as exc:  # a stored response holds the whole conversation
            raise ContextTooLargeError(
                f"store: the conversation is too large to store ({exc}); "
                'send "store": false, or start a new conversation'
            ) from None


async def _events(
    chunks: AsyncIterator[Json], translator: ChatToResponseStream, saving: _Saving
) -> AsyncIterator[Json]:
    """The Responses events of a chat stream. Nothing is yielded before the first chunk, so a
    failure before it is an error reply; the response is stored before `response.completed`
    is sent, so a client may continue it as soon as it has that event."""
    iterator = aiter(chunks)
    try:
        first = await anext(iterator, None)
        for event in translator.start():
            yield event
        chunk = first
        while chunk is not None:
            for event in translator.feed(chunk):
                yield event
            chunk = await anext(iterator, None)
    finally:
        await _close(iterator)
    closing, response = translator.finish()
    for event in closing:
        yield event
    try:
        await saving.save(response)
    except ContextTooLargeError as exc:
        for event in translator.fail("server_error", str(exc)):
            yield event
        return
    yield translator.completed()


def _failure(translator: ChatToResponseStream) -> Failure:
    def failure(reason: str, message: str, exc: UpstreamError | None) -> list[Json]:
        limited = exc is not None and exc.kind is FailureKind.RATE_LIMITED
        return translator.fail("rate_limit_exceeded" if limited else "server_error", message)

    return failure


@guarded
async def retrieve(request: web.Request) -> web.StreamResponse:
    ident = _response_id(request)
    if request.query.get("stream") not in (None, "false"):
        raise BadRequest("stream: replaying a stored response as events is not supported")
    try:
        return _json((await _stored(request, ident)).response)
    except ResponseNotFoundError:
        return _not_found(request, ident, None)


@guarded
async def list_input_items(request: web.Request) -> web.StreamResponse:
    ident = _response_id(request)
    limit = query_limit(request, MAX_ITEMS, default=20)
    order = request.query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise BadRequest('order: expected one of "asc", "desc"')
    try:
        items = (await _stored(request, ident)).input_items
    except ResponseNotFoundError:
        return _not_found(request, ident, None)
    if order == "desc":
        items = items[::-1]
    after = request.query.get("after")
    if after is not None:
        ids = [item.get("id") for item in items]
        if after not in ids:
            raise BadRequest(f"after: no input item {after!r} in this response")
        items = items[ids.index(after) + 1 :]
    page = items[:limit]
    return _json(
        {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": len(items) > limit,
        }
    )


@guarded
async def delete(request: web.Request) -> web.StreamResponse:
    ident = _response_id(request)
    try:
        await _stored(request, ident)
        await _store(request).delete(tenant_of(request[RECORD]), ident)
    except ResponseNotFoundError:
        return _not_found(request, ident, None)
    return _json({"id": ident, "object": "response.deleted", "deleted": True})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/responses", create)
    app.router.add_get("/v1/responses/{id}", retrieve)
    app.router.add_get("/v1/responses/{id}/input_items", list_input_items)
    app.router.add_delete("/v1/responses/{id}", delete)
