"""The skills extension (SEP-2640): skills/list, skills/get and resources/directory/read on the
everything server and through the gateway; every listed file reads back with its digest and
size, and the frontmatter is the SKILL.md's own."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import yaml

from mcp_support import serve
from mcproute.protocol.client.connection import _ERA_CACHE, MCPConnection
from mcproute.protocol.gateway import Gateway
from mcproute.protocol.jsonrpc import INVALID_PARAMS, MCPError
from mcproute.protocol.server.http import StreamableHTTP
from mcproute.protocol.server.skills import EXTENSION, Skill
from mcproute.testing.everything_server import build


@pytest.fixture(autouse=True)
def fresh_era_cache() -> None:
    _ERA_CACHE.clear()


@asynccontextmanager
async def served(through_gateway: bool) -> AsyncIterator[str]:
    async with serve(StreamableHTTP(build()).app()) as url:
        if not through_gateway:
            yield url
            return
        gateway = Gateway({"ev": url})
        try:
            async with serve(StreamableHTTP(gateway).app()) as gw_url:
                yield gw_url
        finally:
            await gateway.close()


def content_of(read: dict[str, object]) -> bytes:
    (item,) = read["contents"]  # type: ignore[misc]
    return item["text"].encode() if "text" in item else base64.b64decode(item["blob"])


@pytest.mark.parametrize("through_gateway", [False, True])
@pytest.mark.parametrize("prefer", ["modern", "legacy"])
async def test_skills_are_listed_and_read_back(through_gateway: bool, prefer: str) -> None:
    async with served(through_gateway) as url, MCPConnection(url, prefer=prefer) as conn:
        await conn.list_tools()  # the gateway declares skills once it has heard its upstream
        if conn.era == "modern":
            discovered = await conn.request("server/discover")
            assert EXTENSION in discovered["capabilities"]["extensions"]
        (entry,) = (await conn.request("skills/list"))["skills"]
        assert entry["uri"] == "skill://greeting/SKILL.md"
        assert (await conn.request("skills/get", {"uri": entry["uri"]}))["skill"] == entry
        for file in entry["resources"]:
            data = content_of(await conn.read_resource(file["uri"]))
            assert file["digest"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert file["size"] == len(data)
        manifest = content_of(await conn.read_resource(entry["uri"])).decode()
        assert yaml.safe_load(manifest.split("---\n")[1]) == entry["frontmatter"]
        children = (await conn.request("resources/directory/read", {"uri": "skill://greeting"}))[
            "resources"
        ]
        assert {c["uri"]: c.get("mimeType") for c in children} == {
            "skill://greeting/SKILL.md": None,
            "skill://greeting/templates": "inode/directory",
        }
        for method, uri in [
            ("skills/get", "skill://nothing-here/SKILL.md"),
            ("resources/directory/read", entry["uri"]),  # a file, not a directory
        ]:
            with pytest.raises(MCPError) as refused:
                await conn.request(method, {"uri": uri})
            assert refused.value.code == INVALID_PARAMS


@pytest.mark.parametrize("name", ["", "Upper", "two--hyphens", "-edge", "x" * 65])
def test_skill_names_follow_the_agent_skills_rules(name: str) -> None:
    with pytest.raises(ValueError, match="skill name"):
        Skill(name, "A description.", "Body")


async def test_the_client_uses_only_files_that_match_their_entry() -> None:
    from mcproute.protocol.client import skills
    from mcproute.protocol.server import MCPServer
    from mcproute.protocol.server.skills import serve_skills

    server = MCPServer("skills")
    skill = Skill("notes", "Takes notes.", "# Notes\n", {"a.txt": b"A\n", "b.txt": b"B\n"})
    serve_skills(server, [skill])
    # Served content that differs from what the listing says: b.txt changed under it.
    del server.resources["skill://notes/b.txt"]
    server.resource("skill://notes/b.txt", name="b.txt")(lambda: "C\n")
    async with serve(StreamableHTTP(server).app()) as url, MCPConnection(url) as conn:
        (entry,) = await skills.list_skills(conn)
        manifest = await skills.load_skill(conn, entry)
        assert skills.frontmatter(manifest) == entry["frontmatter"]
        assert await skills.read_file(conn, entry, "skill://notes/a.txt") == b"A\n"
        with pytest.raises(skills.SkillError, match="digest"):
            await skills.read_file(conn, entry, "skill://notes/b.txt")
        forged = {**entry, "frontmatter": {**entry["frontmatter"], "description": "Other."}}
        with pytest.raises(skills.SkillError, match="description"):
            await skills.load_skill(conn, forged)
