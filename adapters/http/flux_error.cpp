#include "adapters/http/flux_error.hpp"

#include <sstream>
#include <vector>

#include "adapters/api/go_json.hpp"

namespace fluxd::http {

int flux_error::status() const {
  if (type == "missing")
    return 404;
  if (type == "server")
    return 500;
  return 422;
}

// The help texts are Flux v1's, word for word: fluxctl prints them to users.

flux_error api_not_found(const std::string& path) {
  return {"missing",
          "The API endpoint requested is not supported by this server.\n"
          "\n"
          "This indicates that your client (probably fluxctl) is either out of\n"
          "date, or faulty. Please see\n"
          "\n"
          "    https://github.com/fluxcd/flux/releases\n"
          "\n"
          "for releases of fluxctl.\n"
          "\n"
          "If you still have problems, please file an issue at\n"
          "\n"
          "    https://github.com/fluxcd/flux/issues\n"
          "\n"
          "mentioning what you were attempting to do, and include this path:\n"
          "\n"
          "    "
            + path + "\n",
          "API endpoint not found"};
}

flux_error api_deprecated() {
  return {"missing",
          "The API endpoint requested appears to have been deprecated.\n"
          "\n"
          "This indicates your client (fluxctl) needs to be updated: please "
          "see\n"
          "\n"
          "    https://github.com/fluxcd/flux/releases\n"
          "\n"
          "If you still have this problem after upgrading, please file an "
          "issue at\n"
          "\n"
          "    https://github.com/fluxcd/flux/issues\n"
          "\n"
          "mentioning what you were attempting to do.\n",
          "API endpoint deprecated"};
}

flux_error unauthorized() {
  return {"user",
          "The request failed authentication\n"
          "\n"
          "This most likely means you have a missing or incorrect token. "
          "Please\n"
          "make sure you supply a service token, either by setting the\n"
          "environment variable FLUX_SERVICE_TOKEN, or using the argument "
          "--token\n"
          "with fluxctl.\n"
          "\n",
          "request failed authentication"};
}

flux_error from_message(const std::string& error) {
  return {"user",
          "Error: " + error
            + "\n\nWe don't have a specific help message for the error above.\n"
              "\n"
              "It would help us remedy this if you log an issue at\n"
              "\n"
              "    https://github.com/fluxcd/flux/issues\n"
              "\n"
              "saying what you were doing when you saw this, and quoting the "
              "message\n"
              "at the top.\n",
          error};
}

namespace {

struct media_range {
  std::string type;
  double q = 1.0;
};

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<media_range> parse_accept(const std::string& accept) {
  std::vector<media_range> out;
  std::stringstream ss(accept);
  std::string part;
  while (std::getline(ss, part, ',')) {
    std::stringstream ps(part);
    std::string item;
    media_range r;
    bool first = true;
    while (std::getline(ps, item, ';')) {
      item = trim(item);
      if (first) {
        r.type = item;
        first = false;
      } else if (item.rfind("q=", 0) == 0) {
        try {
          r.q = std::stod(item.substr(2));
        } catch (...) {
          r.q = 0;
        }
      }
    }
    if (!r.type.empty())
      out.push_back(r);
  }
  return out;
}

double quality_for(const std::vector<media_range>& ranges,
                   const std::string& type) {
  auto slash = type.find('/');
  auto major = type.substr(0, slash);
  double best = -1;
  int best_specificity = -1;
  for (auto& r : ranges) {
    int specificity = -1;
    if (r.type == type)
      specificity = 2;
    else if (r.type == major + "/*")
      specificity = 1;
    else if (r.type == "*/*")
      specificity = 0;
    if (specificity > best_specificity) {
      best_specificity = specificity;
      best = r.q;
    }
  }
  return best;
}

} // namespace

std::string negotiate_error_type(const std::string& accept) {
  if (trim(accept).empty())
    return {};
  auto ranges = parse_accept(accept);
  double json = quality_for(ranges, "application/json");
  double text = quality_for(ranges, "text/plain");
  if (json <= 0 && text <= 0)
    return {};
  return json >= text ? "application/json" : "text/plain";
}

error_response render_error(const flux_error& err, const std::string& accept,
                            int status_override) {
  int status = status_override ? status_override : err.status();
  auto type = negotiate_error_type(accept);
  if (type == "application/json") {
    // Go's encoding: fluxctl and scripts may compare the bytes.
    api::go_json_writer w;
    w.begin_object();
    w.key("type").value(err.type);
    w.key("help").value(err.help);
    if (!err.error.empty()) // omitempty, as Flux v1
      w.key("error").value(err.error);
    w.end_object();
    return {status, "application/json; charset=utf-8", w.take()};
  }
  if (type == "text/plain")
    return {status, "text/plain; charset=utf-8", err.help};
  return {status, "text/plain; charset=utf-8", err.error};
}

} // namespace fluxd::http
