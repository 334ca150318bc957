"""Charts for the load section: `python -m benches.load.charts DATA.json OUT_DIR` (matplotlib)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main(data_file: str, out_dir: str) -> None:
    data = json.loads(Path(data_file).read_text())
    out = Path(out_dir)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=False)
    for ax, (key, title) in zip(
        axes, (("zero", "zero-delay upstream"), ("delayed", "20 ms upstream")), strict=True
    ):
        rows = data.get(key) or {}
        names = list(rows)
        for i, c in enumerate(("32", "128")):
            values = [rows[n].get(c, 0) for n in names]
            ax.bar(
                [x + i * 0.4 for x in range(len(names))],
                values,
                width=0.4,
                label=f"{c} connections",
            )
        ax.set_xticks([x + 0.2 for x in range(len(names))], names, rotation=30, ha="right")
        ax.set_title(title)
        ax.set_ylabel("requests/s")
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / "load_rps.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    names = list(data.get("c1") or {})
    p50 = [data["c1"][n][0] for n in names]
    p99 = [data["c1"][n][1] for n in names]
    ax.bar([x - 0.2 for x in range(len(names))], p50, width=0.4, label="p50")
    ax.bar([x + 0.2 for x in range(len(names))], p99, width=0.4, label="p99")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel("latency at one connection (ms, log)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "load_latency.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
