"""What every JSON route of the proxy shares: reading the body, and mapping failures to
errors in the caller's format."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from mcproute.context import ContextNotFoundError
from mcproute.context.sqlite import ContextTooLargeError
from mcproute.errors import UpstreamError
from mcproute.models import ModelNotFoundError
from mcproute.proxy.errors import error_response, upstream_error


class BadRequest(Exception):
    pass


async def json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"body: not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise BadRequest("body: expected a JSON object")
    return body


def guarded(handler: Any) -> Any:
    """Map the failures every model route shares to the caller's error format."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)  # type: ignore[no-any-return]
        except BadRequest as exc:
            return error_response(request, 400, str(exc), "invalid_request")
        except PermissionError as exc:
            return error_response(request, 403, str(exc), "forbidden")
        except ModelNotFoundError as exc:
            return error_response(request, 404, str(exc), "model_not_found")
        except ContextNotFoundError as exc:
            return error_response(request, 404, str(exc), "context_not_found")
        except FileExistsError as exc:
            return error_response(request, 409, str(exc), "context_exists")
        except ContextTooLargeError as exc:
            return error_response(request, 413, str(exc), "context_too_large")
        except UpstreamError as exc:
            return upstream_error(request, exc)

    return wrapper
