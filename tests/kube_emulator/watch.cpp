/// Watch streams: chunked JSON events, one per line, read from the store's
/// event log; bookmarks; 410 Gone as an ERROR event.
#include "tests/kube_emulator/server.hpp"

#include <optional>
#include <thread>

#include <httplib.h>

#include "tests/kube_emulator/objects.hpp"
#include "tests/kube_emulator/table.hpp"

namespace kube_emulator {

struct watch_state;

namespace {

using clock = std::chrono::steady_clock;

/// How long a watch that just wrote lets further events gather.
constexpr std::chrono::milliseconds watch_coalesce_window{20};

void append_event(std::string& out, std::string_view type,
                  const std::string& object_json) {
  out += "{\"type\":\"";
  out += type;
  out += "\",\"object\":";
  out += object_json;
  out += "}\n";
}

std::string event_line(const char* type, const json::object& obj) {
  std::string out;
  append_event(out, type, json::serialize(obj));
  return out;
}

} // namespace

struct watch_state {
  resource_type type;
  std::string ns;
  selector labels;
  selector fields;
  bool bookmarks = false;
  std::uint64_t rv = 0;
  std::vector<object_ptr> initial;
  bool initial_sent = false;
  bool expired = false;
  bool too_large = false; ///< asked for a future resourceVersion
  clock::time_point deadline;
  clock::time_point next_bookmark;
  clock::time_point last_write; ///< of events, for coalescing
  std::vector<watch_event> batch;
  std::optional<table_request> table; ///< events carry one-row Tables

  /// One event line, as the object or as a Table row.
  void append(std::string& out, std::string_view type, const object_ptr& obj,
              const object_text* text) {
    if (table) {
      out += "{\"type\":\"";
      out += type;
      out += "\",\"object\":";
      out += json::serialize(make_table(this->type, {obj}, *table));
      out += "}\n";
      table->headers = false; // kubectl keeps the first event's columns
      return;
    }
    append_event(out, type, text ? text->get() : json::serialize(*obj));
  }

  bool matches(const json::object& obj) const {
    if (type.namespaced && !ns.empty() && meta_str(obj, "namespace") != ns)
      return false;
    return labels.matches(obj) && fields.matches(obj);
  }
};

void api_server::start_watch(const httplib::Request& req,
                             httplib::Response& res, const resource_type& type,
                             const std::string& ns) {
  auto st = std::make_shared<watch_state>();
  st->type = type;
  st->ns = ns;
  auto get = [&](const char* name) {
    return req.has_param(name) ? req.get_param_value(name) : std::string{};
  };
  st->labels = selector::labels(get("labelSelector"));
  st->fields = selector::fields(get("fieldSelector"));
  st->bookmarks = get("allowWatchBookmarks") == "true";
  if (auto tv = table_version(req.get_header_value("Accept")); !tv.empty())
    st->table = table_options(req, tv);
  long timeout = 1800;
  if (auto t = get("timeoutSeconds"); !t.empty()) {
    if (t.find_first_not_of("0123456789") != std::string::npos)
      throw bad_request("invalid timeoutSeconds: " + t);
    timeout = std::stol(t);
  }
  auto now = clock::now();
  st->deadline = now + std::chrono::seconds(timeout);
  st->next_bookmark = now + config_.bookmark_interval;
  auto rv = get("resourceVersion");
  if (rv.empty() || rv == "0") {
    st->initial = store_.snapshot(type, ns, st->rv);
  } else {
    if (rv.find_first_not_of("0123456789") != std::string::npos)
      throw bad_request("invalid resourceVersion: " + rv);
    st->rv = std::stoull(rv);
    st->expired = st->rv < store_.oldest_watchable();
    // A resourceVersion from the future (say, from before a restart that
    // lost the state): the API server answers 504 ResourceVersionTooLarge,
    // and clients re-list.
    st->too_large = st->rv > store_.resource_version();
  }
  res.status = 200;
  // Not plain "application/json": httplib would gzip the stream and hold
  // events back in the compressor.
  res.set_chunked_content_provider("application/json;stream=watch",
                                   [this, st](size_t, httplib::DataSink& sink) {
                                     // httplib does not catch exceptions from
                                     // providers.
                                     try {
                                       return stream_watch(*st, sink);
                                     } catch (const std::exception&) {
                                       return false;
                                     }
                                   });
}

bool api_server::stream_watch(watch_state& w, httplib::DataSink& sink) {
  auto* st = &w;
  auto write = [&](const std::string& line) {
    return sink.write(line.data(), line.size());
  };
  if (st->too_large) {
    api_error e(504, "Timeout",
                "Timeout: Too large resource version: " + std::to_string(st->rv)
                    + ", current: " + std::to_string(store_.resource_version()),
                json::object{{"causes",
                              {{{"reason", "ResourceVersionTooLarge"},
                                {"message", "Too large resource version"}}}},
                             {"retryAfterSeconds", 1}});
    write(event_line("ERROR", e.status()));
    sink.done();
    return true;
  }
  if (st->expired) {
    api_error gone(410, "Expired",
                   "too old resource version: " + std::to_string(st->rv) + " ("
                       + std::to_string(store_.oldest_watchable()) + ")");
    write(event_line("ERROR", gone.status()));
    sink.done();
    return true;
  }
  if (!st->initial_sent) {
    st->initial_sent = true;
    std::string chunk;
    for (auto& obj : st->initial)
      if (st->matches(*obj))
        st->append(chunk, "ADDED", obj, nullptr);
    st->initial.clear();
    if (!chunk.empty() && !write(chunk))
      return false;
    return true;
  }
  auto now = clock::now();
  if (stopping_ || now >= st->deadline) {
    sink.done();
    return true;
  }
  // Right after a write, let a burst gather for a moment: one TLS record
  // and one syscall for many events instead of one each. The first event
  // after a quiet spell still goes out at once.
  if (auto gather = st->last_write + watch_coalesce_window;
      gather > now && gather < st->deadline) {
    std::this_thread::sleep_until(gather);
    now = clock::now();
  }
  auto until =
      std::min(st->deadline, st->bookmarks ? st->next_bookmark : st->deadline);
  // Wake at least every second to notice a client that went away.
  until = std::min(until, now + std::chrono::seconds(1));
  auto wait =
      std::chrono::duration_cast<std::chrono::milliseconds>(until - now);
  bool stopped = false;
  st->batch.clear();
  if (!store_.wait_events(st->type.group_resource(), st->rv, st->batch,
                          std::max(wait, std::chrono::milliseconds(1)),
                          stopped)) {
    st->expired = true;
    return true;
  }
  if (stopped) {
    sink.done();
    return true;
  }
  std::string chunk;
  for (auto& e : st->batch) {
    bool now_in = st->matches(*e.object);
    bool was_in = e.old && st->matches(*e.old);
    if (e.type == "MODIFIED") {
      if (now_in && was_in)
        st->append(chunk, "MODIFIED", e.object, e.text.get());
      else if (now_in)
        st->append(chunk, "ADDED", e.object, e.text.get());
      else if (was_in)
        st->append(chunk, "DELETED", e.object, e.text.get());
    } else if (now_in) {
      st->append(chunk, e.type, e.object, e.text.get());
    }
  }
  if (st->bookmarks && clock::now() >= st->next_bookmark) {
    json::object mark{
        {"kind", st->type.kind},
        {"apiVersion", st->type.group_version()},
        {"metadata", {{"resourceVersion", std::to_string(st->rv)}}}};
    chunk += event_line("BOOKMARK", mark);
    st->next_bookmark = clock::now() + config_.bookmark_interval;
  }
  if (!chunk.empty()) {
    st->last_write = clock::now();
    return write(chunk);
  }
  // Nothing to say: probe the connection so a closed watch frees its
  // thread.
  return sink.is_writable();
}

} // namespace kube_emulator
