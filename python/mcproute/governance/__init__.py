"""Governance: what calls cost (`prices`), what was spent (`ledger`), and the limits on both."""
