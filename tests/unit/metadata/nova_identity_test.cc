// The Nova front: who is asking from Neutron's signed X-Instance-ID
// (nova_identity.h), as a table of Nova's decisions, then the service
// answering through it (service.h handleSigned()).
#include "metadata/nova_identity.h"

#include <gtest/gtest.h>

#include "metadata/loader.h"
#include "metadata/service.h"

namespace nsmp::metadata {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

const std::string kSecret = "s3cret";
const std::string kA = "aaaaaaaa-0000-4000-8000-00000000000a";
const std::string kB = "bbbbbbbb-0000-4000-8000-00000000000b";

std::shared_ptr<const Dataset> twoProjects() {
  Result<DatasetPtr> loaded = parseDataset(R"({"instances": [
    {"uuid": ")" + kA + R"(", "name": "a", "project_id": "proj-a",
     "ports": [{"network_id": "net-a", "ip_addresses": ["192.0.2.10"]}],
     "user_data": "user data of a"},
    {"uuid": ")" + kB + R"(", "name": "b", "project_id": "proj-b",
     "ports": [{"network_id": "net-b", "ip_addresses": ["192.0.2.10"]}]}
  ]})");
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  return loaded.ok() ? *loaded : nullptr;
}

// The headers Neutron's agent sends for `id` (proxy_base.py _proxy_request()).
Headers fromAgent(const std::string& id, const std::string& tenant) {
  return {{"X-Forwarded-For", "192.0.2.10"},
          {"X-Instance-ID", id},
          {"X-Tenant-ID", tenant},
          {"X-Instance-ID-Signature", signInstanceId(kSecret, id)}};
}

Headers without(Headers h, const std::string& name) {
  std::erase_if(h, [&](const auto& kv) { return kv.first == name; });
  return h;
}

Headers with(Headers h, const std::string& name, const std::string& value) {
  h.emplace_back(name, value);
  return h;
}

Headers replaced(Headers h, const std::string& name, const std::string& value) {
  return with(without(std::move(h), name), name, value);
}

Request request(const Headers& headers, const std::string& method = "GET",
                const std::string& target = "/openstack/latest/meta_data.json") {
  Request r;
  r.method = method;
  r.target = target;
  r.headers = {{"Host", "169.254.169.254"}};
  r.headers.insert(r.headers.end(), headers.begin(), headers.end());
  return r;
}

std::string describe(const Headers& headers) {
  std::string out;
  for (const auto& [k, v] : headers) out += k + ": " + v + "\\r\\n";
  return out;
}

TEST(NovaIdentity, SignatureIsNeutronsHexHmac) {
  // hmac.new(b"secret", b"aaaaaaaa-0000-4000-8000-000000000001", hashlib.sha256).hexdigest()
  EXPECT_EQ(signInstanceId("secret", "aaaaaaaa-0000-4000-8000-000000000001"),
            "0c766b57f45e5612d6015ccf2fb2fe1045f14b420986e93c3f2f361e3db81f8a");
}

TEST(NovaIdentity, DecidesAsNovasHandler) {
  auto data = twoProjects();
  const Headers a = fromAgent(kA, "proj-a");
  const std::string sigA = signInstanceId(kSecret, kA);
  struct Case {
    const char* name;
    Headers headers;
    int status;
    std::string reason;
    std::string uuid;  // when 200
  };
  const Case cases[] = {
      {"as the agent sends it", a, 200, "ok", kA},
      {"the other instance", fromAgent(kB, "proj-b"), 200, "ok", kB},
      {"header names in any case",
       {{"x-instance-id", kA}, {"x-tenant-id", "proj-a"}, {"x-instance-id-signature", sigA}},
       200,
       "ok",
       kA},
      {"no X-Forwarded-For (Nova only logs it)", without(a, "X-Forwarded-For"), 200, "ok", kA},

      {"no instance id", without(a, "X-Instance-ID"), 400, "missing_instance_id", ""},
      {"no signature", without(a, "X-Instance-ID-Signature"), 400, "missing_signature", ""},
      {"no tenant", without(a, "X-Tenant-ID"), 400, "missing_tenant_id", ""},
      {"nothing at all", {}, 400, "missing_instance_id", ""},
      {"instance id twice, same value", with(a, "X-Instance-ID", kA), 400, "repeated_instance_id",
       ""},
      {"instance id twice, other value", with(a, "X-Instance-ID", kB), 400, "repeated_instance_id",
       ""},
      {"tenant twice", with(a, "X-Tenant-ID", "proj-a"), 400, "repeated_tenant_id", ""},
      // Nova checks presence before repeats, and the signature after both.
      {"repeated id and no tenant", without(with(a, "X-Instance-ID", kA), "X-Tenant-ID"), 400,
       "missing_tenant_id", ""},
      {"repeated tenant and a bad signature",
       replaced(with(a, "X-Tenant-ID", "proj-a"), "X-Instance-ID-Signature", "00"), 400,
       "repeated_tenant_id", ""},

      {"signature of instance A with B's id",
       replaced(fromAgent(kB, "proj-b"), "X-Instance-ID-Signature", sigA), 403, "bad_signature",
       ""},
      {"signature with another secret",
       replaced(a, "X-Instance-ID-Signature", signInstanceId("other", kA)), 403, "bad_signature",
       ""},
      {"signature in upper case (Nova compares the hex as is)",
       replaced(a, "X-Instance-ID-Signature",
                [&] {
                  std::string s = sigA;
                  for (char& c : s) c = static_cast<char>(std::toupper(c));
                  return s;
                }()),
       403, "bad_signature", ""},
      {"signature cut short", replaced(a, "X-Instance-ID-Signature", sigA.substr(0, 63)), 403,
       "bad_signature", ""},
      {"signature with a byte more", replaced(a, "X-Instance-ID-Signature", sigA + "0"), 403,
       "bad_signature", ""},
      {"empty signature", replaced(a, "X-Instance-ID-Signature", ""), 403, "bad_signature", ""},
      {"signature twice", with(a, "X-Instance-ID-Signature", sigA), 403, "bad_signature", ""},
      {"signature of the empty id",
       replaced(a, "X-Instance-ID-Signature", signInstanceId(kSecret, "")), 403, "bad_signature",
       ""},

      {"unknown instance, correctly signed",
       fromAgent("cccccccc-0000-4000-8000-00000000000c", "proj-a"), 404, "no_instance", ""},
      {"empty id, correctly signed", fromAgent("", "proj-a"), 404, "no_instance", ""},
      {"tenant that does not own it", fromAgent(kA, "proj-b"), 404, "wrong_tenant", ""},
      {"empty tenant", fromAgent(kA, ""), 404, "wrong_tenant", ""},
      {"tenant differs in case", fromAgent(kA, "PROJ-A"), 404, "wrong_tenant", ""},
  };
  for (const Case& c : cases) {
    LookupResult r = findSignedInstance(*data, request(c.headers), kSecret);
    SCOPED_TRACE(std::string(c.name) + ": " + describe(c.headers));
    EXPECT_EQ(r.status, c.status) << r.message;
    EXPECT_EQ(r.reason, c.reason);
    if (c.status == 200) {
      ASSERT_NE(r.instance, nullptr);
      EXPECT_EQ(r.instance->uuid, c.uuid);
    } else {
      EXPECT_EQ(r.instance, nullptr);
    }
  }
}

TEST(NovaIdentity, MessagesAreNovas) {
  auto data = twoProjects();
  const Headers a = fromAgent(kA, "proj-a");
  auto message = [&](const Headers& h) {
    return findSignedInstance(*data, request(h), kSecret).message;
  };
  EXPECT_EQ(message(without(a, "X-Instance-ID")), "X-Instance-ID header is missing from request.");
  EXPECT_EQ(message(without(a, "X-Instance-ID-Signature")),
            "X-Instance-ID-Signature header is missing from request.");
  EXPECT_EQ(message(without(a, "X-Tenant-ID")), "X-Tenant-ID header is missing from request.");
  EXPECT_EQ(message(with(a, "X-Instance-ID", kA)),
            "Multiple X-Instance-ID headers found within request.");
  EXPECT_EQ(message(with(a, "X-Tenant-ID", "x")),
            "Multiple X-Tenant-ID headers found within request.");
  EXPECT_EQ(message(replaced(a, "X-Instance-ID-Signature", "x")),
            "Invalid proxy request signature.");
  EXPECT_EQ(message(fromAgent(kA, "proj-b")), "The resource could not be found.");
}

class NovaFront : public ::testing::Test {
 protected:
  NovaFront() : service_(twoProjects()) {
    service_.setRandomSeed([] { return std::string("c2VlZA=="); });
  }
  Response call(const Headers& h, const std::string& method, const std::string& target,
                const std::string& body = "") {
    Request r = request(h, method, target);
    r.body = body;
    return service_.handleSigned(r, kSecret);
  }
  MetadataService service_;
};

TEST_F(NovaFront, AnswersFromTheSameTrees) {
  Response md = call(fromAgent(kA, "proj-a"), "GET", "/openstack/latest/meta_data.json");
  EXPECT_EQ(md.status, 200) << md.body;
  EXPECT_NE(md.body.find("\"uuid\":\"" + kA + "\""), std::string::npos) << md.body;
  EXPECT_NE(md.body.find("\"project_id\":\"proj-a\""), std::string::npos) << md.body;
  EXPECT_EQ(md.instance, kA);
  EXPECT_EQ(call(fromAgent(kA, "proj-a"), "GET", "/openstack/latest/user_data").body,
            "user data of a");
  EXPECT_EQ(call(fromAgent(kA, "proj-a"), "GET", "/latest/meta-data/instance-id").status, 200);
  EXPECT_EQ(call(fromAgent(kB, "proj-b"), "GET", "/openstack/latest/user_data").status, 404);
}

TEST_F(NovaFront, RootListsVersionsWithoutAnyHeader) {
  // Nova answers "/" before it looks at the headers.
  for (const char* target : {"/", "", "/?x=1", "/."}) {
    Response r = call({}, "GET", target);
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.body.substr(0, 4), "1.0\n") << target;
    EXPECT_EQ(r.body.substr(r.body.size() - 6), "latest") << target;
  }
  EXPECT_EQ(call({}, "GET", "/latest").status, 400);
}

TEST_F(NovaFront, PasswordPostIsStoredAndServedBack) {
  const Headers a = fromAgent(kA, "proj-a");
  const std::string target = "/openstack/latest/password";
  EXPECT_EQ(call(a, "GET", target).body, "");
  Response posted = call(a, "POST", target, "encrypted-password-bytes");
  EXPECT_EQ(posted.status, 200) << posted.body;
  EXPECT_EQ(call(a, "GET", target).body, "encrypted-password-bytes");
  EXPECT_EQ(call(a, "POST", target, "again").status, 409);
  // B's password is its own.
  EXPECT_EQ(call(fromAgent(kB, "proj-b"), "GET", target).body, "");
  EXPECT_EQ(call(fromAgent(kB, "proj-b"), "POST", target, std::string(1021, 'x')).status, 400);
  // A POST that fails the signature stores nothing.
  Headers forged =
      replaced(fromAgent(kB, "proj-b"), "X-Instance-ID-Signature", signInstanceId(kSecret, kA));
  EXPECT_EQ(call(forged, "POST", target, "forged").status, 403);
  EXPECT_EQ(call(fromAgent(kB, "proj-b"), "GET", target).body, "");
}

}  // namespace
}  // namespace nsmp::metadata
