#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <mutex>
#include <thread>

#include "adapters/log/log.hpp"

using namespace fluxd::log;

namespace {

struct capture {
  capture() {
    set_sink([this](std::string_view line) {
      std::lock_guard<std::mutex> g{mtx};
      lines.emplace_back(line);
    });
  }
  ~capture() {
    set_sink(nullptr);
    configure(format::logfmt, level::info);
  }
  std::mutex mtx;
  std::vector<std::string> lines;
};

} // namespace

TEST_CASE("logfmt lines carry ts, caller, level, component and fields") {
  capture cap;
  configure(format::logfmt, level::info);
  logger log{"git"};
  log.info("fetched", {{"url", "ssh://git@host/repo"}, {"revs", 3}});
  REQUIRE(cap.lines.size() == 1);
  auto& l = cap.lines[0];
  CHECK(l.rfind("ts=", 0) == 0);
  CHECK(l.find(" caller=daemon/log_test.cpp:") != std::string::npos);
  CHECK(l.find(" level=info component=git msg=fetched "
               "url=ssh://git@host/repo revs=3")
        != std::string::npos);
}

TEST_CASE("values with spaces, quotes and newlines are quoted and escaped") {
  auto l = render(format::logfmt, "T", "c.cpp:1", level::warn, "x",
                  "two words", {{"err", "a \"b\"\nc"}, {"empty", ""}});
  CHECK(l == "ts=T caller=c.cpp:1 level=warn component=x msg=\"two words\" "
             "err=\"a \\\"b\\\"\\nc\" empty=\"\"");
}

TEST_CASE("json format emits one valid object per line") {
  auto l = render(format::json, "T", "c.cpp:1", level::error, "sync", "boom",
                  {{"err", "x\ny"}});
  auto v = boost::json::parse(l).as_object();
  CHECK(v.at("ts") == "T");
  CHECK(v.at("level") == "error");
  CHECK(v.at("component") == "sync");
  CHECK(v.at("msg") == "boom");
  CHECK(v.at("err") == "x\ny");
}

TEST_CASE("secrets never reach a log line") {
  capture cap;
  logger log{"registry"};
  log.info("auth", {{"token", "s3cr3t"}, {"password", "hunter2"},
                    {"url", "https://user:hunter2@example.com/v2/"},
                    {"err", "push to https://bot:tok@git.example/r failed"}});
  REQUIRE(cap.lines.size() == 1);
  auto& l = cap.lines[0];
  CHECK(l.find("s3cr3t") == std::string::npos);
  CHECK(l.find("hunter2") == std::string::npos);
  CHECK(l.find("tok@") == std::string::npos);
  CHECK(l.find("https://user:[redacted]@example.com/v2/") != std::string::npos);
  CHECK(l.find("token=[redacted]") != std::string::npos);
}

TEST_CASE("levels below the minimum are dropped; with() adds context") {
  capture cap;
  configure(format::logfmt, level::warn);
  logger log = logger{"api"}.with({{"repo", "r1"}});
  log.info("hidden");
  log.warn("shown");
  REQUIRE(cap.lines.size() == 1);
  CHECK(cap.lines[0].find("msg=shown repo=r1") != std::string::npos);
}

TEST_CASE("concurrent writers never interleave lines") {
  capture cap;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([t] {
      logger log{"t" + std::to_string(t)};
      for (int i = 0; i < 200; ++i)
        log.info("line", {{"i", i}, {"payload", std::string(100, 'x')}});
    });
  for (auto& th : threads)
    th.join();
  REQUIRE(cap.lines.size() == 1600);
  for (auto& l : cap.lines) {
    CHECK(l.find('\n') == std::string::npos);
    CHECK(l.find("payload=" + std::string(100, 'x')) != std::string::npos);
  }
}
