#include "adapters/kube/pull_secrets.hpp"

#include <map>
#include <optional>
#include <set>

#include <boost/json.hpp>

namespace fluxd::kube {

namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

const json::object* child(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

struct reader {
  client& c;
  std::chrono::milliseconds timeout;
  pull_credentials out;
  std::map<std::string, std::vector<std::string>> accounts; ///< ns/name
  std::map<std::string, std::optional<registry::static_credentials>> secrets;

  /// nullopt after a 404/403 (reported); other failures throw.
  std::optional<json::value> get(const object_ref& ref) {
    try {
      return c.get(ref, timeout);
    } catch (const api_error& e) {
      if (e.code() != 404 && e.code() != 403 && e.code() != 401)
        throw;
      out.problems.push_back(ref.kind + " " + ref.namespace_name + "/"
                             + ref.name + ": " + e.reason());
      return std::nullopt;
    }
  }

  const std::vector<std::string>& account(const std::string& ns,
                                          const std::string& name) {
    auto key = ns + "/" + name;
    if (auto it = accounts.find(key); it != accounts.end())
      return it->second;
    auto& names = accounts[key];
    if (auto sa = get({"v1", "ServiceAccount", ns, name})) {
      const auto& o = sa->as_object();
      if (auto* list = o.if_contains("imagePullSecrets");
          list && list->is_array())
        for (const auto& s : list->get_array())
          if (s.is_object())
            if (auto n = str(s.get_object(), "name"); !n.empty())
              names.push_back(n);
    }
    return names;
  }

  const std::optional<registry::static_credentials>&
  secret(const std::string& ns, const std::string& name) {
    auto key = ns + "/" + name;
    if (auto it = secrets.find(key); it != secrets.end())
      return it->second;
    auto& slot = secrets[key];
    auto obj = get({"v1", "Secret", ns, name});
    if (!obj)
      return slot;
    const auto& o = obj->as_object();
    auto type = str(o, "type");
    std::string data_key;
    if (type == "kubernetes.io/dockercfg")
      data_key = ".dockercfg";
    else if (type == "kubernetes.io/dockerconfigjson")
      data_key = ".dockerconfigjson";
    auto origin = "secret " + key;
    if (data_key.empty()) {
      out.problems.push_back(origin + ": type \"" + type
                             + "\" is not a docker config; skipped");
      return slot;
    }
    auto* data = child(o, "data");
    auto encoded = data ? str(*data, data_key) : std::string();
    try {
      slot = registry::static_credentials::parse(
          registry::base64_decode(encoded), origin);
    } catch (const std::invalid_argument&) {
      out.problems.push_back(origin + ": data " + data_key + " is not base64");
    } catch (const std::exception& e) {
      out.problems.push_back(e.what());
    }
    return slot;
  }
};

} // namespace

pull_credentials read_pull_credentials(client& c,
                                       const std::vector<pull_source>& sources,
                                       std::chrono::milliseconds timeout) {
  reader r{c, timeout, {}, {}, {}};
  for (const auto& src : sources) {
    std::vector<std::string> names;
    if (!src.service_account.empty())
      names = r.account(src.ns, src.service_account);
    names.insert(names.end(), src.secrets.begin(), src.secrets.end());
    for (const auto& name : names)
      if (const auto& creds = r.secret(src.ns, name))
        r.out.credentials.merge(*creds);
  }
  for (const auto& kv : r.secrets)
    r.out.consulted.push_back(kv.first);
  return std::move(r.out);
}

} // namespace fluxd::kube
