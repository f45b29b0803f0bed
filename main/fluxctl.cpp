// fluxctl: drives fluxd over its HTTP API (commands arrive with the API).

#include <iostream>
#include <string>

#include "fluxd/version.hpp"

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "version" || cmd == "--version") {
    std::cout << fluxd::version << "\n";
    return 0;
  }
  if (cmd.empty() || cmd == "help" || cmd == "--help" || cmd == "-h") {
    std::cout << "fluxctl helps you deploy your code.\n\n"
                 "Usage:\n  fluxctl [command]\n\nAvailable Commands:\n"
                 "  version     Output the version of fluxctl\n";
    return 0;
  }
  std::cerr << "Error: unknown command \"" << cmd
            << "\" for \"fluxctl\"\nRun 'fluxctl --help' for usage.\n";
  return 1;
}
