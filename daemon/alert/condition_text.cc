#include "alert/condition_text.h"

#include <cstdio>
#include <type_traits>

namespace errpulse {
namespace {

template <typename T>
std::string List(const char* one, const char* many, const std::vector<T>& values) {
  std::string out = values.size() == 1 ? one : many;
  for (size_t i = 0; i < values.size(); ++i) {
    out += i ? "," : " ";
    if constexpr (std::is_same_v<T, std::string>) {
      out += values[i];
    } else {
      out += std::to_string(values[i]);
    }
  }
  return out;
}

// 0.055 -> "5.5%", 0.05 -> "5%".
std::string Percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", fraction * 100);
  std::string out = buf;
  if (out.size() > 2 && out.compare(out.size() - 2, 2, ".0") == 0) out.resize(out.size() - 2);
  return out + "%";
}

std::string ReadingText(const AlertCondition& c, const ConditionReading& r) {
  if (c.ratio) {
    std::string out = Percent(r.ratio) + " of " + std::to_string(r.total);
    if (r.total < static_cast<uint64_t>(c.ratio->min_total))
      return out + " (fewer than " + std::to_string(c.ratio->min_total) + " responses)";
    return out + (r.met ? " (>" : " (≤") + Percent(c.ratio->above) + ")";
  }
  const bool reached = r.count >= static_cast<uint64_t>(c.threshold);
  std::string out = std::to_string(r.count) + (reached ? " (≥" : " (<") +
                    std::to_string(c.threshold);
  // A spike also needs the count to stand out from the baseline before it.
  if (c.spike && reached)
    out += r.met ? ", a spike" : ", no spike over the baseline";
  return out + ")";
}

}  // namespace

std::string MatchText(const AlertMatch& m) {
  std::string out;
  auto add = [&](std::string part) { out += (out.empty() ? "" : ", ") + part; };
  if (!m.codes.empty()) add(List("code", "codes", m.codes));
  if (!m.categories.empty()) add(List("category", "categories", m.categories));
  if (!m.domains.empty()) add(List("domain", "domains", m.domains));
  if (out.empty()) out = "all errors";
  if (!m.sources.empty()) out += " from " + List("source", "sources", m.sources);
  return out;
}

std::string ConditionsText(const AlertRule& rule, const std::vector<ConditionReading>& readings) {
  std::string out;
  for (size_t c = 0; c < rule.conditions.size(); ++c) {
    const ConditionReading r = c < readings.size() ? readings[c] : ConditionReading{};
    out += (c ? "; " : "") + MatchText(rule.conditions[c].match) + ": " +
           ReadingText(rule.conditions[c], r);
  }
  return out;
}

}  // namespace errpulse
