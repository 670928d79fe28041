"""PostgreSQL store URLs: parsed, checked and shown without their password.

``postgresql://user@host:5432/db`` (also ``postgres://`` and ``postgresql+psycopg://``);
libpq's own query parameters pass through (``?host=/var/run/postgresql`` for a unix
socket, ``?sslmode=require``, …). One parameter is the store's: ``?schema=NAME`` puts the
tables in that schema (default ``public``), so several stores can share one database.

Passwords are best kept out of URLs: libpq reads ``PGPASSWORD`` and ``~/.pgpass``
(``PGPASSFILE``) by itself. This module imports nothing heavy: stacks and the command
line use it without loading SQLAlchemy.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import attrs

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def is_postgres_url(value: object) -> bool:
    """True if ``value`` is a string with a PostgreSQL URL scheme."""
    return isinstance(value, str) and value.split("://", 1)[0].lower() in SCHEMES and "://" in value


@attrs.frozen
class PostgresURL:
    """A parsed store URL: ``connect_url`` (for SQLAlchemy, password included), ``location``
    (for messages and files: no password) and ``schema``."""

    connect_url: str
    location: str
    schema: str
    has_password: bool

    @property
    def database(self) -> str:
        return urlsplit(self.location).path.lstrip("/")


def _netloc(user: str | None, password: str | None, host: str | None, port: int | None) -> str:
    netloc = ""
    if user is not None:
        netloc = quote(user, safe="")
        if password is not None:
            netloc += ":" + quote(password, safe="")
        netloc += "@"
    if host:
        netloc += f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return netloc


def parse(url: str) -> PostgresURL:
    """Parse a store URL; ``ValueError`` saying what is wrong with it."""
    if not is_postgres_url(url):
        raise ValueError(f"Not a PostgreSQL URL: {mask(url)!r}; expected postgresql://user@host/database.")
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"The port in {mask(url)!r} is not a number.") from None
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for key, value in query if key == "schema"]
    schema = schemas[-1] if schemas else "public"
    if not _SCHEMA.match(schema):
        raise ValueError(f"schema={schema!r} in {mask(url)!r}: use lowercase letters, digits and '_' "
                         "(at most 63, not starting with a digit).")
    rest = [(key, value) for key, value in query if key != "schema"]
    if not parts.path.lstrip("/"):
        raise ValueError(f"{mask(url)!r} names no database; add it: postgresql://user@host/DATABASE.")
    from urllib.parse import unquote

    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    connect = urlunsplit(("postgresql+psycopg", _netloc(user, password, parts.hostname, port),
                          parts.path, urlencode(rest, safe="/:"), ""))
    shown_query = urlencode(rest + ([("schema", schema)] if schemas else []), safe="/:")
    location = urlunsplit(("postgresql", _netloc(user, None, parts.hostname, port), parts.path, shown_query, ""))
    return PostgresURL(connect, location, schema, password is not None)


def mask(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages; never raises)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        user = parts.username or ""
        host = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))
    except ValueError:
        return "<unparsable URL>"
