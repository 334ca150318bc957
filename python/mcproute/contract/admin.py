"""The admin API (`/admin/...`): our own, so unknown fields are an error naming the field."""

from __future__ import annotations

from mcproute.contract.contexts import MAX_SECONDS
from mcproute.contract.contract import Contract
from mcproute.contract.scopes import EXAMPLES, scope_problem
from mcproute.contract.shapes import Bool, List, Num, Obj, Str

SCOPE = Str(valid=scope_problem, describe="a scope", examples=EXAMPLES)
SCOPES = List(SCOPE, min_items=1, max_items=64)
NAME = Str(
    pattern=r"[A-Za-z0-9 ._:@/-]{1,64}",
    describe="a name for people: 1 to 64 letters, digits, spaces or ._:@/-",
)
ENV = Str(pattern=r"[a-z0-9]{1,16}", describe="an environment label: 1 to 16 of [a-z0-9]")

KEY_CREATE = Contract(
    "admin.keys.create",
    Obj(
        {
            "scopes": SCOPES,
            "env": ENV,
            "ttl_seconds": Num(gt=0, max=MAX_SECONDS),
            "require_signature": Bool(),
            "name": NAME,
        },
        closed=True,
        nulls=False,
    ),
)
KEY_ROTATE = Contract(
    "admin.keys.rotate",
    Obj({"grace_seconds": Num(0, MAX_SECONDS)}, closed=True, nulls=False),
)
KEYRING_ROTATE = Contract("admin.keyring.rotate", Obj(closed=True))

__all__ = ["KEYRING_ROTATE", "KEY_CREATE", "KEY_ROTATE", "NAME", "SCOPES"]
