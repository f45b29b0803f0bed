#include "adapters/ui/links.hpp"

#include <cctype>

#include "adapters/git/url.hpp"

namespace fluxd::ui {

namespace {

/// Percent-encodes one path segment (RFC 3986 unreserved characters stay).
std::string encode_segment(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

/// "a/b c/d.yaml" → "a/b%20c/d.yaml"; leading "./" and "/" dropped.
std::string encode_path(std::string path) {
  while (path.rfind("./", 0) == 0)
    path.erase(0, 2);
  while (!path.empty() && path[0] == '/')
    path.erase(0, 1);
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos)
      slash = path.size();
    if (!out.empty())
      out += '/';
    out += encode_segment(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool is_hex(const std::string& s) {
  if (s.empty())
    return false;
  for (unsigned char c : s)
    if (!std::isxdigit(c))
      return false;
  return true;
}

bool safe_name_part(const std::string& s) {
  if (s.empty() || s == "." || s == "..")
    return false;
  for (unsigned char c : s)
    if (!(std::isalnum(c) || c == '-' || c == '.' || c == '_'))
      return false;
  return true;
}

} // namespace

std::string web_repository::file_url(const std::string& ref,
                                     const std::string& path) const {
  auto r = encode_segment(ref);
  auto p = encode_path(path);
  switch (kind) {
    case host_kind::github:
      return base + "/blob/" + r + "/" + p;
    case host_kind::gitlab:
      return base + "/-/blob/" + r + "/" + p;
    case host_kind::bitbucket:
      return base + "/src/" + r + "/" + p;
  }
  return {};
}

std::string web_repository::commit_url(const std::string& revision) const {
  // Only a hex object name is a commit; anything else is not linked.
  if (!is_hex(revision))
    return {};
  switch (kind) {
    case host_kind::github:
      return base + "/commit/" + revision;
    case host_kind::gitlab:
      return base + "/-/commit/" + revision;
    case host_kind::bitbucket:
      return base + "/commits/" + revision;
  }
  return {};
}

std::optional<web_repository> web_repository_for(const std::string& git_url) {
  git::remote_url u;
  try {
    u = git::remote_url::parse(git_url);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!u.is_network() || u.scheme == git::remote_url::scheme_t::git)
    return std::nullopt;
  std::string host;
  for (unsigned char c : u.host)
    host += static_cast<char>(std::tolower(c));
  web_repository web;
  auto first_label = host.substr(0, host.find('.'));
  if (host == "github.com" || first_label == "github")
    web.kind = web_repository::host_kind::github;
  else if (host == "gitlab.com" || first_label == "gitlab")
    web.kind = web_repository::host_kind::gitlab;
  else if (host == "bitbucket.org")
    web.kind = web_repository::host_kind::bitbucket;
  else
    return std::nullopt;
  // owner/repo (GitLab: group/subgroup/…/repo), without ".git" and slashes.
  auto path = u.path;
  while (!path.empty() && path.front() == '/')
    path.erase(0, 1);
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".git") == 0)
    path.resize(path.size() - 4);
  size_t parts = 0;
  size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos)
      slash = path.size();
    if (!safe_name_part(path.substr(start, slash - start)))
      return std::nullopt;
    ++parts;
    start = slash + 1;
  }
  bool nested_ok = web.kind == web_repository::host_kind::gitlab;
  if (parts < 2 || (parts > 2 && !nested_ok))
    return std::nullopt;
  for (unsigned char c : host)
    if (!(std::isalnum(c) || c == '-' || c == '.'))
      return std::nullopt;
  // Self-hosted servers keep their port only for https (ssh ports differ).
  web.base = "https://" + host;
  if (u.port != 0 && u.scheme == git::remote_url::scheme_t::https
      && u.port != 443)
    web.base += ":" + std::to_string(u.port);
  web.base += "/" + path;
  return web;
}

} // namespace fluxd::ui
