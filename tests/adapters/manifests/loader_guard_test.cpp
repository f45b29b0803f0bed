#include "adapters/manifests/loader.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

#include "tests/support/temp_dir.hpp"

/// parse_stream() skips the guarding event pass when it can prove that
/// yaml-cpp's LoadAll cannot loop: these tests hold its one pass to the
/// results of the guarded two, and make a hang fail instead of block.
using namespace fluxd::manifests;

namespace {

/// Runs `f` on a thread of its own. A hang (what the guard is for) cannot be
/// stopped, so it fails the whole test program rather than blocking it.
template <class F>
auto within_seconds(int limit, const std::string& what, F f) {
  std::packaged_task<decltype(f())()> task(std::move(f));
  auto result = task.get_future();
  std::thread(std::move(task)).detach();
  if (result.wait_for(std::chrono::seconds(limit))
      != std::future_status::ready) {
    std::fprintf(stderr, "hang: no result within %d s for:\n%s\n", limit,
                 what.c_str());
    std::abort();
  }
  return result.get();
}

/// Everything a consumer can see of a node: type, tag, style, mark, value
/// and children (alias cycles are cut at a depth).
void describe(const YAML::Node& n, std::string& out, int depth = 0) {
  if (depth > 40) {
    out += "...";
    return;
  }
  auto m = n.Mark();
  out += "(" + std::to_string(static_cast<int>(n.Type())) + " @"
         + std::to_string(m.pos) + ":" + std::to_string(m.line) + ":"
         + std::to_string(m.column) + " " + n.Tag() + " "
         + std::to_string(static_cast<int>(n.Style()));
  if (n.IsScalar())
    out += " =" + n.Scalar();
  if (n.IsMap())
    for (auto it = n.begin(); it != n.end(); ++it) {
      describe(it->first, out, depth + 1);
      describe(it->second, out, depth + 1);
    }
  if (n.IsSequence())
    for (auto it = n.begin(); it != n.end(); ++it)
      describe(*it, out, depth + 1);
  out += ")";
}

std::size_t count_nodes(const YAML::Node& n) {
  std::size_t count = 1;
  if (n.IsMap())
    for (auto it = n.begin(); it != n.end(); ++it)
      count += count_nodes(it->first) + count_nodes(it->second);
  if (n.IsSequence())
    for (auto it = n.begin(); it != n.end(); ++it)
      count += count_nodes(*it);
  return count;
}

/// Nodes of a text without aliases per byte, which nodes_provably_within
/// bounds by 8.
double nodes_per_byte(const std::string& text) {
  std::size_t nodes = 0;
  try {
    for (const auto& d : detail::parse_stream_guarded(text, "f.yaml"))
      nodes += count_nodes(d);
  } catch (const manifest_error&) {
  }
  return text.empty() ? 0 : double(nodes) / double(text.size());
}

std::string outcome(bool one_pass, const std::string& text) {
  try {
    auto docs = one_pass ? parse_stream(text, "f.yaml")
                         : detail::parse_stream_guarded(text, "f.yaml");
    std::string out = std::to_string(docs.size()) + " docs ";
    for (const auto& d : docs)
      describe(d, out);
    return out;
  } catch (const std::exception& e) {
    return std::string("error: ") + e.what();
  }
}

/// Both paths give the same outcome (or neither ends: then we abort).
void check_same(const std::string& text) {
  INFO(text);
  auto guarded = within_seconds(10, text, [&] { return outcome(false, text); });
  auto one_pass = within_seconds(10, text, [&] { return outcome(true, text); });
  CHECK(one_pass == guarded);
}

/// Texts that read like YAML often enough to reach deep into the parser.
std::string random_text(std::mt19937& rng) {
  static const std::vector<std::string> pieces = {
      "a",           "b1",     ": ",     ":",      ",",     ", ",
      "[",           "]",      "{",      "}",      "\"",    "'",
      "\n",          "\n  ",   "\nk: ",  "- ",     "---\n", "...\n",
      "# c",         "#",      "&x ",    "*x",     "!t ",   "!",
      " ",           "\t",     "|\n  ",  ">-\n  ", "?",     "? ",
      "%YAML 1.2\n", "\r\n",   "-",      "<<: ",   "é",     "\xEF\xBB\xBF",
      "x,y",         "[a, b]", "{k: v}",
  };
  std::uniform_int_distribution<std::size_t> count(1, 14);
  std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
  // Half start like a manifest, to reach the one-pass path often.
  std::string out = rng() % 2 ? "" : "kind: A\n";
  for (auto n = count(rng); n > 0; --n)
    out += pieces[pick(rng)];
  return out;
}

std::vector<std::string> files_under(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      out.push_back(fluxd::test::read_file(e.path().string()));
  return out;
}

} // namespace

TEST_CASE("every token LoadAll loops on ends in an error") {
  // Each of these loops forever in yaml-cpp 0.7's LoadAll unguarded.
  for (const char* text :
       {",\n", "---\n,\n---\nb: c\n", "[a]\n,\n", "\"a\" ,\n", "'a',\n",
        "[a] , b\n", "{a: b}\n,\n", "!t ,\n", "!t,\n", "&x ,\n",
        "--- &x [a]\n,\n", "\xEF\xBB\xBF,\n", "a: b\n---\n[c],\n",
        "[a, b]---\n? ...\n", "a: b\n--- [c] , d\n"}) {
    INFO(text);
    CHECK_FALSE(detail::roots_are_block_maps(text));
    auto r = within_seconds(10, text, [&] {
      return load({{"comma.yaml", text}}, {});
    });
    REQUIRE(r.errors.size() == 1);
    CHECK_THAT(r.errors[0].message,
               Catch::Contains("unexpected content at document level"));
  }
  // An alias after the comma's document ends in yaml-cpp's own error.
  auto r = within_seconds(10, "*x ,", [] {
    return load({{"c.yaml", "*x ,\n"}}, {});
  });
  REQUIRE(r.errors.size() == 1);
  CHECK_THAT(r.errors[0].message, Catch::Contains("line 1"));
}

TEST_CASE("documents whose roots are block maps take one pass") {
  for (const char* text :
       {"a: b\n", "", "---\n", "# c\n\n---   # c\n...\n",
        "apiVersion: v1\nkind: A\nx: [a, b], c\n? k\n: v\n,\n",
        "# header, here\n---\napiVersion: v1\r\nkind: A\r\n---\r\n"
        "  \t\n\nkind: B\nspec: {a: 1,\n  b: 2}\n...\n",
        "a:\n- x\n- y\nb: |\n  ---x\n  ,\n"}) {
    INFO(text);
    CHECK(detail::roots_are_block_maps(text));
  }
  for (const std::string& text :
       {std::string("  a: b\n"), std::string("\"a\": b\n"),
        std::string("- a\n"), std::string("a\n"), std::string("a:b\n"),
        std::string("--- a: b\n"), std::string("%YAML 1.2\n---\na: b\n"),
        std::string("\xEF\xBB\xBF"
                    "a: b\n"),
        std::string("a\0: b\n", 6), std::string("a: b\n---\n[c]\n"),
        std::string("? a\n: b\n"), std::string("a: b\n...\nc\n")}) {
    INFO(text);
    CHECK_FALSE(detail::roots_are_block_maps(text));
  }
}

TEST_CASE("one pass and the guarded passes give identical results") {
  SECTION("the test data and fuzz corpora") {
    auto root = std::string(FLUXD_SOURCE_DIR);
    auto texts = files_under(root + "/tests/adapters/manifests/testdata");
    for (auto& t : files_under(root + "/tests/fuzz/corpus/loader"))
      texts.push_back(std::move(t));
    for (auto& t : files_under(root + "/tests/fuzz/corpus/editor"))
      texts.push_back(std::move(t));
    REQUIRE(texts.size() > 20);
    for (const auto& t : texts)
      check_same(t);
  }
  SECTION("hand-picked edges") {
    for (const char* text :
         {"", "\n", "---\n", "[a]\n[b]\n[c]\n", "{a: 1}\n{b: 2}\n",
          "a\n---\nb\n...\nc\n", "kind: A\n---\n--- x\n", "a: &x b\nc: *x\n",
          "a: &a [x, *a]\n", "a: b\n\tc: d\n", "a: 'x\n", "- a\n- b,c\n",
          "a: b\n---\n[c]\n[d]\n", "%YAML 1.2\n--- a,b\n"}) {
      check_same(text);
    }
  }
  SECTION("generated texts") {
    // Other corpora: `manifests_test "*identical*" --rng-seed N`.
    std::mt19937 rng(20261129 + Catch::rngSeed());
    int one_pass = 0;
    for (int i = 0; i < 20000; ++i) {
      auto text = random_text(rng);
      one_pass += detail::roots_are_block_maps(text);
      check_same(text);
    }
    CHECK(one_pass > 2000); // the shortcut is exercised, not just skipped
  }
}

TEST_CASE("texts without aliases have few nodes per byte") {
  for (const char* text :
       {":", ": ", "[:,:,:]", "[,,,,]", "- - - -", "? : ? :", "{:,:,:}",
        "---\n---\n---\n", "~", "a:\nb:\nc:\n", "[[[[[]]]]]", "!t"}) {
    INFO(text);
    CHECK(nodes_per_byte(text) <= 3);
  }
  std::mt19937 rng(7 + Catch::rngSeed());
  double most = 0;
  for (int i = 0; i < 20000; ++i) {
    auto text = random_text(rng);
    if (text.find('*') == std::string::npos)
      most = std::max(
          most, within_seconds(10, text, [&] { return nodes_per_byte(text); }));
  }
  CHECK(most <= 3); // nodes_provably_within allows 8
  CHECK(detail::nodes_provably_within(std::string(100, 'a'), {}));
  CHECK_FALSE(detail::nodes_provably_within("a: *x", {}));
  limits tight;
  tight.max_nodes = 100;
  CHECK_FALSE(detail::nodes_provably_within(std::string(13, 'a'), tight));
}
