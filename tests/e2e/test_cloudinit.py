"""cloud-init's own OpenStack and EC2 datasources, run inside each VM namespace
against the real http://169.254.169.254, read that VM's complete metadata."""

import base64
import gzip

import pytest

VM_INDEXES = [0, 1]  # VM 1 has text user data, VM 2 gzip'd binary user data


def raw_bytes(value):
    assert isinstance(value, dict) and "base64" in value, f"expected bytes, got {value!r}"
    return base64.b64decode(value["base64"])


def cloud_config_text(inst):
    data = inst.user_data
    return gzip.decompress(data).decode() if data[:2] == b"\x1f\x8b" else data.decode()


def others(cloud, i):
    return [o for j, o in enumerate(cloud.instances) if j != i]


@pytest.mark.parametrize("i", VM_INDEXES, ids=["vm1", "vm2"])
def test_openstack_datasource_reads_complete_metadata(cloud, i):
    vm, inst = cloud.vms[i], cloud.instances[i]
    got = cloud.cloud_init(vm, "openstack")

    assert got["version"] == 2
    assert got["instance_id"] == inst.uuid
    assert got["hostname"] == inst.hostname
    assert got["public_keys"] == [inst.key_data]
    assert got["availability_zone"] == "nova"
    md = got["metadata"]
    assert md["uuid"] == inst.uuid
    assert md["name"] == inst.name
    assert md["project_id"] == inst.project_id
    assert md["meta"] == inst.meta
    assert md["public_keys"] == {inst.key_name: inst.key_data}
    assert md["local-hostname"] == inst.hostname

    # User data byte for byte, and cloud-init could process it into cloud-config.
    assert raw_bytes(got["userdata_raw"]) == inst.user_data
    assert [p["text"] for p in got["userdata_parts"] if p["type"] == "text/cloud-config"] == [
        cloud_config_text(inst)]

    assert got["vendordata_pure"] == inst.vendor_data
    assert [p["text"] for p in got["vendordata_parts"] if p["type"] == "text/cloud-config"] == [
        inst.vendor_data["cloud-init"]]
    assert got["vendordata2_pure"] == inst.vendor_data2

    # Injected files, fetched from the content paths meta_data.json lists.
    assert {path: raw_bytes(c).decode() for path, c in got["files"].items()} == inst.files

    assert got["network_json"] == inst.network_data
    # cloud-init matched the link's MAC to the VM's own eth0 and kept the address.
    physical = [c for c in got["network_config"]["config"] if c["type"] == "physical"]
    assert [(c["name"], c["mac_address"]) for c in physical] == [("eth0", inst.mac)]
    assert [s["address"] for s in physical[0]["subnets"]] == [inst.ip]

    # The OpenStack datasource also reads the EC2 tree (at the hard-coded address).
    ec2 = got["ec2_metadata"]
    assert ec2["instance-id"] == inst.ec2_id
    assert ec2["local-ipv4"] == inst.ip
    assert ec2["public-keys"] == {inst.key_name: inst.key_data}

    v1 = got["instance_data_v1"]
    assert (v1["instance_id"], v1["local_hostname"], v1["public_ssh_keys"]) == (
        inst.uuid, inst.hostname, [inst.key_data])

    text = repr(got)
    for other in others(cloud, i):
        for secret in (other.uuid, other.hostname, other.key_data, other.ec2_id):
            assert secret not in text, f"{vm.name} read {other.name}'s {secret}"


@pytest.mark.parametrize("i", VM_INDEXES, ids=["vm1", "vm2"])
def test_ec2_datasource_reads_complete_metadata(cloud, i):
    vm, inst = cloud.vms[i], cloud.instances[i]
    got = cloud.cloud_init(vm, "ec2")

    assert got["instance_id"] == inst.ec2_id
    assert got["hostname"] == inst.hostname
    assert got["public_keys"] == [inst.key_data]
    md = got["metadata"]
    assert md["instance-id"] == inst.ec2_id
    assert md["local-ipv4"] == inst.ip
    assert md["local-hostname"] == inst.hostname
    assert md["public-keys"] == {inst.key_name: inst.key_data}
    assert md["placement"]["availability-zone"] == "nova"
    assert raw_bytes(got["userdata_raw"]) == inst.user_data
    assert [p["text"] for p in got["userdata_parts"] if p["type"] == "text/cloud-config"] == [
        cloud_config_text(inst)]
    assert got["instance_data_v1"]["instance_id"] == inst.ec2_id

    text = repr(got)
    for other in others(cloud, i):
        for secret in (other.uuid, other.hostname, other.key_data, other.ec2_id):
            assert secret not in text, f"{vm.name} read {other.name}'s {secret}"
