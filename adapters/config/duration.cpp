#include "adapters/config/duration.hpp"

#include <cstdint>
#include <limits>

namespace fluxd::config {

namespace {

std::string quoted(std::string_view s) {
  return "\"" + std::string{s} + "\"";
}

/// Nanoseconds per unit, or 0 if `unit` is not one of Go's.
int64_t unit_scale(std::string_view unit) {
  if (unit == "ns")
    return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
    return 1'000;
  if (unit == "ms")
    return 1'000'000;
  if (unit == "s")
    return 1'000'000'000;
  if (unit == "m")
    return 60LL * 1'000'000'000;
  if (unit == "h")
    return 3600LL * 1'000'000'000;
  return 0;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

} // namespace

duration parse_duration(std::string_view text) {
  auto orig = text;
  auto invalid = [&] {
    return duration_error("time: invalid duration " + quoted(orig));
  };
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text == "0")
    return duration{0};
  if (text.empty())
    throw invalid();
  long double total = 0;
  while (!text.empty()) {
    // Number: digits, optional fraction.
    size_t i = 0;
    while (i < text.size() && is_digit(text[i]))
      ++i;
    size_t int_digits = i;
    size_t frac_digits = 0;
    if (i < text.size() && text[i] == '.') {
      ++i;
      size_t start = i;
      while (i < text.size() && is_digit(text[i]))
        ++i;
      frac_digits = i - start;
    }
    if (int_digits == 0 && frac_digits == 0)
      throw invalid();
    long double number = std::stold(std::string{text.substr(0, i)});
    text.remove_prefix(i);
    // Unit: everything up to the next digit or '.'.
    size_t j = 0;
    while (j < text.size() && !is_digit(text[j]) && text[j] != '.')
      ++j;
    if (j == 0)
      throw duration_error("time: missing unit in duration " + quoted(orig));
    auto unit = text.substr(0, j);
    auto scale = unit_scale(unit);
    if (scale == 0)
      throw duration_error("time: unknown unit " + quoted(unit)
                           + " in duration " + quoted(orig));
    text.remove_prefix(j);
    total += number * static_cast<long double>(scale);
    if (total > static_cast<long double>(std::numeric_limits<int64_t>::max()))
      throw invalid();
  }
  auto ns = static_cast<int64_t>(total + 0.5L);
  return duration{negative ? -ns : ns};
}

namespace {

/// Appends v with `prec` fractional digits, trimming trailing zeros (Go's fmtFrac).
void append_frac(std::string& out, uint64_t v, int prec) {
  std::string frac;
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    auto digit = v % 10;
    print = print || digit != 0;
    if (print)
      frac.insert(frac.begin(), static_cast<char>('0' + digit));
    v /= 10;
  }
  out += std::to_string(v);
  if (print)
    out += "." + frac;
}

} // namespace

std::string format_duration(duration d) {
  int64_t ns = d.count();
  if (ns == 0)
    return "0s";
  bool negative = ns < 0;
  uint64_t u = negative ? static_cast<uint64_t>(-(ns + 1)) + 1
                        : static_cast<uint64_t>(ns);
  std::string out;
  if (u < 1'000'000'000ULL) {
    // Sub-second: pick the largest unit that keeps a leading digit.
    if (u < 1'000ULL) {
      out = std::to_string(u) + "ns";
    } else if (u < 1'000'000ULL) {
      append_frac(out, u, 3);
      out += "\xC2\xB5s";
    } else {
      append_frac(out, u, 6);
      out += "ms";
    }
  } else {
    uint64_t secs_ns = u % 60'000'000'000ULL;
    uint64_t minutes = u / 60'000'000'000ULL;
    std::string s;
    append_frac(s, secs_ns, 9);
    s += "s";
    if (minutes > 0) {
      uint64_t hours = minutes / 60;
      minutes %= 60;
      s = std::to_string(minutes) + "m" + s;
      if (hours > 0)
        s = std::to_string(hours) + "h" + s;
    }
    out = s;
  }
  return negative ? "-" + out : out;
}

} // namespace fluxd::config
