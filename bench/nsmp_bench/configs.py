"""Configurations of the proxies under test and of the backend, as text or command lines.

haproxy gets the configuration Neutron writes (neutron/common/metadata.py and
neutron/agent/metadata/driver.py): only the bind address, the socket, the pidfile and the log
target differ. nginx is configured as the reverse proxy an operator would write instead.
"""

import getpass
import json
import os

NETWORK_ID = "3f1c8e4a-6f5b-4d2e-9a7c-0b1d2e3f4a5b"
REQUEST_PATH = "/openstack/latest/meta_data.json"


def metadata_body():
    """A ~600-byte meta_data.json, as Nova would answer (served verbatim by the backend)."""
    doc = {
        "uuid": "0b5e1c2d-8f3a-4e6b-9c7d-1a2b3c4d5e6f",
        "meta": {"role": "webserver", "env": "bench"},
        "keys": [{"name": "bench", "type": "ssh", "data": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"
                  "Hb3nCh7mArKpr0XyMetaDataKeyFor/BenchMarking0nly bench@example"}],
        "public_keys": {"bench": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHb3nCh7mArKpr0XyMetaDat"
                        "aKeyFor/BenchMarking0nly bench@example"},
        "hostname": "bench-vm.novalocal", "name": "bench-vm", "launch_index": 0,
        "availability_zone": "nova", "random_seed": "c2VlZC1mb3ItdGhlLWJlbmNobWFyay1vbmx5",
        "project_id": "5a6b7c8d9e0f41a2b3c4d5e6f7a8b9c0", "devices": [],
        "dedicated_cpus": [],
    }
    return json.dumps(doc, separators=(", ", ": "))


def _user():
    return getpass.getuser()


def _nginx_common(workdir, name):
    tmp = os.path.join(workdir, f"{name}-tmp")
    os.makedirs(tmp, exist_ok=True)
    return f"""pid {workdir}/{name}.pid;
error_log {workdir}/{name}.err warn;
user {_user()};
""", f"""    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
"""


def backend_conf(workdir, sock, keepalive):
    """nginx answering every GET with the fixed JSON body, after checking the identity headers
    the proxy must set. keepalive=False closes after every response, as Neutron's agent does."""
    name = "backend-ka" if keepalive else "backend-close"
    top, temps = _nginx_common(workdir, name)
    ka = ("keepalive_timeout 65s;\n    keepalive_requests 100000000;" if keepalive
          else "keepalive_timeout 0;")
    body = metadata_body().replace("\\", "\\\\").replace("'", "\\'")
    return f"""daemon off;
master_process off;
worker_processes 1;
{top}events {{ worker_connections 4096; }}
http {{
    access_log off;
{temps}    {ka}
    server {{
        listen unix:{sock} backlog=4096;
        location / {{
            if ($http_x_neutron_network_id != "{NETWORK_ID}") {{ return 400 "bad network id\\n"; }}
            if ($http_x_neutron_router_id != "") {{ return 400 "unexpected router id\\n"; }}
            if ($http_x_forwarded_for != "127.0.0.1") {{ return 400 "bad x-forwarded-for\\n"; }}
            default_type application/json;
            return 200 '{body}';
        }}
    }}
}}
"""


def haproxy_conf(workdir, name, port, sock, keepalive, log_target):
    """Neutron's haproxy configuration; keepalive=True swaps http-server-close for
    http-keep-alive. log_target is a UNIX datagram socket path (/dev/log in Neutron) or None."""
    log_line = f"    log         {log_target} local0 info\n" if log_target else ""
    mode = "option http-keep-alive" if keepalive else "option http-server-close"
    return f"""global
{log_line}    log-tag     haproxy-metadata-proxy-{NETWORK_ID}
    user        {_user()}
    group       {_user()}
    maxconn     1024
    nbthread    2
    pidfile     {workdir}/{name}.pid.haproxy
    daemon

defaults
    log global
    mode http
    option httplog
    option dontlognull
    {mode}
    option forwardfor
    retries                 3
    timeout http-request    30s
    timeout connect         30s
    timeout client          32s
    timeout server          32s
    timeout http-keep-alive 30s

listen listener
    bind 127.0.0.1:{port}
    server metadata {sock}
    http-request del-header X-Neutron-Router-ID
    http-request set-header X-Neutron-Network-ID {NETWORK_ID}
"""


def nginx_proxy_conf(workdir, name, port, sock, pool, access_log):
    """nginx (master + one worker) proxying to the UNIX socket and setting the same headers;
    pool=True keeps idle upstream connections (HTTP/1.1 upstream, keepalive 64)."""
    top, temps = _nginx_common(workdir, name)
    upstream_pool = ("\n        keepalive 64;\n        keepalive_requests 100000000;\n"
                     "        keepalive_timeout 60s;" if pool else "")
    pool_headers = ("\n            proxy_http_version 1.1;\n"
                    "            proxy_set_header Connection \"\";" if pool else "")
    log = f"access_log {access_log};" if access_log else "access_log off;"
    return f"""daemon off;
worker_processes 1;
{top}events {{ worker_connections 1024; }}
http {{
    {log}
{temps}    keepalive_timeout 30s;
    keepalive_requests 100000000;
    upstream metadata {{
        server unix:{sock};{upstream_pool}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://metadata;
            proxy_set_header X-Neutron-Router-ID "";
            proxy_set_header X-Neutron-Network-ID "{NETWORK_ID}";
            proxy_set_header X-Forwarded-For $remote_addr;{pool_headers}
        }}
    }}
}}
"""
