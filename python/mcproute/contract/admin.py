"""The admin API (`/admin/...`): our own, so unknown fields are an error naming the field."""

from __future__ import annotations

from mcproute.contract.contexts import MAX_SECONDS
from mcproute.contract.contract import Contract
from mcproute.contract.scopes import EXAMPLES, scope_problem
from mcproute.contract.shapes import Bool, Int, List, Num, Obj, Shape, Str
from mcproute.governance.limits import MAX_COUNT, MAX_USD, PERIODS

SCOPE = Str(valid=scope_problem, describe="a scope", examples=EXAMPLES)
SCOPES = List(SCOPE, min_items=1, max_items=64)
NAME = Str(
    pattern=r"[A-Za-z0-9 ._:@/-]{1,64}",
    describe="a name for people: 1 to 64 letters, digits, spaces or ._:@/-",
)
ENV = Str(pattern=r"[a-z0-9]{1,16}", describe="an environment label: 1 to 16 of [a-z0-9]")

# Key and tenant limits (`governance.limits`); in an update, null removes a limit.
LIMITS: dict[str, Shape] = {
    "rpm": Int(0, MAX_COUNT),
    "tpm": Int(0, MAX_COUNT),
    "max_parallel": Int(0, MAX_COUNT),
    "budget_usd": Num(0, MAX_USD),
    "budget_period": Str(enum=PERIODS),
}
TENANT = Str(
    pattern=r"[^\s\x00-\x1f\x7f]{1,128}", describe="a tenant name: 1 to 128 printable characters"
)
KEY_CREATE = Contract(
    "admin.keys.create",
    Obj(
        {
            "scopes": SCOPES,
            "env": ENV,
            "ttl_seconds": Num(gt=0, max=MAX_SECONDS),
            "require_signature": Bool(),
            "name": NAME,
            **LIMITS,
        },
        closed=True,
        nulls=False,
    ),
)
KEY_UPDATE = Contract("admin.keys.update", Obj(LIMITS, closed=True, nulls=True))
TENANT_PUT = Contract("admin.tenants.put", Obj(LIMITS, closed=True, nulls=False))
TENANT_PATCH = Contract("admin.tenants.patch", Obj(LIMITS, closed=True, nulls=True))
KEY_ROTATE = Contract(
    "admin.keys.rotate",
    Obj({"grace_seconds": Num(0, MAX_SECONDS)}, closed=True, nulls=False),
)
KEYRING_ROTATE = Contract("admin.keyring.rotate", Obj(closed=True))

__all__ = [
    "KEYRING_ROTATE",
    "KEY_CREATE",
    "KEY_ROTATE",
    "KEY_UPDATE",
    "LIMITS",
    "NAME",
    "SCOPES",
    "TENANT",
    "TENANT_PATCH",
    "TENANT_PUT",
]
