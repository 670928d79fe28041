"""Strict JSON validation for everything the metadata store writes: see
``framework.json_values`` (it lives below the stores, so steps can check the metadata they
log with the same rules on a worker that never imports a store)."""

from framework.json_values import to_strict_json

__all__ = ["to_strict_json"]
