#include <cstdio>

#include "fluxd/version.hpp"

int main() {
  std::printf("%s\n", fluxd::version);
  return 0;
}
