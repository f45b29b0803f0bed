#include "adapters/api/ids.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

namespace fluxd::api {

std::string parse_id(const std::string& s) {
  static const std::regex full{
      "^(<cluster>|[a-zA-Z0-9_-]+):([a-zA-Z0-9_-]+)/([a-zA-Z0-9_.:-]+)$"};
  static const std::regex legacy{"^([a-zA-Z0-9_-]+)/([a-zA-Z0-9_-]+)$"};
  std::smatch m;
  if (std::regex_match(s, m, full)) {
    auto kind = m[2].str();
    std::transform(kind.begin(), kind.end(), kind.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return m[1].str() + ":" + kind + "/" + m[3].str();
  }
  if (std::regex_match(s, m, legacy))
    return s; // Flux v1 keeps the legacy spelling

  throw id_error("parsing " + s + ": invalid service ID");
}

std::string parse_resource_spec(const std::string& s) {
  if (s == "<all>")
    return s;
  try {
    return parse_id(s);
  } catch (const id_error& e) {
    throw id_error(std::string{"invalid workload spec: "} + e.what());
  }
}

bool is_container_field(const std::string& name) {
  static const char* fields[] = {"Name",
                                 "Current",
                                 "LatestFiltered",
                                 "Available",
                                 "AvailableError",
                                 "AvailableImagesCount",
                                 "NewAvailableImagesCount",
                                 "FilteredImagesCount",
                                 "NewFilteredImagesCount"};
  return std::find(std::begin(fields), std::end(fields), name)
         != std::end(fields);
}

} // namespace fluxd::api
