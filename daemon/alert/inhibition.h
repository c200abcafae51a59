// Inhibitions: which rules' firing holds back which rules' alerts, from each
// rule's `inhibits:` list, and the checks on those lists that need every
// rule loaded (rule files' and the config's).
//
// While an instance of rule A fires, the alerts of the rules A inhibits are
// evaluated as ever but their new notifications on this host are not sent
// (the dispatcher holds them, and sends those still firing once A resolves).
//
// Immutable after construction; thread-compatible.
#pragma once

#include <cstddef>
#include <vector>

#include "alert/alert_rule.h"
#include "common/diagnostic.h"

namespace errpulse {

class Inhibitions {
 public:
  // Names that are no rule are left out (CheckInhibits reports them).
  explicit Inhibitions(const std::vector<AlertRule>& rules);

  // The indices of the rules whose firing holds back rule `rule`'s alerts.
  const std::vector<size_t>& InhibitorsOf(size_t rule) const { return inhibitors_[rule]; }

 private:
  std::vector<std::vector<size_t>> inhibitors_;  // by inhibited rule
};

// Each name under `inhibits` is a rule, and no rules inhibit each other in a
// loop (all of them would stay quiet while all fire). Appends FILE:LINE:COL
// diagnostics, at the name in the list.
void CheckInhibits(const std::vector<AlertRule>& rules, Diagnostics* diagnostics);

}  // namespace errpulse
