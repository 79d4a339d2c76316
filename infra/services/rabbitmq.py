"""RabbitMQ (optional: `ivica stack up --with rabbitmq`): Debian's rabbitmq-server, one node.

Everything lives under <state_dir>/rabbitmq: config, Erlang cookie ($HOME), mnesia (queues and
messages), logs. Nothing is read from /etc/rabbitmq or written to /var/lib/rabbitmq, and the
real server script is run directly (Debian's /usr/sbin wrapper switches to the `rabbitmq` user).

Erlang nodes register with an Erlang port mapper (epmd), which Erlang would start as a daemon
that outlives the node. The service runs its own epmd on its own port (ERL_EPMD_PORT) as a
second process, tells the node not to start one, and stops it after the node: `down` leaves
no process behind. Every process carries IVICA_SERVICE_DIR in its environment, so the stop
also finds Erlang's helpers (erl_child_setup, inet_gethost) should one outlive the node.

No plugins are enabled (the management UI is not there); clients log in as guest/guest,
which RabbitMQ allows from loopback only: enough for a local stack on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from infra.proc import (
    SERVICE_DIR_ENV,
    StackError,
    check_ports_free,
    pids_with_env,
    port_in_use,
    read_pid,
    require_tool,
    spawn,
    stop_pid,
    wait_until,
)
from infra.services.base import Service

SERVER_ENV = "IVICA_RABBITMQ_SERVER"


def find_server() -> Path:
    """The real server script: $IVICA_RABBITMQ_SERVER, else Debian's (apt `rabbitmq-server`)."""
    candidates: list[Path] = []
    if os.environ.get(SERVER_ENV):
        candidates.append(Path(os.environ[SERVER_ENV]))
    candidates.append(Path("/usr/lib/rabbitmq/bin/rabbitmq-server"))
    candidates += sorted(
        Path("/usr/lib/rabbitmq/lib").glob("rabbitmq_server-*/sbin/rabbitmq-server")
    )
    for c in candidates:
        if c.is_file():
            return c
    raise StackError(
        "RabbitMQ not found: install the apt package `rabbitmq-server`, or set "
        f"{SERVER_ENV} to the sbin/rabbitmq-server script of RabbitMQ's generic Unix release."
    )


class RabbitMQ(Service):
    name = "rabbitmq"

    @property
    def ports(self) -> list[int]:
        r = self.cfg.rabbitmq
        return [r.port, r.dist_port, r.epmd_port]

    @property
    def address(self) -> str:
        return self.cfg.rabbitmq_url

    @property
    def node(self) -> str:
        return f"{self.cfg.rabbitmq.node_name}@localhost"

    @property
    def epmd_pidfile(self) -> Path:
        return self.dir / "epmd.pid"

    def _erl_args(self) -> str:
        args = ["-start_epmd false"]
        try:
            ip = ipaddress.IPv4Address(self.cfg.host)
        except ValueError:
            pass  # a host name: the distribution port listens on every interface
        else:
            args.append(f"-kernel inet_dist_use_interface {{{','.join(str(ip).split('.'))}}}")
        return " ".join(args)

    def env(self) -> dict[str, str]:
        d, r = self.dir, self.cfg.rabbitmq
        return {
            SERVICE_DIR_ENV: str(d),
            "HOME": str(d),  # the Erlang cookie, .erlang.cookie
            "ERL_EPMD_PORT": str(r.epmd_port),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_DIST_PORT": str(r.dist_port),
            "RABBITMQ_CONF_ENV_FILE": str(d / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(d / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
            "RABBITMQ_LOG_BASE": str(d / "log"),
            "RABBITMQ_LOGS": "-",  # to stdout, i.e. rabbitmq.log
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": self._erl_args(),
        }

    def prepare(self) -> None:
        self._server = find_server()
        self._epmd = require_tool("epmd", "It comes with Erlang (apt-get install rabbitmq-server).")
        h, r = self.cfg.host, self.cfg.rabbitmq
        (self.dir / "rabbitmq-env.conf").write_text(
            "# Written by `ivica stack`: the environment comes from infra/services/rabbitmq.py.\n"
        )
        (self.dir / "rabbitmq.conf").write_text(
            "# Written by `ivica stack` on every start (infra/services/rabbitmq.py).\n"
            f"listeners.tcp.1 = {h}:{r.port}\n"
            "loopback_users.guest = true\n"
        )
        (self.dir / "enabled_plugins").write_text("[].\n")

    def command(self) -> list[str]:
        return [str(self._server)]

    def healthy(self) -> bool:
        try:
            import pika
            import pika.exceptions
        except ImportError as exc:
            raise StackError("pika is missing: pip install -e '.[edge]'") from exc

        if not port_in_use(self.cfg.host, self.cfg.rabbitmq.port):
            return False
        params = pika.ConnectionParameters(
            host=self.cfg.host,
            port=self.cfg.rabbitmq.port,
            connection_attempts=1,
            socket_timeout=2,
            stack_timeout=3,
            blocked_connection_timeout=3,
        )
        try:
            pika.BlockingConnection(params).close()
        except (pika.exceptions.AMQPError, OSError):
            return False
        return True

    def _server_pid(self) -> int | None:
        return read_pid(self.pidfile)

    def pids(self) -> list[int]:
        """The server, the stack's epmd, and any process either started."""
        own = [p for p in (self._server_pid(), read_pid(self.epmd_pidfile)) if p is not None]
        strays = [p for p in pids_with_env(SERVICE_DIR_ENV, str(self.dir)) if p not in own]
        return own + strays

    def start(self) -> None:
        """Start epmd, then the node (unless the node runs); wait until AMQP logins work."""
        if self._server_pid() is None:
            self.stop()  # an epmd or helper left from a node that died
            check_ports_free(self.name, self.cfg.host, self.ports)
            self.dir.mkdir(parents=True, exist_ok=True)
            self.prepare()
            env = self.env()
            epmd_log = self.dir / "epmd.log"
            host, port = self.cfg.host, self.cfg.rabbitmq.epmd_port
            spawn(
                [self._epmd, "-port", str(port), "-address", host], epmd_log, self.epmd_pidfile, env
            )
            wait_until(
                lambda: port_in_use(host, port),
                what="epmd",
                timeout_s=self.cfg.timeouts.start_s,
                log=epmd_log,
                alive=lambda: read_pid(self.epmd_pidfile) is not None,
            )
            spawn(self.command(), self.log, self.pidfile, env)
        wait_until(
            self.healthy,
            what=self.name,
            timeout_s=self.cfg.timeouts.start_s,
            log=self.log,
            alive=lambda: self._server_pid() is not None,
        )

    def stop(self) -> None:
        """SIGTERM to the node's process group (RabbitMQ shuts down cleanly), then epmd, then
        anything else carrying this service's marker."""
        server = self._server_pid()
        if server is not None:
            stop_pid(server, self.cfg.timeouts.stop_s)
        epmd = read_pid(self.epmd_pidfile)
        if epmd is not None:
            stop_pid(epmd, self.cfg.timeouts.stop_s)
        for pid in pids_with_env(SERVICE_DIR_ENV, str(self.dir)):
            stop_pid(pid, self.cfg.timeouts.stop_s)
        self.pidfile.unlink(missing_ok=True)
        self.epmd_pidfile.unlink(missing_ok=True)
