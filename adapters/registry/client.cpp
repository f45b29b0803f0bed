#include "adapters/registry/client.hpp"

#include <algorithm>
#include <ctime>
#include <set>

#include <boost/json.hpp>
#include <httplib.h>

#include "adapters/registry/auth.hpp"
#include "adapters/registry/names.hpp"
#include "adapters/registry/session.hpp"
#include "adapters/registry/wire.hpp"

namespace fluxd::registry {

namespace json = boost::json;

const char* to_string(request_kind kind) {
  switch (kind) {
    case request_kind::ping:
      return "ping";
    case request_kind::token:
      return "token";
    case request_kind::tags:
      return "tags";
    case request_kind::manifest:
      return "manifest";
    case request_kind::blob:
      return "blob";
  }
  return "unknown";
}

time_point effective_created(const image_info& info, bool use_labels) {
  if (use_labels)
    for (auto key : {label_created, label_build_date})
      if (auto it = info.labels.find(std::string{key});
          it != info.labels.end())
        if (auto t = parse_rfc3339(it->second))
          return *t;
  return info.created;
}

std::map<std::string, std::string>
created_labels(const std::map<std::string, std::string>& labels) {
  std::map<std::string, std::string> out;
  for (auto key : {label_created, label_build_date})
    if (auto it = labels.find(std::string{key}); it != labels.end())
      out.insert(*it);
  return out;
}

namespace {

struct response {
  int status = 0;
  httplib::Headers headers;
  std::string body;

  std::string header(const char* key) const {
    auto it = headers.find(key);
    return it == headers.end() ? std::string{} : it->second;
  }
};

} // namespace

// -- session ------------------------------------------------------------------

std::shared_ptr<session> make_session() {
  return std::make_shared<session>();
}

// -- impl ---------------------------------------------------------------------

struct client::impl {
  explicit impl(client_options o) : opts(std::move(o)) {
    api = api_host(opts.host);
    shared = opts.shared ? opts.shared : make_session();
  }

  client_options opts;
  std::string api; ///< host:port the API is served from
  std::shared_ptr<session> shared;
  rate_limit_info limits;
  std::map<std::string, std::unique_ptr<httplib::Client>> conns;

  std::string where(const std::string& repository) const {
    return repository.empty()
             ? "registry " + opts.host
             : "registry " + opts.host + " repository " + repository;
  }

  httplib::Client& conn(const std::string& org) {
    auto& c = conns[org];
    if (!c) {
      c = std::make_unique<httplib::Client>(org);
      c->set_connection_timeout(opts.connect_timeout);
      c->set_read_timeout(opts.timeout);
      c->set_write_timeout(opts.timeout);
      c->set_keep_alive(true);
      c->set_follow_location(false);
      if (opts.insecure)
        c->enable_server_certificate_verification(false);
    }
    return *c;
  }

  rate_limit_info read_limits(const httplib::Headers& h) {
    rate_limit_info info;
    if (auto it = h.find("ratelimit-limit"); it != h.end())
      parse_ratelimit_header(it->second, info.limit, info.window);
    if (auto it = h.find("ratelimit-remaining"); it != h.end())
      parse_ratelimit_header(it->second, info.remaining, info.window);
    if (auto it = h.find("retry-after"); it != h.end())
      info.retry_after =
        parse_retry_after(it->second, static_cast<long long>(std::time(nullptr)));
    return info;
  }

  /// One HTTP exchange, body capped at `max_bytes`. Throws only for no
  /// answer or an oversized body; the status is the caller's business.
  response raw(request_kind kind, const std::string& method,
               const std::string& repository, const std::string& url,
               const httplib::Headers& headers, size_t max_bytes) {
    auto [org, target] = wire::split(url);
    request_event ev{kind, method, opts.host, repository, target, 0, {}};
    response r;
    bool too_large = false;
    httplib::Result res{nullptr, httplib::Error::Unknown};
    auto& c = conn(org);
    if (method == "HEAD") {
      res = c.Head(target.c_str(), headers);
    } else {
      res = c.Get(
        target.c_str(), headers,
        [&](const httplib::Response& head) {
          auto it = head.headers.find("Content-Length");
          if (it != head.headers.end()
              && std::strtoull(it->second.c_str(), nullptr, 10) > max_bytes) {
            too_large = true;
            return false;
          }
          return true;
        },
        [&](const char* data, size_t n) {
          if (r.body.size() + n > max_bytes) {
            too_large = true;
            return false;
          }
          r.body.append(data, n);
          return true;
        });
    }
    if (too_large) {
      conns.erase(org); // the connection is mid-body: don't reuse it
      if (opts.observer)
        opts.observer(ev);
      throw registry_error(error_kind::too_large,
                           where(repository) + ": " + method + " " + target
                             + ": response larger than "
                             + std::to_string(max_bytes) + " bytes");
    }
    if (!res) {
      conns.erase(org);
      if (opts.observer)
        opts.observer(ev);
      throw registry_error(error_kind::unreachable,
                           where(repository) + ": " + method + " " + org
                             + target + ": "
                             + httplib::to_string(res.error()));
    }
    r.status = res->status;
    r.headers = res->headers;
    ev.status = r.status;
    ev.limits = read_limits(r.headers);
    limits = ev.limits;
    if (opts.observer)
      opts.observer(ev);
    return r;
  }

  session::ping_result ensure_pinged(const std::string& repository) {
    auto p = shared->get();
    if (p.pinged)
      return p;
    std::lock_guard<std::mutex> single_flight{shared->ping_lock()};
    p = shared->get();
    if (!p.pinged) {
      ping(repository);
      p = shared->get();
    }
    return p;
  }

  /// `repository` only names the caller in errors.
  void ping(const std::string& repository = "") {
    std::vector<std::string> schemes;
    if (opts.plain_http)
      schemes = {"http"};
    else if (opts.insecure)
      schemes = {"https", "http"};
    else
      schemes = {"https"};
    for (size_t i = 0; i < schemes.size(); ++i) {
      auto org = schemes[i] + "://" + api;
      response r;
      try {
        r = raw(request_kind::ping, "GET", repository, org + "/v2/", {},
                1u << 16);
      } catch (const registry_error& e) {
        if (e.kind() == error_kind::unreachable && i + 1 < schemes.size())
          continue;
        throw;
      }
      session::ping_result p;
      if (r.status == 401) {
        p.auth = parse_challenge(r.header("WWW-Authenticate"));
      } else if (r.status < 200 || r.status >= 300) {
        throw status_error(r, repository, "GET", "/v2/");
      }
      p.origin = org;
      p.pinged = true;
      shared->set(std::move(p));
      return;
    }
  }

  registry_error status_error(const response& r, const std::string& repository,
                              const std::string& method,
                              const std::string& target) {
    auto text = where(repository) + ": " + method + " " + target + ": HTTP "
                + std::to_string(r.status);
    auto detail = wire::describe_body(r.body);
    if (!detail.empty())
      text += " " + detail;
    error_kind kind = error_kind::bad_response;
    if (r.status == 401 || r.status == 403)
      kind = error_kind::unauthorized;
    else if (r.status == 404)
      kind = error_kind::not_found;
    else if (r.status == 429 || detail.find("TOOMANYREQUESTS") == 0)
      kind = error_kind::rate_limited;
    else if (r.status >= 500)
      kind = error_kind::server_error;
    return registry_error(kind, text, r.status, read_limits(r.headers).retry_after);
  }

  std::optional<credentials> creds() const {
    if (!opts.credentials)
      return std::nullopt;
    return opts.credentials->find(opts.host);
  }

  std::string basic_header(const credentials& c) const {
    return "Basic " + base64_encode(c.username + ":" + c.password);
  }

  /// Fetches a bearer token for `ch` (realm, service, scope).
  std::string fetch_token(const challenge& ch, const std::string& scope,
                          const std::string& repository) {
    auto realm = ch.param("realm");
    if (realm.empty())
      throw registry_error(error_kind::unauthorized,
                           where(repository)
                             + ": bearer challenge without a realm");
    auto service = ch.param("service");
    auto key = token_cache::key(realm, service, scope);
    auto now = token_cache::clock::now();
    if (auto t = shared->token(key, now))
      return *t;
    std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
    url += "service=" + wire::url_encode(service);
    if (!scope.empty())
      url += "&scope=" + wire::url_encode(scope);
    httplib::Headers h;
    auto c = creds();
    if (c) {
      url += "&account=" + wire::url_encode(c->username);
      h.emplace("Authorization", basic_header(*c));
    }
    auto r = raw(request_kind::token, "GET", repository, url, h,
                 opts.max_token_bytes);
    if (r.status != 200)
      throw status_error(r, repository, "GET",
                         "token endpoint " + wire::split(realm).origin);
    auto tr = parse_token_response(r.body, where(repository) + ": token from "
                                             + wire::split(realm).origin);
    shared->put_token(key, tr.token, tr.expires_in, now);
    return tr.token;
  }

  /// An authorized request to the registry: the auth the ping asked for,
  /// one retry on 401 with a fresh token, redirects followed (without our
  /// Authorization when they leave the host), non-2xx turned into errors.
  response call(request_kind kind, const std::string& method,
                const std::string& repository, const std::string& target,
                httplib::Headers headers, size_t max_bytes) {
    auto pinged = ensure_pinged(repository);
    const auto& origin = pinged.origin;
    std::string scope =
      repository.empty() ? "" : "repository:" + repository + ":pull";
    challenge ch = pinged.auth;
    bool retried = false;
    std::string url = origin + target;
    for (int hops = 0;; ++hops) {
      auto h = headers;
      bool same_host = wire::split(url).origin == origin;
      if (same_host && ch.scheme == "bearer")
        h.emplace("Authorization",
                  "Bearer " + fetch_token(ch, scope, repository));
      else if (same_host && ch.scheme == "basic")
        if (auto c = creds())
          h.emplace("Authorization", basic_header(*c));
      auto r = raw(kind, method, repository, url, h, max_bytes);
      if (r.status == 401 && same_host && !retried) {
        retried = true;
        auto fresh = parse_challenge(r.header("WWW-Authenticate"));
        if (fresh.scheme == "bearer") {
          // The token expired or lacked the scope: ask again with the
          // scope the registry named.
          if (auto s = fresh.param("scope"); !s.empty())
            scope = s;
          shared->erase_token(token_cache::key(fresh.param("realm"),
                                               fresh.param("service"), scope));
          ch = fresh;
          shared->set_auth(fresh);
          continue;
        }
        if (fresh.scheme == "basic" && ch.scheme != "basic" && creds()) {
          ch = fresh;
          shared->set_auth(fresh);
          continue;
        }
      }
      if ((r.status == 301 || r.status == 302 || r.status == 303
           || r.status == 307 || r.status == 308)
          && hops < 5) {
        auto loc = r.header("Location");
        if (loc.empty())
          throw status_error(r, repository, method, target);
        url = loc.rfind("http", 0) == 0 ? loc
              : loc.front() == '/'      ? wire::split(url).origin + loc
                                        : loc;
        continue;
      }
      if (r.status < 200 || r.status >= 300)
        throw status_error(r, repository, method, wire::split(url).target);
      return r;
    }
  }

  std::vector<std::string> list_tags(const std::string& repository) {
    std::string target = "/v2/" + repository + "/tags/list";
    if (opts.tag_page_size > 0)
      target += "?n=" + std::to_string(opts.tag_page_size);
    std::set<std::string> tags;
    std::set<std::string> seen_pages;
    while (!target.empty()) {
      if (!seen_pages.insert(target).second)
        throw registry_error(error_kind::bad_response,
                             where(repository) + ": tag list pages loop at "
                               + target);
      auto r = call(request_kind::tags, "GET", repository, target, {},
                    opts.max_tag_page_bytes);
      auto origin_text = where(repository) + ": GET " + target;
      boost::system::error_code ec;
      auto v = json::parse(r.body, ec);
      if (ec || !v.is_object())
        throw registry_error(error_kind::bad_response,
                             origin_text + ": tag list is not a JSON object");
      auto it = v.get_object().find("tags");
      if (it != v.get_object().end() && !it->value().is_null()) {
        if (!it->value().is_array())
          throw registry_error(error_kind::bad_response,
                               origin_text + ": \"tags\" is not an array");
        for (auto& t : it->value().get_array()) {
          if (!t.is_string() || t.get_string().empty())
            throw registry_error(error_kind::bad_response,
                                 origin_text
                                   + ": \"tags\" holds an empty or non-string"
                                     " entry");
          tags.emplace(t.get_string());
        }
      }
      if (tags.size() > opts.max_tags)
        throw registry_error(error_kind::too_large,
                             where(repository) + ": more than "
                               + std::to_string(opts.max_tags) + " tags");
      auto next = wire::next_link(r.header("Link"));
      if (next.empty())
        break;
      if (next.rfind("http", 0) == 0) {
        auto s = wire::split(next);
        if (s.origin != shared->get().origin)
          throw registry_error(error_kind::bad_response,
                               origin_text + ": next page on another host");
        next = s.target;
      } else if (next.front() == '?') {
        next = target.substr(0, target.find('?')) + next;
      }
      target = next;
    }
    return {tags.begin(), tags.end()};
  }

  manifest_body get_manifest(const std::string& repository,
                             const std::string& reference) {
    auto target = "/v2/" + repository + "/manifests/" + reference;
    httplib::Headers h{{"Accept", std::string{media_type::accept_all}}};
    auto r = call(request_kind::manifest, "GET", repository, target, h,
                  opts.max_manifest_bytes);
    manifest_body m;
    m.body = std::move(r.body);
    m.media_type = r.header("Content-Type");
    auto computed = sha256_digest(m.body);
    auto told = r.header("Docker-Content-Digest");
    auto fail = [&](const std::string& expected) {
      return registry_error(error_kind::digest_mismatch,
                            where(repository) + ": manifest " + reference
                              + " has digest " + computed + ", expected "
                              + expected);
    };
    if (!told.empty() && told.rfind("sha256:", 0) == 0 && told != computed)
      throw fail(told);
    if (reference.rfind("sha256:", 0) == 0 && reference != computed)
      throw fail(reference);
    m.digest = told.empty() ? computed : told;
    return m;
  }

  std::string get_blob(const std::string& repository,
                       const std::string& digest, size_t max_bytes) {
    if (!valid_digest(digest))
      throw registry_error(error_kind::bad_response,
                           where(repository) + ": invalid blob digest");
    auto r = call(request_kind::blob, "GET", repository,
                  "/v2/" + repository + "/blobs/" + digest, {}, max_bytes);
    if (digest.rfind("sha256:", 0) == 0) {
      auto computed = sha256_digest(r.body);
      if (computed != digest)
        throw registry_error(error_kind::digest_mismatch,
                             where(repository) + ": blob " + digest
                               + " has digest " + computed);
    }
    return std::move(r.body);
  }

  image_info fetch_image_info(const std::string& repository,
                              const std::string& tag) {
    image_info info;
    auto top = get_manifest(repository, tag);
    info.digest = top.digest;
    auto origin_text = where(repository) + ": manifest " + tag;
    auto m = parse_manifest(top.body, top.media_type, origin_text);
    if (m.what == parsed_manifest::kind::index) {
      auto entry = select_platform(m.entries, opts.want_platform);
      if (!entry) {
        info.excluded_reason = "no suitable manifest ("
                               + opts.want_platform.to_string()
                               + ") in manifest list";
        return info;
      }
      auto child = get_manifest(repository, entry->digest);
      auto annotations = std::move(m.annotations);
      m = parse_manifest(child.body, child.media_type,
                         origin_text + " (" + entry->digest + ")");
      if (m.what == parsed_manifest::kind::index)
        throw registry_error(error_kind::bad_response,
                             origin_text + ": index inside an index");
      m.annotations.merge(annotations);
    }
    if (m.what == parsed_manifest::kind::schema1) {
      info.created = m.created;
      info.labels = std::move(m.labels);
      return info;
    }
    info.config_digest = m.config_digest;
    auto blob = get_blob(repository, m.config_digest, opts.max_config_bytes);
    auto cfg = parse_config(blob, origin_text + " config "
                                    + m.config_digest);
    info.created = cfg.created;
    info.labels = std::move(cfg.labels);
    if (info.created == time_point{})
      if (auto it = m.annotations.find(std::string{label_created});
          it != m.annotations.end())
        info.created = parse_rfc3339(it->second).value_or(time_point{});
    return info;
  }
};

// -- client -------------------------------------------------------------------

client::client(client_options opts)
  : impl_(std::make_unique<impl>(std::move(opts))) {
}

client::~client() = default;

void client::ping() {
  impl_->ping();
}

std::vector<std::string> client::list_tags(const std::string& repository) {
  return impl_->list_tags(repository);
}

manifest_ref client::head_manifest(const std::string& repository,
                                   const std::string& reference) {
  httplib::Headers h{{"Accept", std::string{media_type::accept_all}}};
  auto r = impl_->call(request_kind::manifest, "HEAD", repository,
                       "/v2/" + repository + "/manifests/" + reference, h, 0);
  manifest_ref ref{r.header("Docker-Content-Digest"), r.header("Content-Type")};
  if (!valid_digest(ref.digest))
    throw registry_error(error_kind::bad_response,
                         impl_->where(repository) + ": HEAD manifest "
                           + reference
                           + " has no valid Docker-Content-Digest");
  return ref;
}

manifest_body client::get_manifest(const std::string& repository,
                                   const std::string& reference) {
  return impl_->get_manifest(repository, reference);
}

std::string client::get_blob(const std::string& repository,
                             const std::string& digest, size_t max_bytes) {
  return impl_->get_blob(repository, digest, max_bytes);
}

image_info client::fetch_image_info(const std::string& repository,
                                    const std::string& tag) {
  return impl_->fetch_image_info(repository, tag);
}

const std::string& client::host() const {
  return impl_->opts.host;
}

const rate_limit_info& client::last_limits() const {
  return impl_->limits;
}

} // namespace fluxd::registry
