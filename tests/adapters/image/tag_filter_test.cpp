#include "adapters/image/tag_filter.hpp"

#include <catch2/catch.hpp>

using namespace fluxd::image;
using std::chrono::seconds;

namespace {

candidate at(const std::string& ref_text,
             std::chrono::system_clock::time_point t = {}) {
  return candidate{parse_ref(ref_text), t};
}

std::vector<std::string> tags(const std::vector<candidate>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs)
    out.push_back(c.image.tag);
  return out;
}

void check_matches(const char* pattern, std::vector<const char*> yes,
                   std::vector<const char*> no) {
  tag_filter f(pattern);
  for (auto t : yes) {
    INFO(pattern << " should match \"" << t << "\"");
    CHECK(f.matches(t));
  }
  for (auto t : no) {
    INFO(pattern << " should not match \"" << t << "\"");
    CHECK_FALSE(f.matches(t));
  }
}

} // namespace

TEST_CASE("glob patterns match as Flux v1 (go-glob)") {
  check_matches("*", {"", "1", "foo"}, {});
  check_matches("glob:*", {"", "1", "foo"}, {});
  check_matches("master-*", {"master-", "master-foo"}, {"", "foo-master"});
  check_matches("glob:*-prod", {"a-prod", "-prod"}, {"a-prod-1", "prod"});
  check_matches("glob:a*b*c", {"abc", "aXbYc", "abbc"}, {"ab", "acb"});
  check_matches("glob:a*a", {"aa", "aba"}, {"a"});
  check_matches("glob:", {""}, {"x"});
  check_matches("glob:v1.?", {"v1.?"}, {"v1.2"}); // no `?` wildcard
  check_matches("glob:Master", {"Master"}, {"master"});
}

TEST_CASE("semver patterns") {
  check_matches("semver:*", {"1", "1.0", "v1.0.3"},
                {"", "latest", "2.0.1-alpha.1"});
  check_matches("semver:~1", {"v1", "1", "1.2", "1.2.3"},
                {"", "latest", "2.0.0"});
  check_matches("semver:2.0.1-alpha.1", {"2.0.1-alpha.1"}, {"2.0.1"});
  check_matches("semver:>=1.2.3-0", {"1.2.3-rc.1", "1.3.0"}, {"1.2.2"});
  check_matches("semver:^1.2 || ~0.5", {"1.9", "0.5.7"}, {"0.6.0", "2.0"});
  // An invalid constraint admits every version (but no non-version).
  check_matches("semver:invalid", {"1.0", "0.0.1"}, {"latest", ""});
}

TEST_CASE("regexp patterns use Go (RE2) syntax, unanchored") {
  check_matches("regexp:(.*?)", {"", "foo", "1"}, {});
  check_matches("regexp:^([a-zA-Z]+)$", {"foo", "BAR", "fooBAR"},
                {"1", "foo-1"});
  check_matches("regex:^\\w{7}(?:\\w)?$", {"af14eb2", "bb73ed94", "946427ff"},
                {"1", "foo", "946427ff-foo"});
  check_matches("regexp:prod", {"prod", "a-prod-b"}, {"dev"});
  check_matches("regexp:*", {"anything", ""}, {}); // invalid: matches all
}

TEST_CASE("patterns render with canonical prefixes and validity") {
  CHECK(tag_filter("3.5.*").to_string() == "glob:3.5.*");
  CHECK(tag_filter("glob:*").to_string() == "glob:*");
  CHECK(tag_filter("regex:x").to_string() == "regexp:x");
  CHECK(tag_filter("regexp:x").to_string() == "regexp:x");
  CHECK(tag_filter("semver:~1").to_string() == "semver:~1");
  CHECK(tag_filter().to_string() == "glob:*");
  CHECK_FALSE(tag_filter("semver:invalid").valid());
  CHECK_FALSE(tag_filter("regexp:*").valid());
  CHECK_FALSE(tag_filter("alphabetical:sideways").valid());
  CHECK(tag_filter("foo").valid());
  CHECK_THROWS_WITH(tag_filter::parse_strict("semver:invalid"),
                    "invalid tag pattern: \"semver:invalid\"");
  CHECK_THROWS_AS(tag_filter::parse_strict("regexp:*"), pattern_error);
  CHECK_NOTHROW(tag_filter::parse_strict("regexp:(.*?)"));
  CHECK_NOTHROW(tag_filter::parse_strict("numerical:DESC"));
}

TEST_CASE("only glob and regexp orderings need creation times") {
  CHECK(tag_filter("glob:*").needs_created());
  CHECK(tag_filter("regexp:.").needs_created());
  CHECK_FALSE(tag_filter("semver:*").needs_created());
  CHECK_FALSE(tag_filter("alphabetical:asc").needs_created());
  CHECK_FALSE(tag_filter("numerical:asc").needs_created());
}

TEST_CASE("the latest tag only passes glob:latest") {
  std::vector<candidate> in = {at("flux:latest"), at("moon:v0")};
  CHECK(tags(tag_filter("glob:latest").filter_and_sort(in))
        == std::vector<std::string>{"latest"});
  CHECK(tags(tag_filter("latest").filter_and_sort(in))
        == std::vector<std::string>{"latest"});
  CHECK(tags(tag_filter("glob:*").filter_and_sort(in))
        == std::vector<std::string>{"v0"});
  CHECK(tags(tag_filter("*").filter_and_sort(in))
        == std::vector<std::string>{"v0"});
  CHECK_FALSE(tag_filter("regexp:.*").admits("LATEST"));
  CHECK_FALSE(tag_filter("alphabetical:asc").admits("Latest"));
}

TEST_CASE("semver filters sort by version, newest first") {
  std::vector<candidate> in = {at("img:latest"), at("img:v0.0.1"),
                               at("img:1.0.0")};
  CHECK(tags(tag_filter("semver:*").filter_and_sort(in))
        == std::vector<std::string>{"1.0.0", "v0.0.1"});
  CHECK(tags(tag_filter("semver:~1").filter_and_sort(in))
        == std::vector<std::string>{"1.0.0"});
}

TEST_CASE("semver ordering: non-versions last, equal versions by ref") {
  std::vector<candidate> in;
  for (auto t : {"3", "v1", "1.10", "1.2.30", "1.10.0", "bbb-not-semver",
                 "aaa-not-semver"})
    in.push_back(at(std::string("img:") + t));
  std::stable_sort(in.begin(), in.end(), newer_by_semver);
  CHECK(tags(in)
        == std::vector<std::string>{"3", "1.10.0", "1.10", "1.2.30", "v1",
                                    "aaa-not-semver", "bbb-not-semver"});
}

TEST_CASE("time ordering: later first, ties and zero times by ref") {
  auto t = std::chrono::system_clock::time_point{} + seconds(1600000000);
  std::vector<candidate> in = {at("my/Image:2", t), at("my/Image:0", t + seconds(1)),
                               at("my/Image:3", t - seconds(1)),
                               at("my/Image:4"), at("my/Image:1", t),
                               at("my/Image:5")};
  const std::vector<std::string> want = {"0", "1", "2", "3", "4", "5"};
  std::stable_sort(in.begin(), in.end(), newer_by_created);
  CHECK(tags(in) == want);
  std::stable_sort(in.begin(), in.end(), newer_by_created); // stable
  CHECK(tags(in) == want);
  std::reverse(in.begin(), in.end());
  std::stable_sort(in.begin(), in.end(), newer_by_created);
  CHECK(tags(in) == want);
  CHECK(tags(tag_filter("glob:*").filter_and_sort(in)) == want);
}

TEST_CASE("alphabetical and numerical orderings need no metadata") {
  std::vector<candidate> in = {at("a:2"),  at("a:10"), at("a:b"),
                               at("a:1.5"), at("a:latest"), at("a:-3")};
  CHECK(tags(tag_filter("alphabetical:asc").filter_and_sort(in))
        == std::vector<std::string>{"b", "2", "10", "1.5", "-3"});
  CHECK(tags(tag_filter("alphabetical:").filter_and_sort(in))
        == std::vector<std::string>{"b", "2", "10", "1.5", "-3"});
  CHECK(tags(tag_filter("alphabetical:DESC").filter_and_sort(in))
        == std::vector<std::string>{"-3", "1.5", "10", "2", "b"});
  CHECK(tags(tag_filter("numerical:asc").filter_and_sort(in))
        == std::vector<std::string>{"10", "2", "1.5", "-3"});
  CHECK(tags(tag_filter("numerical:desc").filter_and_sort(in))
        == std::vector<std::string>{"-3", "1.5", "2", "10"});
}
