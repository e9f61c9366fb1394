"""The instances behind the end-to-end topology, made fresh for every run.

`make_instance` returns what the test expects cloud-init to read for one VM;
`data_file` writes the metadata server's data file (format: examples/README.md)
holding those instances and the router that reaches their network.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import secrets
import struct
import uuid
from dataclasses import dataclass


def ssh_ed25519_key(comment: str) -> str:
    """A well-formed OpenSSH ed25519 public key line with a random key."""
    kind = b"ssh-ed25519"
    blob = struct.pack(">I", len(kind)) + kind + struct.pack(">I", 32) + os.urandom(32)
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


@dataclass
class Instance:
    uuid: str
    name: str
    hostname: str
    project_id: str
    ec2_id: str
    network_id: str
    ip: str
    mac: str
    key_name: str
    key_data: str
    user_data: bytes
    vendor_data: dict
    vendor_data2: dict
    network_data: dict
    meta: dict
    files: dict  # injected files: guest path -> content

    def to_data(self) -> dict:
        """This instance as an entry of the data file's "instances" list."""
        entry = {
            "uuid": self.uuid,
            "name": self.name,
            "hostname": self.hostname,
            "project_id": self.project_id,
            "availability_zone": "nova",
            "ec2_id": self.ec2_id,
            "ports": [{"network_id": self.network_id, "ip_addresses": [self.ip],
                       "mac_address": self.mac}],
            "key": {"name": self.key_name, "type": "ssh", "data": self.key_data},
            "meta": self.meta,
            "vendor_data": self.vendor_data,
            "vendor_data2": self.vendor_data2,
            "network_data": self.network_data,
            "files": [{"path": p, "content": c} for p, c in self.files.items()],
        }
        try:
            entry["user_data"] = self.user_data.decode("utf-8")
        except UnicodeDecodeError:
            entry["user_data_base64"] = base64.b64encode(self.user_data).decode()
        return entry


def make_instance(index: int, network_id: str, ip: str, mac: str, binary_user_data: bool) -> Instance:
    tag = secrets.token_hex(4)
    hostname = f"e2e-vm{index}-{tag}"
    user_data = (
        "#cloud-config\n"
        f"hostname: {hostname}\n"
        "write_files:\n"
        f"  - path: /tmp/e2e-{tag}\n"
        "    content: \"caf\u00e9 \u2713\"\n"  # non-ASCII must arrive byte for byte
    ).encode()
    if binary_user_data:
        # cloud-init accepts gzip'd user data; the server must pass bytes untouched.
        user_data = gzip.compress(user_data, mtime=0)
    link = f"tap{tag}"
    return Instance(
        uuid=str(uuid.uuid4()),
        name=f"e2e-vm{index}",
        hostname=hostname,
        project_id=uuid.uuid4().hex,
        ec2_id=f"i-{secrets.randbits(32):08x}",
        network_id=network_id,
        ip=ip,
        mac=mac,
        key_name=f"key-{tag}",
        key_data=ssh_ed25519_key(f"e2e@vm{index}-{tag}"),
        user_data=user_data,
        vendor_data={"cloud-init": f"#cloud-config\nruncmd:\n  - [echo, vendor-{tag}]\n"},
        vendor_data2={"static": {"e2e-tag": tag}},
        network_data={
            "links": [{"id": link, "type": "ovs", "ethernet_mac_address": mac, "mtu": 1450,
                       "vif_id": str(uuid.uuid4())}],
            "networks": [{"id": "network0", "type": "ipv4", "link": link, "ip_address": ip,
                          "netmask": "255.255.255.0", "network_id": network_id,
                          "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0",
                                      "gateway": ip.rsplit(".", 1)[0] + ".1"}]}],
            "services": [{"type": "dns", "address": "192.0.2.53"}],
        },
        meta={"role": f"e2e-{index}", "tag": tag},
        files={f"/etc/e2e/{tag}.conf": f"tag = {tag}\n", f"/etc/e2e/vm{index}.txt": f"vm {index}\n"},
    )


def data_file(path: str, router_id: str | None, network_id: str, instances: list[Instance]) -> None:
    """Writes the data file atomically (the server may be reading it)."""
    data = {"instances": [i.to_data() for i in instances]}
    if router_id:
        data["routers"] = [{"id": router_id, "networks": [network_id]}]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)
