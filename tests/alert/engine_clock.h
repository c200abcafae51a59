// Test helpers for the AlertEngine on a fake clock: one rule from YAML (read
// by the daemon's loader) and the transitions of evaluating second by
// second, as "SECOND STATE COUNT" lines.
//
// For tests only; header-only (tests/alert builds its *_test.cc files).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "alert/alert_engine.h"
#include "support/alert_rules.h"

namespace errpulse::testing {

inline AlertRule Rule(const std::string& yaml) {
  std::vector<AlertRule> rules = AlertRulesFromYaml(yaml);
  EXPECT_EQ(rules.size(), 1u);
  return rules.empty() ? AlertRule() : rules[0];
}

inline std::vector<std::string> EvaluateEachSecond(AlertEngine& engine, int64_t from_s,
                                                   int64_t to_s) {
  std::vector<std::string> out;
  for (int64_t s = from_s; s <= to_s; ++s)
    for (const auto& t : engine.Evaluate(s * 1000))
      out.push_back(std::to_string(s) + " " + t.to + " " + std::to_string(t.count));
  return out;
}

}  // namespace errpulse::testing
