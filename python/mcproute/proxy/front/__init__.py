"""The server front: `mcproute serve`'s connections on raw asyncio protocols (uvloop), request
heads parsed in the Rust core, the plainest model and MCP calls (`framing.FAST_PATHS`) served
with the proxy's own middleware chain and handlers, every other connection handed to aiohttp.

Modules: `framing` (where a request ends, is it the fast shape), `request` (what the handlers
read), `response` (the bytes of a reply), `handoff` (a connection given to aiohttp),
`protocol` (one connection), `server` (the socket, timeouts, graceful stop: `Front`),
`mcp_lane` (`POST /mcp` in one function, the app's chain taking what it does not).
Nothing is imported here: `request` is imported by the proxy's own modules (which the others
import in turn).

`model_lane`: the model routes in one coroutine in place of the chain.
"""
