#include "adapters/kube/watch.hpp"
#include "tests/adapters/kube/fake_api.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include <boost/json.hpp>

using namespace fluxd::kube;
using fluxd::test::fake_api;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string event_line(const char* type, const std::string& name,
                       const std::string& rv) {
  json::object meta{{"resourceVersion", rv}};
  if (!name.empty())
    meta["name"] = name;
  json::object ev{{"type", type},
                  {"object", json::object{{"kind", "ConfigMap"},
                                          {"apiVersion", "v1"},
                                          {"metadata", meta}}}};
  return json::serialize(ev) + "\n";
}

/// Streams `lines`, then holds the stream open (when `hold`) until the
/// client goes away or `stop` is set.
void stream_lines(httplib::Response& res, std::vector<std::string> lines,
                  bool hold, std::atomic<bool>* stop) {
  res.set_chunked_content_provider(
    "application/json",
    [lines, hold, stop, next = std::size_t{0}](
      std::size_t, httplib::DataSink& sink) mutable {
      if (next < lines.size()) {
        auto& l = lines[next++];
        return sink.write(l.data(), l.size());
      }
      if (!hold) {
        sink.done();
        return true;
      }
      if (!sink.is_writable() || (stop && *stop))
        return false;
      std::this_thread::sleep_for(10ms);
      return true;
    });
}

std::string list_body(const std::string& rv,
                      const std::vector<std::string>& names) {
  json::array items;
  for (auto& n : names)
    items.push_back(json::object{
      {"metadata", json::object{{"name", n}, {"resourceVersion", rv}}}});
  json::object list{{"kind", "ConfigMapList"},
                    {"apiVersion", "v1"},
                    {"metadata", json::object{{"resourceVersion", rv}}},
                    {"items", items}};
  return json::serialize(list);
}

/// team's ConfigMaps: an empty list at resourceVersion 7, then a watch
/// that streams `lines` and stays open until `stop`.
void serve_quiet_configmaps(fake_api& api, std::vector<std::string> lines,
                            std::atomic<bool>& stop) {
  api.server().Get("/api/v1/namespaces/team/configmaps",
                   [&stop, lines](const httplib::Request& req,
                                  httplib::Response& res) {
                     if (!req.has_param("watch")) {
                       res.set_content(list_body("7", {}),
                                       "application/json");
                       return;
                     }
                     stream_lines(res, lines, true, &stop);
                   });
}

struct recorded {
  std::vector<std::string> log; ///< "TYPE name@rv" or "SYNCED n@rv"
  std::string describe(const watch_event& ev) {
    if (ev.type == watch_event_type::synced)
      return std::string("SYNCED ") + std::to_string(ev.items.size()) + "@"
             + ev.resource_version;
    if (ev.type == watch_event_type::error)
      return "ERROR";
    std::string name;
    if (auto* m = ev.object.at("metadata").as_object().if_contains("name"))
      name = m->as_string().c_str();
    return std::string(to_string(ev.type)) + " " + name + "@"
           + ev.resource_version;
  }
};

watch_options fast_options() {
  watch_options wo;
  wo.initial_backoff = 20ms;
  wo.max_backoff = 100ms;
  wo.min_server_timeout = 30s;
  wo.max_server_timeout = 30s;
  return wo;
}

} // namespace

TEST_CASE("watch: list, events, bookmark, 410 ERROR event → re-list") {
  fake_api api;
  api.serve_discovery(false);
  std::atomic<bool> stop{false};
  std::mutex mtx;
  std::vector<std::string> watch_queries;
  int lists = 0;
  api.server().Get(
    "/api/v1/namespaces/team/configmaps",
    [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mtx);
      if (!req.has_param("watch")) {
        ++lists;
        res.set_content(lists == 1 ? list_body("10", {"a"})
                                   : list_body("20", {"a", "b"}),
                        "application/json");
        return;
      }
      auto rv = req.get_param_value("resourceVersion");
      watch_queries.push_back(rv + "|"
                              + req.get_param_value("allowWatchBookmarks")
                              + "|" + req.get_param_value("labelSelector"));
      if (rv == "10") {
        stream_lines(res,
                     {event_line("ADDED", "b", "11"),
                      event_line("BOOKMARK", "", "12"),
                      R"x({"type":"ERROR","object":{"kind":"Status",)x"
                      R"x("apiVersion":"v1","status":"Failure","message":)x"
                      R"x("too old resource version: 12 (15)","reason":)x"
                      R"x("Expired","code":410}})x"
                      "\n"},
                     true, &stop);
      } else {
        stream_lines(res, {event_line("MODIFIED", "a", "21")}, true, &stop);
      }
    });
  api.start();
  client c(api.config());
  auto res = c.discovery().resolve("v1", "ConfigMap");
  recorded rec;
  auto wo = fast_options();
  wo.label_selector = "app=web";
  auto last = watch(c, res, "team", wo, [&](const watch_event& ev) {
    rec.log.push_back(rec.describe(ev));
    if (ev.type == watch_event_type::synced)
      CHECK(ev.items.at(0).at("kind") == "ConfigMap");
    return ev.type != watch_event_type::modified;
  });
  stop = true;
  CHECK(last == "21");
  CHECK(rec.log
        == std::vector<std::string>{"SYNCED 1@10", "ADDED b@11",
                                    "BOOKMARK @12", "SYNCED 2@20",
                                    "MODIFIED a@21"});
  CHECK(watch_queries
        == std::vector<std::string>{"10|true|app=web", "20|true|app=web"});
}

TEST_CASE("watch: HTTP 410 re-lists, a normal end re-watches from last rv") {
  fake_api api;
  api.serve_discovery(false);
  std::mutex mtx;
  std::vector<std::string> calls;
  api.server().Get(
    "/api/v1/configmaps",
    [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mtx);
      auto rv = req.get_param_value("resourceVersion");
      calls.push_back((req.has_param("watch") ? "watch " : "list ") + rv);
      if (!req.has_param("watch")) {
        res.set_content(list_body("50", {}), "application/json");
      } else if (rv == "5") {
        res.status = 410;
        res.set_content(R"({"kind":"Status","code":410,"reason":"Gone"})",
                        "application/json");
      } else if (rv == "50") {
        // The server's timeoutSeconds is up: the stream just ends.
        stream_lines(res, {event_line("ADDED", "x", "51")}, false, nullptr);
      } else {
        stream_lines(res, {event_line("DELETED", "x", "52")}, false, nullptr);
      }
    });
  api.start();
  client c(api.config());
  recorded rec;
  auto wo = fast_options();
  wo.resource_version = "5"; // resume from a remembered, too old, version
  auto last = watch(c, c.discovery().resolve("v1", "ConfigMap"), "", wo,
                    [&](const watch_event& ev) {
                      rec.log.push_back(rec.describe(ev));
                      return ev.type != watch_event_type::deleted;
                    });
  CHECK(last == "52");
  CHECK(rec.log == std::vector<std::string>{"SYNCED 0@50", "ADDED x@51",
                                            "DELETED x@52"});
  CHECK(calls == std::vector<std::string>{"watch 5", "list ", "watch 50",
                                          "watch 51"});
}

TEST_CASE("watch: the server goes away and comes back on the same port") {
  std::atomic<bool> first_gone{false};
  std::atomic<bool> stop{false};
  auto serve = [](fake_api& api, const std::string& event_rv,
                  std::atomic<bool>* gone) {
    api.serve_discovery(false);
    api.server().Get(
      "/api/v1/namespaces/team/configmaps",
      [gone, event_rv](const httplib::Request& req, httplib::Response& res) {
        if (!req.has_param("watch")) {
          res.set_content(list_body("100", {"a"}), "application/json");
          return;
        }
        stream_lines(res, {event_line("MODIFIED", "a", event_rv)}, true,
                     gone);
      });
  };
  fake_api::options quick_stop;
  quick_stop.keep_alive_seconds = 1;
  auto first = std::make_unique<fake_api>(quick_stop);
  serve(*first, "101", &first_gone);
  first->start();
  int port = first->port();
  client c(first->config());
  auto res = c.discovery().resolve("v1", "ConfigMap");

  std::mutex mtx;
  std::vector<std::string> log;
  std::atomic<int> errors{0};
  std::atomic<bool> saw_first{false};
  recorded rec;
  std::thread watcher([&] {
    watch(c, res, "team", fast_options(), [&](const watch_event& ev) {
      std::lock_guard<std::mutex> lock(mtx);
      if (ev.type == watch_event_type::error) {
        ++errors;
        return true;
      }
      log.push_back(rec.describe(ev));
      if (ev.resource_version == "101")
        saw_first = true;
      return ev.resource_version != "102";
    });
  });
  while (!saw_first)
    std::this_thread::sleep_for(5ms);
  first_gone = true; // the server dies under the open watch
  first.reset();
  std::this_thread::sleep_for(100ms);
  fake_api::options again;
  again.port = port;
  fake_api second(again);
  serve(second, "102", &stop);
  second.start();
  watcher.join();
  stop = true;
  CHECK(errors >= 1);
  CHECK(log == std::vector<std::string>{"SYNCED 1@100", "MODIFIED a@101",
                                        "MODIFIED a@102"});
}

TEST_CASE("watch: cancel from another thread ends a quiet watch") {
  fake_api api;
  api.serve_discovery(false);
  std::atomic<bool> stop{false};
  serve_quiet_configmaps(api, {}, stop);
  api.start();
  client c(api.config());
  auto res = c.discovery().resolve("v1", "ConfigMap");
  stream_cancel cancel;
  std::atomic<bool> synced{false};
  std::string last;
  std::thread watcher([&] {
    last = watch(
      c, res, "team", fast_options(),
      [&](const watch_event& ev) {
        if (ev.type == watch_event_type::synced)
          synced = true;
        return true;
      },
      &cancel);
  });
  while (!synced)
    std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(50ms); // let it block in the stream
  cancel.cancel();
  watcher.join();
  stop = true;
  CHECK(last == "7");
}

TEST_CASE("watch: on_pause follows a burst read at once, not each event") {
  fake_api api;
  api.serve_discovery(false);
  std::atomic<bool> stop{false};
  // Three events in one chunk: one read on the client's side.
  serve_quiet_configmaps(api,
                         {event_line("ADDED", "a", "8")
                          + event_line("ADDED", "b", "9")
                          + event_line("MODIFIED", "a", "10")},
                         stop);
  api.start();
  client c(api.config());
  auto res = c.discovery().resolve("v1", "ConfigMap");
  stream_cancel cancel;
  std::atomic<int> events{0};
  std::vector<int> at_pause; ///< events seen when each pause came
  std::mutex mtx;
  auto opts = fast_options();
  opts.on_pause = [&] {
    std::lock_guard<std::mutex> lock(mtx);
    at_pause.push_back(events);
  };
  std::thread watcher([&] {
    watch(
      c, res, "team", opts,
      [&](const watch_event& ev) {
        if (ev.type != watch_event_type::synced)
          ++events;
        return true;
      },
      &cancel);
  });
  for (int i = 0; i < 400 && events < 3; ++i)
    std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(50ms);
  cancel.cancel();
  watcher.join();
  stop = true;
  REQUIRE(events == 3);
  std::lock_guard<std::mutex> lock(mtx);
  REQUIRE_FALSE(at_pause.empty());
  CHECK(at_pause.back() == 3);
  for (int seen : at_pause)
    CHECK((seen == 0 || seen == 3)); // never between two of the burst
}

TEST_CASE("watch: an exception from the callback reaches the caller") {
  fake_api api;
  api.serve_discovery(false);
  std::atomic<bool> stop{false};
  api.server().Get(
    "/api/v1/namespaces/team/configmaps",
    [&](const httplib::Request& req, httplib::Response& res) {
      if (!req.has_param("watch")) {
        res.set_content(list_body("3", {}), "application/json");
        return;
      }
      stream_lines(res, {event_line("ADDED", "boom", "4")}, true, &stop);
    });
  api.start();
  client c(api.config());
  auto res = c.discovery().resolve("v1", "ConfigMap");
  CHECK_THROWS_AS(watch(c, res, "team", fast_options(),
                        [](const watch_event& ev) -> bool {
                          if (ev.type == watch_event_type::added)
                            throw std::logic_error("consumer bug");
                          return true;
                        }),
                  std::logic_error);
  stop = true;
}
