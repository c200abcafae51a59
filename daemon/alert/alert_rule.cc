#include "alert/alert_rule.h"

#include <algorithm>

namespace errpulse {
namespace {

void ReadMatch(YamlReader& reader, const YAML::Node& node, AlertMatch* match) {
  if (!reader.ExpectMap(node, "match")) return;
  reader.CheckKeys(node, {"codes", "domains", "categories", "sources"}, "match");
  if (auto n = node["codes"]) {
    if (reader.ExpectSequence(n, "codes")) {
      for (const auto& item : n)
        if (auto v = reader.Int(item, "code")) match->codes.push_back(*v);
    }
  }
  auto strings = [&](const char* key, std::vector<std::string>* out) {
    if (auto n = node[key])
      if (auto v = reader.StringList(n, key)) *out = *v;
  };
  strings("domains", &match->domains);
  strings("categories", &match->categories);
  strings("sources", &match->sources);
}

void ReadStringMap(YamlReader& reader, const YAML::Node& node, const char* what,
                   std::map<std::string, std::string>* out) {
  if (!reader.ExpectMap(node, what)) return;
  for (const auto& item : node) {
    if (auto v = reader.String(item.second, what)) (*out)[item.first.Scalar()] = *v;
  }
}

double ReadDouble(YamlReader& reader, const YAML::Node& node, const char* what, bool* ok) {
  try {
    return node.as<double>();
  } catch (const YAML::Exception&) {
    reader.Error(node, std::string(what) + " must be a number");
    *ok = false;
    return 0;
  }
}

// The key node `key` of mapping `map` (or the map itself): a key that does
// not belong is reported where the key is written.
YAML::Node KeyOf(const YAML::Node& map, const char* key) {
  for (const auto& entry : map)
    if (entry.first.Scalar() == key) return entry.first;
  return map;
}

// `match`, `threshold`, `spike` and `ratio` of `node`: a plain rule, or one
// entry of an incident rule's all_of / any_of.
void ReadCondition(YamlReader& reader, const YAML::Node& node, int64_t window_ms,
                   AlertCondition* c) {
  if (auto n = node["match"]) ReadMatch(reader, n, &c->match);
  if (auto n = node["threshold"]) {
    if (auto v = reader.Int(n, "threshold")) {
      if (*v < 1) reader.Error(n, "threshold must be at least 1");
      c->threshold = *v;
    }
  }
  if (auto n = node["spike"]) {
    AlertCondition::Spike spike;
    bool ok = reader.ExpectMap(n, "spike");
    if (ok) {
      reader.CheckKeys(n, {"baseline", "factor", "min_count"}, "spike");
      if (auto b = n["baseline"])
        if (auto v = reader.DurationMs(b, "baseline")) spike.baseline_ms = *v;
      if (auto f = n["factor"]) spike.factor = ReadDouble(reader, f, "factor", &ok);
      if (auto m = n["min_count"])
        if (auto v = reader.Int(m, "min_count")) spike.min_count = *v;
      if (spike.baseline_ms <= window_ms)
        reader.Error(n, "spike baseline must be longer than the window");
    }
    c->spike = spike;
  }
  if (auto n = node["ratio"]) {
    AlertCondition::Ratio ratio;
    bool ok = reader.ExpectMap(n, "ratio");
    if (ok) {
      reader.CheckKeys(n, {"above", "min_total"}, "ratio");
      if (auto a = n["above"]) ratio.above = ReadDouble(reader, a, "above", &ok);
      if (auto m = n["min_total"])
        if (auto v = reader.Int(m, "min_total")) ratio.min_total = *v;
      if (ok && (ratio.above <= 0 || ratio.above >= 1))
        reader.Error(n, "ratio above must be between 0 and 1");
    }
    c->ratio = ratio;
    // A ratio replaces the threshold: both would leave one unread.
    if (node["threshold"])
      reader.Error(KeyOf(node, "threshold"), "a condition takes threshold or ratio, not both");
  }
}

// An incident rule's all_of / any_of list.
void ReadConditions(YamlReader& reader, const YAML::Node& list, const char* key,
                    AlertRule* rule) {
  if (!reader.ExpectSequence(list, key)) return;
  if (list.size() == 0) reader.Error(list, std::string(key) + " needs at least one condition");
  if (list.size() > kMaxAlertConditions)
    reader.Error(list, std::string(key) + " takes at most " +
                           std::to_string(kMaxAlertConditions) + " conditions");
  for (const auto& item : list) {
    if (!reader.ExpectMap(item, std::string(key) + " condition")) continue;
    reader.CheckKeys(item, {"match", "threshold", "spike", "ratio"},
                     std::string(key) + " condition");
    AlertCondition c;
    ReadCondition(reader, item, rule->window_ms, &c);
    rule->conditions.push_back(std::move(c));
  }
}

void ReadInhibits(YamlReader& reader, const YAML::Node& node, AlertRule* rule) {
  auto one = [&](const YAML::Node& n) {
    if (auto v = reader.String(n, "inhibits")) {
      if (*v == rule->name) {
        reader.Error(n, "alert '" + *v + "' cannot inhibit itself");
        return;
      }
      rule->inhibits.push_back(*v);
      rule->inhibits_at.push_back(reader.Where(n));
    }
  };
  if (node.IsSequence()) {
    for (const auto& n : node) one(n);
  } else {
    one(node);
  }
}

bool ReadRule(YamlReader& reader, const YAML::Node& item, AlertRule* rule) {
  if (!reader.ExpectMap(item, "alert rule")) return false;
  const int errors_before = reader.error_count();
  reader.CheckKeys(item,
                   {"alert", "match", "all_of", "any_of", "by", "window", "threshold", "spike",
                    "ratio", "for", "keep_firing_for", "labels", "annotations", "inhibits"},
                   "alert rule");
  if (auto n = item["alert"]) {
    if (auto v = reader.String(n, "alert")) rule->name = *v;
  } else {
    reader.Error(item, "alert rule is missing 'alert' (its name)");
  }
  if (auto n = item["window"])
    if (auto v = reader.DurationMs(n, "window")) rule->window_ms = *v;
  if (rule->window_ms < 1000) reader.Error(item, "window must be at least 1s");
  const YAML::Node all_of = item["all_of"], any_of = item["any_of"];
  if (all_of && any_of)
    reader.Error(KeyOf(item, "any_of"), "an alert rule takes all_of or any_of, not both");
  if (all_of || any_of) {
    const char* key = all_of ? "all_of" : "any_of";
    rule->combine = all_of ? AlertCombine::kAllOf : AlertCombine::kAnyOf;
    // What a plain rule says once says it per condition here.
    for (const char* misplaced : {"match", "threshold", "spike", "ratio"}) {
      if (item[misplaced])
        reader.Error(KeyOf(item, misplaced), std::string("'") + misplaced +
                                                 "' goes in each condition of " + key +
                                                 " in an incident rule");
    }
    if (item["by"])
      reader.Error(KeyOf(item, "by"), "an incident rule takes no 'by': its conditions span "
                                      "codes and sources, so it is one alert per host");
    ReadConditions(reader, all_of ? all_of : any_of, key, rule);
  } else {
    AlertCondition c;
    ReadCondition(reader, item, rule->window_ms, &c);
    rule->conditions.push_back(std::move(c));
  }
  if (auto n = item["by"]; n && !rule->incident()) {
    if (auto v = reader.StringList(n, "by")) {
      for (const auto& label : *v) {
        if (label != "code" && label != "source" && label != "domain" && label != "category")
          reader.Error(n, "by: '" + label + "' is not one of code, source, domain, category");
        // Successes carry no code, domain or category: a ratio's total is a source's.
        if (rule->conditions[0].ratio && label != "source")
          reader.Error(n, "a ratio rule can only be grouped by source (successes have no code)");
      }
      rule->by = *v;
    }
  }
  if (auto n = item["for"])
    if (auto v = reader.DurationMs(n, "for")) rule->for_ms = *v;
  if (auto n = item["keep_firing_for"])
    if (auto v = reader.DurationMs(n, "keep_firing_for")) rule->keep_firing_for_ms = *v;
  if (auto n = item["labels"]) ReadStringMap(reader, n, "labels", &rule->labels);
  if (auto n = item["annotations"]) ReadStringMap(reader, n, "annotations", &rule->annotations);
  if (auto n = item["inhibits"]) ReadInhibits(reader, n, rule);
  rule->defined_in = reader.file() + ":" + std::to_string(item.Mark().line + 1);
  return reader.error_count() == errors_before;
}

}  // namespace

void ReadAlertRules(YamlReader& reader, const YAML::Node& list, std::vector<AlertRule>* rules,
                    std::map<std::string, std::string>* names) {
  if (!reader.ExpectSequence(list, "alerts")) return;
  for (const auto& item : list) {
    AlertRule rule;
    if (!ReadRule(reader, item, &rule)) continue;
    auto [it, inserted] = names->emplace(rule.name, rule.defined_in);
    if (!inserted) {
      reader.Error(item["alert"], "alert '" + rule.name + "' is already defined at " + it->second);
      continue;
    }
    rules->push_back(std::move(rule));
  }
}

}  // namespace errpulse
