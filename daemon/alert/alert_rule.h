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
//                                        #   {{count}} {{window}} {{source}} {{host}}
//
// Value types, immutable after loading; thread-compatible.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/yaml_reader.h"

namespace errpulse {

struct AlertMatch {
  std::vector<int64_t> codes;
  std::vector<std::string> domains;
  std::vector<std::string> categories;
  std::vector<std::string> sources;
};

struct AlertRule {
  std::string name;
  AlertMatch match;
  std::vector<std::string> by;  // of: code, source, domain, category
  int64_t window_ms = 60'000;
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
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string defined_in;  // file:line
};

// Reads an `alerts:` list; appends FILE:LINE:COL diagnostics through `reader`
// and skips invalid rules. Alert names must be unique across calls sharing
// `names` (name -> where defined).
void ReadAlertRules(YamlReader& reader, const YAML::Node& list, std::vector<AlertRule>* rules,
                    std::map<std::string, std::string>* names);

}  // namespace errpulse
