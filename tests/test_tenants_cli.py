"""`mcproute tenants`: tenant policies set from the command line are the ones the admin API and
admission read (`store.sqlite_tenants.TenantPolicies`); bad limits and names are refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mcproute.governance.limits import Limits
from mcproute.store import DataDir
from mcproute.store.sqlite_tenants import TenantPolicies


def tenants(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MCPROUTE_DATA_DIR": str(data)}
    env.pop("MCPROUTE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "mcproute.cli", "tenants", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_tenant_limits_set_changed_and_cleared_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = tenants(data, "set", "acme", "--rpm", "100", "--budget", "5", "--budget-period", "day")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["limits"]["rpm"] == 100
    changed = tenants(data, "set", "acme", "--clear", "rpm", "--tpm", "1000")
    assert changed.returncode == 0, changed.stderr
    policies = TenantPolicies(DataDir(data))
    try:
        assert policies.get("acme") == Limits(tpm=1000, budget_usd=5.0, budget_period="day")
    finally:
        policies.close()
    listed = [json.loads(line) for line in tenants(data, "list").stdout.splitlines()]
    assert [t["tenant"] for t in listed] == ["acme"]
    shown = json.loads(tenants(data, "show", "nobody").stdout)
    assert shown["limits"]["rpm"] is None


def test_bad_limits_and_names_are_refused_naming_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    negative = tenants(data, "set", "acme", "--rpm", "-1")
    assert negative.returncode == 2
    assert "--rpm" in negative.stderr
    blank = tenants(data, "set", "bad name", "--rpm", "1")
    assert blank.returncode == 2
    assert "tenant name" in blank.stderr
    nothing = tenants(data, "set", "acme")
    assert nothing.returncode == 2
    assert "no limit given" in nothing.stderr
