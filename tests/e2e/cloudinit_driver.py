"""Runs cloud-init's own datasource code inside a VM namespace and prints what it read.

Usage (as the suite runs it):
    ip netns exec <vm-ns> /usr/bin/python3 cloudinit_driver.py {openstack|ec2} WORKDIR

Everything cloud-init writes goes under WORKDIR (cloud_dir, run_dir): the host's
/etc/cloud and /var/lib/cloud are never read or written. Timeouts and retries are
small so a broken chain fails in seconds instead of stalling like a boot would.
Prints one JSON object on stdout; cloud-init's debug log goes to stderr.
Exit status: 0 when the datasource accepted the metadata, 1 when it did not.
"""

import base64
import json
import logging
import os
import sys

from cloudinit import distros, helpers, util
from cloudinit.sources import DataSourceEc2, DataSourceOpenStack
from cloudinit.sources.helpers import openstack as openstack_helper

METADATA_URL = "http://169.254.169.254"


def jsonable(value):
    """cloud-init's results hold bytes (user data, random_seed): encode them."""
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def message_parts(message):
    """The parts of a processed user/vendor data MIME message: (type, text)."""
    if message is None:
        return []
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        parts.append({"type": part.get_content_type(), "text": payload.decode("utf-8", "replace")})
    return parts


def make_datasource(kind, workdir):
    paths = helpers.Paths({
        "cloud_dir": os.path.join(workdir, "cloud"),
        "run_dir": os.path.join(workdir, "run"),
        "templates_dir": os.path.join(workdir, "templates"),
    })
    common = {"metadata_urls": [METADATA_URL], "max_wait": 10, "timeout": 5, "retries": 1}
    sys_cfg = {
        "datasource_list": ["OpenStack", "Ec2"],
        "datasource": {"OpenStack": dict(common), "Ec2": dict(common, strict_id=False)},
    }
    distro = distros.fetch("debian")("debian", {}, paths)
    if kind == "openstack":
        # A namespace has no Nova DMI strings; everything after detection is unchanged.
        DataSourceOpenStack.detect_openstack = lambda accept_oracle=False: True
        return DataSourceOpenStack.DataSourceOpenStack(sys_cfg, distro, paths)
    # Not AWS (no token PUT): how the Ec2 datasource treats an OpenStack cloud.
    DataSourceEc2.identify_platform = lambda: DataSourceEc2.CloudNames.UNKNOWN
    return DataSourceEc2.DataSourceEc2(sys_cfg, distro, paths)


def main():
    kind, workdir = sys.argv[1], sys.argv[2]
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # cloud-init first resolves made-up names to detect DNS hijacking; the VM has
    # no resolver to ask, and the metadata URL is an address anyway.
    util._DNS_REDIRECT_IP = set()
    ds = make_datasource(kind, workdir)
    ok = ds.get_data()
    out = {"ok": bool(ok), "datasource": str(ds)}
    if ok:
        out.update({
            "instance_id": ds.get_instance_id(),
            "hostname": ds.get_hostname().hostname,
            "public_keys": ds.get_public_ssh_keys(),
            "availability_zone": ds.availability_zone,
            "metadata": jsonable(ds.metadata),
            "userdata_raw": jsonable(ds.get_userdata_raw()),
            "userdata_parts": message_parts(ds.get_userdata()),
        })
        if kind == "openstack":
            out.update({
                "version": ds.version,
                "vendordata_pure": jsonable(ds.vendordata_pure),
                "vendordata2_pure": jsonable(ds.vendordata2_pure),
                "vendordata_parts": message_parts(ds.get_vendordata()),
                "network_json": jsonable(ds.network_json),
                # Needs the VM's own /sys/class/net to match MACs to devices.
                "network_config": jsonable(openstack_helper.convert_net_json(ds.network_json)),
                "ec2_metadata": jsonable(ds.ec2_metadata),
                "files": jsonable(ds.files),  # read from /openstack/content/NNNN
            })
        else:
            out["api_version"] = ds._crawled_metadata.get("_metadata_api_version")
        with open(os.path.join(workdir, "run", "instance-data.json")) as f:
            out["instance_data_v1"] = json.load(f).get("v1", {})
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
