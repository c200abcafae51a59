#include "alert/alert_engine.h"

#include <tuple>

#include <algorithm>

namespace errpulse {
namespace {

template <typename T, typename V>
bool EmptyOrHas(const std::vector<T>& set, const V& value) {
  return set.empty() || std::find(set.begin(), set.end(), value) != set.end();
}

uint64_t SumSince(const std::map<int64_t, uint64_t>& by_second, int64_t from_second,
                  int64_t to_second) {
  uint64_t sum = 0;
  for (auto it = by_second.upper_bound(from_second); it != by_second.end() && it->first <= to_second;
       ++it)
    sum += it->second;
  return sum;
}

}  // namespace

AlertEvent ClassifiedEvent(const CatalogEntry* entry, std::string_view source, int64_t code,
                           int64_t time_ms) {
  AlertEvent event;
  event.time_ms = time_ms;
  event.source = source;
  event.code = code;
  event.domain = entry ? std::string_view(entry->domain) : RangeDomain(code);
  event.category = entry ? std::string_view(entry->category) : std::string_view("unknown");
  return event;
}

const char* AlertStateName(AlertState state) {
  switch (state) {
    case AlertState::kInactive: return "inactive";
    case AlertState::kPending: return "pending";
    case AlertState::kFiring: return "firing";
  }
  return "inactive";
}

AlertEngine::AlertEngine(std::vector<AlertRule> rules)
    : rules_(std::move(rules)),
      instances_(rules_.size()),
      known_instances_(rules_.size()),
      inhibitions_(rules_),
      firing_(rules_.size(), 0) {
  for (const AlertRule& rule : rules_) {
    int64_t retention = rule.window_ms;
    for (const AlertCondition& c : rule.conditions) {
      wants_successes_ = wants_successes_ || c.ratio;
      if (c.spike) retention = std::max(retention, c.spike->baseline_ms);
    }
    retention_ms_.push_back(retention);
  }
}

namespace {

bool Matches(const AlertCondition& condition, const AlertEvent& event) {
  const AlertMatch& m = condition.match;
  // string_view against std::string: no copy of the event's fields.
  if (!EmptyOrHas(m.sources, event.source)) return false;
  if (event.code == 0) return condition.ratio.has_value();  // successes only feed ratios
  return EmptyOrHas(m.codes, event.code) && EmptyOrHas(m.domains, event.domain) &&
         EmptyOrHas(m.categories, event.category);
}

// One condition at `now_s` over a window of `window_s` seconds.
bool Met(const AlertCondition& c, const AlertWindows& w, int64_t now_s, int64_t window_s,
         ConditionReading* reading) {
  const uint64_t count = SumSince(w.errors, now_s - window_s, now_s);
  reading->count = count;
  if (c.ratio) {
    const uint64_t total = SumSince(w.totals, now_s - window_s, now_s);
    reading->total = total;
    reading->ratio = total ? static_cast<double>(count) / static_cast<double>(total) : 0;
    return total > 0 && total >= static_cast<uint64_t>(c.ratio->min_total) &&
           reading->ratio > c.ratio->above;
  }
  if (count < static_cast<uint64_t>(c.threshold)) return false;
  if (c.spike) {
    // The baseline is the stretch before the window: its rate, scaled to the window.
    const int64_t baseline_s = c.spike->baseline_ms / 1000 - window_s;
    const uint64_t before = SumSince(w.errors, now_s - window_s - baseline_s, now_s - window_s);
    const double expected = static_cast<double>(before) * static_cast<double>(window_s) /
                            static_cast<double>(std::max<int64_t>(baseline_s, 1));
    if (static_cast<double>(count) < c.spike->factor * expected) return false;
    if (count < static_cast<uint64_t>(c.spike->min_count)) return false;
  }
  return true;
}

}  // namespace

AlertEngine::Instance& AlertEngine::InstanceFor(size_t rule, const AlertEvent& event) {
  // An instance's labels follow from (source, code): domain and category are
  // the catalog's for the code. Those seen before are found without building
  // the label map, so a surge of errors allocates nothing per line.
  std::vector<KnownInstance>& known = known_instances_[rule];
  for (const KnownInstance& k : known)
    if (k.code == event.code && k.source == event.source) return *k.instance;
  Instance& instance = SlowInstanceFor(rule, event);
  if (known.size() < kMaxKnownInstances)
    known.push_back({std::string(event.source), event.code, &instance});
  return instance;
}

AlertEngine::Instance& AlertEngine::SlowInstanceFor(size_t rule, const AlertEvent& event) {
  std::map<std::string, std::string> labels;
  for (const auto& name : rules_[rule].by) {
    if (name == "source") labels[name] = std::string(event.source);
    if (name == "code") labels[name] = std::to_string(event.code);
    if (name == "domain") labels[name] = std::string(event.domain);
    if (name == "category") labels[name] = std::string(event.category);
  }
  std::string key;
  for (const auto& [k, v] : labels) key += k + "=" + v + ",";
  Instance& instance = instances_[rule][key];
  if (instance.windows.empty()) {
    instance.labels = std::move(labels);
    instance.windows.resize(rules_[rule].conditions.size());
    instance.readings.resize(rules_[rule].conditions.size());
  }
  return instance;
}

void AlertEngine::Observe(const AlertEvent& event) {
  now_ms_ = std::max(now_ms_, event.time_ms);
  const int64_t second = event.time_ms / 1000;
  for (size_t r = 0; r < rules_.size(); ++r) {
    const AlertRule& rule = rules_[r];
    Instance* instance = nullptr;
    for (size_t c = 0; c < rule.conditions.size(); ++c) {
      const AlertCondition& condition = rule.conditions[c];
      if (!Matches(condition, event)) continue;
      if (!instance) {
        if (event.time_ms < now_ms_ - retention_ms_[r]) {
          ++late_events_;
          break;
        }
        instance = &InstanceFor(r, event);
      }
      // Ratio rules group by source at most: a success has its instance.
      AlertWindows& w = instance->windows[c];
      if (event.code != 0) ++w.errors[second];
      if (event.code == 0 || condition.ratio) ++w.totals[second];
    }
    if (!instance) continue;
    instance->moved_from_s = std::min(instance->moved_from_s, second);
    Touch(r, *instance);
  }
}

void AlertEngine::Touch(size_t rule, Instance& in) {
  in.changed_at = ++change_clock_;
  if (in.listed) return;
  in.listed = true;
  changed_.emplace_back(rule, &in);
}

size_t AlertEngine::Trim(size_t rule, Instance& instance, int64_t now_ms) {
  const int64_t keep_from = now_ms / 1000 - retention_ms_[rule] / 1000;
  size_t gone = 0;
  for (AlertWindows& w : instance.windows) {
    for (auto* window : {&w.errors, &w.totals}) {
      const size_t before = window->size();
      window->erase(window->begin(), window->lower_bound(keep_from));
      gone += before - window->size();
    }
  }
  return gone;
}

bool AlertEngine::Condition(const AlertRule& rule, Instance& instance, int64_t now_ms) {
  const int64_t now_s = now_ms / 1000;
  const int64_t window_s = rule.window_ms / 1000;
  bool all = true, any = false;
  uint64_t count = 0;
  for (size_t c = 0; c < rule.conditions.size(); ++c) {
    ConditionReading& reading = instance.readings[c];
    reading.met = Met(rule.conditions[c], instance.windows[c], now_s, window_s, &reading);
    all = all && reading.met;
    any = any || reading.met;
    count += reading.count;
  }
  instance.count = count;
  return rule.combine == AlertCombine::kAnyOf ? any : all;
}

void AlertEngine::SetState(size_t rule, Instance& in, AlertState state, int64_t now_ms) {
  if (in.state == AlertState::kFiring) --firing_[rule];
  if (state == AlertState::kFiring) {
    ++firing_[rule];
    if (in.state != AlertState::kFiring) in.firing_since_ms = now_ms;
  } else {
    in.firing_since_ms = -1;
  }
  in.state = state;
}

bool AlertEngine::CannotChange(const AlertRule& rule, const Instance& in, int64_t now_ms) const {
  // A threshold's count only falls as its window slides on (and so do
  // all_of and any_of of thresholds), so an inactive instance stays
  // inactive until an event comes, or until a second leaves what it keeps.
  // Not so for ratios and spikes (they can rise as seconds leave), for
  // seconds later than the last evaluation (events stamped ahead of the
  // clock enter the window as it moves on), nor when the clock went back.
  if (in.state != AlertState::kInactive) return false;
  for (const AlertCondition& c : rule.conditions)
    if (c.ratio || c.spike) return false;
  if (in.changed_at != in.evaluated_at || now_ms < last_evaluation_ms_) return false;
  const size_t r = static_cast<size_t>(&rule - rules_.data());
  const int64_t keep_from = now_ms / 1000 - retention_ms_[r] / 1000;
  const int64_t evaluated_s = last_evaluation_ms_ / 1000;
  for (const AlertWindows& w : in.windows) {
    for (const auto* window : {&w.errors, &w.totals}) {
      if (window->empty()) continue;
      if (window->begin()->first < keep_from || window->rbegin()->first > evaluated_s)
        return false;
    }
  }
  return true;
}

std::vector<AlertTransition> AlertEngine::Evaluate(int64_t now_ms) {
  now_ms_ = std::max(now_ms_, now_ms);
  std::vector<AlertTransition> out;
  for (size_t r = 0; r < rules_.size(); ++r) {
    const AlertRule& rule = rules_[r];
    auto& instances = instances_[r];
    for (auto it = instances.begin(); it != instances.end();) {
      Instance& in = it->second;
      if (CannotChange(rule, in, now_ms)) {
        ++it;
        continue;
      }
      // What the state file keeps of it, to see whether this evaluation
      // changed it (windows only lose seconds here).
      const auto kept = std::make_tuple(in.state, in.active_since_ms, in.false_since_ms);
      const bool forgot = Trim(r, in, now_ms) > 0;
      const bool condition = Condition(rule, in, now_ms);
      auto emit = [&](const char* to) {
        out.push_back({rule.name, in.labels, to, now_ms, in.count, in.readings[0].ratio, &rule,
                       in.active_since_ms, in.readings});
      };
      switch (in.state) {
        case AlertState::kInactive:
          if (condition) {
            in.active_since_ms = now_ms;
            SetState(r, in, rule.for_ms > 0 ? AlertState::kPending : AlertState::kFiring, now_ms);
            emit(AlertStateName(in.state));
          }
          break;
        case AlertState::kPending:
          if (!condition) {
            SetState(r, in, AlertState::kInactive, now_ms);
            emit("inactive");
          } else if (now_ms - in.active_since_ms >= rule.for_ms) {
            SetState(r, in, AlertState::kFiring, now_ms);
            emit("firing");
          }
          break;
        case AlertState::kFiring:
          // keep_firing_for: a condition that comes back before it has been
          // false this long leaves the instance firing, with its start.
          if (condition) {
            in.false_since_ms = -1;
          } else {
            if (in.false_since_ms < 0) in.false_since_ms = now_ms;
            if (now_ms - in.false_since_ms >= rule.keep_firing_for_ms) {
              SetState(r, in, AlertState::kInactive, now_ms);
              in.false_since_ms = -1;
              emit("resolved");
            }
          }
          break;
      }
      if (forgot || kept != std::make_tuple(in.state, in.active_since_ms, in.false_since_ms)) {
        // Seconds forgotten: the journal must lose them too.
        if (forgot) in.export_whole = true;
        Touch(r, in);
      }
      in.evaluated_at = in.changed_at;
      // An instance with nothing left to remember is dropped.
      bool empty = in.state == AlertState::kInactive;
      for (const AlertWindows& w : in.windows) empty = empty && w.errors.empty() && w.totals.empty();
      if (empty) {
        dropped_.push_back({r, in.labels, ++change_clock_});
        known_instances_[r].clear();  // it may point to this one
        if (in.listed) {
          changed_.erase(std::find(changed_.begin(), changed_.end(),
                                   std::pair<size_t, Instance*>(r, &in)));
        }
        it = instances.erase(it);
      } else {
        ++it;
      }
    }
  }
  last_evaluation_ms_ = now_ms;
  return out;
}

AlertInstanceState AlertEngine::StateOf(size_t rule, const Instance& in, bool only_moved) const {
  AlertInstanceState state;
  state.alertname = rules_[rule].name;
  state.labels = in.labels;
  state.state = in.state;
  state.active_since_ms = in.active_since_ms;
  state.false_since_ms = in.false_since_ms;
  state.firing_since_ms = in.firing_since_ms;
  state.windows_partial = only_moved && !in.export_whole;
  // The seconds that did not move are as the last commit has them.
  const int64_t from = state.windows_partial ? in.moved_from_s : INT64_MIN;
  auto copy = [&](const AlertWindows& from_window, AlertWindows* to) {
    to->errors.insert(from_window.errors.lower_bound(from), from_window.errors.end());
    to->totals.insert(from_window.totals.lower_bound(from), from_window.totals.end());
  };
  AlertWindows first;
  copy(in.windows[0], &first);
  state.errors = std::move(first.errors);
  state.totals = std::move(first.totals);
  for (size_t c = 1; c < in.windows.size(); ++c) copy(in.windows[c], &state.more_windows.emplace_back());
  return state;
}

std::vector<AlertInstanceState> AlertEngine::Export() const {
  std::vector<AlertInstanceState> out;
  for (size_t r = 0; r < rules_.size(); ++r) {
    for (const auto& [key, in] : instances_[r]) out.push_back(StateOf(r, in, false));
  }
  return out;
}

std::vector<AlertInstanceState> AlertEngine::ExportChanges() const {
  std::vector<AlertInstanceState> out;
  for (const auto& d : dropped_) {
    AlertInstanceState gone;
    gone.alertname = rules_[d.rule].name;
    gone.labels = d.labels;
    gone.removed = true;
    out.push_back(std::move(gone));
  }
  for (const auto& [rule, in] : changed_) out.push_back(StateOf(rule, *in, true));
  return out;
}

void AlertEngine::MarkCommitted(uint64_t until) {
  dropped_.erase(std::remove_if(dropped_.begin(), dropped_.end(),
                                [&](const Dropped& d) { return d.at <= until; }),
                 dropped_.end());
  auto committed = [&](const std::pair<size_t, Instance*>& entry) {
    Instance& in = *entry.second;
    if (in.changed_at > until) return false;
    in.moved_from_s = kNoSecond;
    in.export_whole = false;
    in.listed = false;
    return true;
  };
  changed_.erase(std::remove_if(changed_.begin(), changed_.end(), committed), changed_.end());
}

void AlertEngine::Import(const std::vector<AlertInstanceState>& instances) {
  for (const auto& saved : instances) {
    for (size_t r = 0; r < rules_.size(); ++r) {
      if (rules_[r].name != saved.alertname) continue;
      std::string key;
      for (const auto& [k, v] : saved.labels) key += k + "=" + v + ",";
      Instance& in = instances_[r][key];
      in.labels = saved.labels;
      if (in.state == AlertState::kFiring) --firing_[r];
      in.state = saved.state;
      if (in.state == AlertState::kFiring) ++firing_[r];
      in.active_since_ms = saved.active_since_ms;
      in.false_since_ms = saved.false_since_ms;
      // A state from before errpulse kept it: firing since it became active
      // at the latest (the earliest it can have been sent).
      in.firing_since_ms = saved.state != AlertState::kFiring ? -1
                           : saved.firing_since_ms >= 0       ? saved.firing_since_ms
                                                              : saved.active_since_ms;
      // Conditions are matched by position: a rule edited since keeps the
      // windows of the conditions it still has.
      const size_t conditions = rules_[r].conditions.size();
      in.windows.assign(conditions, AlertWindows{});
      in.readings.assign(conditions, ConditionReading{});
      in.windows[0] = {saved.errors, saved.totals};
      for (size_t c = 1; c < conditions && c - 1 < saved.more_windows.size(); ++c)
        in.windows[c] = saved.more_windows[c - 1];
      in.export_whole = true;
      Touch(r, in);
      for (const AlertWindows& w : in.windows)
        for (const auto& [second, n] : w.errors) now_ms_ = std::max(now_ms_, second * 1000);
    }
  }
}

const AlertRule* AlertEngine::InhibitorOf(const AlertRule& rule) const {
  for (size_t r : inhibitions_.InhibitorsOf(static_cast<size_t>(&rule - rules_.data())))
    if (firing_[r] > 0) return &rules_[r];
  return nullptr;
}

int64_t AlertEngine::InhibitedSince(const AlertRule& rule) const {
  int64_t since = -1;
  for (size_t r : inhibitions_.InhibitorsOf(static_cast<size_t>(&rule - rules_.data()))) {
    for (const auto& [key, in] : instances_[r]) {
      if (in.state == AlertState::kFiring && (since < 0 || in.firing_since_ms < since))
        since = in.firing_since_ms;
    }
  }
  return since;
}

std::vector<AlertInstanceView> AlertEngine::Instances() const {
  std::vector<AlertInstanceView> out;
  for (size_t r = 0; r < rules_.size(); ++r) {
    for (const auto& [key, in] : instances_[r]) {
      if (in.state == AlertState::kInactive) continue;
      out.push_back({rules_[r].name, in.labels, in.state, in.active_since_ms, in.count, &rules_[r],
                     in.readings, in.firing_since_ms});
    }
  }
  return out;
}

}  // namespace errpulse
