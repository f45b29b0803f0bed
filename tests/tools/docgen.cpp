// Prints generated documentation (scripts/gen-docs):
//   fluxd-docgen configuration      the flag reference, docs/configuration.md
//   fluxd-docgen splice FILE        FILE (a docs/*.md) with its generated
//                                   sections brought up to date

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "adapters/config/daemon_config.hpp"
#include "tests/tools/generated_sections.hpp"

int main(int argc, char** argv) {
  std::string what = argc > 1 ? argv[1] : "";
  try {
    if (what == "configuration") {
      std::cout << fluxd::config::flags_reference_markdown();
      return 0;
    }
    if (what == "splice" && argc == 3) {
      std::string path = argv[2];
      std::ifstream in(path);
      if (!in)
        throw std::runtime_error("cannot read " + path);
      std::stringstream ss;
      ss << in.rdbuf();
      auto text = ss.str();
      for (auto& s : fluxd::docs::sections())
        if (path.size() >= s.file.size()
            && path.compare(path.size() - s.file.size(), s.file.size(), s.file)
                   == 0)
          text = fluxd::docs::splice(text, s.name, s.generate());
      std::cout << text;
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "fluxd-docgen: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: fluxd-docgen configuration | splice FILE\n";
  return 2;
}
