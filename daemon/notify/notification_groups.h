// NotificationGroups: Alertmanager's grouping for the receivers errpulse
// posts to directly (chat robots, webhook bridges), so that one problem is
// one message, not one per alert and evaluation.
//
// Alerts are grouped by the values of `group_by` labels (none: every alert
// of the host in one group, as Alertmanager does). A new group is notified
// `group_wait` after its first alert (so that alerts of the same surge,
// evaluated a moment apart, share a message); later changes (an alert fires
// or resolves) at most every `group_interval`; an unchanged firing group
// again after `repeat_interval`. A message lists the group's firing alerts
// and those resolved since its last message; once all have resolved, the
// message that says so closes the group. An alert that fired and resolved
// between two messages is never sent (nobody was paged for it).
//
// Not thread-safe: the pipeline thread (the AlertDispatcher's Tick).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "notify/payload.h"

namespace errpulse {

struct GroupingConfig {
  std::vector<std::string> group_by;  // label names; empty: one group
  int64_t group_wait_ms = 10'000;
  int64_t group_interval_ms = 5 * 60'000;
  int64_t repeat_interval_ms = 4 * 3600'000;
};

// One alert as the dispatcher knows it now: firing, or resolved at
// `ends_at_ms` (`resolved`). `key` identifies it (alertname + labels).
struct GroupedAlert {
  std::string key;
  OutgoingAlert alert;
};

class NotificationGroups {
 public:
  explicit NotificationGroups(GroupingConfig config) : config_(std::move(config)) {}

  // Every alert currently firing or recently resolved, at `now_ms` (wall
  // clock). Returns the messages due now: each the alerts of one group.
  std::vector<std::vector<OutgoingAlert>> Tick(int64_t now_ms,
                                               const std::vector<GroupedAlert>& alerts);
  size_t groups() const { return groups_.size(); }

 private:
  struct Group {
    int64_t created_ms = 0;
    int64_t notified_ms = -1;           // last message; -1: none yet
    std::set<std::string> notified;     // firing alerts the last message listed
  };
  std::string GroupKey(const OutgoingAlert& alert) const;

  GroupingConfig config_;
  std::map<std::string, Group> groups_;
};

}  // namespace errpulse
