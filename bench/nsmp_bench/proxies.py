"""The proxies under test: how each is started for one instance on one port."""

import os
from dataclasses import dataclass, field

from . import configs


@dataclass
class Options:
    ours_bin: str | None
    ours_args: list = field(default_factory=list)
    log_mode: str = "file"  # "file": access logs to a file in the work dir; "null": discarded
    haproxy_log: str | None = None  # UNIX datagram socket haproxy logs to (None: no log line)


@dataclass
class Proxy:
    key: str  # short name used on the command line and in file names
    label: str  # as printed in the tables
    kind: str  # ours | haproxy | nginx (instances of one kind share memory figures)
    reuses_upstream: bool  # can keep upstream connections alive (worth a keep-alive backend)
    extra: tuple = ()  # further command-line arguments (ours)

    def command(self, opts, workdir, tag, port, sock):
        """Writes any configuration into workdir and returns the argv for one instance."""
        name = f"{self.key}-{tag}"
        log_file = os.path.join(workdir, f"{name}.log") if opts.log_mode == "file" else "/dev/null"
        if self.kind == "ours":
            return [opts.ours_bin, "--network_id", configs.NETWORK_ID, "--nodaemonize",
                    "--bind_host", "127.0.0.1", "--metadata_port", str(port),
                    "--metadata_proxy_socket", sock, "--state_path", workdir,
                    "--log-file", log_file,
                    # wrk's connections all come from 127.0.0.1.
                    "--maxconn_per_source", "0", *self.extra] + list(opts.ours_args)
        path = os.path.join(workdir, f"{name}.conf")
        if self.kind == "haproxy":
            text = configs.haproxy_conf(workdir, name, port, sock, self.key == "haproxy-ka",
                                        opts.haproxy_log)
            argv = ["haproxy", "-db", "-f", path]
        else:
            access = log_file if opts.log_mode == "file" else None
            text = configs.nginx_proxy_conf(workdir, name, port, sock, self.key == "nginx-pool",
                                            access)
            argv = ["nginx", "-p", workdir, "-e", os.path.join(workdir, f"{name}.err"),
                    "-c", path]
        with open(path, "w") as f:
            f.write(text)
        return argv


ALL = [
    Proxy("ours", "ours (ns-metadata-proxy)", "ours", False),
    Proxy("ours-reuse", "ours, --upstream_keepalive 256", "ours", True,
          ("--upstream_keepalive", "256")),
    Proxy("haproxy", "haproxy, Neutron config (http-server-close)", "haproxy", False),
    Proxy("haproxy-ka", "haproxy, http-keep-alive", "haproxy", True),
    Proxy("nginx", "nginx, no upstream pool", "nginx", False),
    Proxy("nginx-pool", "nginx, upstream keepalive pool", "nginx", True),
]
BY_KEY = {p.key: p for p in ALL}
# The baselines the ratios are taken against, per backend mode. haproxy with
# Neutron's config closes agent connections whatever the agent does, so it is
# the baseline on both backends.
BASELINES = {
    "close": ["haproxy", "nginx"],
    "keepalive": ["haproxy", "haproxy-ka", "nginx-pool"],
}


def runs_on(p, mode):
    """Whether proxy p is measured on the backend mode: every proxy on the closing backend
    except the one whose only difference is reuse; on the keep-alive backend the proxies that
    reuse connections, ours without reuse and haproxy with Neutron's config."""
    if mode == "close":
        return not (p.kind == "ours" and p.reuses_upstream)
    return p.reuses_upstream or p.key in ("ours", "haproxy")
