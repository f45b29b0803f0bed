#include "adapters/manifests/yaml_text.hpp"

#include <cctype>

#include <re2/re2.h>

namespace fluxd::manifests::yaml_text {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool at_eol(std::string_view s, std::size_t i) {
  return i >= s.size() || s[i] == '\n'
         || (s[i] == '\r' && (i + 1 >= s.size() || s[i + 1] == '\n'));
}

/// Plain text that YAML 1.1 or 1.2 would read as null, bool, number or
/// timestamp (go-yaml v2 is 1.1, ruamel 1.2): such strings need quotes.
bool resolves_to_non_string(std::string_view v) {
  static const RE2 special(
    "~|null|Null|NULL|"
    "y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|"
    "on|On|ON|off|Off|OFF|"
    "[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)|"
    "[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+]?[0-9]+)?|"
    "[-+]?[0-9][0-9_]*([eE][-+]?[0-9]+)|"
    "[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?|"
    "[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)|"
    "[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?([Tt ].*)?|"
    "<<|=");
  return RE2::FullMatch(re2::StringPiece(v.data(), v.size()), special);
}

std::string single_quoted(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'')
      out += "''";
    else
      out += c;
  }
  return out + "'";
}

std::string double_quoted(std::string_view v) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

bool needs_double(std::string_view v) {
  for (unsigned char c : v)
    if (c < 0x20 || c == 0x7f)
      return true;
  return false;
}

} // namespace

line line_at(std::string_view s, std::size_t pos) {
  line l;
  if (pos > s.size())
    pos = s.size();
  auto nl = pos == 0 ? std::string_view::npos : s.rfind('\n', pos - 1);
  l.begin = nl == std::string_view::npos ? 0 : nl + 1;
  auto e = s.find('\n', pos);
  if (e == std::string_view::npos) {
    l.end = l.next = s.size();
  } else {
    l.next = e + 1;
    l.end = (e > l.begin && s[e - 1] == '\r') ? e - 1 : e;
  }
  return l;
}

std::size_t indent_at(std::string_view s, std::size_t begin) {
  std::size_t i = begin;
  while (i < s.size() && s[i] == ' ')
    ++i;
  return i - begin;
}

bool blank_or_comment(std::string_view s, const line& l) {
  std::size_t i = l.begin;
  while (i < l.end && is_space(s[i]))
    ++i;
  return i >= l.end || s[i] == '#';
}

std::string eol_of(std::string_view s) {
  auto nl = s.find('\n');
  if (nl != std::string_view::npos && nl > 0 && s[nl - 1] == '\r')
    return "\r\n";
  return "\n";
}

std::size_t skip_properties(std::string_view s, std::size_t pos) {
  for (;;) {
    while (pos < s.size() && is_space(s[pos]))
      ++pos;
    if (pos < s.size() && (s[pos] == '!' || s[pos] == '&')) {
      while (pos < s.size() && !is_space(s[pos]) && !at_eol(s, pos))
        ++pos;
      continue;
    }
    return pos;
  }
}

std::size_t flow_end(std::string_view s, std::size_t pos) {
  int depth = 0;
  for (std::size_t i = pos; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\'' || c == '"') {
      auto sp = scalar_at(s, i, 0, true);
      i = sp.end - 1;
    } else if (c == '#' && i > 0 && (is_space(s[i - 1]) || s[i - 1] == '\n')) {
      while (i < s.size() && s[i] != '\n')
        ++i;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth == 0)
        return i + 1;
    }
  }
  return s.size();
}

scalar_span scalar_at(std::string_view s, std::size_t pos,
                      std::size_t parent_col, bool flow) {
  scalar_span out;
  std::size_t p = skip_properties(s, pos);
  out.begin = p;
  if (p >= s.size()) {
    out.end = p;
    return out;
  }
  char c = s[p];
  if (c == '\'') {
    out.how = style::single_quoted;
    std::size_t i = p + 1;
    while (i < s.size()) {
      if (s[i] == '\'') {
        if (i + 1 < s.size() && s[i + 1] == '\'') {
          i += 2;
          continue;
        }
        break;
      }
      ++i;
    }
    out.end = i < s.size() ? i + 1 : s.size();
    return out;
  }
  if (c == '"') {
    out.how = style::double_quoted;
    std::size_t i = p + 1;
    while (i < s.size() && s[i] != '"')
      i += s[i] == '\\' ? 2 : 1;
    out.end = i < s.size() ? i + 1 : s.size();
    return out;
  }
  if (!flow && (c == '|' || c == '>')) {
    out.how = c == '|' ? style::literal : style::folded;
    auto header = line_at(s, p);
    out.end = header.end;
    std::size_t content_indent = 0;
    for (auto l = line_at(s, header.next); l.begin < s.size();
         l = line_at(s, l.next)) {
      bool blank = true;
      for (auto i = l.begin; i < l.end; ++i)
        if (s[i] != ' ')
          blank = false;
      if (blank) {
        if (l.next == l.begin)
          break;
        continue;
      }
      auto ind = indent_at(s, l.begin);
      if (content_indent == 0) {
        if (ind <= parent_col)
          break;
        content_indent = ind;
      }
      if (ind < content_indent)
        break;
      out.end = l.end;
      if (l.next >= s.size())
        break;
    }
    return out;
  }
  // Plain scalar: up to a comment, a `: `, a flow indicator or the line end,
  // continued on more-indented lines in block context.
  auto end_on_line = [&](std::size_t from) {
    std::size_t i = from, last = from;
    while (!at_eol(s, i)) {
      char ch = s[i];
      if (ch == '#' && i > from && is_space(s[i - 1]))
        break;
      if (ch == ':' && (at_eol(s, i + 1) || is_space(s[i + 1])
                        || (flow && std::string_view(",[]{}").find(s[i + 1])
                                      != std::string_view::npos)))
        break;
      if (flow && std::string_view(",[]{}").find(ch) != std::string_view::npos)
        break;
      ++i;
      if (!is_space(ch))
        last = i;
    }
    return last;
  };
  out.end = end_on_line(p);
  if (flow)
    return out;
  for (auto l = line_at(s, line_at(s, p).next); l.begin < s.size();
       l = line_at(s, l.next)) {
    if (l.begin == l.end) {
      if (l.next >= s.size())
        break;
      continue;
    }
    auto ind = indent_at(s, l.begin);
    if (blank_or_comment(s, l) || ind <= parent_col)
      break;
    auto first = l.begin + ind;
    if (s.substr(first, 3) == "---" || s.substr(first, 3) == "...")
      break;
    out.end = end_on_line(first);
    if (l.next >= s.size())
      break;
  }
  return out;
}

bool plain_safe(std::string_view v, bool flow) {
  if (v.empty() || is_space(v.front()) || is_space(v.back()))
    return false;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(v.front())
      != std::string_view::npos)
    return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c == 0x7f)
      return false;
    if (c == ':' && (i + 1 == v.size() || is_space(v[i + 1])))
      return false;
    if (c == '#' && i > 0 && is_space(v[i - 1]))
      return false;
    if (flow && std::string_view(",[]{}").find(static_cast<char>(c))
                  != std::string_view::npos)
      return false;
  }
  return !resolves_to_non_string(v);
}

std::string render(std::string_view v, style preferred, bool flow) {
  if (needs_double(v))
    return double_quoted(v);
  switch (preferred) {
    case style::double_quoted:
      return double_quoted(v);
    case style::single_quoted:
      return single_quoted(v);
    default:
      return plain_safe(v, flow) ? std::string(v) : single_quoted(v);
  }
}

} // namespace fluxd::manifests::yaml_text
