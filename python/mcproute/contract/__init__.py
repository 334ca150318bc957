"""Request contracts: the documented shape of every public JSON body, checked before any work.

One `Contract` per API endpoint (`openai.CHAT`, `anthropic.MESSAGES`, `contexts.CREATE`, ...),
each a table of shapes compiled once at import and walked over the parsed body. A failure is
a `ContractError` naming the JSON path and the problem; the proxy turns it into a 400 in the
caller's error format.
"""

from mcproute.contract.contract import Contract, ContractError, Rule

__all__ = ["Contract", "ContractError", "Rule"]
