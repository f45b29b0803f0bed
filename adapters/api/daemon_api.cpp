#include "adapters/api/daemon_api.hpp"

namespace fluxd::api {

api_error unknown_job(const std::string& id) {
  return api_error{http::flux_error{
    "missing",
    "Job not found\n"
    "\n"
    "This is often because the job did not result in committing changes,\n"
    "and therefore had no lasting effect. A release dry-run is an example\n"
    "of a job that does not result in a commit.\n"
    "\n"
    "If you were expecting changes to be committed, this may mean that the\n"
    "job failed, but its status was lost.\n"
    "\n"
    "In both of the above cases it is OK to retry the operation that\n"
    "resulted in this error.\n"
    "\n"
    "If you get this error repeatedly, it's probably a bug. Please log an\n"
    "issue describing what you were attempting, and posting logs from the\n"
    "daemon if possible:\n"
    "\n"
    "    https://github.com/fluxcd/flux/issues\n",
    "unknown job \"" + id + "\""}};
}

} // namespace fluxd::api
