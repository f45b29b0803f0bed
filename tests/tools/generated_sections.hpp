#pragma once

// The parts of docs/*.md generated from code tables (scripts/gen-docs):
// each sits between `<!-- BEGIN GENERATED name -->` and
// `<!-- END GENERATED name -->`; the prose around them is written by hand.

#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/api/daemon_api.hpp"
#include "adapters/api/route_docs.hpp"
#include "adapters/api/routes.hpp"
#include "adapters/api/webhooks.hpp"
#include "adapters/fluxctl/cli.hpp"
#include "adapters/fluxctl/output.hpp"
#include "adapters/ui/routes.hpp"

namespace fluxd::docs {

struct section {
  std::string file; ///< relative to the source tree
  std::string name;
  std::string (*generate)();
};

/// Every route fluxd can register, webhooks included (as with a secret).
inline std::vector<http::server::route_info> all_routes() {
  http::server srv{{}};
  static api::deferred_daemon unbound; // handlers are never called
  api::install_routes(srv, unbound);
  api::install_webhooks(srv, unbound, {"documentation"});
  ui::add_routes(srv, {});
  return srv.route_table();
}

inline std::string http_routes() {
  return api::routes_markdown(all_routes());
}

inline std::string indented(const std::string& text) {
  std::string out = "    ";
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '\n' && i + 1 < text.size())
      out += "    ";
  }
  return out;
}

/// fluxctl's tables printed by its own code from the API samples.
inline std::string fluxctl_examples() {
  auto job = api::sample_job_status();
  return "`fluxctl list-workloads -n demo`:\n\n"
         + indented(
             fluxctl::list_workloads_table(api::sample_workloads(), true))
         + "\n`fluxctl list-images -w demo:deployment/hello` (newest first; "
           "`'->` marks the running image):\n\n"
         + indented(
             fluxctl::list_images_table(api::sample_image_statuses(), 10, true))
         + "\n`fluxctl release -w demo:deployment/hello "
           "-i registry.example:5000/demo/hello:1.0.1` prints the job's "
           "result, then on stderr `Commit pushed:` and `Commit applied:` "
           "with the revision:\n\n"
         + indented(fluxctl::result_table(*job.result.result, 0));
}

inline const std::vector<section>& sections() {
  static const std::vector<section> all = {
      {"docs/fluxctl.md", "fluxctl-commands", fluxctl::reference_markdown},
      {"docs/fluxctl.md", "fluxctl-examples", fluxctl_examples},
      {"docs/http-api.md", "http-routes", http_routes},
      {"docs/http-api.md", "http-examples", api::examples_markdown}};
  return all;
}

/// `text` with the named section's body replaced by `body`; throws when
/// the markers are missing.
inline std::string splice(const std::string& text, const std::string& name,
                          const std::string& body) {
  auto begin_marker = "<!-- BEGIN GENERATED " + name + " -->\n";
  auto end_marker = "<!-- END GENERATED " + name + " -->";
  auto b = text.find(begin_marker);
  auto e = text.find(end_marker);
  if (b == std::string::npos || e == std::string::npos || e < b)
    throw std::runtime_error("no " + begin_marker + "… " + end_marker
                             + " markers");
  b += begin_marker.size();
  return text.substr(0, b) + body + text.substr(e);
}

} // namespace fluxd::docs
