"""The skills extension (SEP-2640, `io.modelcontextprotocol/skills`): Agent Skills served as
resources.

`serve_skills(server, skills)` serves each skill's files as resources under
`skill://<name>/...` (its `SKILL.md` as `text/markdown`, named and described by its
frontmatter), answers `skills/list` (every skill's entry: the `SKILL.md` URI, its frontmatter
as JSON, and every file with its SHA-256 digest and size) and `skills/get` (one entry by its
URI; -32602 for a URI that names no skill here) and `resources/directory/read` (the direct
children of a skill's directory or a subdirectory, subdirectories as `inode/directory`; -32602
for anything else), and declares the extension with `directoryRead`.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcproute._core import Message
from mcproute.protocol.jsonrpc import INVALID_PARAMS, Json, MCPError

if TYPE_CHECKING:
    from mcproute.protocol.server.context import RequestContext
    from mcproute.protocol.server.dispatch import MCPServer

EXTENSION = "io.modelcontextprotocol/skills"
MANIFEST = "SKILL.md"
DIRECTORY = "inode/directory"
# The Agent Skills naming rules: 1-64 lowercase letters, digits and single inner hyphens.
NAME = re.compile(r"(?!.*--)[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?")
TTL_MS = 0  # 2026-07-28 cache hints on the results, as on resources/read


@dataclass(frozen=True)
class Skill:
    name: str
    description: str
    instructions: str  # SKILL.md after its frontmatter
    files: dict[str, bytes] = field(default_factory=dict)  # other files, by relative path

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise ValueError(f"skill name {self.name!r}: 1-64 of a-z, 0-9 and inner hyphens")
        if not self.description:
            raise ValueError(f"skill {self.name!r}: a description is required")

    @property
    def frontmatter(self) -> Json:
        return {"name": self.name, "description": self.description}

    @property
    def uri(self) -> str:
        return f"skill://{self.name}/{MANIFEST}"

    def manifest(self) -> bytes:
        import yaml  # here: a worker serving no skills never loads it (about 1 MiB)

        head = yaml.safe_dump(self.frontmatter, sort_keys=False, allow_unicode=True)
        return f"---\n{head}---\n{self.instructions}".encode()

    def contents(self) -> dict[str, bytes]:
        """Every file of the skill by its URI, SKILL.md first."""
        return {
            self.uri: self.manifest(),
            **{f"skill://{self.name}/{path}": data for path, data in self.files.items()},
        }

    def children(self, uri: str) -> list[Json] | None:
        """The direct children of directory `uri` of this skill; None if it is none."""
        root = f"skill://{self.name}"
        if uri != root and not any(u.startswith(uri + "/") for u in self.contents()):
            return None
        found: dict[str, Json] = {}
        for file_uri in self.contents():
            if not file_uri.startswith(uri + "/"):
                continue
            head, _, rest = file_uri[len(uri) + 1 :].partition("/")
            child = f"{uri}/{head}"
            found[child] = {"uri": child, "name": head}
            if rest:
                found[child]["mimeType"] = DIRECTORY
        return list(found.values())

    def entry(self) -> Json:
        files = [
            {"uri": uri, "digest": f"sha256:{hashlib.sha256(data).hexdigest()}", "size": len(data)}
            for uri, data in self.contents().items()
        ]
        return {"uri": self.uri, "frontmatter": self.frontmatter, "resources": files}


def _cacheable(result: Json, ctx: RequestContext) -> Json:
    if ctx.modern:
        result.update(ttlMs=TTL_MS, cacheScope="private")
    return result


def _reader(content: str | bytes) -> Callable[[], str | bytes]:
    return lambda: content


def serve_skills(server: MCPServer, skills: list[Skill]) -> None:
    by_uri = {skill.uri: skill for skill in skills}
    for skill in skills:
        for uri, data in skill.contents().items():
            manifest = uri == skill.uri
            mime = "text/markdown" if manifest else mimetypes.guess_type(uri)[0]
            text = data.decode() if manifest or (mime or "").startswith("text/") else None
            server.resource(
                uri,
                name=skill.name if manifest else uri.rsplit("/", 1)[-1],
                mime_type=mime,
                description=skill.description if manifest else None,
            )(_reader(data if text is None else text))

    async def skills_list(params: Json, ctx: RequestContext, msg: Message) -> Json:
        return _cacheable({"skills": [skill.entry() for skill in skills]}, ctx)

    async def skills_get(params: Json, ctx: RequestContext, msg: Message) -> Json:
        uri: Any = params.get("uri")
        skill = by_uri.get(uri) if isinstance(uri, str) else None
        if skill is None:
            raise MCPError(INVALID_PARAMS, f"params.uri: no skill at {uri!r}")
        return _cacheable({"skill": skill.entry()}, ctx)

    async def directory_read(params: Json, ctx: RequestContext, msg: Message) -> Json:
        uri: Any = params.get("uri")
        children = None
        if isinstance(uri, str):
            owner = next((s for s in skills if uri.startswith(f"skill://{s.name}")), None)
            children = owner.children(uri.rstrip("/")) if owner is not None else None
        if children is None:
            raise MCPError(INVALID_PARAMS, f"params.uri: {uri!r} is not a skill directory here")
        return _cacheable({"resources": children}, ctx)

    server.set_handler("skills/list", skills_list)
    server.set_handler("skills/get", skills_get)
    server.set_handler("resources/directory/read", directory_read)
    server.extensions[EXTENSION] = {"directoryRead": True}
