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
    args = parser.parse_args(argv)
    if args.command == "serve":
        print(
            "mcproute serve: the proxy process is not part of this release yet; "
            "the Rust core (codec, validation) is usable as a library.",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
