"""The client side of the skills extension (SEP-2640): skills are listed, loaded only when
used, and every file checked against its entry before anything uses it.

`list_skills(conn)` is `skills/list` (every page), reading no file. `load_skill(conn, entry)`
reads the skill's `SKILL.md`, checks its size and SHA-256 digest against the entry's
`resources`, and compares its YAML frontmatter field by field with the entry's; `read_file`
does the size and digest checks for any other file of the skill. A file that fails them raises
`SkillError` and is not returned. A skill whose `resources` is `"dynamic"` publishes no digests:
its files are returned as read.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

from mcproute.protocol.jsonrpc import Json

if TYPE_CHECKING:
    from mcproute.protocol.client.connection import MCPConnection

EXTENSION = "io.modelcontextprotocol/skills"


class SkillError(ValueError):
    """A skill file that does not match its entry: never to be used."""


async def list_skills(conn: MCPConnection) -> list[Json]:
    return await conn.paged("skills/list", "skills")


def _content(read: Json, uri: str) -> bytes:
    for item in read.get("contents") or []:
        if item.get("uri", uri) == uri:
            if "text" in item:
                return str(item["text"]).encode()
            return base64.b64decode(item.get("blob", ""), validate=True)
    raise SkillError(f"{uri}: the server returned no content for it")


async def read_file(conn: MCPConnection, entry: Json, uri: str) -> bytes:
    """A file of the skill `entry` lists, once it matches the entry's size and digest."""
    data = _content(await conn.read_resource(uri), uri)
    listed = entry.get("resources")
    if listed == "dynamic":
        return data
    mine = next((r for r in listed or [] if isinstance(r, dict) and r.get("uri") == uri), None)
    if mine is None:
        raise SkillError(f"{uri}: not among the files its skill entry lists")
    if len(data) != mine.get("size"):
        raise SkillError(f"{uri}: {len(data)} bytes, the entry says {mine.get('size')}")
    if f"sha256:{hashlib.sha256(data).hexdigest()}" != mine.get("digest"):
        raise SkillError(f"{uri}: its content does not match the entry's digest")
    return data


def frontmatter(manifest: str) -> Any:
    """The YAML frontmatter of a SKILL.md, None when it has none."""
    text = manifest.removeprefix("\ufeff")
    if not text.startswith("---"):
        return None
    head, sep, _ = text[3:].partition("\n---")
    if not sep:
        return None
    import yaml  # here: a worker that reads no skills never loads it (about 1 MiB)

    return yaml.safe_load(head)


async def load_skill(conn: MCPConnection, entry: Json) -> str:
    """The skill's SKILL.md, once its bytes match the entry and its frontmatter is the
    entry's own."""
    uri = str(entry.get("uri"))
    manifest = (await read_file(conn, entry, uri)).decode()
    found, listed = frontmatter(manifest), entry.get("frontmatter")
    if not isinstance(found, dict) or not isinstance(listed, dict):
        raise SkillError(f"{uri}: no frontmatter to compare with the entry's")
    differ = sorted(k for k in found.keys() | listed.keys() if found.get(k) != listed.get(k))
    if differ:
        raise SkillError(f"{uri}: its frontmatter differs from the entry's in {differ}")
    return manifest
