#include "adapters/api/go_json.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace fluxd::api {

void go_json_writer::separate() {
  if (need_comma_)
    out_ += ',';
  need_comma_ = true;
}

go_json_writer& go_json_writer::begin_object() {
  separate();
  out_ += '{';
  need_comma_ = false;
  return *this;
}

go_json_writer& go_json_writer::end_object() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}

go_json_writer& go_json_writer::begin_array() {
  separate();
  out_ += '[';
  need_comma_ = false;
  return *this;
}

go_json_writer& go_json_writer::end_array() {
  out_ += ']';
  need_comma_ = true;
  return *this;
}

go_json_writer& go_json_writer::key(const std::string& k) {
  separate();
  out_ += go_quote(k);
  out_ += ':';
  need_comma_ = false;
  return *this;
}

go_json_writer& go_json_writer::value(const std::string& s) {
  separate();
  out_ += go_quote(s);
  return *this;
}

go_json_writer& go_json_writer::value(int64_t n) {
  separate();
  out_ += std::to_string(n);
  return *this;
}

go_json_writer& go_json_writer::value(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

go_json_writer& go_json_writer::null() {
  separate();
  out_ += "null";
  return *this;
}

go_json_writer& go_json_writer::raw(const std::string& json) {
  separate();
  out_ += json;
  return *this;
}

namespace {

/// Length of the valid UTF-8 sequence at s[i], or 0 when invalid.
size_t utf8_length(const std::string& s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n = c < 0x80           ? 1
             : (c >> 5) == 0x6  ? 2
             : (c >> 4) == 0xe  ? 3
             : (c >> 3) == 0x1e ? 4
                                : 0;
  if (n == 0 || i + n > s.size())
    return 0;
  uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid in Go.
  static const uint32_t min_for[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

} // namespace

std::string go_quote(const std::string& s) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xf];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    auto n = utf8_length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    auto seq = s.substr(i, n);
    if (seq == "\xe2\x80\xa8")
      out += "\\u2028";
    else if (seq == "\xe2\x80\xa9")
      out += "\\u2029";
    else
      out += seq;
    i += n;
  }
  out += '"';
  return out;
}

namespace {

std::tm utc_tm(int64_t unix_nanos, int64_t& frac) {
  int64_t secs = unix_nanos / 1000000000;
  frac = unix_nanos % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

} // namespace

std::string format_rfc3339_nano(int64_t unix_nanos) {
  int64_t frac = 0;
  auto tm = utc_tm(unix_nanos, frac);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  std::string out = buf;
  if (frac) {
    char f[16];
    std::snprintf(f, sizeof f, ".%09lld", static_cast<long long>(frac));
    std::string fs = f;
    while (fs.back() == '0')
      fs.pop_back();
    out += fs;
  }
  return out + "Z";
}

std::string format_rfc822(int64_t unix_nanos) {
  int64_t frac = 0;
  auto tm = utc_tm(unix_nanos, frac);
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02d %s %02d %02d:%02d UTC", tm.tm_mday,
                months[tm.tm_mon], tm.tm_year % 100, tm.tm_hour, tm.tm_min);
  return buf;
}

int64_t parse_rfc3339(const std::string& text, const std::string& field) {
  auto fail = [&] {
    return decode_error(field + ": cannot parse \"" + text
                        + "\" as an RFC3339 time");
  };
  int y, mo, d, h, mi, s, used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h,
                  &mi, &s, &used)
          != 6
      || used != 19)
    throw fail();
  size_t i = 19;
  int64_t frac = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int digits = 0;
    while (i < text.size()
           && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (digits < 9)
        frac = frac * 10 + (text[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0)
      throw fail();
    for (int k = digits; k < 9; ++k)
      frac *= 10;
  }
  int64_t offset = 0;
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
    ++i;
  } else if (i + 6 == text.size() && (text[i] == '+' || text[i] == '-')) {
    int oh, om;
    if (std::sscanf(text.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2)
      throw fail();
    offset = (oh * 3600 + om * 60) * (text[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    throw fail();
  }
  if (i != text.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23
      || mi > 59 || s > 60)
    throw fail();
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset;
  return secs * 1000000000 + frac;
}

} // namespace fluxd::api
