// AlertEngine: evaluates the alert rules over the stream of error (and
// success) events: a sliding window per rule and label set, and the
// inactive -> pending -> firing -> resolved life of each alert instance, as
// Prometheus evaluates `for` and `keep_firing_for`.
//
// Time is given, never read: Observe() takes each event's own time (from the
// log line, or the clock when the line has none) and Evaluate(now) is called
// by the caller's clock (the daemon's timer, or the log's time in `replay`),
// so tests run on a fake clock. Events older than the longest window are
// counted as late and otherwise ignored; others land in their own second.
//
// Not thread-safe: owned by the pipeline thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert_rule.h"
#include "classify/catalog.h"

namespace errpulse {

struct AlertEvent {
  int64_t time_ms = 0;
  std::string_view source;
  int64_t code = 0;  // 0: a success (counts toward ratio rules' totals)
  std::string_view domain;
  std::string_view category;
};

// The event for a line that reported `code` (0 = success) at `time_ms`,
// classified by the catalog (or by the code's range when it is not listed).
// `source` must outlive the event.
AlertEvent ClassifiedEvent(const Catalog& catalog, std::string_view source, int64_t code,
                           int64_t time_ms);

enum class AlertState { kInactive, kPending, kFiring };
const char* AlertStateName(AlertState state);

struct AlertTransition {
  std::string alertname;
  std::map<std::string, std::string> labels;  // the rule's `by` labels
  std::string to;                             // pending, firing, resolved, inactive
  int64_t at_ms = 0;
  uint64_t count = 0;   // errors in the window at that moment
  double ratio = 0;     // for ratio rules
  const AlertRule* rule = nullptr;
  int64_t active_since_ms = 0;  // when it became pending (or firing, without `for`)
};

struct AlertInstanceView {
  std::string alertname;
  std::map<std::string, std::string> labels;
  AlertState state = AlertState::kInactive;
  int64_t active_since_ms = 0;  // pending or firing since
  uint64_t count = 0;
  const AlertRule* rule = nullptr;
};

// One instance as the state file keeps it, so a restart neither re-pages,
// nor forgets a firing alert, nor loses a pending one.
struct AlertInstanceState {
  std::string alertname;
  std::map<std::string, std::string> labels;  // the `by` labels
  AlertState state = AlertState::kInactive;
  int64_t active_since_ms = 0;
  int64_t false_since_ms = -1;
  std::map<int64_t, uint64_t> errors;  // by second, only seconds that had any
  std::map<int64_t, uint64_t> totals;
  // In a commit's snapshot: not changed since the last commit (only
  // alertname and labels are set); or dropped since then.
  bool unchanged = false;
  bool removed = false;
};

class AlertEngine {
 public:
  explicit AlertEngine(std::vector<AlertRule> rules);

  void Observe(const AlertEvent& event);
  // Re-evaluates every instance at `now_ms`; returns the transitions.
  std::vector<AlertTransition> Evaluate(int64_t now_ms);

  std::vector<AlertInstanceView> Instances() const;
  // Every instance; with `since` (a change_clock() value), only those that
  // changed after it, preceded by those dropped after it (marked removed),
  // so that a commit copies only what changed.
  std::vector<AlertInstanceState> Export(uint64_t since = 0) const;
  // Moves on whenever an instance changes (its window, state or times) or
  // is dropped.
  uint64_t change_clock() const { return change_clock_; }
  // The instances dropped up to change_clock() `until` are committed: no
  // later Export() needs to list them.
  void ForgetDropped(uint64_t until);
  // Restores instances of rules that still exist (by alertname).
  void Import(const std::vector<AlertInstanceState>& instances);
  const std::vector<AlertRule>& rules() const { return rules_; }
  uint64_t late_events() const { return late_events_; }
  // Whether a success (code 0) can matter: only ratio rules count them.
  bool WantsSuccesses() const { return wants_successes_; }

 private:
  struct Instance {
    std::map<std::string, std::string> labels;
    std::map<int64_t, uint64_t> errors;  // by second
    std::map<int64_t, uint64_t> totals;  // errors + successes by second (ratio rules)
    AlertState state = AlertState::kInactive;
    int64_t active_since_ms = 0;
    int64_t false_since_ms = -1;  // firing, condition false since
    uint64_t count = 0;
    uint64_t changed_at = 0;  // change_clock_ at its last change
  };

  bool Matches(const AlertRule& rule, const AlertEvent& event) const;
  Instance& InstanceFor(size_t rule, const AlertEvent& event);
  Instance& SlowInstanceFor(size_t rule, const AlertEvent& event);
  bool Condition(const AlertRule& rule, Instance& instance, int64_t now_ms, double* ratio);
  int64_t Retention(const AlertRule& rule) const;

  std::vector<AlertRule> rules_;
  std::vector<std::map<std::string, Instance>> instances_;  // per rule, by label key
  // Per rule: instances already looked up, by (source, code); std::map nodes
  // do not move, and a rule's list is cleared when one of its instances is
  // dropped. Bounded: beyond it, lookups build the key as before.
  struct KnownInstance {
    std::string source;
    int64_t code = 0;
    Instance* instance = nullptr;
  };
  static constexpr size_t kMaxKnownInstances = 256;
  std::vector<std::vector<KnownInstance>> known_instances_;
  bool wants_successes_ = false;  // some rule is a ratio rule
  int64_t now_ms_ = 0;
  uint64_t late_events_ = 0;
  uint64_t change_clock_ = 0;
  struct Dropped {
    size_t rule;
    std::map<std::string, std::string> labels;
    uint64_t at;  // change_clock_ when dropped
  };
  std::vector<Dropped> dropped_;
};

}  // namespace errpulse
