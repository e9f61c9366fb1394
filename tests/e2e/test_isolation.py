"""curl from inside the VM namespaces: each VM gets its own metadata, whatever
identity headers it sends."""

import time

import pytest

import instances as inst_mod

META = "/openstack/latest/meta_data.json"


@pytest.mark.parametrize("i", [0, 1], ids=["vm1", "vm2"])
def test_curl_gets_own_meta_data(cloud, i):
    vm, inst = cloud.vms[i], cloud.instances[i]
    reply = cloud.curl(vm, META)
    assert reply.status == 200, reply.body
    md = reply.json()
    assert (md["uuid"], md["hostname"], md["public_keys"]) == (
        inst.uuid, inst.hostname, {inst.key_name: inst.key_data})
    assert cloud.curl(vm, "/openstack/latest/user_data").body == inst.user_data
    assert cloud.curl(vm, "/latest/meta-data/instance-id").body.decode() == inst.ec2_id
    assert cloud.curl(vm, "/2009-04-04/meta-data/public-keys/0/openssh-key").body.decode().strip() == (
        inst.key_data)


def spoof_headers(cloud, victim_index):
    """Everything a VM could send to claim another VM's identity."""
    victim = cloud.instances[victim_index]
    vip = cloud.vms[victim_index].ip
    other_router = "11111111-2222-4333-8444-555555555555"
    return {
        "X-Forwarded-For": [f"X-Forwarded-For: {vip}"],
        "X-Forwarded-For-list": [f"X-Forwarded-For: {vip}, {vip}"],
        "x-forwarded-for-lowercase": [f"x-forwarded-for: {vip}"],
        "X_Forwarded_For-underscore": [f"X_Forwarded_For: {vip}"],
        "Forwarded": [f"Forwarded: for={vip}"],
        "X-Real-IP": [f"X-Real-IP: {vip}"],
        "X-Instance-ID": [f"X-Instance-ID: {victim.uuid}", "X-Instance-ID-Signature: 00",
                          f"X-Tenant-ID: {victim.project_id}"],
        "X-Neutron-Network-ID": [f"X-Neutron-Network-ID: {victim.network_id}",
                                 f"X-Forwarded-For: {vip}"],
        "X-Neutron-Router-ID": [f"X-Neutron-Router-ID: {other_router}"],
        "X-OVN-Network-ID": [f"X-OVN-Network-ID: {victim.network_id}", f"X-Forwarded-For: {vip}"],
        "all": [f"X-Forwarded-For: {vip}", f"X-Instance-ID: {victim.uuid}",
                f"X-Neutron-Network-ID: {victim.network_id}", f"X-Tenant-ID: {victim.project_id}",
                f"Forwarded: for={vip}", f"X-Real-IP: {vip}"],
    }


SPOOF_KINDS = ["X-Forwarded-For", "X-Forwarded-For-list", "x-forwarded-for-lowercase",
               "X_Forwarded_For-underscore", "Forwarded", "X-Real-IP", "X-Instance-ID",
               "X-Neutron-Network-ID", "X-Neutron-Router-ID", "X-OVN-Network-ID", "all"]


@pytest.mark.parametrize("kind", SPOOF_KINDS)
def test_spoofed_identity_headers_still_get_own_metadata(cloud, kind):
    me, victim = cloud.instances[0], cloud.instances[1]
    headers = spoof_headers(cloud, victim_index=1)[kind]
    for path in (META, "/openstack/latest/user_data", "/latest/meta-data/instance-id"):
        reply = cloud.curl(cloud.vms[0], path, headers=headers)
        assert reply.status == 200, f"{path} with {headers}: {reply.status} {reply.body!r}"
        for secret in (victim.uuid, victim.hostname, victim.ec2_id):
            assert secret.encode() not in reply.body, f"{path} with {headers} leaked {secret}"
        if path == META:
            assert reply.json()["uuid"] == me.uuid


@pytest.mark.parametrize("kind", ["X-Forwarded-For", "all"])
def test_unknown_vm_cannot_borrow_an_identity(cloud, kind):
    """A VM with no instance behind its address gets 404, even claiming vm1's."""
    headers = spoof_headers(cloud, victim_index=0)[kind]
    for hdrs in ((), headers):
        reply = cloud.curl(cloud.stranger, META, headers=hdrs)
        assert reply.status == 404, f"with {hdrs}: {reply.status} {reply.body!r}"
        assert cloud.instances[0].uuid.encode() not in reply.body


def test_password_posted_by_one_vm_is_only_its_own(cloud):
    """POST bodies cross the proxy; the password lands on the sender's instance only."""
    (vm1, vm2), path = cloud.vms, "/openstack/2013-04-04/password"
    secret1, secret2 = f"pw1-{cloud.instances[0].uuid}", f"pw2-{cloud.instances[1].uuid}"
    assert cloud.curl(vm1, path).body == b""
    # A spoofed identity on the POST must not set the other VM's password either.
    posted = cloud.curl(vm1, path, method="POST", data=secret1.encode(),
                        headers=[f"X-Forwarded-For: {vm2.ip}"])
    assert posted.status == 200, posted.body
    assert cloud.curl(vm1, path).body == secret1.encode()
    assert cloud.curl(vm2, path).body == b""
    assert cloud.curl(vm1, path, method="POST", data=b"again").status == 409
    assert cloud.curl(vm2, path, method="POST", data=secret2.encode()).status == 200
    assert (cloud.curl(vm1, path).body, cloud.curl(vm2, path).body) == (
        secret1.encode(), secret2.encode())


def test_instance_added_to_the_data_file_is_served_without_restart(cloud):
    """A VM boots: its instance appears in the data file and the running chain serves it."""
    vm = cloud.late
    assert cloud.curl(vm, META).status == 404
    new = inst_mod.make_instance(vm.index, cloud.network_id, vm.ip, vm.mac, binary_user_data=False)
    server_pid = cloud.server.pid
    cloud.write_data(cloud.instances + [new])
    deadline = time.monotonic() + 20  # the server polls the file about once a second
    while (reply := cloud.curl(vm, META)).status == 404 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert reply.status == 200, f"{reply.status} {reply.body!r}\n{cloud.diagnostics()}"
    assert reply.json()["uuid"] == new.uuid
    assert cloud.server.pid == server_pid and cloud.server.proc.poll() is None
    # The VMs that were there keep their own metadata.
    assert cloud.curl(cloud.vms[0], META).json()["uuid"] == cloud.instances[0].uuid
