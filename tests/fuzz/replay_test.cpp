#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tests/fuzz/bodies.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

using body = std::function<void(const std::uint8_t*, std::size_t)>;

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  if (!fs::is_directory(dir))
    return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file())
      out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string source(const std::string& rel) {
  return std::string(FLUXD_SOURCE_DIR) + "/" + rel;
}

/// libFuzzer-style mutations that favour YAML's structural characters.
std::string mutate(std::string s, std::mt19937& rng) {
  static const std::string alphabet = ":- \n\t#'\"{}[],&*!|>?%@`\r\\0a";
  auto pick = [&](std::size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  };
  int rounds = 1 + static_cast<int>(pick(3));
  for (int r = 0; r < rounds; ++r) {
    switch (pick(5)) {
      case 0:
        if (!s.empty())
          s[pick(s.size())] ^= static_cast<char>(1u << pick(8));
        break;
      case 1:
        s.insert(s.begin() + static_cast<long>(pick(s.size() + 1)),
                 alphabet[pick(alphabet.size())]);
        break;
      case 2:
        if (!s.empty()) {
          auto at = pick(s.size());
          s.erase(at, 1 + pick(std::min<std::size_t>(8, s.size() - at)));
        }
        break;
      case 3:
        if (!s.empty() && s.size() < 8192) {
          auto at = pick(s.size());
          auto len = 1 + pick(std::min<std::size_t>(64, s.size() - at));
          s.insert(pick(s.size() + 1), s.substr(at, len));
        }
        break;
      default:
        if (!s.empty())
          s[pick(s.size())] = alphabet[pick(alphabet.size())];
    }
  }
  return s;
}

void run(const body& f, const std::string& input) {
  if (const char* dump = std::getenv("FLUXD_FUZZ_TRACE"))
    fluxd::test::write_file(dump, input);
  try {
    f(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  } catch (const fluxd::fuzz::violation& v) {
    FAIL("invariant broken: " << v.what() << "\ninput (" << input.size()
                              << " bytes):\n"
                              << input);
  }
}

/// Every seed, then a fixed number of deterministic mutations of them.
void replay(const body& f, const std::vector<std::string>& seeds,
            unsigned mutations) {
  REQUIRE_FALSE(seeds.empty());
  for (const auto& s : seeds)
    run(f, s);
  std::mt19937 rng(20261128);
  for (unsigned i = 0; i < mutations; ++i)
    run(f, mutate(seeds[i % seeds.size()], rng));
}

std::vector<std::string> seeds_of(const std::string& corpus,
                                  const std::string& prefix = "") {
  std::vector<std::string> out;
  for (const auto& path : files_in(source("tests/fuzz/corpus/" + corpus)))
    out.push_back(fluxd::test::read_file(path));
  // The edit fixtures are good seeds too.
  for (const auto* dir : {"image", "policy"})
    for (const auto& path :
         files_in(source("tests/adapters/manifests/testdata/") + dir))
      if (corpus != "image_ref")
        out.push_back(prefix + fluxd::test::read_file(path));
  return out;
}

} // namespace

TEST_CASE("fuzz corpus replay: image refs, tag filters, semver") {
  replay(fluxd::fuzz::image_ref, seeds_of("image_ref"), 20000);
}

TEST_CASE("fuzz corpus replay: manifest loader") {
  replay(fluxd::fuzz::loader, seeds_of("loader"), 5000);
}

TEST_CASE("fuzz corpus replay: manifest editor") {
  for (char op : {'\0', '\1', '\2', '\3'}) {
    INFO("operation " << int(op));
    replay(fluxd::fuzz::editor, seeds_of("editor", std::string(1, op)), 500);
  }
}
