#include "alert/dispatcher.h"

#include <nlohmann/json.hpp>

#include "alert/condition_text.h"
#include "alert/event_time.h"
#include "common/time_format.h"

namespace errpulse {
namespace {

constexpr int64_t kResolvedResendMs = 15 * 60'000;
constexpr int64_t kEventTimeToleranceMs = 10 * 60'000;

std::string Key(const std::map<std::string, std::string>& labels) {
  std::string key;
  for (const auto& [k, v] : labels) key += k + "=" + v + "\x1f";
  return key;
}

std::string Duration(int64_t ms) {
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  return std::to_string(ms / 1000) + "s";
}

std::string Render(const std::string& text, const std::map<std::string, std::string>& values) {
  std::string out;
  for (size_t at = 0; at < text.size();) {
    const size_t open = text.find("{{", at);
    if (open == std::string::npos) {
      out += text.substr(at);
      break;
    }
    const size_t close = text.find("}}", open);
    if (close == std::string::npos) {
      out += text.substr(at);
      break;
    }
    out += text.substr(at, open - at);
    std::string name = text.substr(open + 2, close - open - 2);
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    auto it = values.find(name);
    if (it != values.end()) out += it->second;
    at = close + 2;
  }
  return out;
}

}  // namespace

std::string Rfc3339(int64_t ms) { return FormatUtc(ms, /*with_millis=*/true); }

AlertDispatcher::AlertDispatcher(std::vector<AlertRule> rules,
                                 std::shared_ptr<const Catalog> catalog, std::string host,
                                 int64_t resend_interval_ms,
                                 std::vector<Destination> destinations)
    : engine_(std::move(rules)),
      catalog_(std::move(catalog)),
      host_(std::move(host)),
      resend_ms_(resend_interval_ms),
      destinations_(std::move(destinations)) {}

void AlertDispatcher::Observe(const std::string& source, const Match& match,
                              const CatalogEntry* entry, int64_t now_ms, int64_t envelope_ms) {
  // Successes only feed ratio rules. Without one, skipping them saves parsing
  // the time of ~40% of all lines on the pipeline thread; the engine's clock
  // still moves with every error and every evaluation (wall clock).
  if (match.code == 0 && !engine_.WantsSuccesses()) return;
  int64_t time = now_ms;
  if (const int64_t day = now_ms / 86'400'000; day != year_day_) {
    year_day_ = day;
    year_ = YearOfMs(now_ms);
  }
  // The line's own time, unless it is far from the clock (no zone, a backlog).
  if (auto t = envelope_ms >= 0 ? std::optional<int64_t>(envelope_ms)
                                : ParseEventTime(match.line, year_);
      t && *t > now_ms - kEventTimeToleranceMs && *t < now_ms + kEventTimeToleranceMs)
    time = *t;
  engine_.Observe(ClassifiedEvent(entry, source, match.code, time));
}

std::map<std::string, std::string> AlertDispatcher::Labels(
    const AlertRule& rule, const std::map<std::string, std::string>& by) const {
  std::map<std::string, std::string> labels = rule.labels;
  for (const auto& [k, v] : by) labels[k] = v;
  labels["alertname"] = rule.name;
  if (!host_.empty()) labels["host"] = host_;
  return labels;
}

std::map<std::string, std::string> AlertDispatcher::Annotations(
    const AlertRule& rule, const std::map<std::string, std::string>& by, uint64_t count,
    const std::vector<ConditionReading>& readings) const {
  std::map<std::string, std::string> values = by;
  values["count"] = std::to_string(count);
  values["counts"] = ConditionsText(rule, readings);
  values["window"] = Duration(rule.window_ms);
  values["host"] = host_;
  if (auto code = by.find("code"); code != by.end()) {
    if (const CatalogEntry* e = catalog_->Find(std::atoll(code->second.c_str()))) {
      values["name"] = e->name;
      values["meaning"] = e->meaning_en;
      values["action"] = e->action;
    }
  }
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : rule.annotations) out[k] = Render(v, values);
  if (values.count("action") && !out.count("action")) out["action"] = values["action"];
  return out;
}

void AlertDispatcher::Import(const std::vector<AlertInstanceState>& instances) {
  engine_.Import(instances);
  for (const auto& in : engine_.Instances()) {
    if (in.state != AlertState::kFiring) continue;
    const auto labels = Labels(*in.rule, in.labels);
    // Held before the restart if an inhibitor already fired when it did
    // (and fires still): it stays held.
    const int64_t inhibited_since = engine_.InhibitedSince(*in.rule);
    const bool held = inhibited_since >= 0 && inhibited_since <= in.firing_since_ms;
    Sent& s = held ? held_[Key(labels)].alert : sent_[Key(labels)];
    if (held) held_[Key(labels)].rule = in.rule;
    s.labels = labels;
    s.starts_at_ms = in.active_since_ms;
    s.last_sent_ms = 0;  // re-sent at the first tick
  }
  annotate_restored_ = true;
}

bool AlertDispatcher::HoldBack(const AlertTransition& t,
                               const std::map<std::string, std::string>& labels,
                               const std::string& key) {
  if (t.to == "resolved") return held_.erase(key) > 0;  // never sent: nothing to close
  if (!engine_.InhibitorOf(*t.rule)) return false;
  Held& h = held_[key];
  h.rule = t.rule;
  h.alert.labels = labels;
  h.alert.annotations = Annotations(*t.rule, t.labels, t.count, t.conditions);
  h.alert.starts_at_ms = t.active_since_ms;
  return true;
}

void AlertDispatcher::Tick(int64_t now_ms) {
  std::vector<const Sent*> due;
  for (const auto& t : engine_.Evaluate(now_ms)) {
    ++generation_;
    if (t.to != "firing" && t.to != "resolved") continue;
    const auto labels = Labels(*t.rule, t.labels);
    if (HoldBack(t, labels, Key(labels))) continue;
    Sent& s = sent_[Key(labels)];
    if (t.to == "firing") {
      s.labels = labels;
      s.annotations = Annotations(*t.rule, t.labels, t.count, t.conditions);
      s.starts_at_ms = t.active_since_ms;  // as Prometheus: when it became active
      s.resolved_at_ms = -1;
    } else {
      s.resolved_at_ms = now_ms;
    }
    s.last_sent_ms = now_ms;
    due.push_back(&s);
  }
  if (annotate_restored_) {
    annotate_restored_ = false;
    for (const auto& in : engine_.Instances()) {
      const std::string key = Key(Labels(*in.rule, in.labels));
      Sent* s = sent_.count(key) ? &sent_[key] : held_.count(key) ? &held_[key].alert : nullptr;
      if (s && in.state == AlertState::kFiring)
        s->annotations = Annotations(*in.rule, in.labels, in.count, in.conditions);
    }
  }
  // Held alerts still firing once no inhibitor fires: sent now, as they were.
  for (auto it = held_.begin(); it != held_.end();) {
    if (engine_.InhibitorOf(*it->second.rule)) {
      ++it;
      continue;
    }
    Sent& s = sent_[it->first] = std::move(it->second.alert);
    s.last_sent_ms = now_ms;
    due.push_back(&s);
    it = held_.erase(it);
  }
  for (auto it = sent_.begin(); it != sent_.end();) {
    Sent& s = it->second;
    if (s.resolved_at_ms >= 0 && now_ms - s.resolved_at_ms > kResolvedResendMs) {
      it = sent_.erase(it);
      continue;
    }
    if (now_ms - s.last_sent_ms >= resend_ms_) {
      s.last_sent_ms = now_ms;
      due.push_back(&s);
    }
    ++it;
  }
  std::vector<OutgoingAlert> alerts;
  for (const Sent* s : due) alerts.push_back(Outgoing(*s, now_ms));
  // Grouped receivers look at every alert the dispatcher knows, every tick
  // (group_wait and group_interval run on their own time); nothing to look
  // at on an idle host.
  std::vector<GroupedAlert> known;  // taken once, for the first grouped receiver
  for (auto& d : destinations_) {
    if (!d.groups) {
      if (!alerts.empty()) d.receiver->Enqueue(FormatPayload(d.format, alerts, d.receiver->name()));
      continue;
    }
    if (sent_.empty() && d.groups->groups() == 0) continue;
    if (known.empty())
      for (const auto& [key, s] : sent_) known.push_back({key, Outgoing(s, now_ms)});
    for (const auto& message : d.groups->Tick(now_ms, known))
      d.receiver->Enqueue(FormatPayload(d.format, message, d.receiver->name()));
  }
}

OutgoingAlert AlertDispatcher::Outgoing(const Sent& s, int64_t now_ms) const {
  const bool resolved = s.resolved_at_ms >= 0;
  return {s.labels, s.annotations, s.starts_at_ms,
          resolved ? s.resolved_at_ms : now_ms + 3 * resend_ms_, resolved};
}

std::vector<ActiveAlert> AlertDispatcher::ActiveAlerts() const {
  std::vector<ActiveAlert> alerts;
  for (const auto& in : engine_.Instances()) {
    alerts.push_back({Labels(*in.rule, in.labels),
                      Annotations(*in.rule, in.labels, in.count, in.conditions), in.state,
                      in.active_since_ms, in.count});
    // Pending ones would be held if they fired now; firing ones are if not sent.
    const AlertRule* inhibitor = engine_.InhibitorOf(*in.rule);
    if (inhibitor && (in.state == AlertState::kPending || held_.count(Key(alerts.back().labels))))
      alerts.back().inhibited_by = inhibitor->name;
  }
  return alerts;
}

std::string AlertDispatcher::AlertsJson() const {
  nlohmann::json alerts = nlohmann::json::array();
  for (const auto& a : ActiveAlerts()) {
    alerts.push_back({{"labels", a.labels},
                      {"annotations", a.annotations},
                      {"state", AlertStateName(a.state)},
                      {"activeAt", Rfc3339(a.active_since_ms)},
                      {"count", a.count}});
    if (!a.inhibited_by.empty()) alerts.back()["inhibitedBy"] = {a.inhibited_by};
  }
  return nlohmann::json{{"status", "success"}, {"data", {{"alerts", alerts}}}}.dump();
}

std::map<std::pair<std::string, std::string>, int> AlertDispatcher::StateCounts() const {
  std::map<std::pair<std::string, std::string>, int> counts;
  for (const auto& rule : engine_.rules()) {
    counts[{rule.name, "pending"}] = 0;
    counts[{rule.name, "firing"}] = 0;
  }
  for (const auto& in : engine_.Instances()) ++counts[{in.alertname, AlertStateName(in.state)}];
  return counts;
}

}  // namespace errpulse
