"""ModelRegistry: models, deployments, aliases, groups and capabilities from configuration."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mcproute.config import (
    CAPABILITIES,
    Config,
    ConfigError,
    ConfigIssue,
    ConfigWatcher,
    DeploymentConfig,
    find_config_path,
    load_config,
)
from mcproute.context import ContextStore
from mcproute.context.sqlite import SqliteContextStore, default_context_store
from mcproute.governance.counters import UsageCounter
from mcproute.governance.reservation import Governor
from mcproute.models.ensemble import EnsembleModel
from mcproute.models.provider_keys import ProviderKeyRefresh
from mcproute.models.routed import RoutedModel
from mcproute.models.target import ProviderTarget
from mcproute.routing import Deployment, Router, RouterPolicy
from mcproute.secret import Secret
from mcproute.store.usage_sqlite import MemoryUsage


class ModelNotFoundError(LookupError):
    """No model, alias, group or capability by that name."""

    def __init__(self, name: str, known: list[str]) -> None:
        shown = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "")
        super().__init__(
            f"model: {name!r} is not a configured model, alias, group or capability"
            f" (known: {shown})"
        )
        self.name = name


def router_policy(config: Config) -> RouterPolicy:
    """The ``routing`` section as a RouterPolicy; bad keys become configuration errors."""
    try:
        return RouterPolicy(**config.routing)
    except (TypeError, ValueError) as exc:
        raise ConfigError([ConfigIssue("mcp.routing", str(exc))], config.source) from None


def _timeouts(d: DeploymentConfig) -> dict[str, float | None]:
    """A model entry's own routing timeouts (those it sets)."""
    own = {
        "first_byte_timeout_s": d.first_byte_timeout,
        "stream_idle_timeout_s": d.stream_idle_timeout,
    }
    return {k: v for k, v in own.items() if v is not None}


class ModelRegistry:
    """Routed models from a configuration (by default the file ``MCPROUTE_CONFIG`` names,
    else ``./mcproute.json`` / ``.yaml``, else the built-in default)."""

    def __init__(
        self,
        config: Config | str | os.PathLike[str] | None = None,
        *,
        context_store: ContextStore | None = None,
        counter: UsageCounter | None = None,
        governor: Governor | None = None,
    ) -> None:
        if isinstance(config, Config):
            source = Path(config.source) if config.source else None
            self._path: Path | None = source if source is not None and source.is_file() else None
            loaded = config
        else:
            self._path = Path(config) if config is not None else find_config_path()
            loaded = load_config(self._path)
        self._owned_store: SqliteContextStore | None = None
        if context_store is None:
            context_store, self._owned_store = default_context_store()
        self.context_store: ContextStore = context_store
        self._targets: dict[str, ProviderTarget] = {}
        # rpm/tpm windows, by deployment name: shared with other workers/replicas when given
        self._counter: UsageCounter = counter if counter is not None else MemoryUsage()
        # whose per-process leases admit the windows (`models.limits`), when it counts there
        self._governor = governor
        self._models: dict[str, RoutedModel] = {}
        self._watcher: ConfigWatcher | None = None
        self.config = loaded
        self.router = Router(self._groups(loaded), router_policy(loaded))
        self._key_refresh = ProviderKeyRefresh(
            lambda: self.config.security.provider_key_refresh_s,
            lambda: [t.config for t in self._targets.values()],
            self._rekey,
        )

    def __repr__(self) -> str:
        return f"ModelRegistry(source={self.config.source!r}, models={self.models()!r})"

    def _groups(self, config: Config) -> dict[str, list[Deployment]]:
        """Router groups; an unchanged deployment keeps its target (and its rpm/tpm window)."""
        targets: dict[str, ProviderTarget] = {}
        for deployment in config.deployments:
            previous = self._targets.get(deployment.name)
            keep = previous is not None and previous.config == deployment
            if keep and previous:
                targets[deployment.name] = previous
            else:
                targets[deployment.name] = ProviderTarget(deployment, self._counter, self._governor)
        self._targets = targets
        return {
            group: [
                Deployment(
                    name=d.name,
                    group=group,
                    weight=d.weight,
                    max_concurrency=d.max_concurrency,
                    timeouts=_timeouts(d),
                    target=targets[d.name],
                )
                for d in members
            ]
            for group, members in config.model_groups().items()
        }

    # --- lookup

    def models(self) -> list[str]:
        """Model and group names, in configuration order."""
        return list(self.config.model_groups())

    def resolve(self, name: str) -> str:
        """The model group a name stands for: a model, group, alias or capability."""
        groups = self.config.model_groups()
        target = self.config.aliases.get(name, name)
        if target in groups:
            return target
        if name in CAPABILITIES:
            default = self.config.defaults.get(name)
            if default is not None:
                return self.config.aliases.get(default, default)
            for group in groups:
                if name in self.config.capabilities_of(group):
                    return group
        known = [*groups, *self.config.aliases, *self.config.ensembles, *CAPABILITIES]
        raise ModelNotFoundError(name, known)

    async def _ensemble(self, name: str) -> EnsembleModel:
        config = self.config.ensembles[name]
        members = [await self.get_model(m) for m in config.models]
        helpers = {role: await self.get_model(m) for role, m in config.helpers().items()}
        return EnsembleModel(config, members, helpers, self.router, self.context_store)

    def model_now(self, name: Any) -> RoutedModel | None:
        """`get_model` without waiting: the handle of a name asked for before, else None."""
        return self._models.get(name) if type(name) is str else None

    async def get_model(self, name: str) -> RoutedModel:
        """A routed model by model name, alias, group or capability (e.g. ``"text-generation"``)."""
        if not isinstance(name, str) or not name:
            raise TypeError("name: must be a non-empty string")
        model = self._models.get(name)
        if model is None and name in self.config.ensembles:
            model = self._models[name] = await self._ensemble(name)
        if model is None:  # handles are cheap but not free: the proxy asks once per request
            group = self.resolve(name)
            model = RoutedModel(
                group,
                self.router,
                self.context_store,
                self.config.capabilities_of(group),
                on_attempt=self._key_refresh.poke,
                upstream_counts=any(
                    d.provider_type == "anthropic" for d in self.config.model_groups()[group]
                ),
            )
            self._models[name] = model  # only names that resolve: bounded by the config
        return model

    def provider_key_states(self) -> dict[str, list[dict[str, object]]]:
        """Deployment -> the state of each of its provider keys, for deployments with several
        (``api_keys``); a one-key deployment's state is its health in the Router."""
        return {name: t.keys.states() for name, t in self._targets.items() if len(t.keys) > 1}

    # --- reload

    def _rekey(self, deployment: str, keys: dict[int, Secret]) -> None:
        target = self._targets.get(deployment)
        if target is not None:
            target.rekey(keys)

    async def refresh_provider_keys(self) -> None:
        """Re-read provider keys given as ``file:`` or ``${VAR}`` now (otherwise this happens
        by itself every ``security.provider_key_refresh_seconds`` with ``api_key_rotation``)."""
        await self._key_refresh.check()

    def apply(self, config: Config) -> None:
        """Switch to a new configuration; requests in flight finish on the deployments (and
        the routing policy) they started with. Unchanged deployments keep their health, load
        and rate windows; a changed routing policy gets a new Router (its balancers start
        afresh), whose retry and fallback counts carry on."""
        policy = router_policy(config)
        groups = self._groups(config)
        if policy != self.router.policy:
            old = self.router
            self.router = Router(groups, policy, observer=old.observer)
            self.router.retries, self.router.fallbacks = old.retries, old.fallbacks
        else:
            self.router.set_groups(groups)
        self.config = config
        self._models = {}

    def reload(self) -> None:
        """Reload the configuration file now (raises ``ConfigError`` and keeps the old one)."""
        self.apply(load_config(self._path))

    def watch(self, *, interval: float = 1.0) -> ConfigWatcher:
        """Reload on SIGHUP and when the file changes (needs a configuration file)."""
        if self._path is None:
            raise ValueError("watch: this registry was not loaded from a file")
        if self._watcher is None:
            self._watcher = ConfigWatcher(self._path, self.apply, interval=interval)
            self._watcher.start()
        return self._watcher

    async def aclose(self) -> None:
        await self._key_refresh.aclose()
        if self._watcher is not None:
            await self._watcher.stop()
            self._watcher = None
        if self._owned_store is not None:
            self._owned_store.close()
            self._owned_store = None

    async def __aenter__(self) -> ModelRegistry:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
