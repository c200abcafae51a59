// Setup: everything the engine needs that is built from the config and stays
// fixed until the next (re)load: the config itself, the catalog, the rules and
// one LineScanner per source (the source's rule subset).
//
// Immutable after Compile(); shared as std::shared_ptr<const Setup> between
// the pipeline and the CLI commands; thread-safe to read.
#pragma once

#include <memory>
#include <vector>

#include "alert/alert_rule.h"
#include "classify/catalog.h"
#include "config/config.h"
#include "extract/line_scanner.h"
#include "extract/rule_set.h"

namespace errpulse {

struct Setup {
  Config config;
  std::shared_ptr<const Catalog> catalog;
  std::shared_ptr<const RuleSet> rules;
  std::vector<std::unique_ptr<LineScanner>> scanners;  // one per config.sources
  std::unique_ptr<LineScanner> all_rules;              // for `replay`
  std::vector<AlertRule> alerts;                       // rule files' and the config's

  // Loads the catalog and rules the config names and compiles the per-source
  // scanners. Returns nullptr with diagnostics when anything is invalid
  // (including a source naming a rule that does not exist).
  static std::shared_ptr<const Setup> Compile(Config config, Diagnostics* diagnostics);
};

}  // namespace errpulse
