// AlertEngine: evaluates the alert rules over the stream of error (and
// success) events: a sliding window per rule and label set, and the
// inactive -> pending -> firing -> resolved life of each alert instance, as
// Prometheus evaluates `for` and `keep_firing_for`. An incident rule's
// instance has a window per condition (alert_rule.h), and its condition is
// their all_of / any_of at the same moment.
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
#include <utility>
#include <vector>

#include "alert/alert_rule.h"
#include "alert/inhibition.h"
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
// classified by `entry`, the catalog's entry for the code (nullptr: a success,
// or a code the catalog does not list, classified by its range). `source` and
// `entry` must outlive the event.
AlertEvent ClassifiedEvent(const CatalogEntry* entry, std::string_view source, int64_t code,
                           int64_t time_ms);

enum class AlertState { kInactive, kPending, kFiring };
const char* AlertStateName(AlertState state);

// One condition of an instance at an evaluation.
struct ConditionReading {
  uint64_t count = 0;  // errors of its match in the window
  uint64_t total = 0;  // ratio conditions: errors and successes in the window
  double ratio = 0;    // ratio conditions: count / total
  bool met = false;
};

struct AlertTransition {
  std::string alertname;
  std::map<std::string, std::string> labels;  // the rule's `by` labels
  std::string to;                             // pending, firing, resolved, inactive
  int64_t at_ms = 0;
  uint64_t count = 0;   // errors in the window at that moment (all conditions')
  double ratio = 0;     // for ratio rules (the first condition's)
  const AlertRule* rule = nullptr;
  int64_t active_since_ms = 0;  // when it became pending (or firing, without `for`)
  std::vector<ConditionReading> conditions;  // one per rule condition
};

struct AlertInstanceView {
  std::string alertname;
  std::map<std::string, std::string> labels;
  AlertState state = AlertState::kInactive;
  int64_t active_since_ms = 0;  // pending or firing since
  uint64_t count = 0;
  const AlertRule* rule = nullptr;
  std::vector<ConditionReading> conditions;  // at the last evaluation
  int64_t firing_since_ms = -1;
};

// One condition's windows: errors, and errors and successes (ratio
// conditions), by second, only seconds that had any.
struct AlertWindows {
  std::map<int64_t, uint64_t> errors;
  std::map<int64_t, uint64_t> totals;
};

// One instance as the state file keeps it, so a restart neither re-pages,
// nor forgets a firing alert, nor loses a pending one.
struct AlertInstanceState {
  std::string alertname;
  std::map<std::string, std::string> labels;  // the `by` labels
  AlertState state = AlertState::kInactive;
  int64_t active_since_ms = 0;
  int64_t false_since_ms = -1;
  std::map<int64_t, uint64_t> errors;  // the first condition's windows (a plain
  std::map<int64_t, uint64_t> totals;  //   rule's only one), by second
  // When it last went to firing (-1: not firing, or written before errpulse
  // kept it): whether an inhibitor already fired then, i.e. whether it was
  // held back or sent, follows from it after a restart.
  int64_t firing_since_ms = -1;
  // An incident rule's further conditions' windows, in rule order; empty
  // for plain rules (as every state file written before incident rules).
  std::vector<AlertWindows> more_windows;
  // In a commit's snapshot: not changed since the last commit (only
  // alertname and labels are set); or dropped since then; or its windows
  // hold only the seconds that moved since then (the others as they were).
  bool unchanged = false;
  bool removed = false;
  bool windows_partial = false;
};

class AlertEngine {
 public:
  explicit AlertEngine(std::vector<AlertRule> rules);

  void Observe(const AlertEvent& event);
  // Re-evaluates every instance at `now_ms`; returns the transitions.
  std::vector<AlertTransition> Evaluate(int64_t now_ms);

  std::vector<AlertInstanceView> Instances() const;
  // Every instance, in full.
  std::vector<AlertInstanceState> Export() const;
  // What changed since the last MarkCommitted(), so that a commit copies
  // only that: the instances dropped since (marked removed), then those
  // changed, each with only the window seconds that moved (windows_partial),
  // or whole when seconds also left its windows or it is new. Costs what
  // changed, not what the engine holds.
  std::vector<AlertInstanceState> ExportChanges() const;
  // Moves on whenever an instance changes (its window, state or times) or
  // is dropped.
  uint64_t change_clock() const { return change_clock_; }
  // What ExportChanges() (or Export()) returned at change_clock() `until`
  // is committed: later ones leave it out.
  void MarkCommitted(uint64_t until);
  // Restores instances of rules that still exist (by alertname).
  void Import(const std::vector<AlertInstanceState>& instances);
  const std::vector<AlertRule>& rules() const { return rules_; }
  uint64_t late_events() const { return late_events_; }
  // Whether a success (code 0) can matter: only ratio rules count them.
  bool WantsSuccesses() const { return wants_successes_; }
  // A rule (of rules()) firing now that inhibits `rule`, or nullptr.
  const AlertRule* InhibitorOf(const AlertRule& rule) const;
  // Since when an inhibitor of `rule` fires without a break: the earliest
  // firing_since of the firing instances of the rules inhibiting it; -1 if
  // none fires.
  int64_t InhibitedSince(const AlertRule& rule) const;

 private:
  struct Instance {
    std::map<std::string, std::string> labels;
    std::vector<AlertWindows> windows;         // one per rule condition
    std::vector<ConditionReading> readings;    // one per rule condition, at the last evaluation
    AlertState state = AlertState::kInactive;
    int64_t active_since_ms = 0;
    int64_t false_since_ms = -1;  // firing, condition false since
    int64_t firing_since_ms = -1;
    uint64_t count = 0;           // the readings' counts, summed
    uint64_t changed_at = 0;  // change_clock_ at its last change
    uint64_t evaluated_at = 0;  // changed_at when it was last evaluated
    // Since the last commit: the earliest second whose count moved (or
    // kNoSecond), and whether the next export must list the whole windows
    // (new, restored, or seconds forgotten). `listed`: in changed_.
    int64_t moved_from_s = kNoSecond;
    bool export_whole = true;
    bool listed = false;
  };
  static constexpr int64_t kNoSecond = INT64_MAX;

  Instance& InstanceFor(size_t rule, const AlertEvent& event);
  Instance& SlowInstanceFor(size_t rule, const AlertEvent& event);
  // Forgets what no window needs any more; returns how many seconds went.
  size_t Trim(size_t rule, Instance& instance, int64_t now_ms);
  // The rule's condition at `now_ms`, with each condition's reading.
  bool Condition(const AlertRule& rule, Instance& instance, int64_t now_ms);
  // Moves `in` to `state`, keeping firing_ (the inhibitions' view) in step.
  void SetState(size_t rule, Instance& in, AlertState state, int64_t now_ms);
  // Whether Evaluate() at `now_ms` can leave `in` as it is without looking.
  bool CannotChange(const AlertRule& rule, const Instance& in, int64_t now_ms) const;
  // `in` (of rule `rule`) changed: the clock moves and the commit lists it.
  void Touch(size_t rule, Instance& in);
  AlertInstanceState StateOf(size_t rule, const Instance& in, bool only_moved) const;

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
  std::vector<int64_t> retention_ms_;  // per rule: the longest any window needs
  Inhibitions inhibitions_;
  std::vector<size_t> firing_;  // per rule: instances firing
  bool wants_successes_ = false;  // some condition is a ratio
  int64_t now_ms_ = 0;
  int64_t last_evaluation_ms_ = INT64_MIN;
  uint64_t late_events_ = 0;
  uint64_t change_clock_ = 0;
  struct Dropped {
    size_t rule;
    std::map<std::string, std::string> labels;
    uint64_t at;  // change_clock_ when dropped
  };
  std::vector<Dropped> dropped_;
  // The instances changed since the last commit (std::map nodes do not
  // move; a dropped instance leaves the list).
  std::vector<std::pair<size_t, Instance*>> changed_;
};

}  // namespace errpulse
