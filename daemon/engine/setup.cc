#include "engine/setup.h"

#include <map>
#include <string>

#include "alert/inhibition.h"

namespace errpulse {

std::shared_ptr<const Setup> Setup::Compile(Config config, Diagnostics* diagnostics) {
  const size_t errors_before = diagnostics->size();
  auto setup = std::make_shared<Setup>();
  setup->catalog = Catalog::Load(config.catalog_files, diagnostics);
  // The rule files' `alerts:` lists are alert/'s to read: RuleSet::Load hands
  // each over with its file's reader, so diagnostics keep their file order.
  std::map<std::string, std::string> alert_names;  // unique across the rule files
  const RuleFileSection alert_lists{"alerts", [&](YamlReader& reader, const YAML::Node& list) {
                                      ReadAlertRules(reader, list, &setup->alerts, &alert_names);
                                    }};
  setup->rules = RuleSet::Load(config.rule_files, diagnostics, &alert_lists);
  if (setup->rules) {
    if (setup->rules->rules().empty())
      diagnostics->push_back({config.file.empty() ? "rules" : config.file, 0, 0,
                              "no extraction rules loaded"});
    for (const auto& source : config.sources) {
      std::vector<int> indices;
      for (size_t i = 0; i < source.rules.size(); ++i) {
        int index = setup->rules->Find(source.rules[i]);
        if (index < 0) {
          Diagnostic d = source.rule_positions[i];
          d.message = "source '" + source.name + "': no extraction rule named '" +
                      source.rules[i] + "'";
          diagnostics->push_back(std::move(d));
          continue;
        }
        indices.push_back(index);
      }
      if (source.rules.empty()) indices = setup->rules->AllRules();
      setup->scanners.push_back(
          std::make_unique<LineScanner>(setup->rules, std::move(indices)));
    }
    setup->all_rules = std::make_unique<LineScanner>(setup->rules, setup->rules->AllRules());
    for (const auto& scanner : setup->scanners) {
      if (!scanner->ok())
        diagnostics->push_back({config.file, 0, 0,
                                "combining the rules failed: " + scanner->error()});
    }
  }
  if (setup->rules) {
    for (const auto& alert : config.alerts) {
      for (const auto& other : setup->alerts) {
        if (other.name == alert.name)
          diagnostics->push_back({config.file, 0, 0,
                                  "alert '" + alert.name + "' (" + alert.defined_in +
                                      ") is already defined at " + other.defined_in});
      }
      setup->alerts.push_back(alert);
    }
    // `inhibits:` may name a rule of another file, or of the config.
    CheckInhibits(setup->alerts, diagnostics);
  }
  if (diagnostics->size() != errors_before || !setup->catalog || !setup->rules)
    return nullptr;
  setup->config = std::move(config);
  return setup;
}

}  // namespace errpulse
