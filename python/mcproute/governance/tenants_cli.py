"""`mcproute tenants list|show|set`: tenant policies (the limits every key of a tenant shares,
as `/admin/tenants/{name}` sets them) in the data directory's SQLite or in PostgreSQL
(`$MCPROUTE_DATABASE_URL`, or the configuration's `mcp.store.database_url`). A change is
audited like one made through the admin API, and replicas see it within their tenant cache
time (a second)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson


def tenant_arg(value: str) -> str:
    """A tenant name, checked as the admin API checks it."""
    from mcproute.contract.admin import TENANT
    from mcproute.contract.shapes import Invalid

    try:
        TENANT.check(value)
    except Invalid as exc:
        raise argparse.ArgumentTypeError(exc.problem) from None
    return value


def add_parser(sub: Any) -> None:
    from mcproute.cli import add_limit_args

    tenants = sub.add_parser("tenants", help="tenant policies: limits shared by a tenant's keys")
    tenants.add_argument("--config", help="configuration file (for mcp.store.database_url)")
    tenants_sub = tenants.add_subparsers(dest="tenants_command", required=True)
    tenants_sub.add_parser("list", help="every tenant with a policy, and its limits")
    show = tenants_sub.add_parser("show", help="a tenant's limits (none: no policy)")
    show.add_argument("name", type=tenant_arg)
    put = tenants_sub.add_parser("set", help="change a tenant's limits (the others stay)")
    put.add_argument("name", type=tenant_arg)
    add_limit_args(put, clear=True)


def run(args: argparse.Namespace) -> int:
    from mcproute.cli import limit_changes, store_settings
    from mcproute.governance.limits import LimitError
    from mcproute.store import data_dir_from_env
    from mcproute.store.nonces import StoreUnavailableError
    from mcproute.store.shared import database_url, open_database
    from mcproute.store.sqlite_tenants import TenantPolicies

    settings = store_settings(args.config)
    if settings is None:
        return 1
    data_dir = data_dir_from_env()
    try:
        policies = TenantPolicies(
            data_dir, database=open_database(database_url(settings), data_dir)
        )
        try:
            if args.tenants_command == "list":
                for name, limits in policies.all().items():
                    print(orjson.dumps({"tenant": name, "limits": limits.as_json()}).decode())
                return 0
            limits = policies.get(args.name)
            if args.tenants_command == "set":
                changes = limit_changes(args)
                if not changes:
                    print("mcproute tenants set: no limit given", file=sys.stderr)
                    return 2
                limits = limits.updated(changes)
                policies.put(args.name, limits)
            print(orjson.dumps({"tenant": args.name, "limits": limits.as_json()}).decode())
            return 0
        finally:
            policies.close()
    except LimitError as exc:
        print(f"mcproute tenants: {exc}", file=sys.stderr)
        return 2
    except (StoreUnavailableError, RuntimeError, ValueError) as exc:
        print(f"mcproute tenants: {exc}", file=sys.stderr)
        return 1
