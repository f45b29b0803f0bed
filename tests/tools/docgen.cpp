// Prints generated documentation: `fluxd-docgen configuration` writes the
// flag reference that docs/configuration.md holds (scripts/gen-docs).

#include <iostream>
#include <string>

#include "adapters/config/daemon_config.hpp"

int main(int argc, char** argv) {
  std::string what = argc > 1 ? argv[1] : "";
  if (what == "configuration") {
    std::cout << fluxd::config::flags_reference_markdown();
    return 0;
  }
  std::cerr << "usage: fluxd-docgen configuration\n";
  return 2;
}
