"""The `mcproute` command."""

from __future__ import annotations

import argparse
import sys

from mcproute import __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mcproute", description=__doc__)
    parser.add_argument("--version", action="version", version=f"mcproute {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the proxy (not available yet in this release)")
    config_parser = sub.add_parser("config", help="configuration tools")
    config_sub = config_parser.add_subparsers(dest="config_command", required=True)
    check = config_sub.add_parser("check", help="validate a configuration file")
    check.add_argument("file", help="a JSON or YAML configuration file")
    args = parser.parse_args(argv)
    if args.command == "config":
        return check_config(args.file)
    if args.command == "serve":
        print(
            "mcproute serve: the proxy process is not part of this release yet; "
            "the Rust core (codec, validation) is usable as a library.",
            file=sys.stderr,
        )
        return 2
    return 0


def check_config(file: str) -> int:
    """Print every configuration error with its path; non-zero exit status if there is one."""
    from mcproute.config import ConfigError, load_config
    from mcproute.models.registry import router_policy

    try:
        config = load_config(file)
        router_policy(config)
    except ConfigError as exc:
        print(f"{file}: {len(exc.issues)} error(s)", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1
    groups = config.model_groups()
    print(
        f"{file}: ok ({len(groups)} model group(s), {len(config.deployments)} deployment(s), "
        f"{len(config.mcp_servers)} MCP server(s))"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
