"""Governance: what calls cost (`prices`), what was spent (`ledger`), and the limits on both
(`limits`), held across workers and replicas by admission-time reservations (`reservation` on
the shared `counters`)."""
