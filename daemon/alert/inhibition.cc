#include "alert/inhibition.h"

#include <algorithm>
#include <map>
#include <string>

namespace errpulse {
namespace {

std::map<std::string, size_t> IndexByName(const std::vector<AlertRule>& rules) {
  std::map<std::string, size_t> index;
  for (size_t r = 0; r < rules.size(); ++r) index.emplace(rules[r].name, r);
  return index;
}

}  // namespace

Inhibitions::Inhibitions(const std::vector<AlertRule>& rules) : inhibitors_(rules.size()) {
  const auto index = IndexByName(rules);
  for (size_t r = 0; r < rules.size(); ++r) {
    for (const auto& name : rules[r].inhibits) {
      auto it = index.find(name);
      if (it != index.end() && it->second != r) inhibitors_[it->second].push_back(r);
    }
  }
}

void CheckInhibits(const std::vector<AlertRule>& rules, Diagnostics* diagnostics) {
  const auto index = IndexByName(rules);
  // Whether `from` holds back `to`, directly or through other rules.
  auto reaches = [&](size_t from, size_t to) {
    std::vector<bool> seen(rules.size(), false);
    std::vector<size_t> todo{from};
    while (!todo.empty()) {
      const size_t r = todo.back();
      todo.pop_back();
      if (r == to) return true;
      if (seen[r]) continue;
      seen[r] = true;
      for (const auto& name : rules[r].inhibits)
        if (auto it = index.find(name); it != index.end()) todo.push_back(it->second);
    }
    return false;
  };
  for (size_t r = 0; r < rules.size(); ++r) {
    const AlertRule& rule = rules[r];
    for (size_t i = 0; i < rule.inhibits.size(); ++i) {
      Diagnostic d = i < rule.inhibits_at.size() ? rule.inhibits_at[i] : Diagnostic{};
      auto it = index.find(rule.inhibits[i]);
      if (it == index.end()) {
        d.message = "alert '" + rule.name + "' inhibits '" + rule.inhibits[i] +
                    "', which is no alert rule";
      } else if (it->second != r && reaches(it->second, r)) {
        const auto& back = rules[it->second].inhibits;
        const bool direct = std::find(back.begin(), back.end(), rule.name) != back.end();
        d.message = "alert '" + rule.name + "' inhibits '" + rule.inhibits[i] +
                    "', which inhibits it back" + (direct ? "" : " through other rules") +
                    ": while all of them fire, none would be sent";
      } else {
        continue;
      }
      diagnostics->push_back(std::move(d));
    }
  }
}

}  // namespace errpulse
