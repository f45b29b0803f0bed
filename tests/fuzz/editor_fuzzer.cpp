#include "tests/fuzz/bodies.hpp"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  try {
    fluxd::fuzz::editor(data, size);
  } catch (const fluxd::fuzz::violation& v) {
    std::fprintf(stderr, "invariant broken: %s\n", v.what());
    std::abort();
  }
  return 0;
}
