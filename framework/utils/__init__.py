"""Small helpers kept for code written against the legacy API (``framework.utils.io_utils``)."""
