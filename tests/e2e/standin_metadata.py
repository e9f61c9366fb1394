"""Development stand-in for `ns-metadata-proxy metadata-server` (NOT used by the suite).

Usage: python3 standin_metadata.py SOCKET DATAFILE
Serves the subset of Nova's layout cloud-init reads, finding the instance the way
Neutron's agent does (router/network id header + the single X-Forwarded-For).
"""

import base64
import json
import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler

OS_VERSIONS = ["2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15", "2016-06-30",
               "2016-10-06", "2017-02-22", "2018-08-27", "latest"]
EC2_VERSIONS = ["1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15",
                "2008-02-01", "2008-09-01", "2009-04-04", "latest"]


def load(path):
    with open(path) as f:
        return json.load(f)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def address_string(self):
        return "unix"

    def reply(self, code, body, ctype="text/plain"):
        if isinstance(body, (dict, list)):
            body, ctype = json.dumps(body), "application/json"
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def instance(self):
        data = load(self.server.data_path)
        for i in data["instances"]:
            if "user_data_base64" in i:
                i["user_data"] = base64.b64decode(i["user_data_base64"])
        net = self.headers.get("X-Neutron-Network-ID")
        router = self.headers.get("X-Neutron-Router-ID")
        xff = self.headers.get("X-Forwarded-For", "")
        if net and router:
            return None, 400
        nets = [net] if net else [n for r in data["routers"] if r["id"] == router for n in r["networks"]]
        found = [i for i in data["instances"] for p in i["ports"]
                 if p["network_id"] in nets and xff.strip() in p["ip_addresses"]]
        return (found[0], 200) if len(found) == 1 else (None, 404)

    def do_GET(self):
        inst, code = self.instance()
        if inst is None:
            return self.reply(code, f"{code}\n")
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        if not parts:
            return self.reply(200, "\n".join(EC2_VERSIONS))
        if parts[0] == "openstack":
            return self.openstack(inst, parts[1:])
        return self.ec2(inst, parts)

    def openstack(self, inst, parts):
        if not parts:
            return self.reply(200, "\n".join(OS_VERSIONS))
        if len(parts) != 2 or parts[0] not in OS_VERSIONS:
            return self.reply(404, "404\n")
        key = inst.get("key")
        md = {"uuid": inst["uuid"], "name": inst["name"], "hostname": inst["hostname"],
              "launch_index": 0, "availability_zone": "nova", "project_id": inst["project_id"],
              "meta": inst.get("meta", {}), "devices": []}
        if key:
            md["public_keys"] = {key["name"]: key["data"]}
            md["keys"] = [key]
        leaves = {"meta_data.json": md, "network_data.json": inst.get("network_data", {}),
                  "vendor_data.json": inst.get("vendor_data", {}),
                  "vendor_data2.json": inst.get("vendor_data2", {})}
        if "user_data" in inst:
            leaves["user_data"] = inst["user_data"]
        if parts[1] not in leaves:
            return self.reply(404, "404\n")
        return self.reply(200, leaves[parts[1]])

    def ec2(self, inst, parts):
        if parts[0] not in EC2_VERSIONS:
            return self.reply(404, "404\n")
        if parts[1:] == ["user-data"] and "user_data" in inst:
            return self.reply(200, inst["user_data"])
        ip = inst["ports"][0]["ip_addresses"][0]
        tree = {"instance-id": inst["ec2_id"], "hostname": inst["hostname"],
                "local-hostname": inst["hostname"], "local-ipv4": ip, "ami-id": "ami-00000001",
                "placement": {"availability-zone": "nova"}}
        if inst.get("key"):
            tree["public-keys"] = {"0=" + inst["key"]["name"]: None}
        node = tree
        rest = parts[2:] if len(parts) > 1 and parts[1] == "meta-data" else None
        if rest is None:
            return self.reply(404, "404\n")
        if rest[:1] == ["public-keys"] and inst.get("key"):
            if rest == ["public-keys"]:
                return self.reply(200, "0=" + inst["key"]["name"])
            if rest == ["public-keys", "0"]:
                return self.reply(200, "openssh-key")
            if rest == ["public-keys", "0", "openssh-key"]:
                return self.reply(200, inst["key"]["data"])
        for p in rest:
            if not isinstance(node, dict) or p not in node:
                return self.reply(404, "404\n")
            node = node[p]
        if isinstance(node, dict):
            names = [k.split("=")[0] + ("/" if isinstance(v, dict) else "") for k, v in node.items()]
            names = ["public-keys/" if n == "0" else n for n in names]
            return self.reply(200, "\n".join(names))
        return self.reply(200, node)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if __name__ == "__main__":
    sock, data_path = sys.argv[1], sys.argv[2]
    if os.path.exists(sock):
        os.unlink(sock)
    srv = Server(sock, Handler)
    srv.data_path = data_path
    srv.serve_forever()
