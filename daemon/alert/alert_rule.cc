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

bool ReadRule(YamlReader& reader, const YAML::Node& item, AlertRule* rule) {
  if (!reader.ExpectMap(item, "alert rule")) return false;
  const int errors_before = reader.error_count();
  reader.CheckKeys(item,
                   {"alert", "match", "by", "window", "threshold", "spike", "ratio", "for",
                    "keep_firing_for", "labels", "annotations"},
                   "alert rule");
  if (auto n = item["alert"]) {
    if (auto v = reader.String(n, "alert")) rule->name = *v;
  } else {
    reader.Error(item, "alert rule is missing 'alert' (its name)");
  }
  if (auto n = item["match"]) ReadMatch(reader, n, &rule->match);
  if (auto n = item["by"]) {
    if (auto v = reader.StringList(n, "by")) {
      for (const auto& label : *v) {
        if (label != "code" && label != "source" && label != "domain" && label != "category")
          reader.Error(n, "by: '" + label + "' is not one of code, source, domain, category");
      }
      rule->by = *v;
    }
  }
  if (auto n = item["window"])
    if (auto v = reader.DurationMs(n, "window")) rule->window_ms = *v;
  if (rule->window_ms < 1000) reader.Error(item, "window must be at least 1s");
  if (auto n = item["threshold"]) {
    if (auto v = reader.Int(n, "threshold")) {
      if (*v < 1) reader.Error(n, "threshold must be at least 1");
      rule->threshold = *v;
    }
  }
  if (auto n = item["spike"]) {
    AlertRule::Spike spike;
    bool ok = reader.ExpectMap(n, "spike");
    if (ok) {
      reader.CheckKeys(n, {"baseline", "factor", "min_count"}, "spike");
      if (auto b = n["baseline"])
        if (auto v = reader.DurationMs(b, "baseline")) spike.baseline_ms = *v;
      if (auto f = n["factor"]) spike.factor = ReadDouble(reader, f, "factor", &ok);
      if (auto m = n["min_count"])
        if (auto v = reader.Int(m, "min_count")) spike.min_count = *v;
      if (spike.baseline_ms <= rule->window_ms)
        reader.Error(n, "spike baseline must be longer than the window");
    }
    rule->spike = spike;
  }
  if (auto n = item["ratio"]) {
    AlertRule::Ratio ratio;
    bool ok = reader.ExpectMap(n, "ratio");
    if (ok) {
      reader.CheckKeys(n, {"above", "min_total"}, "ratio");
      if (auto a = n["above"]) ratio.above = ReadDouble(reader, a, "above", &ok);
      if (auto m = n["min_total"])
        if (auto v = reader.Int(m, "min_total")) ratio.min_total = *v;
      if (ok && (ratio.above <= 0 || ratio.above >= 1))
        reader.Error(n, "ratio above must be between 0 and 1");
    }
    rule->ratio = ratio;
    for (const auto& label : rule->by) {
      if (label != "source")
        reader.Error(n, "a ratio rule can only be grouped by source (successes have no code)");
    }
  }
  if (auto n = item["for"])
    if (auto v = reader.DurationMs(n, "for")) rule->for_ms = *v;
  if (auto n = item["keep_firing_for"])
    if (auto v = reader.DurationMs(n, "keep_firing_for")) rule->keep_firing_for_ms = *v;
  if (auto n = item["labels"]) ReadStringMap(reader, n, "labels", &rule->labels);
  if (auto n = item["annotations"]) ReadStringMap(reader, n, "annotations", &rule->annotations);
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
