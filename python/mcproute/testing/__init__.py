"""Test support shipped with the package: the upstream simulator and the conformance peers."""
