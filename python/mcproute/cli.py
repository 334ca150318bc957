"""The `mcproute` command."""

from __future__ import annotations

import argparse
import base64
import functools
import logging
import math
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mcproute import __version__
from mcproute.governance import spend_cli, tenants_cli
from mcproute.logs import LOG_FORMATS

if TYPE_CHECKING:
    from mcproute.config import Config, ConfigError, StoreSettings
    from mcproute.governance.limits import Limits
    from mcproute.security import ApiKeyManager, ApiKeyRecord

ADMIN = "admin"
SIMULATOR_URL_ENV = "MCPROUTE_SIMULATOR_URL"
DEMO_CONFIG = Path(__file__).with_name("examples") / "mcproute.demo.json"  # package data
DEMO_SIMULATOR = "127.0.0.1:8089"


def scope_arg(value: str) -> str:
    """`--scope`: refused here, naming the valid forms, rather than stored and never matched."""
    from mcproute.contract.scopes import scope_problem

    problem = scope_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return value


def key_name_arg(value: str) -> str:
    """`--name`: the admin API's rule for key names, checked before anything is written."""
    from mcproute.contract.admin import NAME

    if NAME.pattern is None or NAME.pattern.fullmatch(value) is None:
        raise argparse.ArgumentTypeError(f"expected {NAME.describe}")
    return value


def _seconds(value: str, positive: bool) -> float:
    """Seconds within the bounds the admin API takes (no nan, inf or 1e300)."""
    from mcproute.contract.contexts import MAX_SECONDS

    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    low_ok = seconds > 0 if positive else seconds >= 0
    if not (low_ok and seconds <= MAX_SECONDS):  # false for nan too
        low = "above 0" if positive else "from 0"
        raise argparse.ArgumentTypeError(f"expected seconds {low} to {MAX_SECONDS}")
    return seconds


def ttl_arg(value: str) -> float:
    return _seconds(value, positive=True)


def grace_arg(value: str) -> float:
    return _seconds(value, positive=False)


def add_limit_args(parser: argparse.ArgumentParser, clear: bool = False) -> None:
    """--rpm, --tpm, --max-parallel, --budget, --budget-period: a key's or tenant's limits;
    `clear`: and --clear, to remove one."""
    from mcproute.governance.limits import PERIODS, cli_count, cli_usd

    parser.add_argument("--rpm", type=cli_count, help="requests per minute")
    parser.add_argument("--tpm", type=cli_count, help="tokens (input + output) per minute")
    parser.add_argument("--max-parallel", type=cli_count, help="requests in flight at once")
    parser.add_argument("--budget", type=cli_usd, help="USD per budget period (0: refuse all)")
    parser.add_argument(
        "--budget-period", choices=PERIODS, help="day, week, month (default) or total"
    )
    if clear:
        parser.add_argument(
            "--clear",
            action="append",
            default=[],
            choices=["rpm", "tpm", "max-parallel", "budget"],
            help="remove this limit (repeatable)",
        )


def limit_changes(args: argparse.Namespace) -> dict[str, object]:
    """The limits given on the command line, in the admin API's names."""
    given = {
        "rpm": args.rpm,
        "tpm": args.tpm,
        "max_parallel": args.max_parallel,
        "budget_usd": args.budget,
        "budget_period": args.budget_period,
    }
    changes: dict[str, object] = {k: v for k, v in given.items() if v is not None}
    names = {"rpm": "rpm", "tpm": "tpm", "max-parallel": "max_parallel", "budget": "budget_usd"}
    for name in getattr(args, "clear", []):
        changes[names[name]] = None
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mcproute", description=__doc__)
    parser.add_argument("--version", action="version", version=f"mcproute {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the proxy")
    serve.add_argument(
        "--config", help="configuration file (default: $MCPROUTE_CONFIG, ./mcproute.json)"
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="the bundled demo configuration, on the upstream simulator"
        f" (--simulator, default {DEMO_SIMULATOR})",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4000)
    serve.add_argument("--workers", type=int, default=1, help="pre-forked worker processes")
    serve.add_argument(
        "--drain", type=float, default=30.0, help="seconds to finish requests on stop"
    )
    serve.add_argument(
        "--idle-timeout",
        type=float,
        default=60.0,
        help="seconds before an idle connection, or one that never finishes its headers, closes",
    )
    serve.add_argument(
        "--body-timeout", type=float, default=30.0, help="seconds to receive a request body"
    )
    serve.add_argument(
        "--watch-config",
        action="store_true",
        help="reload the configuration when its file changes (SIGHUP always reloads it)",
    )
    serve.add_argument(
        "--no-front",
        action="store_true",
        help="serve every request on aiohttp's server, without the raw-protocol front"
        " (also MCPROUTE_FRONT=0)",
    )
    serve.add_argument(
        "--no-access-log", action="store_true", help="no JSON access-log lines on stderr"
    )
    serve.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="text",
        help="warnings and errors on stderr as text lines or JSON objects (default text)",
    )
    serve.add_argument(
        "--simulator",
        metavar="HOST:PORT",
        help=f"also run the upstream model simulator there (and set ${SIMULATOR_URL_ENV})",
    )

    config_parser = sub.add_parser("config", help="configuration tools")
    config_sub = config_parser.add_subparsers(dest="config_command", required=True)
    check = config_sub.add_parser("check", help="validate a configuration file")
    check.add_argument("file", help="a JSON or YAML configuration file")

    keys = sub.add_parser("keys", help="API keys in $MCPROUTE_DATA_DIR (default ./.mcproute)")
    keys.add_argument(
        "--config",
        help="configuration file whose security block sets the maximum key age"
        " (default: $MCPROUTE_CONFIG, ./mcproute.json)",
    )
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="issue a key; the key is the last line of output")
    create.add_argument(
        "--scope",
        action="append",
        default=[],
        type=scope_arg,
        help="models, model:NAME, mcp, mcp:SERVER[:NAME], contexts, contexts:read, context:ID,"
        " tenant:NAME, metrics, admin (repeatable; default models)",
    )
    create.add_argument("--env", default="live", help="environment tag in the key (default live)")
    create.add_argument("--ttl", type=ttl_arg, help="lifetime in seconds (default: no expiry)")
    create.add_argument(
        "--name", type=key_name_arg, help="a name for people, shown in listings and the dashboard"
    )
    create.add_argument(
        "--require-signature",
        action="store_true",
        help="requests must also be signed (RFC 9421); prints the signing secret once",
    )
    add_limit_args(create)
    update = keys_sub.add_parser("update", help="change a key's limits")
    update.add_argument("key_id")
    add_limit_args(update, clear=True)
    keys_sub.add_parser(
        "list", help="list keys (never their secrets): id, env, state, scopes, created, age"
    )
    revoke = keys_sub.add_parser("revoke", help="revoke a key now")
    revoke.add_argument("key_id")
    rotate = keys_sub.add_parser("rotate", help="replace a key; the old one works for --grace")
    rotate.add_argument("key_id")
    rotate.add_argument("--grace", type=grace_arg, default=3600.0, help="seconds (default 3600)")
    keys_sub.add_parser("bootstrap", help="create an admin key if there is no key yet")

    keyring = sub.add_parser("keyring", help="the keys that encrypt shared contexts at rest")
    keyring_sub = keyring.add_subparsers(dest="keyring_command", required=True)
    keyring_rotate = keyring_sub.add_parser(
        "rotate", help="add a new primary key and re-encrypt every context under it"
    )
    keyring_rotate.add_argument(
        "--drop-old", action="store_true", help="then remove the old keys from the keyring file"
    )
    keyring_sub.add_parser("list", help="key ids, status and usage (never key material)")

    db = sub.add_parser("db", help="the PostgreSQL database ($MCPROUTE_DATABASE_URL)")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    migrate = db_sub.add_parser("migrate", help="apply the schema migrations it lacks")
    migrate.add_argument("--config", help="configuration file (for mcp.store.database_url)")

    spend_cli.add_parser(sub)
    tenants_cli.add_parser(sub)

    args = parser.parse_args(argv)
    if args.command == "spend":
        return spend_cli.run(args)
    if args.command == "tenants":
        return tenants_cli.run(args)
    if args.command == "db":
        return run_db(args)
    if args.command == "config":
        return check_config(args.file)
    if args.command in ("keys", "keyring"):
        from mcproute.store.nonces import StoreUnavailableError

        try:
            return run_keys(args) if args.command == "keys" else run_keyring(args)
        # $MCPROUTE_DATABASE_URL names a database that is down, or is no PostgreSQL URL
        except (StoreUnavailableError, ValueError) as exc:
            print(f"mcproute {args.command}: {exc}", file=sys.stderr)
            return 1
    return run_serve(args)


def run_serve(args: argparse.Namespace) -> int:
    from mcproute.config import ConfigError, load_config
    from mcproute.logs import configure_logging
    from mcproute.proxy.port_claim import PortBusy
    from mcproute.proxy.serve import Limits, front_enabled, serve
    from mcproute.store import data_dir_from_env

    if args.demo:
        if args.config:
            print("mcproute serve: --demo and --config exclude each other", file=sys.stderr)
            return 2
        args.config = str(DEMO_CONFIG)
        args.simulator = args.simulator or DEMO_SIMULATOR
    if args.simulator:  # the demo configuration's endpoints name it
        os.environ[SIMULATOR_URL_ENV] = f"http://{args.simulator}"
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print_config_error(exc, args.config)
        return 1
    configure_logging(access_log=not args.no_access_log, log_format=args.log_format)
    simulator = None
    if args.simulator:
        host, _, port = args.simulator.rpartition(":")
        simulator = subprocess.Popen(
            [sys.executable, "-m", "mcproute.testing.upstream", "--host", host, "--port", port]
        )
        logging.getLogger("mcproute.serve").info("upstream simulator on http://%s", args.simulator)
    try:
        if (problem := prepared(config.store)) is not None:
            print(f"mcproute serve: {problem}", file=sys.stderr)
            return 1
        front = not args.no_front and front_enabled(os.environ)
        limits = Limits(
            args.drain, args.idle_timeout, args.body_timeout, args.watch_config, front=front
        )
        return serve(config, data_dir_from_env(), args.host, args.port, args.workers, limits)
    except (PortBusy, OSError) as exc:  # the port, the runtime directory, the data directory
        print(f"mcproute serve: {exc}", file=sys.stderr)
        return 1
    finally:
        if simulator is not None:
            simulator.terminate()
            simulator.wait(timeout=10)


def prepared(settings: StoreSettings) -> str | None:
    """Check the engines' URLs, bring PostgreSQL's schema up to date and check this replica's
    pepper, keyring and Redis namespace against it, before the workers start; the problem, if
    any."""
    from mcproute.store import data_dir_from_env
    from mcproute.store.database import PostgresDatabase
    from mcproute.store.keyring_file import KeyringFile
    from mcproute.store.migrations import migrate
    from mcproute.store.nonces import StoreUnavailableError
    from mcproute.store.shared import (
        check_keyring,
        check_pepper,
        database_url,
        redis_namespace,
        redis_url,
    )

    try:
        redis_url(settings)  # a URL of another kind is refused here, before any worker starts
        if (url := database_url(settings)) is None:
            redis_namespace(None, None)  # a namespace given in the environment is valid
            return None
        migrate(url)
        data_dir = data_dir_from_env()
        check_pepper(PostgresDatabase(url), data_dir.pepper())
        check_keyring(PostgresDatabase(url), KeyringFile(data_dir).current())
        redis_namespace(None, PostgresDatabase(url))
    except (StoreUnavailableError, RuntimeError, ValueError) as exc:
        return str(exc)
    return None


def store_settings(config: str | None) -> StoreSettings | None:
    """The `mcp.store` block of the `--config` file (defaults without one); None, with the
    errors printed, when the file is not valid."""
    from mcproute.config import ConfigError, StoreSettings, load_config

    if not config:
        return StoreSettings()
    try:
        return load_config(config).store
    except ConfigError as exc:
        print_config_error(exc, config)
        return None


def run_db(args: argparse.Namespace) -> int:
    from mcproute.store.migrations import latest, migrate
    from mcproute.store.nonces import StoreUnavailableError
    from mcproute.store.shared import DATABASE_URL_VAR, database_url

    settings = store_settings(args.config)
    if settings is None:
        return 1
    try:
        url = database_url(settings)
    except ValueError as exc:
        print(f"mcproute db migrate: {exc}", file=sys.stderr)
        return 2
    if url is None:
        print(
            f"mcproute db migrate: no database: set ${DATABASE_URL_VAR} or mcp.store.database_url",
            file=sys.stderr,
        )
        return 2
    try:
        applied = migrate(url)
    except (StoreUnavailableError, RuntimeError) as exc:
        print(f"mcproute db migrate: {exc}", file=sys.stderr)
        return 1
    done = ", ".join(map(str, applied)) if applied else "none (up to date)"
    print(f"schema version {latest()}; applied: {done}")
    return 0


def print_config_error(exc: ConfigError, file: str | None) -> None:
    print(f"{exc.source or file}: {len(exc.issues)} error(s)", file=sys.stderr)
    for issue in exc.issues:
        print(f"  {issue}", file=sys.stderr)


def run_keys(args: argparse.Namespace) -> int:
    from mcproute.config import DAY_S, ConfigError, load_security
    from mcproute.governance.limits import limits_from
    from mcproute.security import ApiKeyError, ApiKeyManager
    from mcproute.security.apikeys import key_state, rotate_by
    from mcproute.store import SqliteApiKeyStore, data_dir_from_env
    from mcproute.store.redis_state import key_prefix, publish_key_change
    from mcproute.store.shared import database_url, open_database, redis_namespace, redis_url

    try:
        security = load_security(args.config)
    except ConfigError as exc:
        print_config_error(exc, args.config)
        return 1
    data_dir = data_dir_from_env()
    database = open_database(database_url(), data_dir)
    with SqliteApiKeyStore(data_dir, database=database) as store:
        if (url := redis_url()) is not None:  # running replicas drop their cached copy
            prefix = key_prefix(redis_namespace(None, database))
            store.on_change = functools.partial(publish_key_change, url, prefix=prefix)
        keys = ApiKeyManager(data_dir.pepper(), store, max_age=security.max_key_age_s)
        try:
            if args.keys_command == "create":
                key, record = keys.issue(
                    args.env,
                    args.scope or ["models"],
                    ttl=args.ttl,
                    require_signature=args.require_signature,
                    name=args.name,
                    limits=limits_from(limit_changes(args)),
                )
                print(f"key id: {record.key_id}\nscopes: {', '.join(sorted(record.scopes))}")
                print_limits(record)
                print_signing_secret(keys, record)
                print(key)
            elif args.keys_command == "bootstrap":
                if store.all():
                    print(
                        "keys exist already, so no admin key is printed (a key is shown only"
                        " once, when it is made); for a new one:"
                        " mcproute keys create --scope admin",
                        file=sys.stderr,
                    )
                    return 0
                key, record = keys.issue("live", [ADMIN])
                print(f"admin key id: {record.key_id} (shown once; store it now)")
                print(key)
            elif args.keys_command == "list":
                now = time.time()
                for r in store.all():
                    state = key_state(r, now, keys.max_age)
                    created = _iso(r.created_at)
                    age = f"{max(now - r.created_at, 0.0) / DAY_S:.0f}d"
                    deadline = rotate_by(r, keys.max_age)
                    due = "" if deadline is None else f"\trotate by {_iso(deadline)}"
                    scopes = ",".join(sorted(r.scopes))
                    name = f"\t{r.name}" if r.name else ""
                    limits = "" if r.limits.empty else f"\t{limits_text(r.limits)}"
                    print(
                        f"{r.key_id}\t{r.env}\t{state}\t{scopes}\t{created}\t{age}{due}{name}"
                        f"{limits}"
                    )
            elif args.keys_command == "update":
                changes = limit_changes(args)
                if not changes:
                    print("mcproute keys update: give a limit to change", file=sys.stderr)
                    return 2
                print_limits(keys.set_limits(args.key_id, changes))
            elif args.keys_command == "revoke":
                keys.revoke(args.key_id)
                print(f"revoked {args.key_id}")
            elif args.keys_command == "rotate":
                key, record = keys.rotate(args.key_id, grace=args.grace)
                print(f"new key id: {record.key_id}; {args.key_id} works for {args.grace:g} s more")
                print_signing_secret(keys, record)
                print(key)
        except ApiKeyError as exc:
            print(f"mcproute keys: {exc}", file=sys.stderr)
            return 1
    return 0


def limits_text(limits: Limits) -> str:
    parts = [f"{k}={v}" for k, v in limits.as_json().items() if v is not None]
    if limits.budget_usd is None:
        parts = [p for p in parts if not p.startswith("budget_period=")]
    return " ".join(parts)


def print_limits(record: ApiKeyRecord) -> None:
    print(f"limits: {limits_text(record.limits) or 'none'}")


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def print_signing_secret(keys: ApiKeyManager, record: ApiKeyRecord) -> None:
    if record.require_signature:
        secret = base64.b64encode(keys.signing_secret(record.key_id)).decode()
        print(f"signing secret (RFC 9421 hmac-sha256, keyid {record.key_id}): {secret}")


def run_keyring(args: argparse.Namespace) -> int:
    import asyncio

    from mcproute.security import AeadError, KeyringError
    from mcproute.store import SqliteApiKeyStore, data_dir_from_env
    from mcproute.store.keyring_file import REFRESH_S, KeyringFile
    from mcproute.store.shared import database_url, open_database
    from mcproute.store.sqlite_contexts import SqliteContextStore

    data_dir = data_dir_from_env()
    keyring = KeyringFile(data_dir)
    database = open_database(database_url(), data_dir)  # PostgreSQL's contexts when set
    store = SqliteContextStore(data_dir, keyring, database=database)
    # The audit events live with the keys, in the same database.
    events = SqliteApiKeyStore(data_dir, database=database)
    try:
        if args.keyring_command == "list":
            usage = asyncio.run(store.key_usage())
            entries = keyring.current().keys()
            for key_id, status, _ in entries:
                print(f"{key_id}\t{status}\t{usage.get(key_id, 0)} encryptions")
            return 0
        key_id = keyring.rotate()
        print(f"new primary key {key_id}", file=sys.stderr)
        # Running servers re-read the keyring within REFRESH_S: wait so none of them is still
        # encrypting under an old key when the sweep below has passed its rows.
        time.sleep(2 * REFRESH_S)
        rewritten = asyncio.run(store.reencrypt_all())  # before the events, as `serve` does
        asyncio.run(events.audit("keyring.rotated", str(key_id), by="cli"))
        asyncio.run(events.audit("keyring.reencrypted", str(key_id), ciphertexts=rewritten))
        print(f"re-encrypted {rewritten} ciphertext(s) under key {key_id}")
        if args.drop_old:
            dropped = keyring.drop_all_but_primary()
            asyncio.run(events.audit("keyring.dropped", str(key_id), key_ids=dropped))
            print(f"removed old key(s): {', '.join(map(str, dropped)) or 'none'}")
    except (KeyringError, AeadError) as exc:
        print(f"mcproute keyring: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
        events.close()
    return 0


def check_mcp_commands(config: Config) -> None:
    """Every enabled stdio MCP server's command can be found (here, on this PATH)."""
    from mcproute.config import ConfigError, ConfigIssue

    issues = []
    for server in config.mcp_servers:
        if server.command is None or server.disabled:
            continue
        env_path = server.env.get("PATH")
        search = env_path.reveal() if env_path is not None else os.environ.get("PATH")
        if shutil.which(server.command, path=search) is None:
            where = "an executable file" if os.sep in server.command else "on PATH"
            issues.append(
                ConfigIssue(
                    f"mcpServers.{server.name}.command",
                    f"{server.command!r} is not found {where}",
                )
            )
    if issues:
        raise ConfigError(issues, config.source)


def check_config(file: str) -> int:
    """Print every configuration error with its path; non-zero exit status if there is one."""
    from mcproute.config import ConfigError, load_config
    from mcproute.governance.prices import PriceTable
    from mcproute.models.registry import router_policy

    try:
        config = load_config(file)
        router_policy(config)
        check_mcp_commands(config)
    except ConfigError as exc:
        print_config_error(exc, file)
        return 1
    groups = config.model_groups()
    print(
        f"{file}: ok ({len(groups)} model group(s), {len(config.deployments)} deployment(s), "
        f"{len(config.mcp_servers)} MCP server(s))"
    )
    unpriced = [name for name, price in PriceTable(config).known() if price is None]
    if unpriced:
        print(f"cost not tracked (no price) for: {', '.join(unpriced)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
