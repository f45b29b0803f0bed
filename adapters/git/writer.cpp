#include "adapters/git/writer.hpp"

#include <algorithm>

namespace fluxd::git {

edit_fn fixed_changes(std::vector<file_change> changes) {
  return [changes = std::move(changes)](const tree_view&) { return changes; };
}

write_result write_once(repository& repo, const write_request& request,
                        const commit_identity& id,
                        const head_check_fn& check_head) {
  repo.fetch();
  auto head = repo.branch_head(request.branch);
  if (check_head)
    check_head(head);
  auto changes = request.edits(tree_view{repo, head});
  if (changes.empty())
    return {head, false};
  auto commit =
      repo.commit(head, changes, request.message, id, request.cause_user);
  if (!commit)
    return {head, false};
  std::string notes_ref;
  if (!request.note.empty()) {
    notes_ref = request.notes_ref.empty() ? "flux" : request.notes_ref;
    repo.add_note(notes_ref, *commit, request.note, id);
  }
  if (request.before_push)
    request.before_push();
  repo.push_branch(request.branch, *commit, notes_ref);
  return {*commit, true};
}

std::chrono::milliseconds retry_delay(const retry_policy& policy, int attempt) {
  auto delay = policy.first_delay;
  for (int i = 2; i < attempt && delay < policy.max_delay; ++i)
    delay *= 2;
  return std::min(delay, policy.max_delay);
}

} // namespace fluxd::git
