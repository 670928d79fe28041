"""A throwaway PostgreSQL cluster for the tests and the benchmarks: ``initdb`` and
``pg_ctl`` in a temporary directory, reachable only over a unix socket in that directory.

``start_cluster()`` finds the server binaries (``$FRAMEWORK_PG_BINDIR``, then ``PATH``,
then the newest ``/usr/lib/postgresql/*/bin``), creates the cluster (trust authentication,
superuser ``framework``, no TCP listener) and starts it; ``Cluster.stop()`` stops it and
removes the directory. ``initdb`` refuses to run as root, so as root both run as the
unprivileged ``postgres`` user (Debian's package creates it), else ``nobody``.

A cluster never outlives its owner for long: a small watchdog process started with it
stops the server and removes the directory once the owning process is gone (a test run
killed with ``kill -9``) or after ``max_seconds`` in any case.

    python -m tests.postgres_cluster     # start one, print its URL, stop it on Enter
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUPERUSER = "framework"
#: The one role that must authenticate with a password (tests create it when they need it).
PASSWORD_ROLE = "framework_pw"

#: Settings of a test cluster: no TCP, and enough connections for the concurrency tests.
BASE_SETTINGS = {"listen_addresses": "''", "max_connections": "120", "shared_buffers": "64MB"}
#: For tests only: durability off (a throwaway cluster; the benchmarks keep the defaults).
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server binaries here, or the cluster could not start (the message says which)."""


def find_bindir() -> str | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None."""
    explicit = os.environ.get("FRAMEWORK_PG_BINDIR")
    candidates = [explicit] if explicit else []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(os.path.dirname(os.path.realpath(initdb)))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda p: [int(x) for x in p.split("/")[-2].split(".") if x.isdigit()], reverse=True)
    candidates.extend(versions)
    for directory in candidates:
        if all(os.access(os.path.join(directory, tool), os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def _run_as() -> tuple[int, int] | None:
    """(uid, gid) of the unprivileged user to run the server as, or None (not root)."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise ClusterUnavailable("running as root and no unprivileged user (postgres, nobody) to run initdb as")


def _run(cmd: list[str], who: tuple[int, int] | None, timeout: float) -> None:
    kwargs = {"user": who[0], "group": who[1], "extra_groups": []} if who else {}
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd="/", **kwargs)
    except subprocess.TimeoutExpired:
        raise ClusterUnavailable(f"{os.path.basename(cmd[0])} did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        raise ClusterUnavailable(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()[-1500:]}")


WATCHDOG = r"""
import os, shutil, signal, sys, time
owner, directory, deadline = int(sys.argv[1]), sys.argv[2], time.time() + float(sys.argv[3])
def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
while alive(owner) and time.time() < deadline and os.path.isdir(directory):
    time.sleep(0.5)
try:
    with open(os.path.join(directory, "data", "postmaster.pid")) as handle:
        os.kill(int(handle.readline()), signal.SIGQUIT)  # immediate shutdown
    time.sleep(1.0)
except (OSError, ValueError):
    pass
shutil.rmtree(directory, ignore_errors=True)
"""


class Cluster:
    """A running throwaway cluster; ``url(db)`` connects to database ``db`` over its socket."""

    def __init__(self, directory: Path, bindir: str, who: tuple[int, int] | None, watchdog: subprocess.Popen):
        self.directory = directory
        self.bindir = bindir
        self._who = who
        self._watchdog = watchdog

    @property
    def socket_dir(self) -> str:
        return str(self.directory)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.directory}"

    def create_database(self, name: str) -> str:
        """Create database ``name`` (if missing) and return its URL."""
        import psycopg

        with psycopg.connect(host=self.socket_dir, user=SUPERUSER, dbname="postgres", autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown, bounded) and remove its directory."""
        if not self.directory.exists():
            return
        try:
            _run([os.path.join(self.bindir, "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast",
                  "-t", "30", "-w", "stop"], self._who, timeout=40)
        except ClusterUnavailable:
            pid_file = self.directory / "data" / "postmaster.pid"
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)
                time.sleep(1.0)
            except (OSError, ValueError, IndexError):
                pass
        shutil.rmtree(self.directory, ignore_errors=True)
        self._watchdog.kill()
        self._watchdog.wait(5)


def start_cluster(*, fast: bool = True, max_seconds: float = 4 * 3600) -> Cluster:
    """Create and start a cluster in a new temp dir (``fast``: durability off, for tests)."""
    bindir = find_bindir()
    if bindir is None:
        raise ClusterUnavailable("no PostgreSQL server binaries (initdb, pg_ctl, postgres) found; install "
                                 "Debian's `postgresql` package or set FRAMEWORK_PG_BINDIR")
    who = _run_as()
    # A short path under /tmp: a unix socket path must stay under ~100 bytes.
    directory = Path(tempfile.mkdtemp(prefix="fwpg-", dir="/tmp" if os.path.isdir("/tmp") else None))
    if who:
        os.chown(directory, *who)
    watchdog = subprocess.Popen([sys.executable, "-c", WATCHDOG, str(os.getpid()), str(directory), str(max_seconds)],
                                start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    cluster = Cluster(directory, bindir, who, watchdog)
    try:
        _run([os.path.join(bindir, "initdb"), "-D", str(directory / "data"), "-U", SUPERUSER, "--auth=trust",
              "-E", "UTF8", "--locale=C", "-N"], who, timeout=120)
        hba = directory / "data" / "pg_hba.conf"  # one role must give a password: the credential tests use it
        hba.write_text(f"local all {PASSWORD_ROLE} scram-sha-256\n" + hba.read_text())
        settings = {**BASE_SETTINGS, **(FAST_SETTINGS if fast else {}), "unix_socket_directories": f"'{directory}'"}
        with open(directory / "data" / "postgresql.auto.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        _run([os.path.join(bindir, "pg_ctl"), "-D", str(directory / "data"), "-l", str(directory / "server.log"),
              "-w", "-t", "60", "start"], who, timeout=90)
    except BaseException:
        cluster.stop()
        raise
    return cluster


if __name__ == "__main__":
    started = start_cluster(fast="--durable" not in sys.argv)
    print(started.url(), flush=True)
    try:
        input("running; press Enter to stop\n")
    finally:
        started.stop()
