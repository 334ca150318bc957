#!/bin/sh
# The container image's install and start steps, in one place (the wheel test runs this too).
#
#   install-and-run.sh install WHEEL...   a virtual environment at $MCPROUTE_VENV with mcproute
#                                         from the wheel(s) and its dependencies
#   install-and-run.sh run [SERVE ARGS]   bootstrap an admin key on first start (printed once),
#                                         then `mcproute serve` in the foreground
#
# Environment: MCPROUTE_VENV (default /opt/mcproute), MCPROUTE_DATA_DIR (default /data),
# MCPROUTE_HOST (default 0.0.0.0), MCPROUTE_PORT (default 4000), and whatever mcproute reads
# (MCPROUTE_CONFIG, MCPROUTE_DATABASE_URL, MCPROUTE_REDIS_URL, provider keys, ...).
set -eu

VENV="${MCPROUTE_VENV:-/opt/mcproute}"
export MCPROUTE_DATA_DIR="${MCPROUTE_DATA_DIR:-/data}"

case "${1:-}" in
install)
    shift
    [ "$#" -gt 0 ] || { echo "usage: $0 install WHEEL..." >&2; exit 2; }
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "$@"
    "$VENV/bin/mcproute" --version
    ;;
run)
    shift
    mkdir -p "$MCPROUTE_DATA_DIR"
    "$VENV/bin/mcproute" keys bootstrap
    exec "$VENV/bin/mcproute" serve \
        --host "${MCPROUTE_HOST:-0.0.0.0}" --port "${MCPROUTE_PORT:-4000}" "$@"
    ;;
*)
    echo "usage: $0 install WHEEL... | run [mcproute serve arguments]" >&2
    exit 2
    ;;
esac
