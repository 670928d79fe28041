"""Integrations with other tools. ``constants`` names them as legacy code refers to them."""
