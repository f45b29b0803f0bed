#include "adapters/image/ref.hpp"

#include <vector>

#include <re2/re2.h>

namespace fluxd::image {

namespace {

constexpr std::string_view hub_registry = "index.docker.io";

/// Flux v1 matches this unanchored, so `myhost:5000` (no dot) is not a
/// domain while anything containing `a.b` or `localhost` is.
const RE2& domain_regexp() {
  static const RE2 re(
    "localhost|(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
    "(\\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)(:[0-9]+)?");
  return re;
}

ref_error malformed(std::string_view text) {
  return ref_error("parsing image ref \"" + std::string(text)
                   + "\": malformed image ID");
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    auto pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

} // namespace

bool is_docker_hub(std::string_view domain) {
  return domain.empty() || domain == "docker.io" || domain == hub_registry;
}

std::string ref::name() const {
  return domain.empty() ? path : domain + "/" + path;
}

std::string ref::to_string() const {
  if (!sha.empty())
    return name() + "@sha256:" + sha;
  if (!tag.empty())
    return name() + ":" + tag;
  return name();
}

std::string ref::registry() const {
  if (domain.empty() || domain == "docker.io")
    return std::string(hub_registry);
  return domain;
}

std::string ref::repository() const {
  if (is_docker_hub(domain) && path.find('/') == std::string::npos)
    return "library/" + path;
  return path;
}

std::string ref::canonical_name() const {
  return registry() + "/" + repository();
}

std::string ref::canonical_ref() const {
  return tag.empty() ? canonical_name() : canonical_name() + ":" + tag;
}

ref ref::with_tag(std::string new_tag) const {
  ref out = *this;
  out.tag = std::move(new_tag);
  out.sha.clear();
  return out;
}

bool ref::operator==(const ref& other) const {
  return domain == other.domain && path == other.path && tag == other.tag
         && sha == other.sha;
}

bool ref::same_canonical(const ref& other) const {
  return canonical_ref() == other.canonical_ref();
}

ref parse_ref(std::string_view text) {
  if (text.empty())
    throw ref_error("parsing image ref \"\": blank image name");
  if (text.front() == '/' || text.back() == '/')
    throw malformed(text);
  ref out;
  auto elements = split(text, '/');
  std::string_view image;
  if (elements.size() == 1) {
    image = text;
  } else if (elements.size() == 2) {
    re2::StringPiece first(elements[0].data(), elements[0].size());
    if (RE2::PartialMatch(first, domain_regexp())) {
      out.domain = std::string(elements[0]);
      image = elements[1];
    } else {
      image = text;
    }
  } else {
    out.domain = std::string(elements[0]);
    image = text.substr(elements[0].size() + 1);
  }
  constexpr std::string_view digest_mark = "@sha256:";
  if (auto at = image.find(digest_mark); at != std::string_view::npos) {
    auto sha = image.substr(at + digest_mark.size());
    image = image.substr(0, at);
    if (image.empty() || sha.empty())
      throw malformed(text);
    out.sha = std::string(sha);
  }
  auto parts = split(image, ':');
  if (parts.size() == 2) {
    if (parts[0].empty() || parts[1].empty())
      throw malformed(text);
    image = parts[0];
    out.tag = std::string(parts[1]);
  } else if (parts.size() > 2) {
    throw malformed(text);
  }
  out.path = std::string(image);
  return out;
}

std::optional<ref> parse_image_spec(std::string_view text) {
  if (text == all_latest)
    return std::nullopt;
  auto r = parse_ref(text);
  if (r.tag.empty())
    throw ref_error("invalid image ID \"" + std::string(text)
                    + "\": blank tag (if you want latest, explicitly state "
                      "the tag :latest)");
  return r;
}

} // namespace fluxd::image
