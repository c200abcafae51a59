// ConditionsText: a rule's conditions with what each one counted, for the
// {{counts}} annotation template, so the page of an incident rule says
// which streams are in it and how far:
//
//   codes 60007,60011: 34 (≥20); code -2: 25 (≥20)
//   category auth, domain rest_common: 3 (<20); code -2 from source app: 6.1% of 1000 (>5%)
//
// Pure function; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "alert/alert_engine.h"
#include "alert/alert_rule.h"

namespace errpulse {

// What a condition's match counts, e.g. "codes 60007,60011 from source rest".
std::string MatchText(const AlertMatch& match);

// `readings`: one per condition of `rule` (fewer: the rest read as zero).
std::string ConditionsText(const AlertRule& rule, const std::vector<ConditionReading>& readings);

}  // namespace errpulse
