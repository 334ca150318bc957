"""Run the micro benchmarks and write their tables into benches/RESULTS.md.

    python -m benches.run            # every benches/bench_*.py
    python -m benches.run codec      # only benches/bench_codec.py

Each benchmark file owns one section of RESULTS.md, between `<!-- bench:NAME -->` markers;
other sections (written by other harnesses) are left as they are. Every benchmark marks itself
`ours` or `peer` in extra_info; the tables report each peer's time as a ratio to ours.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
PEERS = ["orjson", "mcp-types", "pydantic", "jsonschema", "cryptography", "litellm", "aiohttp"]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for name in ["mcproute", *PEERS]:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return f"{os.cpu_count()} vCPU ({cpu}), Python {platform.python_version()}, " + ", ".join(
        versions
    )


def fmt_time(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e3:.2f} ms"


def table(benchmarks: list[dict[str, Any]]) -> str:
    groups: dict[str, list[dict[str, Any]]] = {}
    for b in benchmarks:
        groups.setdefault(b["group"] or b["name"], []).append(b)
    out = []
    for group, rows in groups.items():
        ours = [r for r in rows if r["extra_info"].get("role") == "ours"]
        base = ours[0]["stats"]["median"] if ours else None
        out.append(f"**{group}**\n")
        out.append("| implementation | median | mean | throughput | vs mcproute |")
        out.append("|---|---:|---:|---:|---:|")
        for r in sorted(rows, key=lambda r: r["stats"]["median"]):
            s = r["stats"]
            size = r["extra_info"].get("bytes")
            thr = f"{size / s['median'] / 1e6:,.0f} MB/s" if size else f"{1 / s['median']:,.0f}/s"
            if r["extra_info"].get("role") == "ours" or base is None:
                ratio = "1.00×" if base else "—"
            else:
                ratio = (
                    f"{s['median'] / base:.2f}× slower"
                    if s["median"] >= base
                    else (f"{base / s['median']:.2f}× faster")
                )
            name = r["extra_info"].get("label") or (r["param"] if r.get("param") else r["name"])
            out.append(
                f"| {name} | {fmt_time(s['median'])} | {fmt_time(s['mean'])} | {thr} | {ratio} |"
            )
        out.append("")
    return "\n".join(out)


def replace_section(name: str, body: str) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)


def run(name: str) -> None:
    path = HERE / f"bench_{name}.py"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.json"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            str(path),
            "-q",
            "-p",
            "no:cacheprovider",
            "--benchmark-only",
            "--benchmark-min-rounds=20",
            f"--benchmark-json={out}",
            "-o",
            "addopts=",
            "-o",
            "timeout=0",
        ]
        subprocess.run(cmd, check=True, cwd=HERE.parent)
        data = json.loads(out.read_text())
    command = f"python -m benches.run {name}"
    body = (
        f"## {name}\n\nMachine: {machine()}.\n\nCommand: `{command}` (all rows in one run, "
        f"median of at least 20 rounds; ratios are each peer's median over ours).\n\n"
        + table(data["benchmarks"])
    )
    replace_section(name, body)
    print(f"wrote section {name!r} of {RESULTS}")


# Harnesses that measure whole request paths and write their own sections, with the
# interpreter that has their peers installed (see the Makefile's bench venv).
HARNESSES = {
    "benches.routing_overhead": "MCPROUTE_PEER_PYTHON",
    "benches.models_overhead": "",
    "benches.models_bedrock_overhead": "",
    "benches.models_azure_gemini": "",
}


def main() -> int:
    names = sys.argv[1:] or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    for name in names:
        run(name)
    if not sys.argv[1:]:
        for module, python_var in HARNESSES.items():
            python = os.environ.get(python_var, sys.executable) if python_var else sys.executable
            env = {**os.environ, "PYTHONPATH": str(HERE.parent / "python")}
            subprocess.run([python, "-m", module], check=True, cwd=HERE.parent, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
