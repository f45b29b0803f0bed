#include "tests/kube_emulator/store.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "adapters/tls/cert_authority.hpp"
#include "tests/kube_emulator/objects.hpp"

namespace kube_emulator {

namespace {

/// Continue tokens: base64 of {"rv":N,"start":"ns/name"}.
std::string encode_continue(std::uint64_t rv, const std::string& last_key) {
  return fluxd::tls::base64_encode(
      json::serialize(json::object{{"rv", rv}, {"start", last_key}}));
}

bool decode_continue(const std::string& token, std::uint64_t& rv,
                     std::string& start) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  int bits = 0;
  unsigned acc = 0;
  for (char c : token) {
    if (c == '=')
      break;
    auto pos = alphabet.find(c);
    if (pos == std::string::npos)
      return false;
    acc = (acc << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  boost::system::error_code ec;
  auto v = json::parse(bytes, ec);
  if (ec || !v.is_object())
    return false;
  auto* r = v.as_object().if_contains("rv");
  auto* s = v.as_object().if_contains("start");
  if (!r || !s || !s->is_string() || !r->is_number())
    return false;
  rv = r->to_number<std::uint64_t>();
  start = std::string(s->as_string());
  return true;
}

} // namespace

bool is_workload(const resource_type& type) {
  return type.group == "apps"
         && (type.plural == "deployments" || type.plural == "statefulsets"
             || type.plural == "daemonsets");
}

store::store(options opts) : opts_(std::move(opts)) {
  if (!opts_.state_file.empty())
    load();
  if (!objects_["namespaces"].count("/default"))
    for (const char* ns :
         {"default", "kube-system", "kube-public", "kube-node-lease"}) {
      auto type = *registry_.find("", "v1", "namespaces");
      json::object body{{"apiVersion", "v1"},
                        {"kind", "Namespace"},
                        {"metadata", {{"name", ns}}}};
      create_locked(type, "", std::move(body), {}, false);
    }
  oldest_ = rv_;
}

std::optional<resource_type> store::find(const std::string& group,
                                         const std::string& version,
                                         const std::string& plural) const {
  std::lock_guard<std::mutex> guard{mutex_};
  if (auto* r = registry_.find(group, version, plural))
    return *r;
  return std::nullopt;
}

object_ptr store::find_locked(const resource_type& type, const std::string& ns,
                              const std::string& name) const {
  auto b = objects_.find(type.group_resource());
  if (b == objects_.end())
    return nullptr;
  auto it = b->second.find(key_of(type.namespaced ? ns : "", name));
  return it == b->second.end() ? nullptr : it->second;
}

object_ptr store::get(const resource_type& type, const std::string& ns,
                      const std::string& name) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto obj = find_locked(type, ns, name);
  if (!obj)
    throw api_error(
        404, "NotFound", type.group_resource() + " \"" + name + "\" not found",
        json::object{
            {"name", name}, {"group", type.group}, {"kind", type.plural}});
  return obj;
}

list_page store::list(const resource_type& type, const std::string& ns,
                      const selector& labels, const selector& fields,
                      std::size_t limit,
                      const std::string& continue_token) const {
  std::lock_guard<std::mutex> guard{mutex_};
  list_page page;
  page.rv = rv_;
  std::string start;
  if (!continue_token.empty()) {
    std::uint64_t token_rv = 0;
    if (!decode_continue(continue_token, token_rv, start))
      throw bad_request("invalid continue token");
    if (token_rv < oldest_)
      throw api_error(410, "Expired",
                      "The provided continue parameter is too old to display "
                      "a consistent list result. You can start a new list "
                      "without the continue parameter.");
    page.rv = token_rv;
  }
  auto b = objects_.find(type.group_resource());
  if (b == objects_.end())
    return page;
  auto it = start.empty() ? b->second.begin() : b->second.upper_bound(start);
  std::string prefix = type.namespaced && !ns.empty() ? ns + "/" : "";
  if (!prefix.empty() && (start.empty() || start < prefix))
    it = b->second.lower_bound(prefix);
  std::string last;
  for (; it != b->second.end(); ++it) {
    if (!prefix.empty() && it->first.compare(0, prefix.size(), prefix) != 0)
      break;
    if (!labels.matches(*it->second) || !fields.matches(*it->second))
      continue;
    if (limit && page.items.size() == limit) {
      // Count what is left for remainingItemCount.
      std::size_t rest = 0;
      for (; it != b->second.end(); ++it) {
        if (!prefix.empty() && it->first.compare(0, prefix.size(), prefix) != 0)
          break;
        if (labels.matches(*it->second) && fields.matches(*it->second))
          ++rest;
      }
      if (rest) {
        page.remaining = rest;
        page.continue_token = encode_continue(page.rv, last);
      }
      break;
    }
    page.items.push_back(it->second);
    last = it->first;
  }
  return page;
}

std::uint64_t store::resource_version() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return rv_;
}

std::shared_ptr<const object_text>
store::recent_text(const object_ptr& obj) const {
  std::lock_guard<std::mutex> guard{mutex_};
  // The write's own event is among the last few (a namespace's default
  // ServiceAccount, a cascade may follow it).
  int looked = 0;
  for (auto it = events_.rbegin(); it != events_.rend() && looked < 16;
       ++it, ++looked)
    if (it->object == obj)
      return it->text;
  return nullptr;
}

void store::require_namespace(const resource_type& type,
                              const std::string& ns) const {
  if (!type.namespaced)
    return;
  auto b = objects_.find("namespaces");
  auto it = b == objects_.end() ? decltype(b->second.end()){}
                                : b->second.find(key_of("", ns));
  if (b == objects_.end() || it == b->second.end())
    throw api_error(404, "NotFound", "namespaces \"" + ns + "\" not found",
                    json::object{{"name", ns}, {"kind", "namespaces"}});
  if (!meta_str(*it->second, "deletionTimestamp").empty())
    throw api_error(403, "Forbidden",
                    type.group_resource()
                        + " is forbidden: unable to create "
                          "new content in namespace "
                        + ns
                        + " because it is being "
                          "terminated",
                    json::object{{"kind", type.plural}});
}

object_ptr store::commit(const resource_type& type, json::object next,
                         const char* event, object_ptr old, bool dry_run) {
  if (dry_run)
    return std::make_shared<const json::object>(std::move(next));
  ++rv_;
  child_or_create(next, "metadata")["resourceVersion"] = std::to_string(rv_);
  auto obj = std::make_shared<const json::object>(std::move(next));
  auto key = key_of(meta_str(*obj, "namespace"), meta_str(*obj, "name"));
  auto feed_it = feeds_.try_emplace(type.group_resource()).first;
  const std::string& resource = feed_it->first;
  auto& b = objects_[resource];
  bool deleted = std::string_view(event) == "DELETED";
  index_owners(resource, key, old.get(), deleted ? nullptr : obj.get());
  if (deleted)
    b.erase(key);
  else
    b[key] = obj;
  events_.push_back({rv_, event, &resource, obj, old,
                     std::make_shared<const object_text>(obj)});
  while (events_.size() > opts_.event_log_size) {
    oldest_ = events_.front().rv;
    events_.pop_front();
  }
  dirty_ = true;
  auto& f = feed_it->second;
  f.last_rv = rv_;
  f.changed.notify_all();
  return obj;
}

namespace {

std::set<std::string> owner_uids(const json::object* obj) {
  std::set<std::string> out;
  auto* md = obj ? child(*obj, "metadata") : nullptr;
  auto* refs = md ? md->if_contains("ownerReferences") : nullptr;
  if (refs && refs->is_array())
    for (auto& r : refs->as_array())
      if (r.is_object())
        out.insert(str(r.as_object(), "uid"));
  return out;
}

} // namespace

void store::index_owners(const std::string& group_resource,
                         const std::string& key, const json::object* before,
                         const json::object* after) {
  auto was = owner_uids(before);
  auto is = owner_uids(after);
  for (auto& uid : was)
    if (!is.count(uid)) {
      auto it = owners_.find(uid);
      if (it == owners_.end())
        continue;
      it->second.erase({group_resource, key});
      if (it->second.empty())
        owners_.erase(it);
    }
  for (auto& uid : is)
    owners_[uid].insert({group_resource, key});
}

std::vector<std::pair<std::string, object_ptr>>
store::owned_locked(const std::string& uid,
                    const std::string& group_resource) {
  std::vector<std::pair<std::string, object_ptr>> out;
  auto it = owners_.find(uid);
  if (uid.empty() || it == owners_.end())
    return out;
  for (auto& [resource, key] : it->second) {
    if (!group_resource.empty() && resource != group_resource)
      continue;
    // A kind dropped with its CRD leaves stale entries: check the object.
    auto b = objects_.find(resource);
    if (b == objects_.end())
      continue;
    auto o = b->second.find(key);
    if (o != b->second.end() && owner_uids(o->second.get()).count(uid))
      out.push_back({resource, o->second});
  }
  return out;
}

object_ptr
store::update_status(const std::string& resource, const std::string& key,
                     const std::string& uid,
                     const std::function<bool(json::object&)>& change) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto b = objects_.find(resource);
  if (b == objects_.end())
    return nullptr;
  auto it = b->second.find(key);
  if (it == b->second.end() || meta_str(*it->second, "uid") != uid)
    return nullptr;
  json::object next = *it->second;
  if (!change(next))
    return nullptr;
  auto* type = type_of(next);
  if (!type)
    return nullptr;
  return commit(*type, std::move(next), "MODIFIED", it->second, false);
}

std::vector<object_ptr> store::snapshot(const resource_type& type,
                                        const std::string& ns,
                                        std::uint64_t& rv) const {
  std::lock_guard<std::mutex> guard{mutex_};
  rv = rv_;
  std::vector<object_ptr> out;
  auto b = objects_.find(type.group_resource());
  if (b == objects_.end())
    return out;
  for (auto& [key, obj] : b->second)
    if (!type.namespaced || ns.empty()
        || key.compare(0, ns.size() + 1, ns + "/") == 0)
      out.push_back(obj);
  return out;
}

bool store::wait_events(const std::string& resource, std::uint64_t& rv,
                        std::vector<watch_event>& out,
                        std::chrono::milliseconds wait, bool& stopped) {
  std::unique_lock<std::mutex> lock{mutex_};
  if (rv < oldest_)
    return false;
  auto feed_it = feeds_.try_emplace(resource).first; // map nodes stay put
  auto& f = feed_it->second;
  const std::string* key = &feed_it->first;
  auto collect = [&] {
    // Events are in rv order: find the first one after rv.
    auto it = std::upper_bound(
        events_.begin(), events_.end(), rv,
        [](std::uint64_t v, const watch_event& e) { return v < e.rv; });
    bool any = false;
    for (; it != events_.end(); ++it)
      if (it->resource == key) {
        out.push_back(*it);
        any = true;
      }
    return any;
  };
  if (!collect() && !stopped_)
    f.changed.wait_for(lock, wait,
                       [&] { return stopped_ || f.last_rv > rv; });
  if (out.empty())
    collect();
  // Everything up to rv_ has been seen, matching or not.
  rv = rv_;
  stopped = stopped_;
  return true;
}

std::uint64_t store::oldest_watchable() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return oldest_;
}

void store::on_workload_change(
    std::function<void(const resource_type&, const json::object&)> fn) {
  std::lock_guard<std::mutex> guard{mutex_};
  on_workload_ = std::move(fn);
}

void store::shut_down() {
  std::lock_guard<std::mutex> guard{mutex_};
  stopped_ = true;
  for (auto& [resource, f] : feeds_)
    f.changed.notify_all();
}

const resource_type* store::type_of(const json::object& obj) const {
  return registry_.find_kind(str(obj, "apiVersion"), str(obj, "kind"));
}

// -- persistence
// ---------------------------------------------------------------

void store::save() {
  std::string text;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (opts_.state_file.empty() || !dirty_)
      return;
    dirty_ = false;
    std::ostringstream out;
    out << "{\"resourceVersion\":" << rv_ << ",\"objects\":[";
    bool first = true;
    for (auto& [resource, b] : objects_)
      for (auto& [key, obj] : b) {
        out << (first ? "" : ",\n") << json::serialize(*obj);
        first = false;
      }
    out << "]}\n";
    text = out.str();
  }
  auto tmp = opts_.state_file + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << text;
    if (!f)
      throw std::runtime_error("kube-emulator: cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), opts_.state_file.c_str()) != 0)
    throw std::runtime_error("kube-emulator: cannot rename " + tmp);
}

void store::load() {
  std::ifstream f(opts_.state_file);
  if (!f)
    return; // first start
  std::stringstream buf;
  buf << f.rdbuf();
  boost::system::error_code ec;
  auto v = parse_json(buf.str(), ec);
  if (ec || !v.is_object())
    throw std::runtime_error("kube-emulator: corrupt state file "
                             + opts_.state_file);
  auto& root = v.as_object();
  rv_ = root.at("resourceVersion").to_number<std::uint64_t>();
  auto& objs = root.at("objects").as_array();
  // CRDs first: they define the kinds of the rest.
  for (int pass = 0; pass < 2; ++pass)
    for (auto& o : objs) {
      auto& obj = o.as_object();
      bool crd = str(obj, "kind") == "CustomResourceDefinition";
      if (crd != (pass == 0))
        continue;
      auto* type = type_of(obj);
      if (!type)
        continue; // its CRD is gone
      auto key = key_of(meta_str(obj, "namespace"), meta_str(obj, "name"));
      bucket_for(*type)[key] = std::make_shared<const json::object>(obj);
      index_owners(type->group_resource(), key, nullptr, &obj);
      if (crd)
        registry_.set_custom(meta_str(obj, "name"),
                             resource_registry::from_crd(obj));
    }
}

} // namespace kube_emulator
