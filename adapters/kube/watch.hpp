#pragma once

#include "adapters/kube/client.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>

namespace fluxd::kube {

/// Splits a watch body into JSON values by value boundaries, however the
/// bytes were chunked.
class json_stream {
public:
  json_stream();
  /// Calls `on_value` for each complete value; stops early (returning
  /// false) when it returns false. Throws kube_error on malformed input.
  bool feed(std::string_view data,
            const std::function<bool(boost::json::value&&)>& on_value);

private:
  boost::json::stream_parser parser_;
};

enum class watch_event_type {
  added,
  modified,
  deleted,
  bookmark,
  /// A full list: at the start, and again after 410 Gone. Objects not in
  /// `items` are gone; everything else is current.
  synced,
  /// Something failed (the loop goes on after a back-off); `message` says
  /// what. Return false from the callback to give up.
  error,
};

const char* to_string(watch_event_type t);

struct watch_event {
  watch_event_type type;
  boost::json::value object; ///< added, modified, deleted, bookmark
  boost::json::array items;  ///< synced
  std::string resource_version;
  std::string message; ///< error
};

/// Return false to end the watch.
/// The event is the callback's to keep: it may move the object out.
using watch_callback = std::function<bool(watch_event&)>;

struct watch_options {
  std::string label_selector;
  std::string field_selector;
  /// Where to start; empty: list first and deliver `synced`.
  std::string resource_version;
  bool bookmarks = true;
  /// The server ends each watch request after a random time in this range
  /// (client-go's reflector uses 5–10 minutes); we then re-watch.
  std::chrono::seconds min_server_timeout{300};
  std::chrono::seconds max_server_timeout{600};
  /// Called each time the events read so far have all been delivered and
  /// the stream waits for more: a caller that batches events sends them
  /// here (a server writes a burst of events at once).
  std::function<void()> on_pause;
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
  int list_page_size = 500;
};

/// An informer-style loop on the caller's thread: (list →) watch from the
/// last resourceVersion, re-watch when the server ends the stream,
/// re-list on 410 Gone, reconnect with back-off when the connection or the
/// server fails. Returns the last resourceVersion seen when the callback
/// returns false or `cancel` is triggered (from any thread).
std::string watch(client& c, const resource_info& res, std::string_view ns,
                  const watch_options& opts, const watch_callback& callback,
                  stream_cancel* cancel = nullptr);

} // namespace fluxd::kube
