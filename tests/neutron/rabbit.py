"""A private RabbitMQ node for the suite (Debian's rabbitmq-server), never the
system service: its own node name, ports on 127.0.0.1, home, cookie, data and config
under a temporary directory, and its own epmd on a port of its own (so nothing is
left running for other users of the machine)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket

import neutron_env as ne
from procs import Daemon

RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"  # not the wrapper: that su's to rabbitmq
EPMD = "/usr/bin/epmd"
START_TIMEOUT = 120  # a cold Erlang VM on two loaded cores


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing() -> str | None:
    for path in (RABBITMQ_SERVER, EPMD):
        if not os.access(path, os.X_OK):
            return f"{path} is missing: run scripts/install-deps.sh (rabbitmq-server)"
    return None


class Rabbit:
    def __init__(self):
        """Starts the node; wait_ready() waits for it."""
        self.dir = ne.public_dir("rabbit")
        os.chmod(self.dir, 0o700)
        self.port = free_port()
        self.user, self.password = "nsmp", secrets.token_hex(8)
        self.url = f"rabbit://{self.user}:{self.password}@127.0.0.1:{self.port}/"
        self.daemons: list[Daemon] = []
        epmd_port = free_port()
        cookie = os.path.join(self.dir, ".erlang.cookie")
        with open(cookie, "w") as f:
            f.write(secrets.token_hex(16))
        os.chmod(cookie, 0o400)
        conf = os.path.join(self.dir, "rabbitmq.conf")
        with open(conf, "w") as f:
            f.write(f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
                    f"default_user = {self.user}\ndefault_pass = {self.password}\n"
                    "loopback_users = none\n")
        plugins = os.path.join(self.dir, "enabled_plugins")
        with open(plugins, "w") as f:
            f.write("[].\n")
        empty_env = os.path.join(self.dir, "rabbitmq-env.conf")
        open(empty_env, "w").close()
        env = {
            "PATH": ne.SYSTEM_PATH, "HOME": self.dir, "LANG": "C.UTF-8",
            "ERL_EPMD_PORT": str(epmd_port), "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODENAME": f"nsmp{os.getpid()}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            # Erlang distribution on loopback only (it listens on every address otherwise).
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "RABBITMQ_CONF_ENV_FILE": empty_env, "RABBITMQ_CONFIG_FILE": conf,
            "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(self.dir, "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": plugins,
            "RABBITMQ_MNESIA_BASE": os.path.join(self.dir, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(self.dir, "log"),
            "RABBITMQ_LOGS": "-",
            "RABBITMQ_PID_FILE": os.path.join(self.dir, "rabbit.pid"),
        }
        try:
            self.epmd = Daemon("epmd", [EPMD, "-port", str(epmd_port), "-address", "127.0.0.1"],
                               os.path.join(self.dir, "epmd.log"), env=env)
            self.daemons.append(self.epmd)
            ne.wait_for(lambda: accepts(epmd_port), "epmd to listen", timeout=20,
                        describe=self.epmd.describe)
            self.server = Daemon("rabbitmq-server", [RABBITMQ_SERVER],
                                 os.path.join(self.dir, "rabbit.log"), env=env)
            self.daemons.append(self.server)
        except BaseException:
            self.stop()
            raise

    def wait_ready(self) -> "Rabbit":
        """Until the node has booted (it takes a while: start it early)."""
        self.server.wait_for_log(r"Server startup complete", timeout=START_TIMEOUT)
        return self

    def describe(self) -> str:
        return self.server.describe()

    def stop(self):
        """SIGTERM (the script stops the VM), then whatever is left in its session."""
        for d in reversed(self.daemons):
            d.stop(grace=20)
            for pid in ne.session_members(d.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.daemons.clear()
        shutil.rmtree(self.dir, ignore_errors=True)


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False
