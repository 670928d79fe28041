"""The ``framework`` command groups, one module each; ``framework.cli`` loads them lazily.

Each module keeps its pure logic (what to show, compare or delete) in plain functions
and its click wiring in a thin layer on top; ``output.py`` prints tables and JSON for all.
"""
