#include "adapters/install/yaml_writer.hpp"

#include <regex>

namespace fluxd::install {

namespace {

void emit(YAML::Emitter& out, const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      if (n.size() == 0) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        break;
      }
      out << YAML::BeginMap;
      for (auto kv : n) {
        out << YAML::Key;
        emit(out, kv.first);
        out << YAML::Value;
        emit(out, kv.second);
      }
      out << YAML::EndMap;
      break;
    case YAML::NodeType::Sequence:
      if (n.size() == 0) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        break;
      }
      out << YAML::BeginSeq;
      for (auto item : n)
        emit(out, item);
      out << YAML::EndSeq;
      break;
    case YAML::NodeType::Scalar: {
      auto& s = n.Scalar();
      if (n.Tag() == "!" && s.find('\n') != std::string::npos)
        out << YAML::Literal << s;
      else if (n.Tag() == "!" && (looks_typed(s) || s.empty()))
        out << YAML::DoubleQuoted << s;
      else
        out << s;
      break;
    }
    default:
      out << YAML::Null;
  }
}

} // namespace

bool looks_typed(const std::string& value) {
  static const std::regex typed{
      "y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE"
      "|on|On|ON|off|Off|OFF|~|null|Null|NULL"
      "|[-+]?(\\.[0-9]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?"
      "|[-+]?0[xob][0-9a-fA-F_]+|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)"
      "|[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?"};
  return std::regex_match(value, typed);
}

YAML::Node string_node(const std::string& value) {
  YAML::Node n(value);
  n.SetTag("!");
  return n;
}

std::string write_yaml(const YAML::Node& node) {
  YAML::Emitter out;
  emit(out, node);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n')
    text += '\n';
  return text;
}

} // namespace fluxd::install
