#include "adapters/manifests/verify.hpp"

#include <map>

#include "adapters/manifests/editor.hpp"
#include "adapters/manifests/workload.hpp"

namespace fluxd::manifests {

namespace {

[[noreturn]] void fail(const std::string& why) {
  throw edit_error("failed to verify changes: " + why);
}

} // namespace

void verify_updates(const load_result& before, const load_result& after,
                    const std::vector<image_update>& updates) {
  for (const auto& [id, _] : before.resources)
    if (!after.resources.count(id))
      fail("resource " + id + " is missing after the update");
  for (const auto& [id, _] : after.resources)
    if (!before.resources.count(id))
      fail("resource " + id + " appeared after the update");
  std::map<std::pair<std::string, std::string>, image::ref> expected;
  for (const auto& u : updates) {
    if (!before.resources.count(u.id))
      fail("resource " + u.id + " to update is not in the manifests");
    expected.insert_or_assign({u.id, u.container}, u.target);
  }
  for (const auto& [id, old_res] : before.resources) {
    auto old_c = containers_of(old_res.node);
    auto new_c = containers_of(after.resources.at(id).node);
    if (old_c.containers.size() != new_c.containers.size())
      fail("resource " + id + " has " + std::to_string(new_c.containers.size())
           + " containers, expected "
           + std::to_string(old_c.containers.size()));
    for (std::size_t i = 0; i < old_c.containers.size(); ++i) {
      const auto& was = old_c.containers[i];
      const auto& now = new_c.containers[i];
      if (was.name != now.name)
        fail("resource " + id + " container " + std::to_string(i) + " is \""
             + now.name + "\", expected \"" + was.name + "\"");
      auto want = expected.find({id, was.name});
      auto image = want == expected.end() ? was.image : want->second;
      if (now.image != image)
        fail("resource " + id + " container \"" + was.name + "\" has image "
             + now.image.to_string() + ", expected " + image.to_string());
    }
  }
  for (const auto& [key, _] : expected) {
    bool found = false;
    for (const auto& c : containers_of(before.resources.at(key.first).node)
                           .containers)
      found = found || c.name == key.second;
    if (!found)
      fail("resource " + key.first + " has no container \"" + key.second
           + "\"");
  }
}

} // namespace fluxd::manifests
