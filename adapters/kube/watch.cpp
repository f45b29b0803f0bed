#include "adapters/kube/watch.hpp"
#include "adapters/kube/json.hpp"

#include <algorithm>
#include <exception>
#include <random>
#include <thread>

#include <boost/json.hpp>

namespace fluxd::kube {

namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_string())
    return std::string(v->get_string());
  return {};
}

std::string resource_version_of(const json::value& obj) {
  auto* o = obj.if_object();
  if (!o)
    return {};
  if (auto* m = o->if_contains("metadata"); m && m->is_object())
    return str(m->get_object(), "resourceVersion");
  return {};
}

/// Sleeps, waking at once on a cancel.
void pause(std::chrono::milliseconds d, stream_cancel* cancel) {
  if (cancel)
    cancel->sleep_for(d);
  else
    std::this_thread::sleep_for(d);
}

struct loop_state {
  std::string rv;
  bool need_list = false;
  bool stop = false;
  std::chrono::milliseconds backoff{0};
};

} // namespace

json_stream::json_stream() : parser_({}, json_options()) {
  parser_.reset(json::make_shared_resource<json::monotonic_resource>());
}

bool json_stream::feed(std::string_view data,
                       const std::function<bool(json::value&&)>& on_value) {
  while (!data.empty()) {
    json::error_code ec;
    auto used = parser_.write_some(data.data(), data.size(), ec);
    if (ec) {
      parser_.reset(json::make_shared_resource<json::monotonic_resource>());
      throw kube_error("watch stream: malformed JSON: " + ec.message());
    }
    data.remove_prefix(used);
    if (parser_.done()) {
      auto v = parser_.release();
      // Each event's tree in one arena of its own: built without a malloc
      // per node, freed at once, and shareable beyond this stream.
      parser_.reset(json::make_shared_resource<json::monotonic_resource>());
      if (!on_value(std::move(v)))
        return false;
    }
  }
  return true;
}

const char* to_string(watch_event_type t) {
  switch (t) {
    case watch_event_type::added:
      return "ADDED";
    case watch_event_type::modified:
      return "MODIFIED";
    case watch_event_type::deleted:
      return "DELETED";
    case watch_event_type::bookmark:
      return "BOOKMARK";
    case watch_event_type::synced:
      return "SYNCED";
    case watch_event_type::error:
      return "ERROR";
  }
  return "?";
}

std::string watch(client& c, const resource_info& res, std::string_view ns,
                  const watch_options& opts, const watch_callback& callback,
                  stream_cancel* cancel) {
  loop_state st;
  st.rv = opts.resource_version;
  st.need_list = st.rv.empty();
  std::mt19937 rng(std::random_device{}());
  auto cancelled = [&] { return cancel && cancel->cancelled(); };
  auto report = [&](const std::string& message) {
    watch_event ev{watch_event_type::error, {}, {}, st.rv, message};
    if (!callback(ev))
      st.stop = true;
  };
  auto back_off = [&] {
    st.backoff = st.backoff.count() == 0
                   ? opts.initial_backoff
                   : std::min(opts.max_backoff, st.backoff * 2);
    // Jitter up to +50% so many watchers do not reconnect in step.
    std::uniform_int_distribution<long> jitter(0, st.backoff.count() / 2);
    pause(st.backoff + std::chrono::milliseconds(jitter(rng)), cancel);
  };
  auto ns_path = res.namespaced ? ns : std::string_view{};
  std::exception_ptr callback_error; ///< the caller's own, passed on

  while (!st.stop && !cancelled()) {
    if (st.need_list) {
      try {
        list_options lo;
        lo.label_selector = opts.label_selector;
        lo.field_selector = opts.field_selector;
        lo.limit = opts.list_page_size;
        auto page = c.list_all(res, ns_path, lo);
        st.rv = page.resource_version;
        st.need_list = false;
        st.backoff = {};
        watch_event ev{watch_event_type::synced, {}, std::move(page.items),
                       st.rv, {}};
        if (!callback(ev))
          break;
      } catch (const kube_error& e) {
        report(e.what());
        back_off();
      }
      continue;
    }

    std::uniform_int_distribution<long> secs(opts.min_server_timeout.count(),
                                             std::max(opts.min_server_timeout,
                                                      opts.max_server_timeout)
                                               .count());
    auto timeout_seconds = secs(rng);
    std::string path = res.collection_path(ns_path) + "?watch=true";
    path += "&resourceVersion=" + url_encode(st.rv);
    if (opts.bookmarks)
      path += "&allowWatchBookmarks=true";
    if (!opts.label_selector.empty())
      path += "&labelSelector=" + url_encode(opts.label_selector);
    if (!opts.field_selector.empty())
      path += "&fieldSelector=" + url_encode(opts.field_selector);
    path += "&timeoutSeconds=" + std::to_string(timeout_seconds);
    http_request req{"GET", path};
    // The server ends the stream itself; the read timeout only catches a
    // server that went silent without closing the connection.
    req.timeout = std::chrono::seconds(timeout_seconds + 30);

    json_stream parser;
    auto started = std::chrono::steady_clock::now();
    std::exception_ptr failure;        ///< the stream was bad
    std::string stream_error;
    bool got_events = false;
    auto on_value = [&](json::value&& v) -> bool {
      auto* o = v.if_object();
      if (!o)
        return true;
      auto type = str(*o, "type");
      auto* obj = o->if_contains("object");
      if (type == "ERROR") {
        auto code = 0;
        std::string message;
        if (obj && obj->is_object()) {
          auto body = json::serialize(*obj);
          auto status = decode_status(500, "application/json", body);
          code = status.code;
          message = status.message;
        }
        if (code == 410) {
          st.need_list = true;
        } else {
          stream_error = "watch " + path + ": ERROR event: "
                         + std::to_string(code) + " " + message;
        }
        return false;
      }
      watch_event_type event_type;
      if (type == "ADDED")
        event_type = watch_event_type::added;
      else if (type == "MODIFIED")
        event_type = watch_event_type::modified;
      else if (type == "DELETED")
        event_type = watch_event_type::deleted;
      else if (type == "BOOKMARK")
        event_type = watch_event_type::bookmark;
      else
        return true; // unknown event types are skipped
      // Move-constructed, so the object keeps the event's arena: assigning
      // into a default-constructed value would deep-copy it onto the heap.
      watch_event ev{event_type, obj ? json::value(std::move(*obj))
                                     : json::value(),
                     {}, {}, {}};
      if (auto rv = resource_version_of(ev.object); !rv.empty())
        st.rv = rv;
      ev.resource_version = st.rv;
      got_events = true;
      try {
        if (callback(ev))
          return true;
      } catch (...) {
        callback_error = std::current_exception();
      }
      st.stop = true;
      return false;
    };
    try {
      auto result = c.transport().stream(
        req,
        [&](std::string_view data) {
          try {
            if (!parser.feed(data, on_value))
              return false;
            if (opts.on_pause)
              opts.on_pause();
            return true;
          } catch (...) {
            failure = std::current_exception();
            return false;
          }
        },
        cancel);
      if (callback_error || result.cancelled || st.stop)
        break;
      if (failure)
        std::rethrow_exception(failure);
      if (result.status == 410) {
        st.need_list = true;
      } else if (result.status < 200 || result.status >= 300) {
        auto status = decode_status(result.status, result.content_type,
                                    result.error_body);
        throw api_error("GET", path, status);
      }
      if (!stream_error.empty()) {
        report(stream_error);
        back_off();
      } else if (!got_events && !st.need_list
                 && std::chrono::steady_clock::now() - started
                      < std::chrono::seconds(1)) {
        back_off(); // a server that ends every watch at once
      } else {
        st.backoff = {}; // a normal end: the server's timeout
      }
    } catch (const kube_error& e) {
      if (callback_error || cancelled() || st.stop)
        break;
      if (got_events)
        st.backoff = {};
      report(e.what());
      if (!st.stop)
        back_off();
    }
  }
  if (callback_error)
    std::rethrow_exception(callback_error);
  return st.rv;
}

} // namespace fluxd::kube
