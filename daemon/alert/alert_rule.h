// AlertRule: one surge rule, from `alerts:` in a rule file (rules/alerts.yaml
// ships the defaults) or in the config:
//
//   - alert: RestApiRateLimited          # the alertname label
//     match: { codes: [60007] }          # codes, domains, categories, sources:
//                                        #   AND across keys, OR within one
//     by: [code, source]                 # one alert instance per value set
//     window: 1m                         # sliding window of the count
//     threshold: 50                      # condition: count in window >= threshold
//     spike: { baseline: 30m, factor: 4, min_count: 20 }  # optional: also
//                                        #   count >= factor x baseline rate x window
//     ratio: { above: 0.05, min_total: 100 }  # optional, instead of threshold:
//                                        #   errors / (errors + successes) of the source
//     for: 30s                           # pending -> firing after this long
//     keep_firing_for: 2m                # resolve after the condition is false this long
//     labels: { severity: page }
//     annotations: { summary: "..." }    # templates: {{code}} {{name}} {{meaning}}
//                                        #   {{count}} {{counts}} {{window}} {{source}} {{host}}
//     inhibits: [OtherRule]              # optional: while this fires, OtherRule's new
//                                        #   alerts on this host are not sent
//
// An incident rule puts conditions over several streams in one alert:
//
//   - alert: RateLimitIncident
//     all_of:                            # or any_of: at least one of them
//       - { match: { codes: [60007, 60011] }, threshold: 20 }
//       - { match: { codes: [-2] }, ratio: { above: 0.05, min_total: 100 } }
//     window: 2m                         # every condition counts over this window
//     for: 30s
//     inhibits: [RestApiRateLimited]
//
// Each condition takes what a plain rule's condition takes (match, and
// threshold, spike or ratio); the rule takes no `by` (its conditions span codes and
// sources: one alert per host). A plain rule is held as a rule with one
// condition, so both are evaluated, committed and backtested by one code path.
//
// Value types, immutable after loading; thread-compatible.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/diagnostic.h"
#include "common/yaml_reader.h"

namespace errpulse {

struct AlertMatch {
  std::vector<int64_t> codes;
  std::vector<std::string> domains;
  std::vector<std::string> categories;
  std::vector<std::string> sources;
};

// What is counted and when it holds: a plain rule's one condition, or one
// entry of an incident rule's all_of / any_of.
struct AlertCondition {
  AlertMatch match;
  int64_t threshold = 1;
  struct Spike {
    int64_t baseline_ms = 30 * 60'000;
    double factor = 4;
    int64_t min_count = 0;
  };
  std::optional<Spike> spike;
  struct Ratio {
    double above = 0.05;
    int64_t min_total = 0;
  };
  std::optional<Ratio> ratio;
};

// How a rule's conditions combine.
enum class AlertCombine {
  kOne,    // a plain rule: its one condition
  kAllOf,  // an incident rule's all_of: every condition in the same window
  kAnyOf,  // an incident rule's any_of: at least one
};

// Conditions per incident rule, at most: bounds what a state file may claim.
constexpr size_t kMaxAlertConditions = 16;

struct AlertRule {
  std::string name;
  AlertCombine combine = AlertCombine::kOne;
  std::vector<AlertCondition> conditions;  // exactly one for a plain rule
  std::vector<std::string> by;  // of: code, source, domain, category (plain rules)
  int64_t window_ms = 60'000;
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  // Rules whose alerts this rule's firing holds back, and where each name
  // is written (inhibition.h's CheckInhibits, once every rule file is read).
  std::vector<std::string> inhibits;
  std::vector<Diagnostic> inhibits_at;
  std::string defined_in;  // file:line

  bool incident() const { return combine != AlertCombine::kOne; }
};

// Reads an `alerts:` list; appends FILE:LINE:COL diagnostics through `reader`
// and skips invalid rules. Alert names must be unique across calls sharing
// `names` (name -> where defined).
void ReadAlertRules(YamlReader& reader, const YAML::Node& list, std::vector<AlertRule>* rules,
                    std::map<std::string, std::string>* names);

}  // namespace errpulse
