#include "adapters/image/tag_filter.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <re2/re2.h>

#include "adapters/image/semver.hpp"

namespace fluxd::image {

namespace {

constexpr std::string_view glob_prefix = "glob:";
constexpr std::string_view semver_prefix = "semver:";
constexpr std::string_view regexp_prefix = "regexp:";
constexpr std::string_view regex_prefix = "regex:";
constexpr std::string_view alpha_prefix = "alphabetical:";
constexpr std::string_view numeric_prefix = "numerical:";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i]))
        != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

/// Go's strconv.ParseFloat for plain decimal numbers.
bool parse_number(std::string_view text, double& out) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])))
    return false;
  std::string s(text);
  if (s.find_first_of("xXpP") != std::string::npos)
    return false;
  errno = 0;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && errno == 0 && !std::isnan(out);
}

/// Equal keys fall back to the ref string, ascending, as Flux v1 does.
bool by_ref(const candidate& a, const candidate& b) {
  return a.image.to_string() < b.image.to_string();
}

} // namespace

bool glob_match(std::string_view pattern, std::string_view subject) {
  if (pattern.empty())
    return subject.empty();
  if (pattern == "*")
    return true;
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    auto pos = pattern.find('*', start);
    parts.push_back(pattern.substr(start, pos - start));
    if (pos == std::string_view::npos)
      break;
    start = pos + 1;
  }
  if (parts.size() == 1)
    return subject == pattern;
  bool leading = pattern.front() == '*';
  bool trailing = pattern.back() == '*';
  size_t end = parts.size() - 1;
  for (size_t i = 0; i < end; ++i) {
    auto idx = subject.find(parts[i]);
    if (i == 0) {
      if (!leading && idx != 0)
        return false;
    } else if (idx == std::string_view::npos) {
      return false;
    }
    subject = subject.substr(idx + parts[i].size());
  }
  if (trailing)
    return true;
  auto& last = parts[end];
  return subject.size() >= last.size()
         && subject.substr(subject.size() - last.size()) == last;
}

bool newer_by_created(const candidate& a, const candidate& b) {
  if (a.created == b.created)
    return by_ref(a, b);
  return a.created > b.created;
}

bool newer_by_semver(const candidate& a, const candidate& b) {
  auto av = semver::parse_version(a.image.tag);
  auto bv = semver::parse_version(b.image.tag);
  if (!av && !bv)
    return by_ref(a, b);
  if (!av || !bv)
    return static_cast<bool>(av);
  int d = semver::compare(*av, *bv);
  if (d == 0) // `1.10.0` before `1.10`
    return a.image.to_string() > b.image.to_string();
  return d > 0;
}

tag_filter::tag_filter(std::string_view pattern) {
  if (starts_with(pattern, semver_prefix)) {
    kind_ = filter_kind::semver;
    body_ = std::string(pattern.substr(semver_prefix.size()));
    try {
      constraints_ = std::make_shared<semver::constraints>(body_);
    } catch (const semver::constraint_error&) {
      valid_ = false;
    }
  } else if (starts_with(pattern, regexp_prefix)
             || starts_with(pattern, regex_prefix)) {
    kind_ = filter_kind::regexp;
    auto skip = starts_with(pattern, regexp_prefix) ? regexp_prefix.size()
                                                    : regex_prefix.size();
    body_ = std::string(pattern.substr(skip));
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_shared<RE2>(body_, opts);
    valid_ = re->ok();
    if (valid_)
      regexp_ = std::move(re);
  } else if (starts_with(pattern, alpha_prefix)
             || starts_with(pattern, numeric_prefix)) {
    bool alpha = starts_with(pattern, alpha_prefix);
    kind_ = alpha ? filter_kind::alphabetical : filter_kind::numerical;
    body_ = std::string(pattern.substr(alpha ? alpha_prefix.size()
                                             : numeric_prefix.size()));
    if (body_.empty() || iequals(body_, "asc"))
      ascending_ = true;
    else if (iequals(body_, "desc"))
      ascending_ = false;
    else
      valid_ = false;
  } else {
    kind_ = filter_kind::glob;
    body_ = std::string(starts_with(pattern, glob_prefix)
                          ? pattern.substr(glob_prefix.size())
                          : pattern);
  }
}

tag_filter tag_filter::parse_strict(std::string_view pattern) {
  tag_filter f(pattern);
  if (!f.valid())
    throw pattern_error("invalid tag pattern: \"" + std::string(pattern)
                        + "\"");
  return f;
}

std::string tag_filter::to_string() const {
  switch (kind_) {
    case filter_kind::glob:
      return std::string(glob_prefix) + body_;
    case filter_kind::semver:
      return std::string(semver_prefix) + body_;
    case filter_kind::regexp:
      return std::string(regexp_prefix) + body_;
    case filter_kind::alphabetical:
      return std::string(alpha_prefix) + body_;
    case filter_kind::numerical:
      return std::string(numeric_prefix) + body_;
  }
  return body_;
}

bool tag_filter::matches(std::string_view tag) const {
  switch (kind_) {
    case filter_kind::glob:
      return glob_match(body_, tag);
    case filter_kind::semver: {
      auto v = semver::parse_version(tag);
      if (!v)
        return false;
      return !constraints_ || constraints_->check(*v);
    }
    case filter_kind::regexp:
      return !regexp_
             || RE2::PartialMatch(re2::StringPiece(tag.data(), tag.size()),
                                  *regexp_);
    case filter_kind::alphabetical:
      return true;
    case filter_kind::numerical: {
      double ignored = 0;
      return parse_number(tag, ignored);
    }
  }
  return false;
}

bool tag_filter::admits(std::string_view tag) const {
  bool is_latest_filter = kind_ == filter_kind::glob && body_ == "latest";
  if (!is_latest_filter && iequals(tag, "latest"))
    return false;
  return matches(tag);
}

bool tag_filter::needs_created() const {
  return kind_ == filter_kind::glob || kind_ == filter_kind::regexp;
}

bool tag_filter::newer(const candidate& a, const candidate& b) const {
  switch (kind_) {
    case filter_kind::glob:
    case filter_kind::regexp:
      return newer_by_created(a, b);
    case filter_kind::semver:
      return newer_by_semver(a, b);
    case filter_kind::alphabetical: {
      const auto& x = a.image.tag;
      const auto& y = b.image.tag;
      if (x == y)
        return by_ref(a, b);
      return ascending_ ? x > y : x < y;
    }
    case filter_kind::numerical: {
      double x = 0, y = 0;
      bool xn = parse_number(a.image.tag, x);
      bool yn = parse_number(b.image.tag, y);
      if (xn != yn)
        return xn;
      if (!xn || x == y)
        return by_ref(a, b);
      return ascending_ ? x > y : x < y;
    }
  }
  return false;
}

std::vector<candidate>
tag_filter::filter_and_sort(std::vector<candidate> all) const {
  std::vector<candidate> kept;
  kept.reserve(all.size());
  for (auto& c : all)
    if (admits(c.image.tag))
      kept.push_back(std::move(c));
  std::stable_sort(kept.begin(), kept.end(),
                   [this](const candidate& a, const candidate& b) {
                     return newer(a, b);
                   });
  return kept;
}

} // namespace fluxd::image
