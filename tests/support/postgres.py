"""A throwaway PostgreSQL 15 cluster on loopback, for tests that must run on a real server.

PostgreSQL refuses to run as root, so when the tests run as root (CI, the dev box) the
cluster is created and started as the `postgres` system user with `runuser`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class PostgresCluster:
    """A running cluster: `url` connects as the superuser to database `postgres`."""

    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def halt(self) -> None:
        """Stop the server but keep its data, as an outage or a restart would."""
        subprocess.run(
            _as_postgres(
                [str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast"]
                + ["-w", "stop"]
            ),
            check=True,
            capture_output=True,
        )

    def resume(self) -> None:
        """Start a halted server again on the same port, with the same data."""
        _pg_ctl_start(self.root, self.port)

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(
                [
                    str(POSTGRES_BIN / "pg_ctl"),
                    "-D",
                    str(self.root / "data"),
                    "-m",
                    "immediate",
                    "stop",
                ]
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def available() -> bool:
    """Whether Debian's PostgreSQL 15 server binaries are installed."""
    return (POSTGRES_BIN / "initdb").exists()


def start_cluster() -> PostgresCluster:
    """Create and start a fresh cluster tuned for tests (no fsync: the data is disposable)."""
    root = Path(tempfile.mkdtemp(prefix="campaign-pg-"))
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres", group="postgres")
    data_dir = root / "data"
    subprocess.run(
        _as_postgres(
            [
                str(POSTGRES_BIN / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    port = free_port()
    _pg_ctl_start(root, port)
    cluster = PostgresCluster(root=root, port=port)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return cluster
        except OSError:
            time.sleep(0.2)
    cluster.stop()
    raise RuntimeError(f"PostgreSQL did not start; see {root / 'server.log'}")


def _pg_ctl_start(root: Path, port: int) -> None:
    """Start the cluster in `root` on `port`, waiting until it accepts connections."""
    data_dir = root / "data"
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
        "-c TimeZone=UTC"
    )
    subprocess.run(
        _as_postgres(
            [
                str(POSTGRES_BIN / "pg_ctl"),
                "-D",
                str(data_dir),
                "-o",
                options,
                "-l",
                str(root / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
