"""The compiled predicate of every contract agrees with its shape tree: true for each body the
tree accepts, false for each body with a fault (drawn from the tables, per field)."""

from __future__ import annotations

import pytest

from contract_strategies import drawn_cases, examples, valid
from mcproute.contract import Contract, admin, anthropic, contexts, openai, responses

CONTRACTS = [
    openai.CHAT,
    openai.EMBEDDINGS,
    openai.COMPLETIONS,
    anthropic.MESSAGES,
    responses.CREATE,
    anthropic.COUNT_TOKENS,
    contexts.CREATE,
    contexts.APPEND,
    contexts.UPDATE,
    admin.KEY_CREATE,
    admin.KEY_ROTATE,
    admin.KEYRING_ROTATE,
]


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.name)
def test_compiled_predicate_agrees_with_the_shapes(contract: Contract) -> None:
    for body in examples(valid(contract.shape), 60):
        contract.shape.check(body)
        assert contract.valid(body), body
    for body, path in drawn_cases(contract.shape, 3):
        assert not contract.valid(body), (path, body)
