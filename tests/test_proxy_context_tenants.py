"""Context ids through `mcproute serve --workers 2`: a key of one tenant cannot learn that
another tenant uses an id (no 409 across tenants; the id is its own in each tenant), on
whichever worker each request lands."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from hostile_support import request as call
from served_support import Served, served


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[Served]:
    async with served(tmp_path, workers=2) as p:
        yield p


async def test_context_ids_do_not_cross_tenants(proxy: Served) -> None:
    acme, globex = proxy.key("contexts", "tenant:acme"), proxy.key("contexts", "tenant:globex")
    admin = proxy.key("admin")
    base = f"{proxy.url}/v1/contexts"
    # A new connection per request, so the kernel spreads the requests over both workers.
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as http:
        for _ in range(3):
            ident, fresh = (f"ctx_{secrets.token_hex(16)}" for _ in range(2))
            status, made = await call(http, "POST", base, acme, {"document": "A", "id": ident})
            assert status == 201, made
            # globex takes acme's id exactly as it takes one nobody uses.
            taken = await call(http, "POST", base, globex, {"document": "G", "id": ident})
            unused = await call(http, "POST", base, globex, {"document": "G", "id": fresh})
            assert taken[0] == unused[0] == 201
            assert set(taken[1]) == set(unused[1])
            for key, text in ((acme, "A"), (globex, "G"), (acme, "A"), (globex, "G")):
                status, got = await call(http, "GET", f"{base}/{ident}", key)
                assert (status, got["document"]) == (200, text)
            # Within its own tenant an id is still unique.
            status, error = await call(http, "POST", base, acme, {"document": "A", "id": ident})
            assert status == 409, error
            # What one tenant does to its context leaves the other's alone.
            assert (await call(http, "DELETE", f"{base}/{ident}", globex))[0] == 200
            assert (await call(http, "GET", f"{base}/{ident}", globex))[0] == 404
            status, got = await call(http, "GET", f"{base}/{ident}", acme)
            assert (status, got["document"]) == (200, "A")
            # A key of every tenant names the tenant when the id is ambiguous.
            await call(http, "POST", base, globex, {"document": "G2", "id": ident})
            status, error = await call(http, "GET", f"{base}/{ident}", admin)
            assert status == 400
            assert "tenant" in error["error"]["message"]
            status, got = await call(http, "GET", f"{base}/{ident}?tenant=globex", admin)
            assert (status, got["document"]) == (200, "G2")
        for key, count in ((acme, 3), (globex, 6)):  # each lists its own only
            status, listed = await call(http, "GET", base, key)
            assert (status, len(listed["data"])) == (200, count)
