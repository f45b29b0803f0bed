#include "adapters/image/semver.hpp"

#include <charconv>

#include <re2/re2.h>

namespace fluxd::image::semver {

namespace {

/// The expressions below are Masterminds semver v3's, in Go (RE2) syntax.
const std::string version_body =
  "v?([0-9]+)(\\.[0-9]+)?(\\.[0-9]+)?"
  "(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"
  "(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?";

/// Constraint versions allow `x`, `X` and `*` (and, as upstream, `|`).
const std::string cv_body =
  "v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?"
  "(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"
  "(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?";

const std::string ops_body = "=||!=|>|<|>=|=>|<=|=<|~|~>|\\^";

const RE2& version_re() {
  static const RE2 re("^" + version_body + "$");
  return re;
}
const RE2& constraint_re() {
  static const RE2 re("^\\s*(" + ops_body + ")\\s*(" + cv_body + ")\\s*$");
  return re;
}
const RE2& find_constraint_re() {
  static const RE2 re("((" + ops_body + ")\\s*(" + cv_body + "))");
  return re;
}
const RE2& valid_constraint_re() {
  static const RE2 re("^(\\s*(" + ops_body + ")\\s*(" + cv_body
                      + ")\\s*\\,?)*$");
  return re;
}
const RE2& range_re() {
  // cv_body without capturing groups: RE2 rewrites know only \1 to \9.
  static const RE2 re([] {
    std::string cv;
    for (char ch : cv_body)
      cv += ch == '(' ? std::string("(?:") : std::string(1, ch);
    return "\\s*(" + cv + ")\\s+-\\s+(" + cv + ")\\s*";
  }());
  return re;
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty())
    return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool is_x(std::string_view s) { return s == "x" || s == "X" || s == "*"; }

int compare_pre_part(const std::string& s, const std::string& o) {
  if (s == o)
    return 0;
  if (s.empty())
    return o.empty() ? 1 : -1;
  if (o.empty())
    return 1;
  std::uint64_t si = 0, oi = 0;
  bool s_num = parse_u64(s, si);
  bool o_num = parse_u64(o, oi);
  if (!s_num && !o_num)
    return s > o ? 1 : -1;
  if (!o_num)
    return -1; // numbers sort before identifiers
  if (!s_num)
    return 1;
  return si > oi ? 1 : -1;
}

std::vector<std::string> split_dots(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    auto pos = s.find('.', start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string::npos)
      return out;
    start = pos + 1;
  }
}

int compare_prerelease(const std::string& a, const std::string& b) {
  auto as = split_dots(a), bs = split_dots(b);
  auto n = std::max(as.size(), bs.size());
  for (size_t i = 0; i < n; ++i) {
    std::string x = i < as.size() ? as[i] : "";
    std::string y = i < bs.size() ? bs[i] : "";
    if (int d = compare_pre_part(x, y); d != 0)
      return d;
  }
  return 0;
}

using term = constraints::term;

bool pre_excluded(const version& v, const term& c) {
  return !v.prerelease.empty() && c.con.prerelease.empty();
}

bool tilde(const version& v, const term& c) {
  if (pre_excluded(v, c) || compare(v, c.con) < 0)
    return false;
  if (c.con.major == 0 && c.con.minor == 0 && c.con.patch == 0
      && !c.minor_dirty && !c.patch_dirty)
    return true;
  if (v.major != c.con.major)
    return false;
  return v.minor == c.con.minor || c.minor_dirty;
}

bool tilde_or_equal(const version& v, const term& c) {
  if (pre_excluded(v, c))
    return false;
  if (c.dirty)
    return tilde(v, c);
  return compare(v, c.con) == 0;
}

bool not_equal(const version& v, const term& c) {
  if (c.dirty) {
    if (pre_excluded(v, c))
      return false;
    if (c.con.major != v.major)
      return true;
    if (c.con.minor != v.minor && !c.minor_dirty)
      return true;
    if (c.minor_dirty)
      return false;
    if (c.con.patch != v.patch && !c.patch_dirty)
      return true;
    if (c.patch_dirty) {
      if (!v.prerelease.empty() || !c.con.prerelease.empty())
        return compare_prerelease(v.prerelease, c.con.prerelease) != 0;
      return false;
    }
  }
  return compare(v, c.con) != 0;
}

bool greater(const version& v, const term& c) {
  if (pre_excluded(v, c))
    return false;
  if (!c.dirty)
    return compare(v, c.con) == 1;
  if (v.major != c.con.major)
    return v.major > c.con.major;
  if (c.minor_dirty)
    return false; // `>11` needs 12 or higher
  if (c.patch_dirty)
    return v.minor > c.con.minor;
  return compare(v, c.con) == 1;
}

bool less(const version& v, const term& c) {
  return !pre_excluded(v, c) && compare(v, c.con) < 0;
}

bool greater_equal(const version& v, const term& c) {
  return !pre_excluded(v, c) && compare(v, c.con) >= 0;
}

bool less_equal(const version& v, const term& c) {
  if (pre_excluded(v, c))
    return false;
  if (!c.dirty)
    return compare(v, c.con) <= 0;
  if (v.major > c.con.major)
    return false;
  return !(v.major == c.con.major && v.minor > c.con.minor && !c.minor_dirty);
}

bool caret(const version& v, const term& c) {
  if (pre_excluded(v, c) || compare(v, c.con) < 0)
    return false;
  if (c.con.major > 0 || c.minor_dirty)
    return v.major == c.con.major;
  if (c.con.minor > 0 || c.patch_dirty)
    return v.minor == c.con.minor;
  return c.con.patch == v.patch;
}

bool check_term(const version& v, const term& c) {
  const auto& op = c.op;
  if (op.empty() || op == "=")
    return tilde_or_equal(v, c);
  if (op == "!=")
    return not_equal(v, c);
  if (op == ">")
    return greater(v, c);
  if (op == "<")
    return less(v, c);
  if (op == ">=" || op == "=>")
    return greater_equal(v, c);
  if (op == "<=" || op == "=<")
    return less_equal(v, c);
  if (op == "~" || op == "~>")
    return tilde(v, c);
  return caret(v, c); // "^"
}

term parse_term(const std::string& text, const std::string& whole) {
  std::string op, cv, major, minor, patch, pre_dash;
  if (!RE2::FullMatch(text, constraint_re(), &op, &cv, &major, &minor, &patch,
                      &pre_dash))
    throw constraint_error("improper constraint: " + whole);
  term t;
  t.op = op;
  std::string ver = cv;
  auto strip_dot = [](const std::string& s) {
    return s.empty() ? s : s.substr(1);
  };
  if (major.empty() || is_x(major)) {
    ver = "0.0.0";
    t.dirty = true;
  } else if (minor.empty() || is_x(strip_dot(minor))) {
    t.minor_dirty = t.dirty = true;
    ver = major + ".0.0" + pre_dash;
  } else if (patch.empty() || is_x(strip_dot(patch))) {
    t.patch_dirty = t.dirty = true;
    ver = major + minor + ".0" + pre_dash;
  }
  auto parsed = parse_version(ver);
  if (!parsed)
    throw constraint_error("improper constraint: " + whole);
  t.con = *parsed;
  return t;
}

} // namespace

std::optional<version> parse_version(std::string_view text) {
  std::string major, minor, patch, pre_dash, pre, pre_last, meta_plus, meta;
  re2::StringPiece in(text.data(), text.size());
  if (!RE2::FullMatch(in, version_re(), &major, &minor, &patch, &pre_dash,
                      &pre, &pre_last, &meta_plus, &meta))
    return std::nullopt;
  version v;
  if (!parse_u64(major, v.major))
    return std::nullopt;
  if (!minor.empty() && !parse_u64(std::string_view(minor).substr(1), v.minor))
    return std::nullopt;
  if (!patch.empty() && !parse_u64(std::string_view(patch).substr(1), v.patch))
    return std::nullopt;
  v.prerelease = pre;
  v.metadata = meta;
  return v;
}

int compare(const version& a, const version& b) {
  auto cmp = [](std::uint64_t x, std::uint64_t y) {
    return x < y ? -1 : (x > y ? 1 : 0);
  };
  if (int d = cmp(a.major, b.major))
    return d;
  if (int d = cmp(a.minor, b.minor))
    return d;
  if (int d = cmp(a.patch, b.patch))
    return d;
  if (a.prerelease.empty() && b.prerelease.empty())
    return 0;
  if (a.prerelease.empty())
    return 1;
  if (b.prerelease.empty())
    return -1;
  return compare_prerelease(a.prerelease, b.prerelease);
}

constraints::constraints(std::string_view text) {
  std::string expr(text);
  // Hyphen ranges `1.2 - 1.4.5` mean `>= 1.2, <= 1.4.5`.
  RE2::GlobalReplace(&expr, range_re(), ">= \\1, <= \\2");
  size_t start = 0;
  for (;;) {
    auto pos = expr.find("||", start);
    std::string group = expr.substr(start, pos - start);
    if (!RE2::FullMatch(group, valid_constraint_re()))
      throw constraint_error("improper constraint: " + std::string(text));
    std::vector<term> all_of;
    re2::StringPiece in(group);
    std::string found;
    while (RE2::FindAndConsume(&in, find_constraint_re(), &found))
      all_of.push_back(parse_term(found, std::string(text)));
    any_of_.push_back(std::move(all_of));
    if (pos == std::string::npos)
      break;
    start = pos + 2;
  }
}

bool constraints::check(const version& v) const {
  for (const auto& group : any_of_) {
    bool ok = true;
    for (const auto& t : group)
      if (!check_term(v, t)) {
        ok = false;
        break;
      }
    if (ok)
      return true;
  }
  return false;
}

} // namespace fluxd::image::semver
