"""Governance: limits per key and per tenant, and the admission-time reservations that hold
them across workers and replicas (`reservation`)."""
