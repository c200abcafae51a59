// Test helper: alert rules from a YAML list (as under `alerts:`), read with
// the daemon's own loader; a diagnostic fails the calling test.
#pragma once

#include <string>
#include <vector>

#include "alert/alert_rule.h"

namespace errpulse::testing {

std::vector<AlertRule> AlertRulesFromYaml(const std::string& yaml);

}  // namespace errpulse::testing
