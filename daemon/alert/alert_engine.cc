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
    : rules_(std::move(rules)), instances_(rules_.size()), known_instances_(rules_.size()) {
  for (const AlertRule& rule : rules_) wants_successes_ = wants_successes_ || rule.ratio;
}

int64_t AlertEngine::Retention(const AlertRule& rule) const {
  return std::max(rule.window_ms, rule.spike ? rule.spike->baseline_ms : 0);
}

bool AlertEngine::Matches(const AlertRule& rule, const AlertEvent& event) const {
  const AlertMatch& m = rule.match;
  // string_view against std::string: no copy of the event's fields.
  if (!EmptyOrHas(m.sources, event.source)) return false;
  if (event.code == 0) return rule.ratio.has_value();  // successes only feed ratios
  return EmptyOrHas(m.codes, event.code) && EmptyOrHas(m.domains, event.domain) &&
         EmptyOrHas(m.categories, event.category);
}

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
  if (instance.labels.empty()) instance.labels = std::move(labels);
  return instance;
}

void AlertEngine::Observe(const AlertEvent& event) {
  now_ms_ = std::max(now_ms_, event.time_ms);
  const int64_t second = event.time_ms / 1000;
  for (size_t r = 0; r < rules_.size(); ++r) {
    const AlertRule& rule = rules_[r];
    if (!Matches(rule, event)) continue;
    if (event.time_ms < now_ms_ - Retention(rule)) {
      ++late_events_;
      continue;
    }
    Instance& instance = InstanceFor(r, event);
    // Ratio rules group by source at most: a success has its instance.
    if (event.code != 0) ++instance.errors[second];
    if (event.code == 0 || rule.ratio) ++instance.totals[second];
    instance.moved_from_s = std::min(instance.moved_from_s, second);
    Touch(r, instance);
  }
}

void AlertEngine::Touch(size_t rule, Instance& in) {
  in.changed_at = ++change_clock_;
  if (in.listed) return;
  in.listed = true;
  changed_.emplace_back(rule, &in);
}

bool AlertEngine::Condition(const AlertRule& rule, Instance& instance, int64_t now_ms,
                            double* ratio) {
  const int64_t now_s = now_ms / 1000;
  const int64_t window_s = rule.window_ms / 1000;
  // Forget what no window needs any more.
  const int64_t keep_from = now_s - Retention(rule) / 1000;
  instance.errors.erase(instance.errors.begin(), instance.errors.lower_bound(keep_from));
  instance.totals.erase(instance.totals.begin(), instance.totals.lower_bound(keep_from));
  const uint64_t count = SumSince(instance.errors, now_s - window_s, now_s);
  instance.count = count;
  if (rule.ratio) {
    const uint64_t total = SumSince(instance.totals, now_s - window_s, now_s);
    *ratio = total ? static_cast<double>(count) / static_cast<double>(total) : 0;
    return total > 0 && total >= static_cast<uint64_t>(rule.ratio->min_total) &&
           *ratio > rule.ratio->above;
  }
  if (count < static_cast<uint64_t>(rule.threshold)) return false;
  if (rule.spike) {
    // The baseline is the stretch before the window: its rate, scaled to the window.
    const int64_t baseline_s = rule.spike->baseline_ms / 1000 - window_s;
    const uint64_t before = SumSince(instance.errors, now_s - window_s - baseline_s, now_s - window_s);
    const double expected = static_cast<double>(before) * static_cast<double>(window_s) /
                            static_cast<double>(std::max<int64_t>(baseline_s, 1));
    if (static_cast<double>(count) < rule.spike->factor * expected) return false;
    if (count < static_cast<uint64_t>(rule.spike->min_count)) return false;
  }
  return true;
}

bool AlertEngine::CannotChange(const AlertRule& rule, const Instance& in, int64_t now_ms) const {
  // A plain threshold's count only falls as its window slides on, so an
  // inactive instance stays inactive until an event comes, or until a
  // second leaves what it keeps. Not so for ratios and spikes (they can
  // rise as seconds leave), for seconds later than the last evaluation
  // (events stamped ahead of the clock enter the window as it moves on),
  // nor when the clock went back.
  if (in.state != AlertState::kInactive || rule.ratio || rule.spike) return false;
  if (in.changed_at != in.evaluated_at || now_ms < last_evaluation_ms_) return false;
  const int64_t keep_from = now_ms / 1000 - Retention(rule) / 1000;
  const int64_t evaluated_s = last_evaluation_ms_ / 1000;
  for (const auto* window : {&in.errors, &in.totals}) {
    if (window->empty()) continue;
    if (window->begin()->first < keep_from || window->rbegin()->first > evaluated_s) return false;
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
      const auto kept = std::make_tuple(in.state, in.active_since_ms, in.false_since_ms,
                                        in.errors.size(), in.totals.size());
      double ratio = 0;
      const bool condition = Condition(rule, in, now_ms, &ratio);
      auto emit = [&](const char* to) {
        out.push_back({rule.name, in.labels, to, now_ms, in.count, ratio, &rule, in.active_since_ms});
      };
      switch (in.state) {
        case AlertState::kInactive:
          if (condition) {
            in.active_since_ms = now_ms;
            in.state = rule.for_ms > 0 ? AlertState::kPending : AlertState::kFiring;
            emit(AlertStateName(in.state));
          }
          break;
        case AlertState::kPending:
          if (!condition) {
            in.state = AlertState::kInactive;
            emit("inactive");
          } else if (now_ms - in.active_since_ms >= rule.for_ms) {
            in.state = AlertState::kFiring;
            emit("firing");
          }
          break;
        case AlertState::kFiring:
          if (condition) {
            in.false_since_ms = -1;
          } else {
            if (in.false_since_ms < 0) in.false_since_ms = now_ms;
            if (now_ms - in.false_since_ms >= rule.keep_firing_for_ms) {
              in.state = AlertState::kInactive;
              in.false_since_ms = -1;
              emit("resolved");
            }
          }
          break;
      }
      if (kept != std::make_tuple(in.state, in.active_since_ms, in.false_since_ms,
                                  in.errors.size(), in.totals.size())) {
        // Seconds forgotten: the journal must lose them too.
        if (std::get<3>(kept) != in.errors.size() || std::get<4>(kept) != in.totals.size())
          in.export_whole = true;
        Touch(r, in);
      }
      in.evaluated_at = in.changed_at;
      // An instance with nothing left to remember is dropped.
      if (in.state == AlertState::kInactive && in.errors.empty() && in.totals.empty()) {
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
  AlertInstanceState state{rules_[rule].name, in.labels, in.state, in.active_since_ms,
                           in.false_since_ms, {}, {}};
  if (!only_moved || in.export_whole) {
    state.errors = in.errors;
    state.totals = in.totals;
    return state;
  }
  state.windows_partial = true;
  state.errors.insert(in.errors.lower_bound(in.moved_from_s), in.errors.end());
  state.totals.insert(in.totals.lower_bound(in.moved_from_s), in.totals.end());
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
      in.state = saved.state;
      in.active_since_ms = saved.active_since_ms;
      in.false_since_ms = saved.false_since_ms;
      in.errors = saved.errors;
      in.totals = saved.totals;
      in.export_whole = true;
      Touch(r, in);
      for (const auto& [second, n] : in.errors) now_ms_ = std::max(now_ms_, second * 1000);
    }
  }
}

std::vector<AlertInstanceView> AlertEngine::Instances() const {
  std::vector<AlertInstanceView> out;
  for (size_t r = 0; r < rules_.size(); ++r) {
    for (const auto& [key, in] : instances_[r]) {
      if (in.state == AlertState::kInactive) continue;
      out.push_back({rules_[r].name, in.labels, in.state, in.active_since_ms, in.count, &rules_[r]});
    }
  }
  return out;
}

}  // namespace errpulse
