#include "http/header_names.h"

#include "http/identity.h"

#include <strings.h>

namespace nsmp::http {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

namespace {

struct Entry {
  std::string_view name;
  HeaderClass cls;
};

// Identity headers: who is asking is said by the proxy only (the three of
// identity.h, and these). X-Instance-ID* and X-Tenant-ID are what the metadata
// agent itself sends to Nova; a client copy must never reach it either.
constexpr Entry kRequestNames[] = {
    {"x-instance-id", HeaderClass::kIdentity},
    {"x-instance-id-signature", HeaderClass::kIdentity},
    {"x-tenant-id", HeaderClass::kIdentity},
    {"x-forwarded-for", HeaderClass::kIdentity},
    {"forwarded", HeaderClass::kIdentity},
    {"x-real-ip", HeaderClass::kIdentity},
    {"connection", HeaderClass::kConnection},
    {"keep-alive", HeaderClass::kHopByHop},
    {"proxy-connection", HeaderClass::kHopByHop},
    {"te", HeaderClass::kHopByHop},
    {"trailer", HeaderClass::kHopByHop},
    {"upgrade", HeaderClass::kHopByHop},
    {"host", HeaderClass::kHost},
    {"content-length", HeaderClass::kContentLength},
    {"transfer-encoding", HeaderClass::kTransferEncoding},
    {"expect", HeaderClass::kExpect},
};

constexpr Entry kResponseNames[] = {
    {"connection", HeaderClass::kConnection},
    {"keep-alive", HeaderClass::kHopByHop},
    {"proxy-connection", HeaderClass::kHopByHop},
    {"te", HeaderClass::kHopByHop},
    {"trailer", HeaderClass::kHopByHop},
    {"upgrade", HeaderClass::kHopByHop},
    {"content-length", HeaderClass::kContentLength},
    {"transfer-encoding", HeaderClass::kTransferEncoding},
};

template <size_t N>
HeaderClass lookup(const Entry (&table)[N], std::string_view name) {
  for (const Entry& e : table) {
    if (equalsIgnoreCase(e.name, name)) return e.cls;
  }
  return HeaderClass::kForward;
}

}  // namespace

HeaderClass classifyRequestHeader(std::string_view name) {
  if (name.find('_') != std::string_view::npos) return HeaderClass::kUnderscore;
  if (identityForHeader(name)) return HeaderClass::kIdentity;
  return lookup(kRequestNames, name);
}

std::optional<IdentityKind> identityForHeader(std::string_view name) {
  for (const IdentityInfo& i : kIdentities) {
    if (equalsIgnoreCase(i.header, name)) return i.kind;
  }
  return std::nullopt;
}

HeaderClass classifyResponseHeader(std::string_view name) { return lookup(kResponseNames, name); }

ConnectionTokens::ConnectionTokens(const HeadFields& head) {
  for (const Header& h : head.headers()) {
    if (!equalsIgnoreCase(h.name, "connection")) continue;
    forEachListToken(h.value, [&](std::string_view tok) { tokens_.push_back(tok); });
  }
}

bool ConnectionTokens::lists(std::string_view name) const {
  for (std::string_view t : tokens_) {
    if (equalsIgnoreCase(t, name)) return true;
  }
  return false;
}

}  // namespace nsmp::http
