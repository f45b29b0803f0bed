// fluxctl: drives fluxd (or Flux v1's daemon) over its HTTP API. All the
// logic lives in adapters/fluxctl; this only wires the process in.

#include <cstdlib>
#include <iostream>

#include "adapters/fluxctl/cli.hpp"
#include "fluxd/version.hpp"

int main(int argc, char** argv) {
  fluxd::fluxctl::environment env{
    std::cout, std::cerr, [](const std::string& name) {
      const char* v = std::getenv(name.c_str());
      return std::string(v ? v : "");
    }};
  env.version = fluxd::version;
  return fluxd::fluxctl::run({argv + 1, argv + argc}, env);
}
