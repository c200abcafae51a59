#include "notify/notification_groups.h"

namespace errpulse {

std::string NotificationGroups::GroupKey(const OutgoingAlert& alert) const {
  std::string key;
  for (const auto& name : config_.group_by) {
    auto it = alert.labels.find(name);
    key += name + '=' + (it == alert.labels.end() ? "" : it->second) + '\n';
  }
  return key;
}

std::vector<std::vector<OutgoingAlert>> NotificationGroups::Tick(
    int64_t now_ms, const std::vector<GroupedAlert>& alerts) {
  // The alerts of each group: firing ones, and resolved ones its last
  // message listed as firing (the message now says they resolved).
  std::map<std::string, std::vector<const GroupedAlert*>> members;
  for (const auto& a : alerts) {
    const std::string key = GroupKey(a.alert);
    auto group = groups_.find(key);
    if (a.alert.resolved) {
      if (group != groups_.end() && group->second.notified.count(a.key))
        members[key].push_back(&a);
      continue;
    }
    if (group == groups_.end()) groups_[key].created_ms = now_ms;
    members[key].push_back(&a);
  }
  std::vector<std::vector<OutgoingAlert>> due;
  for (auto it = groups_.begin(); it != groups_.end();) {
    Group& g = it->second;
    const auto found = members.find(it->first);
    std::set<std::string> firing;
    if (found != members.end())
      for (const GroupedAlert* a : found->second)
        if (!a->alert.resolved) firing.insert(a->key);
    bool send = false;
    if (g.notified_ms < 0) {
      // Not notified yet: after group_wait, if anything still fires.
      if (firing.empty()) {
        it = groups_.erase(it);
        continue;
      }
      send = now_ms - g.created_ms >= config_.group_wait_ms;
    } else if (firing != g.notified) {
      send = now_ms - g.notified_ms >= config_.group_interval_ms;
    } else {
      send = !firing.empty() && now_ms - g.notified_ms >= config_.repeat_interval_ms;
    }
    if (send && found == members.end()) {
      // Its alerts are gone without a message that says so (the dispatcher
      // forgot them): nothing to send, nothing left to close.
      it = groups_.erase(it);
      continue;
    }
    if (send) {
      std::vector<OutgoingAlert> message;
      for (const GroupedAlert* a : found->second) message.push_back(a->alert);
      due.push_back(std::move(message));
      g.notified_ms = now_ms;
      g.notified = std::move(firing);
      if (g.notified.empty()) {  // the resolve message closed it
        it = groups_.erase(it);
        continue;
      }
    }
    ++it;
  }
  return due;
}

}  // namespace errpulse
