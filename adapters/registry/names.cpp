#include "adapters/registry/names.hpp"

#include <algorithm>
#include <cctype>

#include "adapters/registry/errors.hpp"

namespace fluxd::registry {

namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_component_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
}

/// Docker's domain rule for a first path element: `localhost`, something
/// with a dot, or with a port — we also accept `host:port`, which Flux v1
/// mis-parsed (§5.1).
bool looks_like_domain(std::string_view first) {
  if (first == "localhost")
    return true;
  auto colon = first.find(':');
  auto name = first.substr(0, colon);
  if (name.empty())
    return false;
  for (char c : name)
    if (!is_component_char(c) && c != '.')
      return false;
  return name.find('.') != std::string_view::npos || name == "localhost"
         || colon != std::string_view::npos;
}

} // namespace

const char* to_string(error_kind kind) {
  switch (kind) {
    case error_kind::unreachable:
      return "unreachable";
    case error_kind::unauthorized:
      return "unauthorized";
    case error_kind::not_found:
      return "not_found";
    case error_kind::rate_limited:
      return "rate_limited";
    case error_kind::server_error:
      return "server_error";
    case error_kind::bad_response:
      return "bad_response";
    case error_kind::too_large:
      return "too_large";
    case error_kind::digest_mismatch:
      return "digest_mismatch";
    case error_kind::config:
      return "config";
    case error_kind::storage:
      return "storage";
  }
  return "unknown";
}

bool is_docker_hub(std::string_view host) {
  auto h = lower(host);
  return h == "docker.io" || h == "index.docker.io"
         || h == "registry-1.docker.io" || h == "registry.hub.docker.com";
}

std::string normalize_host(std::string_view key) {
  std::string_view s = key;
  if (auto scheme = s.find("://"); scheme != std::string_view::npos)
    s.remove_prefix(scheme + 3);
  if (auto slash = s.find('/'); slash != std::string_view::npos)
    s = s.substr(0, slash);
  if (s.empty())
    throw registry_error(error_kind::config,
                         "registry host \"" + std::string{key}
                           + "\" has no host name");
  if (is_docker_hub(s))
    return std::string{docker_hub_host};
  return lower(s);
}

std::string api_host(std::string_view canonical_host) {
  if (is_docker_hub(canonical_host))
    return "registry-1.docker.io";
  return std::string{canonical_host};
}

repository_name repository_name::parse(std::string_view image) {
  auto fail = [&](const char* why) {
    return registry_error(error_kind::config, "image reference \""
                                                + std::string{image}
                                                + "\": " + why);
  };
  if (image.empty())
    throw fail("blank image name");
  if (image.front() == '/' || image.back() == '/')
    throw fail("malformed (leading or trailing /)");
  std::string_view rest = image;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    if (at == 0 || at + 1 == rest.size())
      throw fail("malformed digest");
    rest = rest.substr(0, at);
  }
  std::string host;
  auto slash = rest.find('/');
  if (slash != std::string_view::npos
      && looks_like_domain(rest.substr(0, slash))) {
    host = normalize_host(rest.substr(0, slash));
    rest.remove_prefix(slash + 1);
  } else {
    host = std::string{docker_hub_host};
  }
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (rest.find('/', colon) != std::string_view::npos)
      throw fail("malformed tag");
    if (colon == 0 || colon + 1 == rest.size())
      throw fail("empty name or tag");
    rest = rest.substr(0, colon);
  }
  if (rest.empty())
    throw fail("empty repository path");
  if (rest.find(':') != std::string_view::npos)
    throw fail("more than one ':'");
  std::string path{rest};
  if (host == docker_hub_host && path.find('/') == std::string::npos)
    path = "library/" + path;
  return repository_name{std::move(host), std::move(path)};
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative wildcard match with single backtrack point: linear enough for
  // the short names and tags it sees.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

bool glob_any(const std::vector<std::string>& patterns,
              std::string_view text) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return glob_match(p, text); });
}

bool scan_allowed(std::string_view canonical,
                  const std::vector<std::string>& includes,
                  const std::vector<std::string>& excludes) {
  if (glob_any(excludes, canonical))
    return false;
  return includes.empty() || glob_any(includes, canonical);
}

} // namespace fluxd::registry
