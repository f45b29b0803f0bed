#pragma once

#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>

/// A strict reader of the Prometheus text format (0.0.4) for tests: every
/// line must be a HELP/TYPE comment or a sample of a declared family, and
/// histogram buckets must be cumulative. Returns samples by their full key
/// (`name{labels}`).
inline std::map<std::string, double> parse_prometheus_text(
  const std::string& text) {
  static const std::regex sample_re{
    R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*)?\})? (-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$)"};
  static const std::regex help_re{R"(^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$)"};
  static const std::regex type_re{
    R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)"};
  std::map<std::string, std::string> types;
  std::map<std::string, double> samples;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    if (line.rfind("# HELP ", 0) == 0) {
      if (!std::regex_match(line, help_re))
        throw std::runtime_error("bad HELP line " + std::to_string(n));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      if (!std::regex_match(line, m, type_re))
        throw std::runtime_error("bad TYPE line " + std::to_string(n));
      if (types.count(m[1]))
        throw std::runtime_error("family declared twice: " + m[1].str());
      types[m[1]] = m[2];
      continue;
    }
    if (!std::regex_match(line, m, sample_re))
      throw std::runtime_error("bad sample line " + std::to_string(n) + ": "
                               + line);
    std::string name = m[1];
    std::string family = name;
    for (auto suffix : {"_bucket", "_sum", "_count"}) {
      std::string s{suffix};
      if (!types.count(family) && name.size() > s.size()
          && name.compare(name.size() - s.size(), s.size(), s) == 0)
        family = name.substr(0, name.size() - s.size());
    }
    if (!types.count(family))
      throw std::runtime_error("sample of undeclared family: " + name);
    auto value_text = line.substr(line.rfind(' ') + 1);
    double v = value_text == "+Inf" ? 1e308 : std::stod(value_text);
    samples[name + m[2].str()] = v;
  }
  return samples;
}
