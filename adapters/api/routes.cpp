#include "adapters/api/routes.hpp"

#include <fstream>
#include <sstream>

#include "adapters/api/ids.hpp"
#include "adapters/registry/credentials.hpp"

namespace fluxd::api {

namespace {

using request = httplib::Request;
using response = httplib::Response;

constexpr const char* json_type = "application/json; charset=utf-8";

void send_error(const request& req, response& res, const http::flux_error& e,
                int status = 0) {
  auto out = http::render_error(e, req.get_header_value("Accept"), status);
  res.status = out.status;
  res.set_content(out.body, out.content_type.c_str());
}

/// A request Flux v1 could not decode: 400. Go would put `{}` in a JSON
/// body (its errors marshal to nothing); we keep the message instead.
void bad_request(const request& req, response& res, const std::string& msg) {
  send_error(req, res, http::flux_error{"user", msg, msg}, 400);
}

void send_json(response& res, std::string body) {
  res.status = 200;
  res.set_content(std::move(body), json_type);
}

/// Runs a handler body, mapping daemon failures as Flux's ErrorResponse.
template <class F>
void guarded(const request& req, response& res, F&& body) {
  try {
    body();
  } catch (const api_error& e) {
    send_error(req, res, e.error());
  } catch (const id_error& e) {
    bad_request(req, res, e.what());
  } catch (const decode_error& e) {
    bad_request(req, res, e.what());
  } catch (const std::exception& e) {
    send_error(req, res, http::from_message(e.what()));
  }
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ','))
    out.push_back(part);
  if (!s.empty() && s.back() == ',')
    out.push_back("");
  return out;
}

/// Flux v1's routes declare required query parameters in the mux, so a
/// request without them is an unknown endpoint: 404.
bool require_params(const request& req, response& res,
                    std::initializer_list<const char*> names) {
  for (auto* n : names) {
    if (!req.has_param(n)) {
      send_error(
          req, res,
          http::api_not_found(req.path.substr(std::string{"/api/flux"}.size())),
          404);
      return false;
    }
  }
  return true;
}

std::string authorization_token(const request& req) {
  auto h = req.get_header_value("Authorization");
  for (const std::string prefix : {"Bearer ", "Scope-Probe token="})
    if (h.rfind(prefix, 0) == 0)
      return h.substr(prefix.size());
  return {};
}

void list_services(daemon_api& d, const request& req, response& res) {
  guarded(req, res, [&] {
    auto ns = req.get_param_value("namespace");
    std::vector<std::string> ids;
    auto services = req.get_param_value("services");
    if (!services.empty()) {
      for (auto& s : split_commas(services)) {
        try {
          ids.push_back(parse_id(s));
        } catch (const id_error& e) {
          throw id_error("parsing service spec \"" + s + "\": " + e.what());
        }
      }
    }
    if (!ns.empty() && !ids.empty())
      throw std::runtime_error(
          "cannot filter by 'namespace' and 'workloads' at the same time");
    send_json(res, to_json(d.list_services(ns, ids)));
  });
}

void list_images(daemon_api& d, const request& req, response& res) {
  guarded(req, res, [&] {
    auto service = req.get_param_value("service");
    if (service.empty())
      service = "<all>";
    std::string spec;
    try {
      spec = parse_resource_spec(service);
    } catch (const id_error& e) {
      throw id_error("parsing service spec \"" + service + "\": " + e.what());
    }
    std::vector<std::string> fields;
    auto cf = req.get_param_value("containerFields");
    if (!cf.empty())
      fields = split_commas(cf);
    for (auto& f : fields)
      if (!is_container_field(f))
        throw std::runtime_error(f + " is an invalid field");
    auto ns = req.get_param_value("namespace");
    if (!ns.empty() && spec != "<all>")
      throw std::runtime_error(
          "cannot filter by 'namespace' and 'workload' at the same time");
    send_json(res, to_json(d.list_images(spec, ns, fields)));
  });
}

/// Checks the IDs inside a spec as Flux v1's decoder does.
void validate_spec(const update_spec& s) {
  if (auto* r = std::get_if<release_image_spec>(&s.spec)) {
    if (r->service_specs)
      for (auto& id : *r->service_specs)
        parse_resource_spec(id);
    if (r->excludes)
      for (auto& id : *r->excludes)
        parse_id(id);
    if (r->kind != "plan" && r->kind != "execute")
      throw decode_error("invalid release kind");
  } else if (auto* c = std::get_if<release_containers_spec>(&s.spec)) {
    if (c->specs)
      for (auto& [id, _] : *c->specs)
        parse_id(id);
    if (c->kind != "plan" && c->kind != "execute")
      throw decode_error("invalid release kind");
  } else if (auto* p = std::get_if<policy_updates>(&s.spec)) {
    for (auto& [id, _] : *p)
      parse_id(id);
  }
}

void update_manifests(daemon_api& d, const request& req, response& res) {
  guarded(req, res, [&] {
    auto spec = decode_update_spec(req.body);
    validate_spec(spec);
    go_json_writer w;
    w.value(d.update_manifests(spec));
    send_json(res, w.take());
  });
}

void update_images(daemon_api& d, const request& req, response& res) {
  if (!require_params(req, res, {"service", "image", "kind"}))
    return;
  guarded(req, res, [&] {
    release_image_spec r;
    std::vector<std::string> specs;
    auto n = req.get_param_value_count("service");
    for (size_t i = 0; i < n; ++i) {
      auto s = req.get_param_value("service", i);
      try {
        specs.push_back(parse_resource_spec(s));
      } catch (const id_error& e) {
        throw id_error("parsing service spec \"" + s + "\": " + e.what());
      }
    }
    r.service_specs = specs;
    r.image_spec = req.get_param_value("image");
    if (r.image_spec != "<all latest>"
        && r.image_spec.find(':', r.image_spec.rfind('/') + 1)
               == std::string::npos)
      throw id_error("parsing image spec \"" + r.image_spec
                     + "\": blank tag (if you want latest, explicitly state "
                       "the tag :latest)");
    r.kind = req.get_param_value("kind");
    if (r.kind != "plan" && r.kind != "execute")
      throw id_error("parsing release kind \"" + r.kind
                     + "\": invalid release kind");
    auto ne = req.get_param_value_count("exclude");
    if (ne) {
      std::vector<std::string> ex;
      for (size_t i = 0; i < ne; ++i) {
        auto s = req.get_param_value("exclude", i);
        try {
          ex.push_back(parse_id(s));
        } catch (const id_error& e) {
          throw id_error("parsing excluded service \"" + s + "\": " + e.what());
        }
      }
      r.excludes = ex;
    }
    update_spec spec;
    spec.type = "image";
    spec.cause = {req.get_param_value("message"), req.get_param_value("user")};
    spec.spec = std::move(r);
    go_json_writer w;
    w.value(d.update_manifests(spec));
    send_json(res, w.take());
  });
}

void update_policies(daemon_api& d, const request& req, response& res) {
  guarded(req, res, [&] {
    auto updates = decode_policy_updates(req.body);
    for (auto& [id, _] : updates)
      parse_id(id);
    update_spec spec;
    spec.type = "policy";
    spec.cause = {req.get_param_value("message"), req.get_param_value("user")};
    spec.spec = std::move(updates);
    go_json_writer w;
    w.value(d.update_manifests(spec));
    send_json(res, w.take());
  });
}

} // namespace

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || b.empty())
    return false; // lengths are not secret: tokens have a fixed size
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string read_secret_file(const std::string& path, const std::string& flag) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot read " + path + " (--" + flag + ")");
  std::string line;
  std::getline(in, line);
  auto b = line.find_first_not_of(" \t\r\n");
  auto e = line.find_last_not_of(" \t\r\n");
  if (b == std::string::npos)
    throw std::runtime_error(path + " (--" + flag + ") is empty");
  return line.substr(b, e - b + 1);
}

void install_routes(http::server& srv, daemon_api& daemon,
                    const route_options& opts) {
  auto token = opts.token;
  auto add = [&srv, token](const char* method, const std::string& path,
                           const char* name,
                           std::function<void(const request&, response&)> h) {
    srv.route(method, "/api/flux" + path, name,
              [token, h](const request& req, response& res) {
                if (!token.empty()
                    && !constant_time_equal(authorization_token(req), token)) {
                  send_error(req, res, http::unauthorized(), 401);
                  return;
                }
                h(req, res);
              });
  };
  auto* d = &daemon;

  add("GET", "/v11/ping", "Ping", [d](const request& req, response& res) {
    guarded(req, res, [&] {
      d->ping();
      res.status = 204;
    });
  });
  add("GET", "/v11/version", "Version", [d](const request& req, response& res) {
    guarded(req, res, [&] {
      go_json_writer w;
      w.value(d->version());
      send_json(res, w.take());
    });
  });
  add("POST", "/v11/notify", "Notify", [d](const request& req, response& res) {
    guarded(req, res, [&] {
      d->notify_change(decode_change(req.body));
      res.status = 202;
    });
  });
  auto services = [d](const request& req, response& res) {
    list_services(*d, req, res);
  };
  add("GET", "/v6/services", "ListServices", services);
  add("GET", "/v11/services", "ListServicesWithOptions", services);
  auto images = [d](const request& req, response& res) {
    list_images(*d, req, res);
  };
  add("GET", "/v6/images", "ListImages", images);
  add("GET", "/v10/images", "ListImagesWithOptions", images);
  add("POST", "/v9/update-manifests", "UpdateManifests",
      [d](const request& req, response& res) {
        update_manifests(*d, req, res);
      });
  add("GET", "/v6/jobs", "JobStatus", [d](const request& req, response& res) {
    if (!require_params(req, res, {"id"}))
      return;
    guarded(req, res, [&] {
      send_json(res, to_json(d->job_status(req.get_param_value("id"))));
    });
  });
  add("GET", "/v6/sync", "SyncStatus", [d](const request& req, response& res) {
    if (!require_params(req, res, {"ref"}))
      return;
    guarded(req, res, [&] {
      send_json(res, to_json(d->sync_status(req.get_param_value("ref"))));
    });
  });
  add("GET", "/v6/export", "Export", [d](const request& req, response& res) {
    guarded(req, res, [&] {
      go_json_writer w;
      w.value(registry::base64_encode(d->export_cluster()));
      send_json(res, w.take());
    });
  });
  add("POST", "/v9/git-repo-config", "GitRepoConfig",
      [d](const request& req, response& res) {
        guarded(req, res, [&] {
          bool regenerate = decode_bool(req.body);
          send_json(res, to_json(d->git_repo_config(regenerate)));
        });
      });
  add("POST", "/v6/update-images", "UpdateImages",
      [d](const request& req, response& res) { update_images(*d, req, res); });
  add("PATCH", "/v6/policies", "UpdatePolicies",
      [d](const request& req, response& res) {
        update_policies(*d, req, res);
      });
  add("GET", "/v6/identity\\.pub", "GetPublicSSHKey",
      [d](const request& req, response& res) {
        guarded(req, res, [&] {
          send_json(res, to_json(d->git_repo_config(false).public_ssh_key));
        });
      });
  add("POST", "/v6/identity\\.pub", "RegeneratePublicSSHKey",
      [d](const request& req, response& res) {
        guarded(req, res, [&] {
          d->git_repo_config(true);
          res.status = 204;
        });
      });
}

} // namespace fluxd::api
