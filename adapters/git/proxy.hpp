#pragma once

#include <string>
#include <utility>

#include "adapters/git/url.hpp"

/// Which http(s) proxy a git remote is reached through, as git and Flux
/// v1's git decide it from the environment.
namespace fluxd::git {

/// `option` "none": no proxy; another non-empty value: that proxy; empty:
/// `https_proxy`/`HTTPS_PROXY` (https) or `http_proxy`/`HTTP_PROXY` (http)
/// unless the host is in `no_proxy`/`NO_PROXY`. ssh, git:// and file://
/// never use one. Returns "" for none.
std::string proxy_for(const std::string& option, const remote_url& url);

/// Whether `host` is in a no_proxy list: comma- or space-separated hosts
/// or domain suffixes (`example.com` and `.example.com` both cover
/// `git.example.com`), ports ignored, `*` for every host.
bool no_proxy_matches(const std::string& list, const std::string& host);

/// (host, port) of a proxy URL such as `http://user@proxy:3128/`; port
/// 1080 when none is given, as git does. Throws git_failure(config).
std::pair<std::string, std::string> proxy_endpoint(const std::string& proxy);

} // namespace fluxd::git
