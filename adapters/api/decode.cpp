// Decoders for the wire types, with Go's encoding/json leniency: keys match
// case-insensitively, unknown keys are ignored, `null` leaves the zero value.
// Type mismatches throw decode_error naming the field path.

#include <boost/json.hpp>

#include "adapters/api/types.hpp"

namespace fluxd::api {

namespace json = boost::json;

namespace {

json::value parse(const std::string& text, const std::string& what) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec)
    throw decode_error(what + ": invalid JSON: " + ec.message());
  return v;
}

bool iequal(json::string_view a, const char* b) {
  size_t n = std::char_traits<char>::length(b);
  if (a.size() != n)
    return false;
  for (size_t i = 0; i < n; ++i)
    if (std::tolower(static_cast<unsigned char>(a[i]))
        != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

/// The member named `name` (exact match first, then Go's case folding).
const json::value* member(const json::object& o, const char* name) {
  if (auto it = o.find(name); it != o.end())
    return &it->value();
  for (auto& kv : o)
    if (iequal(kv.key(), name))
      return &kv.value();
  return nullptr;
}

const json::object* as_object(const json::value& v, const std::string& path) {
  if (v.is_null())
    return nullptr;
  if (!v.is_object())
    throw decode_error(path + ": expected a JSON object");
  return &v.as_object();
}

std::string as_string(const json::value* v, const std::string& path) {
  if (!v || v->is_null())
    return {};
  if (!v->is_string())
    throw decode_error(path + ": expected a JSON string");
  return std::string(v->as_string());
}

bool as_bool(const json::value* v, const std::string& path) {
  if (!v || v->is_null())
    return false;
  if (!v->is_bool())
    throw decode_error(path + ": expected true or false");
  return v->as_bool();
}

int64_t as_int(const json::value* v, const std::string& path) {
  if (!v || v->is_null())
    return 0;
  if (v->is_int64())
    return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= INT64_MAX)
    return static_cast<int64_t>(v->as_uint64());
  throw decode_error(path + ": expected an integer");
}

go_time as_time(const json::value* v, const std::string& path) {
  auto s = as_string(v, path);
  if (s.empty())
    return std::nullopt;
  return parse_rfc3339(s, path);
}

std::optional<std::vector<std::string>>
as_string_list(const json::value* v, const std::string& path) {
  if (!v || v->is_null())
    return std::nullopt;
  if (!v->is_array())
    throw decode_error(path + ": expected a JSON array");
  std::vector<std::string> out;
  size_t i = 0;
  for (auto& x : v->as_array())
    out.push_back(as_string(&x, path + "[" + std::to_string(i++) + "]"));
  return out;
}

std::optional<string_map> as_string_map(const json::value* v,
                                        const std::string& path) {
  if (!v || v->is_null())
    return std::nullopt;
  auto* o = as_object(*v, path);
  string_map out;
  for (auto& kv : *o)
    out[std::string(kv.key())] =
        as_string(&kv.value(), path + "." + std::string(kv.key()));
  return out;
}

/// policy.Set: an object of name → value, or (legacy) a list of names.
string_map as_policy_set(const json::value* v, const std::string& path) {
  if (v && v->is_array()) {
    string_map out;
    auto names = as_string_list(v, path);
    for (auto& name : *names)
      out[name] = "true";
    return out;
  }
  return as_string_map(v, path).value_or(string_map{});
}

std::optional<std::vector<container_update>>
as_container_updates(const json::value* v, const std::string& path) {
  if (!v || v->is_null())
    return std::nullopt;
  if (!v->is_array())
    throw decode_error(path + ": expected a JSON array");
  std::vector<container_update> out;
  size_t i = 0;
  for (auto& x : v->as_array()) {
    auto p = path + "[" + std::to_string(i++) + "]";
    container_update u;
    if (auto* o = as_object(x, p)) {
      u.container = as_string(member(*o, "Container"), p + ".Container");
      u.current = as_string(member(*o, "Current"), p + ".Current");
      u.target = as_string(member(*o, "Target"), p + ".Target");
    }
    out.push_back(std::move(u));
  }
  return out;
}

image_info as_image_info(const json::value* v, const std::string& path) {
  image_info x;
  if (!v)
    return x;
  auto* o = as_object(*v, path);
  if (!o)
    return x;
  x.id = as_string(member(*o, "ID"), path + ".ID");
  x.digest = as_string(member(*o, "Digest"), path + ".Digest");
  x.image_id = as_string(member(*o, "ImageID"), path + ".ImageID");
  if (auto* l = member(*o, "Labels")) {
    if (auto* lo = as_object(*l, path + ".Labels")) {
      x.labels.build_date =
          as_time(member(*lo, "org.label-schema.build-date"),
                  path + ".Labels.org.label-schema.build-date");
      x.labels.created =
          as_time(member(*lo, "org.opencontainers.image.created"),
                  path + ".Labels.org.opencontainers.image.created");
    }
  }
  x.created_at = as_time(member(*o, "CreatedAt"), path + ".CreatedAt");
  x.last_fetched = as_time(member(*o, "LastFetched"), path + ".LastFetched");
  return x;
}

std::optional<std::vector<container>> as_containers(const json::value* v,
                                                    const std::string& path) {
  if (!v || v->is_null())
    return std::nullopt;
  if (!v->is_array())
    throw decode_error(path + ": expected a JSON array");
  std::vector<container> out;
  size_t i = 0;
  for (auto& x : v->as_array()) {
    auto p = path + "[" + std::to_string(i++) + "]";
    container c;
    if (auto* o = as_object(x, p)) {
      c.name = as_string(member(*o, "Name"), p + ".Name");
      c.current = as_image_info(member(*o, "Current"), p + ".Current");
      c.latest_filtered =
          as_image_info(member(*o, "LatestFiltered"), p + ".LatestFiltered");
      if (auto* a = member(*o, "Available"); a && !a->is_null()) {
        if (!a->is_array())
          throw decode_error(p + ".Available: expected a JSON array");
        size_t k = 0;
        for (auto& img : a->as_array())
          c.available.push_back(as_image_info(
              &img, p + ".Available[" + std::to_string(k++) + "]"));
      }
      c.available_error =
          as_string(member(*o, "AvailableError"), p + ".AvailableError");
      auto count = [&](const char* name) {
        return static_cast<int>(as_int(member(*o, name), p + "." + name));
      };
      c.available_images_count = count("AvailableImagesCount");
      c.new_available_images_count = count("NewAvailableImagesCount");
      c.filtered_images_count = count("FilteredImagesCount");
      c.new_filtered_images_count = count("NewFilteredImagesCount");
    }
    out.push_back(std::move(c));
  }
  return out;
}

policy_updates as_policy_updates(const json::value& v,
                                 const std::string& path) {
  policy_updates out;
  auto* o = as_object(v, path);
  if (!o)
    return out;
  for (auto& kv : *o) {
    auto p = path + "." + std::string(kv.key());
    policy_update u;
    if (auto* uo = as_object(kv.value(), p)) {
      u.add = as_policy_set(member(*uo, "add"), p + ".add");
      u.remove = as_policy_set(member(*uo, "remove"), p + ".remove");
    }
    out[std::string(kv.key())] = std::move(u);
  }
  return out;
}

update_spec as_update_spec(const json::value& v, const std::string& path) {
  update_spec s;
  auto* o = as_object(v, path);
  if (!o)
    throw decode_error("unknown spec type: ");
  s.type = as_string(member(*o, "type"), path + ".type");
  if (auto* c = member(*o, "cause")) {
    if (auto* co = as_object(*c, path + ".cause")) {
      s.cause.message =
          as_string(member(*co, "Message"), path + ".cause.Message");
      s.cause.user = as_string(member(*co, "User"), path + ".cause.User");
    }
  }
  static const json::value null_value;
  auto* body_ptr = member(*o, "spec");
  const json::value& body = body_ptr ? *body_ptr : null_value;
  auto p = path + ".spec";
  auto* bo = s.type == "policy" ? nullptr : as_object(body, p);
  static const json::object empty;
  const json::object& b = bo ? *bo : empty;
  if (s.type == "image") {
    release_image_spec r;
    r.service_specs =
        as_string_list(member(b, "ServiceSpecs"), p + ".ServiceSpecs");
    r.image_spec = as_string(member(b, "ImageSpec"), p + ".ImageSpec");
    r.kind = as_string(member(b, "Kind"), p + ".Kind");
    r.excludes = as_string_list(member(b, "Excludes"), p + ".Excludes");
    r.force = as_bool(member(b, "Force"), p + ".Force");
    s.spec = std::move(r);
  } else if (s.type == "containers") {
    release_containers_spec r;
    r.kind = as_string(member(b, "Kind"), p + ".Kind");
    if (auto* cs = member(b, "ContainerSpecs"); cs && !cs->is_null()) {
      container_specs specs;
      for (auto& kv : *as_object(*cs, p + ".ContainerSpecs")) {
        auto id = std::string(kv.key());
        specs[id] =
            as_container_updates(&kv.value(), p + ".ContainerSpecs." + id);
      }
      r.specs = std::move(specs);
    }
    r.skip_mismatches =
        as_bool(member(b, "SkipMismatches"), p + ".SkipMismatches");
    r.force = as_bool(member(b, "Force"), p + ".Force");
    s.spec = std::move(r);
  } else if (s.type == "policy") {
    s.spec = as_policy_updates(body, p);
  } else if (s.type == "auto") {
    automated_spec a;
    if (auto* cs = member(b, "Changes"); cs && !cs->is_null()) {
      if (!cs->is_array())
        throw decode_error(p + ".Changes: expected a JSON array");
      std::vector<auto_change> changes;
      size_t i = 0;
      for (auto& x : cs->as_array()) {
        auto cp = p + ".Changes[" + std::to_string(i++) + "]";
        auto_change c;
        if (auto* co = as_object(x, cp)) {
          c.workload_id =
              as_string(member(*co, "WorkloadID"), cp + ".WorkloadID");
          if (auto* ct = member(*co, "Container")) {
            if (auto* cto = as_object(*ct, cp + ".Container")) {
              c.container_name =
                  as_string(member(*cto, "Name"), cp + ".Container.Name");
              c.container_image =
                  as_string(member(*cto, "Image"), cp + ".Container.Image");
            }
          }
          c.image_id = as_string(member(*co, "ImageID"), cp + ".ImageID");
        }
        changes.push_back(std::move(c));
      }
      a.changes = std::move(changes);
    }
    s.spec = std::move(a);
  } else if (s.type == "sync") {
    s.spec = manual_sync{};
  } else {
    // Flux v1's text, which clients may match on.
    throw decode_error("unknown spec type: " + s.type);
  }
  return s;
}

update_result as_update_result(const json::value& v, const std::string& path) {
  update_result out;
  auto* o = as_object(v, path);
  if (!o)
    return out;
  for (auto& kv : *o) {
    auto p = path + "." + std::string(kv.key());
    workload_result r;
    if (auto* ro = as_object(kv.value(), p)) {
      r.status = as_string(member(*ro, "Status"), p + ".Status");
      r.error = as_string(member(*ro, "Error"), p + ".Error");
      r.per_container = as_container_updates(member(*ro, "PerContainer"),
                                             p + ".PerContainer");
    }
    out[std::string(kv.key())] = std::move(r);
  }
  return out;
}

public_key as_public_key(const json::value* v, const std::string& path) {
  public_key k;
  if (!v)
    return k;
  auto* o = as_object(*v, path);
  if (!o)
    return k;
  k.key = as_string(member(*o, "key"), path + ".key");
  if (auto* f = member(*o, "fingerprints"); f && !f->is_null()) {
    std::map<std::string, fingerprint> fps;
    for (auto& kv : *as_object(*f, path + ".fingerprints")) {
      auto p = path + ".fingerprints." + std::string(kv.key());
      fingerprint fp;
      if (auto* fo = as_object(kv.value(), p)) {
        fp.hash = as_string(member(*fo, "hash"), p + ".hash");
        fp.randomart = as_string(member(*fo, "randomart"), p + ".randomart");
      }
      fps[std::string(kv.key())] = std::move(fp);
    }
    k.fingerprints = std::move(fps);
  }
  return k;
}

} // namespace

update_spec decode_update_spec(const std::string& text) {
  return as_update_spec(parse(text, "update spec"), "update spec");
}

policy_updates decode_policy_updates(const std::string& text) {
  return as_policy_updates(parse(text, "policy updates"), "policy updates");
}

change decode_change(const std::string& text) {
  auto v = parse(text, "change");
  auto* o = as_object(v, "change");
  change c;
  if (!o)
    throw decode_error("unknown kind of change");
  c.kind = as_string(member(*o, "Kind"), "change.Kind");
  auto* src = member(*o, "Source");
  const json::object* so = src ? as_object(*src, "change.Source") : nullptr;
  static const json::object empty;
  const json::object& s = so ? *so : empty;
  if (c.kind == "git") {
    c.git_url = as_string(member(s, "URL"), "change.Source.URL");
    c.git_branch = as_string(member(s, "Branch"), "change.Source.Branch");
  } else if (c.kind == "image") {
    auto* n = member(s, "Name");
    if (n && n->is_string()) {
      // image.Name also decodes from a plain "domain/path" string.
      std::string name{n->as_string()};
      auto slash = name.find('/');
      auto first = name.substr(0, slash == std::string::npos ? 0 : slash);
      if (first.find_first_of(".:") != std::string::npos
          || first == "localhost") {
        c.image_domain = first;
        c.image_name = name.substr(slash + 1);
      } else {
        c.image_name = name;
      }
    } else if (n) {
      if (auto* no = as_object(*n, "change.Source.Name")) {
        c.image_domain =
            as_string(member(*no, "Domain"), "change.Source.Name.Domain");
        c.image_name =
            as_string(member(*no, "Image"), "change.Source.Name.Image");
      }
    }
  } else {
    throw decode_error("unknown kind of change");
  }
  return c;
}

job_status decode_job_status(const std::string& text) {
  auto v = parse(text, "job status");
  job_status s;
  auto* o = as_object(v, "job status");
  if (!o)
    return s;
  if (auto* r = member(*o, "Result")) {
    if (auto* ro = as_object(*r, "job status.Result")) {
      s.result.revision =
          as_string(member(*ro, "revision"), "job status.Result.revision");
      if (auto* sp = member(*ro, "spec"); sp && !sp->is_null())
        s.result.spec = as_update_spec(*sp, "job status.Result.spec");
      if (auto* rr = member(*ro, "result"); rr && !rr->is_null())
        s.result.result = as_update_result(*rr, "job status.Result.result");
    }
  }
  s.err = as_string(member(*o, "Err"), "job status.Err");
  s.status_string =
      as_string(member(*o, "StatusString"), "job status.StatusString");
  return s;
}

git_config decode_git_config(const std::string& text) {
  auto v = parse(text, "git config");
  git_config g;
  auto* o = as_object(v, "git config");
  if (!o)
    return g;
  if (auto* r = member(*o, "remote")) {
    if (auto* ro = as_object(*r, "git config.remote")) {
      g.url = as_string(member(*ro, "url"), "git config.remote.url");
      g.branch = as_string(member(*ro, "branch"), "git config.remote.branch");
      g.path = as_string(member(*ro, "path"), "git config.remote.path");
    }
  }
  g.public_ssh_key =
      as_public_key(member(*o, "publicSSHKey"), "git config.publicSSHKey");
  g.status = as_string(member(*o, "status"), "git config.status");
  g.errors = as_string(member(*o, "errors"), "git config.errors");
  return g;
}

public_key decode_public_key(const std::string& text) {
  auto v = parse(text, "public key");
  return as_public_key(&v, "public key");
}

std::vector<controller_status>
decode_controller_statuses(const std::string& text) {
  auto v = parse(text, "workloads");
  std::vector<controller_status> out;
  if (v.is_null())
    return out;
  if (!v.is_array())
    throw decode_error("workloads: expected a JSON array");
  size_t i = 0;
  for (auto& x : v.as_array()) {
    auto p = "workloads[" + std::to_string(i++) + "]";
    controller_status c;
    if (auto* o = as_object(x, p)) {
      c.id = as_string(member(*o, "ID"), p + ".ID");
      c.containers = as_containers(member(*o, "Containers"), p + ".Containers");
      c.read_only = as_string(member(*o, "ReadOnly"), p + ".ReadOnly");
      c.status = as_string(member(*o, "Status"), p + ".Status");
      if (auto* r = member(*o, "Rollout")) {
        if (auto* ro = as_object(*r, p + ".Rollout")) {
          auto n = [&](const char* f) {
            return static_cast<int32_t>(
                as_int(member(*ro, f), p + ".Rollout." + f));
          };
          c.rollout.desired = n("Desired");
          c.rollout.updated = n("Updated");
          c.rollout.ready = n("Ready");
          c.rollout.available = n("Available");
          c.rollout.outdated = n("Outdated");
          c.rollout.messages =
              as_string_list(member(*ro, "Messages"), p + ".Rollout.Messages");
        }
      }
      c.sync_error = as_string(member(*o, "SyncError"), p + ".SyncError");
      c.antecedent = as_string(member(*o, "Antecedent"), p + ".Antecedent");
      c.labels = as_string_map(member(*o, "Labels"), p + ".Labels");
      c.automated = as_bool(member(*o, "Automated"), p + ".Automated");
      c.locked = as_bool(member(*o, "Locked"), p + ".Locked");
      c.ignore = as_bool(member(*o, "Ignore"), p + ".Ignore");
      c.policies = as_string_map(member(*o, "Policies"), p + ".Policies")
                       .value_or(string_map{});
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<image_status> decode_image_statuses(const std::string& text) {
  auto v = parse(text, "images");
  std::vector<image_status> out;
  if (v.is_null())
    return out;
  if (!v.is_array())
    throw decode_error("images: expected a JSON array");
  size_t i = 0;
  for (auto& x : v.as_array()) {
    auto p = "images[" + std::to_string(i++) + "]";
    image_status s;
    if (auto* o = as_object(x, p)) {
      s.id = as_string(member(*o, "ID"), p + ".ID");
      s.containers = as_containers(member(*o, "Containers"), p + ".Containers");
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> decode_string_list(const std::string& text) {
  auto v = parse(text, "list");
  return as_string_list(&v, "list").value_or(std::vector<std::string>{});
}

std::string decode_string(const std::string& text) {
  auto v = parse(text, "string");
  return as_string(&v, "string");
}

bool decode_bool(const std::string& text) {
  auto v = parse(text, "boolean");
  return as_bool(&v, "boolean");
}

} // namespace fluxd::api
