"""Two throwaway ClickHouse servers on loopback, as the two shards of one cluster.

Debian's `clickhouse-server` (release 18.16) runs as a plain process from a config file of
ours: each server gets its own directory, its own HTTP/TCP/interserver ports on 127.0.0.1,
and the same `remote_servers` section naming both, so a `Distributed` table on either
node spreads rows over both shards (`data.schema --cluster`). Runs as root here (the test
machines and CI do); no ZooKeeper, no `ON CLUSTER`.

As a script: `python -m tests.support.clickhouse [--dir DIR]` starts a cluster, creates
the schema on it, prints the URLs and keeps it running until Ctrl-C.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.postgres import free_port

SERVER_BIN = Path("/usr/sbin/clickhouse-server")
CLUSTER_NAME = "campaign_cluster"
DATABASE = "default"


def available() -> bool:
    """Whether Debian's `clickhouse-server` is installed."""
    return SERVER_BIN.exists()


@dataclass
class Shard:
    """One server: its directory, ports and process (None while halted)."""

    root: Path
    http_port: int
    tcp_port: int
    interserver_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"clickhouse+http://default:@127.0.0.1:{self.http_port}/{DATABASE}"

    @property
    def config_path(self) -> Path:
        return self.root / "config.xml"

    def start(self) -> None:
        """Start the server from our config; wait until its HTTP port answers `/ping`."""
        log = (self.root / "stdout.log").open("ab")
        self.process = subprocess.Popen(
            [str(SERVER_BIN), f"--config-file={self.config_path}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.http_port}/ping", timeout=1
                ) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.halt()
        raise RuntimeError(f"ClickHouse did not start; see {self.root / 'log'}")

    def halt(self) -> None:
        """Stop the server but keep its data, as an outage would (SIGKILL: no goodbye)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def shut_down(self) -> None:
        """Stop the server cleanly (SIGTERM), so its data directory can be started again."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self.process = None


@dataclass
class ClickHouseCluster:
    """Two running shards; `url` is the first node, through which the app and imports go."""

    root: Path
    shards: list[Shard] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.shards[0].url

    @property
    def shard_urls(self) -> list[str]:
        return [shard.url for shard in self.shards]

    def stop(self, keep_data: bool = False) -> None:
        """Stop every server; remove their directory unless `keep_data` (a cache)."""
        for shard in self.shards:
            if keep_data:
                shard.shut_down()
            else:
                shard.halt()
        if not keep_data:
            shutil.rmtree(self.root, ignore_errors=True)


def _remote_servers(shards: list[Shard]) -> str:
    replicas = "".join(
        f"<shard><replica><host>127.0.0.1</host><port>{shard.tcp_port}</port></replica></shard>"
        for shard in shards
    )
    return f"<remote_servers><{CLUSTER_NAME}>{replicas}</{CLUSTER_NAME}></remote_servers>"


def _config(shard: Shard, remote_servers: str) -> str:
    """A minimal server config: loopback only, small caches, UTC, our cluster.

    The caches are sized for a shared 2-core test machine (the package's defaults reserve
    8 GB of uncompressed and 5 GB of mark cache, allocated on demand).
    """
    root = shard.root
    return f"""<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>{root}/log/server.log</log>
        <errorlog>{root}/log/server.err.log</errorlog>
        <size>100M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>{shard.http_port}</http_port>
    <tcp_port>{shard.tcp_port}</tcp_port>
    <interserver_http_port>{shard.interserver_port}</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <max_connections>256</max_connections>
    <!-- 18.16's default (3 s) closes an idle HTTP connection that the client's pool
         then reuses: "Remote end closed connection without response" in a test. -->
    <keep_alive_timeout>600</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>{root}/data/</path>
    <tmp_path>{root}/tmp/</tmp_path>
    <user_files_path>{root}/user_files/</user_files_path>
    <format_schema_path>{root}/format_schemas/</format_schema_path>
    <users_config>{root}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>{DATABASE}</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <!-- Every query's duration, rows read and CPU in system.query_log (with the setting
         log_queries=1): how the report's statements were profiled. -->
    <query_log>
        <database>system</database>
        <table>query_log</table>
        <flush_interval_milliseconds>2000</flush_interval_milliseconds>
    </query_log>
    {remote_servers}
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
"""


USERS = """<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
            <insert_distributed_sync>1</insert_distributed_sync>
        </default>
        <readonly><readonly>1</readonly></readonly>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
        </interval></default>
    </quotas>
</yandex>
"""


def start_cluster(root: Path | None = None, shard_count: int = 2) -> ClickHouseCluster:
    """Write the configs of `shard_count` servers under `root` and start them all."""
    base = root or Path(tempfile.mkdtemp(prefix="campaign-ch-"))
    shards = [
        Shard(
            root=base / f"shard{index + 1}",
            http_port=free_port(),
            tcp_port=free_port(),
            interserver_port=free_port(),
        )
        for index in range(shard_count)
    ]
    remote_servers = _remote_servers(shards)
    cluster = ClickHouseCluster(root=base, shards=shards)
    try:
        for shard in shards:
            for name in ("data", "tmp", "user_files", "format_schemas", "log"):
                (shard.root / name).mkdir(parents=True, exist_ok=True)
            shard.config_path.write_text(_config(shard, remote_servers))
            (shard.root / "users.xml").write_text(USERS)
            shard.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


def in_database(url: str, database: str) -> str:
    """`url` pointing at `database` instead."""
    import sqlalchemy as sa

    return sa.make_url(url).set(database=database).render_as_string(hide_password=False)


def create_cluster_schema(cluster: ClickHouseCluster, database: str = DATABASE) -> None:
    """`python -m data.schema --cluster` on the cluster: local and Distributed tables."""
    from data.clickhouse_schema import create_clickhouse_schema

    create_clickhouse_schema(
        in_database(cluster.url, database),
        CLUSTER_NAME,
        [in_database(url, database) for url in cluster.shard_urls],
    )


def truncate(cluster: ClickHouseCluster) -> None:
    """Empty every local table on every shard, so the next test starts from nothing."""
    from data.clickhouse_cluster import empty_tables

    empty_tables(cluster.url, cluster.shard_urls)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=None, help="where the servers keep data")
    args = parser.parse_args(argv)
    cluster = start_cluster(args.dir)
    # `kill PID` must stop the servers too (they run in their own sessions).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        create_cluster_schema(cluster)
        print(f"cluster {CLUSTER_NAME} is up; CAMPAIGN_DB_URL={cluster.url}")
        for index, url in enumerate(cluster.shard_urls, start=1):
            print(f"  shard {index}: {url}")
        print("Ctrl-C stops both servers")
        while all(shard.process and shard.process.poll() is None for shard in cluster.shards):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        if args.dir is None:
            cluster.stop()
        else:
            for shard in cluster.shards:
                shard.halt()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
