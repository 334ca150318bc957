"""Configuration reload in a running proxy: SIGHUP, `--watch-config` and `POST /admin/reload`.

The new file is loaded and validated first; an invalid one is rejected with its errors and the
current configuration stays. A valid one is swapped in within one step of the event loop, so
no request sees half of it: models, deployments, aliases and groups, the routing policy, rpm /
tpm / timeouts / concurrency limits (the ModelRegistry), and MCP servers (the Gateway, built
now if it was not yet: added ones start on first use, removed ones close after their calls in
flight, unchanged ones keep their connections and sessions). Requests in flight finish on what
they started with: they hold their routed model, router and upstream. The `security` and
`auth` blocks take effect on restart.

In `mcproute serve --workers N` each worker reloads itself: the parent passes SIGHUP on to every
worker, a worker that takes `POST /admin/reload` signals the parent, and with `--watch-config`
each worker watches the file. A reload that changes nothing touches nothing, so a worker told
twice does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mcproute.config import Config, ConfigError, ConfigIssue, load_config
from mcproute.models import ModelRegistry
from mcproute.proxy.errors import error_response

if TYPE_CHECKING:
    from mcproute.proxy.mcp_mount import McpMount

log = logging.getLogger("mcproute.reload")
Diff = dict[str, Any]


def mcp_upstreams(config: Config) -> dict[str, dict[str, Any]]:
    """The gateway's upstream specs from `mcpServers`."""
    upstreams: dict[str, dict[str, Any]] = {}
    for s in config.mcp_servers:
        if s.disabled:
            continue
        if s.url is not None:
            headers = {k: v.reveal() for k, v in s.headers.items()}
            upstreams[s.name] = {"url": s.url, "headers": headers, **s.resilience}
            if s.auth is not None:
                upstreams[s.name]["auth"] = {
                    k: v if isinstance(v, str) else v.reveal() for k, v in s.auth.items()
                }
        else:
            # Started on first use, in each worker; the child gets only its configured env
            # (and the inherited variables, see protocol.client.stdio).
            env = {k: v.reveal() for k, v in s.env.items()}
            upstreams[s.name] = {
                "command": s.command,
                "args": list(s.args),
                "env": env,
                "cwd": s.cwd,
                **s.resilience,
                **({} if s.inherit_env is None else {"inheritEnv": list(s.inherit_env)}),
            }
    return upstreams


def _changes(old: Mapping[str, object], new: Mapping[str, object]) -> dict[str, list[str]]:
    return {
        "added": [k for k in new if k not in old],
        "removed": [k for k in old if k not in new],
        "changed": [k for k in new if k in old and old[k] != new[k]],
    }


def config_diff(old: Config, new: Config) -> Diff:
    """What a reload from `old` to `new` changes, by name (never a value: some are secrets)."""

    def groups(c: Config) -> dict[str, object]:
        return {name: tuple(members) for name, members in c.model_groups().items()}

    diff: Diff = {
        "models": _changes(groups(old), groups(new)),
        "deployments": _changes(
            {d.name: d for d in old.deployments}, {d.name: d for d in new.deployments}
        ),
        "aliases": _changes(old.aliases, new.aliases),
        "ensembles": _changes(old.ensembles, new.ensembles),
        "defaults": _changes(old.defaults, new.defaults),
        "mcp_servers": _changes(
            {s.name: s for s in old.mcp_servers}, {s.name: s for s in new.mcp_servers}
        ),
        "routing": "changed" if old.routing != new.routing else "unchanged",
        "dashboard": "changed" if old.dashboard != new.dashboard else "unchanged",
    }
    changed = "changed" in (diff["routing"], diff["dashboard"]) or any(
        names for part in diff.values() if isinstance(part, dict) for names in part.values()
    )
    diff["changed"] = changed
    blocks = {"security": (old.security, new.security), "auth": (old.oauth, new.oauth)}
    diff["restart_needed"] = [name for name, (was, now) in blocks.items() if was != now]
    return diff


class Reloader:
    """Holds a worker's current configuration and swaps in new ones."""

    def __init__(self, config: Config, registry: ModelRegistry, mcp: McpMount) -> None:
        self.config = config
        self.registry = registry
        self.mcp = mcp  # the MCP gateway, built or not
        source = Path(config.source) if config.source else None
        self.path = source if source is not None and source.is_file() else None
        self.notify_peers: Callable[[], None] | None = None  # set by a multi-worker serve

    def apply(self, new: Config) -> Diff:
        """Swap `new` in (raises ConfigError, keeping the current one, if it is invalid)."""
        diff = config_diff(self.config, new)
        if diff["changed"]:
            self.registry.apply(new)  # validates the routing policy before changing anything
            self.mcp.set_upstreams(mcp_upstreams(new))
            log.info("configuration reloaded from %s: %s", self.path, _summary(diff))
        if diff["restart_needed"]:
            restart = ", ".join(diff["restart_needed"])
            log.warning("configuration reload: %s takes effect on restart", restart)
        self.config = new
        return diff

    def reload(self) -> Diff:
        """Re-read the file now."""
        if self.path is None:
            issue = ConfigIssue("file", "this server was not started from a configuration file")
            raise ConfigError([issue], self.config.source)
        return self.apply(load_config(self.path))

    def on_signal(self, new: Config) -> None:
        """For ConfigWatcher (SIGHUP, --watch-config): it logs a rejection itself."""
        self.apply(new)


def _summary(diff: Diff) -> str:
    parts = [
        f"{what} {change}: {', '.join(names)}"
        for what, part in diff.items()
        if isinstance(part, dict)
        for change, names in part.items()
        if names
    ]
    if diff["routing"] == "changed":
        parts.append("routing policy changed")
    return "; ".join(parts) or "no changes"


RELOADER = web.AppKey("reloader", Reloader)


async def handle(request: web.Request) -> web.Response:
    """`POST /admin/reload`: reload here (and, under a multi-worker serve, in every worker);
    200 with the diff, or 422 with every error and the current configuration kept."""
    reloader = request.app[RELOADER]
    try:
        diff = reloader.reload()
    except ConfigError as exc:
        log.error("configuration reload rejected, keeping the current one: %s", exc)
        issues = "; ".join(str(issue) for issue in exc.issues)
        message = f"configuration rejected, the current one stays: {issues}"
        return error_response(request, 422, message, "invalid_config")
    if reloader.notify_peers is not None:
        reloader.notify_peers()
    return web.json_response({"reloaded": diff["changed"], "diff": diff})
