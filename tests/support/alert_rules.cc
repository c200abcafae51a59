#include "support/alert_rules.h"

#include <gtest/gtest.h>

#include <map>

#include "common/yaml_reader.h"

namespace errpulse::testing {

std::vector<AlertRule> AlertRulesFromYaml(const std::string& yaml) {
  Diagnostics d;
  YamlReader reader("alerts.yaml", &d);
  auto root = reader.LoadString(yaml);
  std::vector<AlertRule> rules;
  std::map<std::string, std::string> names;
  if (root) ReadAlertRules(reader, *root, &rules, &names);
  EXPECT_EQ(d.size(), 0u) << FormatDiagnostics(d);
  return rules;
}

}  // namespace errpulse::testing
