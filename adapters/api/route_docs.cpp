#include "adapters/api/route_docs.hpp"

#include <boost/json.hpp>

#include "adapters/api/types.hpp"

namespace fluxd::api {

namespace {

/// `/v6/identity\.pub` → `/v6/identity.pub`, `/ui/?` → `/ui/`.
std::string shown_path(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\')
      continue;
    if (pattern[i] == '?' && i + 1 == pattern.size())
      continue;
    out += pattern[i];
  }
  return out;
}

void pretty(std::string& out, const boost::json::value& v, int indent) {
  auto pad = [&out](int n) { out.append(static_cast<size_t>(n), ' '); };
  if (v.is_object()) {
    auto& o = v.get_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    size_t i = 0;
    for (auto& [k, x] : o) {
      pad(indent + 2);
      out += boost::json::serialize(boost::json::value(k)) + ": ";
      pretty(out, x, indent + 2);
      out += ++i < o.size() ? ",\n" : "\n";
    }
    pad(indent);
    out += "}";
  } else if (v.is_array()) {
    auto& a = v.get_array();
    if (a.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (size_t i = 0; i < a.size(); ++i) {
      pad(indent + 2);
      pretty(out, a[i], indent + 2);
      out += i + 1 < a.size() ? ",\n" : "\n";
    }
    pad(indent);
    out += "]";
  } else {
    out += boost::json::serialize(v);
  }
}

std::string json_block(const std::string& compact) {
  std::string out = "```json\n";
  pretty(out, boost::json::parse(compact), 0);
  return out + "\n```\n";
}

constexpr int64_t sample_time = 1700000000000000000; // 2023-11-14T22:13:20Z

image_info sample_image(const std::string& ref, int64_t created) {
  image_info i;
  i.id = ref;
  i.digest = "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780"
             "db3dd741";
  i.created_at = created;
  i.last_fetched = sample_time;
  return i;
}

controller_status sample_workload() {
  controller_status w;
  w.id = "demo:deployment/hello";
  container c;
  c.name = "hello";
  c.current = image_info{};
  c.current.id = "registry.example:5000/demo/hello:1.0.0";
  w.containers = std::vector<container>{c};
  w.status = "ready";
  w.rollout = {2, 2, 2, 2, 0, std::nullopt};
  w.labels = string_map{{"app", "hello"}};
  w.automated = true;
  w.policies = {{"automated", "true"}, {"tag.hello", "semver:~1.0"}};
  return w;
}

image_status sample_images() {
  image_status s;
  s.id = "demo:deployment/hello";
  container c;
  c.name = "hello";
  c.current = sample_image("registry.example:5000/demo/hello:1.0.0",
                           sample_time - 86400000000000);
  c.latest_filtered =
      sample_image("registry.example:5000/demo/hello:1.0.1", sample_time);
  c.available = {c.latest_filtered, c.current};
  c.available_images_count = 2;
  c.new_available_images_count = 1;
  c.filtered_images_count = 2;
  c.new_filtered_images_count = 1;
  s.containers = std::vector<container>{c};
  return s;
}

update_spec sample_release() {
  release_image_spec r;
  r.service_specs = std::vector<std::string>{"demo:deployment/hello"};
  r.image_spec = "registry.example:5000/demo/hello:1.0.1";
  r.kind = "execute";
  update_spec s;
  s.type = "image";
  s.cause = {"hotfix", "Jane <jane@example.com>"};
  s.spec = r;
  return s;
}

update_spec sample_policy() {
  policy_update u;
  u.add = {{"locked", "true"},
           {"locked_msg", "incident 42"},
           {"locked_user", "Jane <jane@example.com>"}};
  update_spec s;
  s.type = "policy";
  s.cause = {"incident 42", "Jane <jane@example.com>"};
  s.spec = policy_updates{{"demo:deployment/hello", u}};
  return s;
}

job_status sample_job() {
  job_status j;
  j.status_string = "succeeded";
  j.result.revision = "8d2d4a7e51b6f1a0c6b6b0e7e1f3c2d9a4b5c6d7";
  j.result.spec = sample_release();
  workload_result r;
  r.status = "success";
  r.per_container = std::vector<container_update>{
      {"hello", "registry.example:5000/demo/hello:1.0.0",
       "registry.example:5000/demo/hello:1.0.1"}};
  j.result.result = update_result{{"demo:deployment/hello", r}};
  return j;
}

git_config sample_git() {
  git_config g;
  g.url = "ssh://git@git.example/fleet.git";
  g.branch = "main";
  g.path = "clusters/production";
  g.public_ssh_key.key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx0"
                         "5u1oQ1rW0m3bY0gB8e6QmZkqG3X2XjW7m0n4rXfA\n";
  g.status = "ready";
  return g;
}

change sample_git_change() {
  change c;
  c.kind = "git";
  c.git_url = "ssh://git@git.example/fleet.git";
  c.git_branch = "main";
  return c;
}

change sample_image_change() {
  change c;
  c.kind = "image";
  c.image_domain = "registry.example:5000";
  c.image_name = "demo/hello";
  return c;
}

/// An example as the encoder writes it, after checking the decoder reads
/// it back (so the docs never show a body fluxd would refuse).
template <class Decode>
std::string example(const std::string& title, const std::string& json,
                    Decode decode) {
  decode(json);
  return "#### " + title + "\n\n" + json_block(json) + "\n";
}

} // namespace

std::vector<controller_status> sample_workloads() {
  auto pinned = sample_workload();
  pinned.id = "demo:deployment/pinned";
  pinned.containers->front().name = "pinned";
  pinned.automated = true;
  pinned.locked = true;
  pinned.policies = {
      {"automated", "true"}, {"locked", "true"}, {"locked_msg", "held back"}};
  return {sample_workload(), pinned};
}

std::vector<image_status> sample_image_statuses() {
  return {sample_images()};
}

job_status sample_job_status() {
  return sample_job();
}

const std::vector<route_doc>& route_docs() {
  static const std::vector<route_doc> docs = {
      // Flux v1's API (fluxctl talks to these).
      {"GET", "/api/flux/v11/ping", "", "", "204",
       "Answers when the Kubernetes API answers."},
      {"GET", "/api/flux/v11/version", "", "", "200 JSON string",
       "fluxd's version, e.g. `\"0.1.0\"`."},
      {"POST", "/api/flux/v11/notify", "", "Change", "202, empty",
       "A git push or an image push happened: fetch or scan now."},
      {"GET", "/api/flux/v6/services", "`namespace`", "",
       "200 [ControllerStatus]", "`fluxctl list-workloads`."},
      {"GET", "/api/flux/v11/services",
       "`namespace`, `services` (IDs, "
       "comma-separated)",
       "", "200 [ControllerStatus]",
       "Same handler as v6; used by `fluxctl release --watch`."},
      {"GET", "/api/flux/v6/images", "`service` (ID or `<all>`)", "",
       "200 [ImageStatus]", "Deployed and available images."},
      {"GET", "/api/flux/v10/images",
       "`service`, `containerFields`, "
       "`namespace`",
       "", "200 [ImageStatus]",
       "`fluxctl list-images`; `containerFields` limits the fields of "
       "each container."},
      {"POST", "/api/flux/v9/update-manifests", "", "update.Spec",
       "200 JSON string (job ID)",
       "Release, policy, automation or sync job; poll `/v6/jobs`."},
      {"GET", "/api/flux/v6/jobs", "`id` (required)", "", "200 job.Status",
       "A job's state and result."},
      {"GET", "/api/flux/v6/sync", "`ref` (required)", "", "200 [string]",
       "Commits up to `ref` not applied yet; `[]` once "
       "applied."},
      {"GET", "/api/flux/v6/export", "", "", "200 JSON string (base64 YAML)",
       "The cluster's workloads as YAML "
       "(`fluxctl save`)."},
      {"POST", "/api/flux/v9/git-repo-config", "",
       "JSON bool (regenerate the key)", "200 GitConfig",
       "Repository, branch, paths, deploy key, status (`fluxctl sync`, "
       "`fluxctl identity`)."},
      {"POST", "/api/flux/v6/update-images",
       "`service` (repeatable, "
       "required), `image` (required), `kind` (`plan`\\|`execute`, required), "
       "`exclude`, `user`, `message`",
       "", "200 JSON string (job ID)", "Legacy release."},
      {"PATCH", "/api/flux/v6/policies", "`user`, `message`", "PolicyUpdates",
       "200 JSON string (job ID)", "Legacy policy update."},
      {"GET", "/api/flux/v6/identity\\.pub", "", "", "200 PublicKey",
       "The deploy key."},
      {"POST", "/api/flux/v6/identity\\.pub", "", "", "204",
       "Generates a new deploy key."},
      // fluxd's own.
      {"GET", "/metrics", "", "", "200 Prometheus text",
       "On `--listen-metrics` when set, else on `--listen`."},
      {"GET", "/healthz", "", "", "200 `ok`",
       "Liveness: the process "
       "serves HTTP."},
      {"GET", "/readyz", "", "", "200 or 503 JSON",
       "Readiness per component: "
       "`{\"ready\":false,\"components\":{\"git\":{\"ready\":false,"
       "\"reason\":\"...\"}}}`."},
      {"GET", "/", "", "", "200 HTML", "The status page."},
      {"GET", "/ui/?", "", "", "200 HTML", "The status page."},
      {"GET", "/ui/app\\.js", "", "", "200 JavaScript", "Status page asset."},
      {"GET", "/ui/app\\.css", "", "", "200 CSS", "Status page asset."},
      {"GET", "/api/fluxd/v1/status", "", "", "200 JSON, 401, 503",
       "The status page's data (docs/status-page.md)."},
      // Webhook receivers (only with --webhook-secret-file).
      {"POST", "/hook/github", "", "GitHub push event",
       "202, 200, 400, 401, 409, 413",
       "`X-Hub-Signature-256`, "
       "`X-GitHub-Event`, `X-GitHub-Delivery`."},
      {"POST", "/hook/gitlab", "", "GitLab push event",
       "202, 200, 400, 401, 409, 413",
       "`X-Gitlab-Token`, `X-Gitlab-Event`, `X-Gitlab-Event-UUID`."},
      {"POST", "/hook/bitbucket", "", "Bitbucket push event",
       "202, 200, 400, 401, 409, 413",
       "`X-Hub-Signature`, `X-Event-Key`, `X-Request-UUID`."},
      {"POST", "/hook/dockerhub", "`secret`", "Docker Hub push",
       "202, 200, 400, 401, 409, 413", "The secret in the query."},
      {"POST", "/hook/harbor", "", "Harbor PUSH_ARTIFACT event",
       "202, 200, 400, 401, 409, 413", "`Authorization: [Bearer] <secret>`."},
      {"POST", "/hook/registry", "", "Distribution notification",
       "202, 200, 400, 401, 409, 413", "`Authorization: Bearer <secret>`."},
  };
  return docs;
}

std::string
routes_markdown(const std::vector<http::server::route_info>& registered) {
  std::string missing;
  auto find = [&registered](const route_doc& d) {
    for (auto& r : registered)
      if (r.method == d.method && r.pattern == d.pattern)
        return &r;
    return static_cast<const http::server::route_info*>(nullptr);
  };
  for (auto& r : registered) {
    bool documented = false;
    for (auto& d : route_docs())
      documented =
          documented || (d.method == r.method && d.pattern == r.pattern);
    if (!documented)
      missing += " " + r.method + " " + r.pattern + " (undocumented);";
  }
  std::string out = "| route | metric name | request | answer | what |\n"
                    "|---|---|---|---|---|\n";
  for (auto& d : route_docs()) {
    auto* r = find(d);
    if (!r) {
      missing += " " + d.method + " " + d.pattern + " (not registered);";
      continue;
    }
    std::string request = d.query;
    if (!d.body.empty())
      request += (request.empty() ? "body: " : "; body: ") + d.body;
    out += "| `" + d.method + " " + shown_path(d.pattern) + "` | `" + r->name
           + "` | " + request + " | " + d.answer + " | " + d.about + " |\n";
  }
  if (!missing.empty())
    throw route_docs_error("adapters/api/route_docs.cpp is out of date:"
                           + missing);
  return out;
}

std::string examples_markdown() {
  std::string out;
  out += example("ControllerStatus (`GET /api/flux/v6/services`)",
                 to_json(std::vector<controller_status>{sample_workload()}),
                 decode_controller_statuses);
  out += example("ImageStatus (`GET /api/flux/v10/images`)",
                 to_json(std::vector<image_status>{sample_images()}),
                 decode_image_statuses);
  out += example("update.Spec, a release (`POST "
                 "/api/flux/v9/update-manifests`)",
                 to_json(sample_release()), decode_update_spec);
  out += example("update.Spec, a lock", to_json(sample_policy()),
                 decode_update_spec);
  update_spec sync;
  sync.type = "sync";
  sync.spec = manual_sync{};
  out += example("update.Spec, a sync (`fluxctl sync`)", to_json(sync),
                 decode_update_spec);
  out += example("job.Status (`GET /api/flux/v6/jobs?id=…`)",
                 to_json(sample_job()), decode_job_status);
  out += example("GitConfig (`POST /api/flux/v9/git-repo-config`)",
                 to_json(sample_git()), decode_git_config);
  out += example("Change, git (`POST /api/flux/v11/notify`)",
                 to_json(sample_git_change()), decode_change);
  out +=
      example("Change, image", to_json(sample_image_change()), decode_change);
  return out;
}

} // namespace fluxd::api
