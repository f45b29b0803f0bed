#include "adapters/api/webhooks.hpp"

#include <deque>
#include <memory>
#include <mutex>
#include <set>

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "adapters/api/routes.hpp"
#include "adapters/log/log.hpp"

namespace fluxd::api {

namespace json = boost::json;

std::string hmac_sha256_hex(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
       &len);
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 0xf];
  }
  return out;
}

namespace {

using request = httplib::Request;
using response = httplib::Response;

/// Why a delivery was refused: status and a short text for the sender.
struct rejection {
  int status;
  std::string reason;
};

/// Delivery IDs seen recently (FIFO), shared by one receiver's threads.
class replay_guard {
public:
  explicit replay_guard(size_t capacity) : capacity_(capacity) {}
  /// False when `id` was seen already; remembers it otherwise.
  bool first_time(const std::string& id) {
    if (id.empty())
      return true;
    std::lock_guard<std::mutex> g{mtx_};
    if (!seen_.insert(id).second)
      return false;
    order_.push_back(id);
    if (order_.size() > capacity_) {
      seen_.erase(order_.front());
      order_.pop_front();
    }
    return true;
  }

private:
  size_t capacity_;
  std::mutex mtx_;
  std::set<std::string> seen_;
  std::deque<std::string> order_;
};

/// What a receiver made of a verified delivery.
struct outcome {
  std::vector<change> changes; ///< empty: nothing to do (200)
  std::string delivery_id;     ///< for replay refusal; may be empty
};

using parser = std::function<outcome(const request&)>;
using verifier = std::function<void(const request&)>;

json::value parse_body(const request& req) {
  json::error_code ec;
  auto v = json::parse(req.body, ec);
  if (ec || !v.is_object())
    throw rejection{400, "body is not a JSON object"};
  return v;
}

std::string str_at(const json::value& v,
                   std::initializer_list<const char*> path) {
  const json::value* cur = &v;
  for (auto* k : path) {
    if (!cur->is_object())
      return {};
    auto it = cur->as_object().find(k);
    if (it == cur->as_object().end())
      return {};
    cur = &it->value();
  }
  return cur->is_string() ? std::string(cur->as_string()) : std::string{};
}

change git_change(const std::string& url, const std::string& ref) {
  change c;
  c.kind = "git";
  c.git_url = url;
  c.git_branch = ref.rfind("refs/heads/", 0) == 0 ? ref.substr(11) : ref;
  return c;
}

/// "host[:port]/path/name[:tag|@digest]" → an image change.
change image_change(std::string domain, std::string name) {
  change c;
  c.kind = "image";
  c.image_domain = std::move(domain);
  c.image_name = std::move(name);
  return c;
}

void check_signature(const std::string& header, const std::string& secret,
                     const std::string& body, const char* name) {
  if (header.empty())
    throw rejection{401, std::string("missing ") + name + " header"};
  const std::string prefix = "sha256=";
  if (header.rfind(prefix, 0) != 0
      || !constant_time_equal(header.substr(prefix.size()),
                              hmac_sha256_hex(secret, body)))
    throw rejection{401, std::string("signature in ") + name
                             + " does not match the body"};
}

void check_secret(const std::string& given, const std::string& secret,
                  const char* where) {
  if (given.empty())
    throw rejection{401, std::string("missing secret (") + where + ")"};
  if (!constant_time_equal(given, secret))
    throw rejection{401, std::string("wrong secret (") + where + ")"};
}

std::string bearer(const request& req) {
  auto h = req.get_header_value("Authorization");
  if (h.rfind("Bearer ", 0) == 0)
    return h.substr(7);
  return h;
}

outcome github(const request& req) {
  outcome o;
  o.delivery_id = req.get_header_value("X-GitHub-Delivery");
  auto event = req.get_header_value("X-GitHub-Event");
  if (event == "ping")
    return o;
  if (event != "push")
    throw rejection{400, "unsupported GitHub event \"" + event + "\""};
  auto body = parse_body(req);
  auto ref = str_at(body, {"ref"});
  if (ref.rfind("refs/heads/", 0) != 0)
    return o; // tags: nothing to fetch for
  auto url = str_at(body, {"repository", "ssh_url"});
  if (url.empty())
    url = str_at(body, {"repository", "clone_url"});
  if (url.empty())
    throw rejection{400, "push event without repository URL"};
  o.changes.push_back(git_change(url, ref));
  return o;
}

outcome gitlab(const request& req) {
  outcome o;
  o.delivery_id = req.get_header_value("X-Gitlab-Event-UUID");
  auto event = req.get_header_value("X-Gitlab-Event");
  if (event == "Tag Push Hook")
    return o;
  if (event != "Push Hook")
    throw rejection{400, "unsupported GitLab event \"" + event + "\""};
  auto body = parse_body(req);
  auto url = str_at(body, {"project", "git_ssh_url"});
  if (url.empty())
    url = str_at(body, {"project", "git_http_url"});
  if (url.empty())
    throw rejection{400, "push event without project URL"};
  o.changes.push_back(git_change(url, str_at(body, {"ref"})));
  return o;
}

outcome bitbucket(const request& req) {
  outcome o;
  o.delivery_id = req.get_header_value("X-Request-UUID");
  auto event = req.get_header_value("X-Event-Key");
  if (event == "diagnostics:ping")
    return o;
  if (event != "repo:push" && event != "repo:refs_changed")
    throw rejection{400, "unsupported Bitbucket event \"" + event + "\""};
  auto body = parse_body(req);
  std::string url = str_at(body, {"repository", "links", "html", "href"});
  std::vector<std::string> branches;
  auto* repo = body.as_object().if_contains("repository");
  if (repo && repo->is_object()) {
    // Bitbucket Server lists clone links; prefer ssh.
    if (auto* links = repo->as_object().if_contains("links");
        links && links->is_object())
      if (auto* clone = links->as_object().if_contains("clone");
          clone && clone->is_array())
        for (auto& l : clone->as_array())
          if (str_at(l, {"name"}) == "ssh" || url.empty())
            url = str_at(l, {"href"});
  }
  auto collect = [&](const json::value* changes, bool server) {
    if (!changes || !changes->is_array())
      return;
    for (auto& ch : changes->as_array()) {
      if (server) {
        if (str_at(ch, {"ref", "type"}) == "BRANCH")
          branches.push_back(str_at(ch, {"ref", "displayId"}));
      } else if (str_at(ch, {"new", "type"}) == "branch") {
        branches.push_back(str_at(ch, {"new", "name"}));
      }
    }
  };
  if (auto* push = body.as_object().if_contains("push");
      push && push->is_object())
    collect(push->as_object().if_contains("changes"), false);
  collect(body.as_object().if_contains("changes"), true);
  if (url.empty())
    throw rejection{400, "push event without repository URL"};
  for (auto& b : branches)
    o.changes.push_back(git_change(url, b));
  return o;
}

/// "registry.example.com:5000/lib/app:tag" → (domain, "lib/app").
change image_from_reference(const std::string& ref) {
  auto rest = ref;
  if (auto at = rest.find('@'); at != std::string::npos)
    rest = rest.substr(0, at);
  auto slash = rest.find('/');
  auto colon = rest.rfind(':');
  if (colon != std::string::npos
      && (slash == std::string::npos || colon > rest.rfind('/')))
    rest = rest.substr(0, colon);
  std::string domain;
  if (slash != std::string::npos) {
    auto first = rest.substr(0, slash);
    if (first.find_first_of(".:") != std::string::npos
        || first == "localhost") {
      domain = first;
      rest = rest.substr(slash + 1);
    }
  }
  return image_change(domain.empty() ? "docker.io" : domain, rest);
}

outcome dockerhub(const request& req) {
  outcome o;
  auto body = parse_body(req);
  auto name = str_at(body, {"repository", "repo_name"});
  if (name.empty())
    throw rejection{400, "Docker Hub event without repository.repo_name"};
  if (name.find('/') == std::string::npos)
    name = "library/" + name;
  o.changes.push_back(image_change("docker.io", name));
  return o;
}

outcome harbor(const request& req) {
  outcome o;
  auto body = parse_body(req);
  auto type = str_at(body, {"type"});
  if (type != "PUSH_ARTIFACT" && type != "pushImage")
    throw rejection{400, "unsupported Harbor event \"" + type + "\""};
  auto* data = body.as_object().if_contains("event_data");
  const json::value* resources = nullptr;
  if (data && data->is_object())
    resources = data->as_object().if_contains("resources");
  if (!resources || !resources->is_array())
    throw rejection{400, "Harbor event without event_data.resources"};
  std::set<std::string> seen;
  for (auto& r : resources->as_array()) {
    auto url = str_at(r, {"resource_url"});
    if (!url.empty() && seen.insert(url).second)
      o.changes.push_back(image_from_reference(url));
  }
  return o;
}

outcome registry_events(const request& req, replay_guard& events) {
  outcome o;
  auto body = parse_body(req);
  auto* evs = body.as_object().if_contains("events");
  if (!evs || !evs->is_array())
    throw rejection{400, "notification without events"};
  std::set<std::string> names;
  for (auto& e : evs->as_array()) {
    auto action = str_at(e, {"action"});
    if (action != "push")
      continue; // pulls and deletes need no scan
    if (!events.first_time(str_at(e, {"id"})))
      continue;
    auto repo = str_at(e, {"target", "repository"});
    auto host = str_at(e, {"request", "host"});
    if (repo.empty())
      continue;
    if (names.insert(host + "/" + repo).second)
      o.changes.push_back(
          image_change(host.empty() ? "docker.io" : host, repo));
  }
  return o;
}

} // namespace

void install_webhooks(http::server& srv, daemon_api& daemon,
                      const webhook_options& opts) {
  if (opts.secret.empty())
    return;
  auto secret = opts.secret;
  auto max_body = opts.max_body;
  auto* d = &daemon;
  auto add = [&](const std::string& path, const char* name, verifier verify,
                 parser parse) {
    auto replays = std::make_shared<replay_guard>(opts.remembered_deliveries);
    srv.route("POST", path, name, [=](const request& req, response& res) {
      static const log::logger log{"webhook"};
      try {
        if (req.body.size() > max_body)
          throw rejection{413, "body larger than " + std::to_string(max_body)
                                   + " bytes"};
        verify(req);
        auto out = parse(req);
        if (!replays->first_time(out.delivery_id))
          throw rejection{409, "delivery " + out.delivery_id
                                   + " was received already"};
        for (auto& c : out.changes)
          d->notify_change(c);
        res.status = out.changes.empty() ? 200 : 202;
        res.set_content(out.changes.empty() ? "ignored\n" : "accepted\n",
                        "text/plain; charset=utf-8");
      } catch (const rejection& r) {
        log.warn("webhook refused",
                 {{"route", path}, {"status", r.status}, {"reason", r.reason}});
        res.status = r.status;
        res.set_content(r.reason + "\n", "text/plain; charset=utf-8");
      } catch (const std::exception& e) {
        res.status = 500;
        res.set_content(std::string(e.what()) + "\n",
                        "text/plain; charset=utf-8");
      }
    });
  };
  add(
      "/hook/github", "WebhookGitHub",
      [secret](const request& req) {
        check_signature(req.get_header_value("X-Hub-Signature-256"), secret,
                        req.body, "X-Hub-Signature-256");
      },
      github);
  add(
      "/hook/gitlab", "WebhookGitLab",
      [secret](const request& req) {
        check_secret(req.get_header_value("X-Gitlab-Token"), secret,
                     "X-Gitlab-Token");
      },
      gitlab);
  add(
      "/hook/bitbucket", "WebhookBitbucket",
      [secret](const request& req) {
        check_signature(req.get_header_value("X-Hub-Signature"), secret,
                        req.body, "X-Hub-Signature");
      },
      bitbucket);
  add(
      "/hook/dockerhub", "WebhookDockerHub",
      [secret](const request& req) {
        check_secret(req.get_param_value("secret"), secret, "?secret=");
      },
      dockerhub);
  add(
      "/hook/harbor", "WebhookHarbor",
      [secret](const request& req) {
        check_secret(bearer(req), secret, "Authorization");
      },
      harbor);
  auto events = std::make_shared<replay_guard>(opts.remembered_deliveries);
  add(
      "/hook/registry", "WebhookRegistry",
      [secret](const request& req) {
        check_secret(bearer(req), secret, "Authorization");
      },
      [events](const request& req) { return registry_events(req, *events); });
}

} // namespace fluxd::api
