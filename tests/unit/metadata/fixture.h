// A small data set shared by the metadata tests: two networks behind one
// router, a third network on its own, and instances with and without keys,
// user data and files.
#pragma once

#include <string>

namespace nsmp::metadata::testing {

inline const std::string kNetA = "11111111-aaaa-4aaa-8aaa-000000000001";
inline const std::string kNetB = "22222222-bbbb-4bbb-8bbb-000000000002";
inline const std::string kNetC = "33333333-cccc-4ccc-8ccc-000000000003";
inline const std::string kRouter = "44444444-dddd-4ddd-8ddd-000000000004";
inline const std::string kVm1 = "aaaaaaaa-0000-4000-8000-000000000001";
inline const std::string kVm2 = "aaaaaaaa-0000-4000-8000-000000000002";
inline const std::string kVm3 = "aaaaaaaa-0000-4000-8000-000000000003";

inline const std::string kDataset = R"({
  "_comment": "test data",
  "routers": [{"id": ")" + kRouter + R"(", "networks": [")" +
                                    kNetA + R"(", ")" + kNetB + R"("]}],
  "instances": [
    {
      "uuid": ")" + kVm1 + R"(",
      "name": "vm1",
      "hostname": "vm1.example",
      "project_id": "proj-1",
      "availability_zone": "az1",
      "launch_index": 0,
      "instance_type": "m1.tiny",
      "ec2_id": "i-00000001",
      "ami_id": "ami-0000000a",
      "reservation_id": "r-abcdef01",
      "security_groups": ["default", "web"],
      "ports": [{"network_id": ")" + kNetA +
                                    R"(", "ip_addresses": ["192.0.2.10", "2001:db8::10"],
                 "mac_address": "FA:16:3E:00:00:01"}],
      "floating_ip": "198.51.100.10",
      "key": {"name": "mykey", "data": "ssh-ed25519 AAAAC3Nza test@example"},
      "user_data": "#cloud-config\nhostname: vm1\n",
      "meta": {"role": "web"},
      "files": [{"path": "/etc/motd", "content": "hello\n"}, {"path": "/etc/issue", "content": "vm1"}],
      "vendor_data": {"vendor": "lab"},
      "devices": [{"type": "nic", "bus": "pci", "address": "0000:00:03.0", "mac": "fa:16:3e:00:00:01", "tags": ["eth0"]}],
      "dedicated_cpus": [2, 3]
    },
    {
      "uuid": ")" + kVm2 + R"(",
      "name": "vm2",
      "ports": [{"network_id": ")" + kNetB +
                                    R"(", "ip_addresses": ["192.0.2.20"]}]
    },
    {
      "uuid": ")" + kVm3 + R"(",
      "name": "vm3",
      "password": "preset",
      "ports": [{"network_id": ")" + kNetC +
                                    R"(", "ip_addresses": ["192.0.2.10"]}]
    }
  ]
})";

}  // namespace nsmp::metadata::testing
