"""`mcproute spend report`: the ledger's spend summed by key, tenant, model or day, read from
the data directory's SQLite or from PostgreSQL (`$MCPROUTE_DATABASE_URL`, or the
configuration's `mcp.store.database_url`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson


def add_parser(sub: Any) -> None:
    spend = sub.add_parser("spend", help="what model calls cost, from the spend ledger")
    spend_sub = spend.add_subparsers(dest="spend_command", required=True)
    report = spend_sub.add_parser("report", help="billed calls summed by key, tenant, model or day")
    report.add_argument("--group-by", default="model", help="key, tenant, model or day")
    report.add_argument(
        "--from", dest="start", help="unix seconds, YYYY-MM-DD or an ISO date-time with a zone"
    )
    report.add_argument("--to", dest="end", help="exclusive; a date means the end of that day")
    report.add_argument("--json", action="store_true", help="the report as JSON")
    report.add_argument("--config", help="configuration file (for mcp.store.database_url)")


def run(args: argparse.Namespace) -> int:
    from mcproute.cli import store_settings
    from mcproute.governance.journal import JOURNAL_NAME, SpendJournal
    from mcproute.governance.report import ReportError, format_table, parse_query, spend_report
    from mcproute.store import data_dir_from_env
    from mcproute.store.nonces import StoreUnavailableError
    from mcproute.store.shared import database_url, open_database
    from mcproute.store.spend import SpendStore

    query = {"group_by": args.group_by}
    query |= {k: v for k, v in (("from", args.start), ("to", args.end)) if v}
    try:
        group_by, start, end = parse_query(query)
    except ReportError as exc:
        option = exc.param.replace("_", "-")
        print(f"mcproute spend report: --{option}: {exc.reason}", file=sys.stderr)
        return 2
    settings = store_settings(args.config)
    if settings is None:
        return 1
    data_dir = data_dir_from_env()
    try:
        store = SpendStore(open_database(database_url(settings), data_dir))
        try:
            report = spend_report(store, group_by, start, end)
        finally:
            store.close()
    except (StoreUnavailableError, RuntimeError, ValueError) as exc:
        print(f"mcproute spend report: {exc}", file=sys.stderr)
        return 1
    waiting = SpendJournal(data_dir.path / JOURNAL_NAME).count()
    if args.json:
        print(orjson.dumps({**report, "journaled_rows": waiting}).decode())
    else:
        print(format_table(report))
        if waiting:
            print(f"({waiting} calls journaled here wait for the database and are not counted yet)")
    return 0
