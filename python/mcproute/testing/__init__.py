"""Test support shipped with the package: the upstream simulator."""
