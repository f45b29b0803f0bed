#include "adapters/log/log.hpp"

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <boost/json.hpp>

namespace fluxd::log {

namespace {

struct settings {
  std::mutex mtx;
  format fmt = format::logfmt;
  level min_level = level::info;
  sink_fn sink;
};

settings& global() {
  static settings s;
  return s;
}

const char* level_name(level lvl) {
  switch (lvl) {
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warn:
      return "warn";
    case level::error:
      return "error";
  }
  return "info";
}

std::string timestamp_now() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = time_point_cast<seconds>(now);
  auto micros = duration_cast<microseconds>(now - secs).count();
  std::time_t t = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  auto n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%06lldZ",
                static_cast<long long>(micros));
  return buf;
}

std::string base_name(const char* file) {
  std::string_view f{file ? file : ""};
  // Keep "dir/file.cpp" like go-kit's caller, not the absolute path.
  auto last = f.rfind('/');
  if (last == std::string_view::npos)
    return std::string{f};
  auto prev = f.rfind('/', last - 1);
  return std::string{f.substr(prev == std::string_view::npos ? 0 : prev + 1)};
}

bool needs_quotes(std::string_view v) {
  if (v.empty())
    return true;
  for (unsigned char c : v)
    if (c <= ' ' || c == '=' || c == '"' || c == 0x7f)
      return true;
  return false;
}

void append_logfmt_value(std::string& out, std::string_view v) {
  if (!needs_quotes(v)) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (unsigned char c : v) {
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
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size())
    return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    bool eq = true;
    for (size_t j = 0; j < needle.size() && eq; ++j)
      eq = std::tolower(static_cast<unsigned char>(hay[i + j]))
           == needle[j];
    if (eq)
      return true;
  }
  return false;
}

} // namespace

void configure(format fmt, level min_level) {
  auto& s = global();
  std::lock_guard<std::mutex> guard{s.mtx};
  s.fmt = fmt;
  s.min_level = min_level;
}

void set_sink(sink_fn sink) {
  auto& s = global();
  std::lock_guard<std::mutex> guard{s.mtx};
  s.sink = std::move(sink);
}

format current_format() {
  auto& s = global();
  std::lock_guard<std::mutex> guard{s.mtx};
  return s.fmt;
}

level parse_level(std::string_view text, level fallback) {
  if (text == "debug")
    return level::debug;
  if (text == "info")
    return level::info;
  if (text == "warn" || text == "warning")
    return level::warn;
  if (text == "error")
    return level::error;
  return fallback;
}

std::string redact_value(std::string_view key, std::string_view value) {
  static constexpr std::string_view secret_keys[]
    = {"token", "password", "passwd", "secret", "authorization",
       "credential", "private", "apikey", "api_key"};
  for (auto k : secret_keys)
    if (icontains(key, k))
      return value.empty() ? std::string{} : std::string{"[redacted]"};
  // scheme://user:password@host → scheme://user:[redacted]@host, anywhere
  // in the value (error messages often quote URLs).
  std::string out{value};
  size_t pos = 0;
  while ((pos = out.find("://", pos)) != std::string::npos) {
    auto start = pos + 3;
    auto end = out.find_first_of("/ \t\n\"'", start);
    if (end == std::string::npos)
      end = out.size();
    auto at = out.rfind('@', end);
    if (at != std::string::npos && at > start) {
      auto colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "[redacted]");
        end = out.find_first_of("/ \t\n\"'", start);
        if (end == std::string::npos)
          end = out.size();
      }
    }
    pos = end;
  }
  return out;
}

std::string render(format fmt, std::string_view ts, std::string_view caller,
                   level lvl, std::string_view component,
                   std::string_view msg, const fields& fs) {
  if (fmt == format::json) {
    boost::json::object obj;
    obj["ts"] = ts;
    obj["caller"] = caller;
    obj["level"] = level_name(lvl);
    if (!component.empty())
      obj["component"] = component;
    if (!msg.empty())
      obj["msg"] = msg;
    for (auto& f : fs)
      obj[f.key] = redact_value(f.key, f.value);
    return boost::json::serialize(obj);
  }
  std::string out;
  out.reserve(128);
  out += "ts=";
  out += ts;
  out += " caller=";
  append_logfmt_value(out, caller);
  out += " level=";
  out += level_name(lvl);
  if (!component.empty()) {
    out += " component=";
    append_logfmt_value(out, component);
  }
  if (!msg.empty()) {
    out += " msg=";
    append_logfmt_value(out, msg);
  }
  for (auto& f : fs) {
    out.push_back(' ');
    out += f.key;
    out.push_back('=');
    append_logfmt_value(out, redact_value(f.key, f.value));
  }
  return out;
}

logger::logger(std::string component, fields context)
  : component_(std::move(component)), context_(std::move(context)) {
  // nop
}

logger logger::with(fields extra) const {
  fields all = context_;
  all.insert(all.end(), extra.begin(), extra.end());
  return logger{component_, std::move(all)};
}

void logger::debug(std::string_view msg, fields fs, const char* file,
                   int line) const {
  write(level::debug, msg, std::move(fs), file, line);
}

void logger::info(std::string_view msg, fields fs, const char* file,
                  int line) const {
  write(level::info, msg, std::move(fs), file, line);
}

void logger::warn(std::string_view msg, fields fs, const char* file,
                  int line) const {
  write(level::warn, msg, std::move(fs), file, line);
}

void logger::error(std::string_view msg, fields fs, const char* file,
                   int line) const {
  write(level::error, msg, std::move(fs), file, line);
}

void logger::write(level lvl, std::string_view msg, fields fs,
                   const char* file, int line) const {
  auto& s = global();
  format fmt;
  sink_fn sink;
  {
    std::lock_guard<std::mutex> guard{s.mtx};
    if (static_cast<int>(lvl) < static_cast<int>(s.min_level))
      return;
    fmt = s.fmt;
    sink = s.sink;
  }
  fields all = context_;
  all.insert(all.end(), std::make_move_iterator(fs.begin()),
             std::make_move_iterator(fs.end()));
  auto caller = base_name(file) + ":" + std::to_string(line);
  auto text = render(fmt, timestamp_now(), caller, lvl, component_, msg, all);
  if (sink) {
    sink(text);
    return;
  }
  text.push_back('\n');
  // One fwrite per line under a lock: lines never interleave.
  static std::mutex out_mtx;
  std::lock_guard<std::mutex> guard{out_mtx};
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

} // namespace fluxd::log
