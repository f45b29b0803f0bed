#pragma once

#include "adapters/api/types.hpp"
#include "adapters/release/job.hpp"
#include "adapters/release/spec.hpp"

/// Between the API's wire types and adapters/release's job model (issue 8),
/// through Flux v1's JSON, which both sides speak: the daemon_api that
/// queues jobs converts what the routes decoded, and answers job status in
/// the API's Go-exact encoding.
namespace fluxd::api {

/// Throws release::spec_error naming the field the job model refuses.
release::update_spec to_release(const update_spec& spec);
update_spec from_release(const release::update_spec& spec);
job_status from_release(const release::job_status& status);

} // namespace fluxd::api
