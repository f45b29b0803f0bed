#include "adapters/api/release_bridge.hpp"

namespace fluxd::api {

release::update_spec to_release(const update_spec& spec) {
  return release::parse_spec(to_json(spec));
}

update_spec from_release(const release::update_spec& spec) {
  return decode_update_spec(release::serialize(spec));
}

job_status from_release(const release::job_status& status) {
  return decode_job_status(release::status_json(status));
}

} // namespace fluxd::api
