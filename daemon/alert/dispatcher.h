// AlertDispatcher: the running daemon's alerting. Feeds matches to the
// AlertEngine (on the line's own time when it carries one close to the clock,
// on the clock otherwise), evaluates every evaluation_interval, and turns
// transitions into Alertmanager API v2 alerts for every receiver: firing ones
// are re-sent every resend_interval with endsAt ahead of now, resolved ones
// are sent with endsAt = the resolve time and re-sent for 15 minutes. Direct
// receivers (webhooks) get grouped messages instead (Destination::groups).
// Labels are alertname, the rule's `by` labels, the rule's labels and host:
// nothing taken from a log line's text reaches a label or an annotation
// beyond the code (an integer) and the catalog's own words.
//
// Inhibition (a rule's `inhibits:`): while an inhibitor fires, a rule it
// inhibits that starts firing is held here, not sent; it is sent once every
// inhibitor has resolved if it still fires, and never if it resolves first.
// What was sent before the inhibitor fired goes on as it was (re-sends and
// resolve), so no receiver keeps open what errpulse closed.
//
// Owned by the pipeline thread; not thread-safe. Receivers are thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alert/alert_engine.h"
#include "classify/catalog.h"
#include "extract/match.h"
#include "notify/notification_groups.h"
#include "notify/payload.h"
#include "notify/receiver.h"

namespace errpulse {

// One pending or firing alert instance, as /api/v1/alerts and the status
// page show it.
struct ActiveAlert {
  std::map<std::string, std::string> labels;  // alertname, `by` labels, rule labels, host
  std::map<std::string, std::string> annotations;
  AlertState state = AlertState::kInactive;
  int64_t active_since_ms = 0;  // pending (or firing) since
  uint64_t count = 0;           // errors in the window at the last evaluation
  // The firing rule holding its notification back (pending, or firing and
  // not sent), or "".
  std::string inhibited_by;
};

// A receiver and the payload shape it takes.
struct Destination {
  std::unique_ptr<Receiver> receiver;
  PayloadFormat format = PayloadFormat::kAlertmanagerApi;
  // Receivers errpulse posts to directly (chat robots, webhook bridges):
  // their messages are grouped here (Alertmanager groups for itself).
  std::unique_ptr<NotificationGroups> groups;
};

class AlertDispatcher {
 public:
  AlertDispatcher(std::vector<AlertRule> rules, std::shared_ptr<const Catalog> catalog,
                  std::string host, int64_t resend_interval_ms,
                  std::vector<Destination> destinations);

  // `entry`: the catalog's entry for match.code as counting found it
  // (SourceCounts::Record; nullptr: a success or an unlisted code).
  // `envelope_ms`: the line's time from its container log envelope (cri,
  // docker), or -1 to read it from the line itself.
  void Observe(const std::string& source, const Match& match, const CatalogEntry* entry,
               int64_t now_ms, int64_t envelope_ms = -1);
  // Evaluates at `now_ms` and sends what is due.
  void Tick(int64_t now_ms);

  // The alert state for the state file, and back. Firing alerts restored keep
  // their startsAt and are re-sent at once (Alertmanager merges them: no new page).
  // ExportChanges() and MarkCommitted(): see AlertEngine's.
  std::vector<AlertInstanceState> Export() const { return engine_.Export(); }
  std::vector<AlertInstanceState> ExportChanges() const { return engine_.ExportChanges(); }
  uint64_t change_clock() const { return engine_.change_clock(); }
  void MarkCommitted(uint64_t until) { engine_.MarkCommitted(until); }
  void Import(const std::vector<AlertInstanceState>& instances);
  // Changes whenever an alert changes state: worth a commit.
  uint64_t generation() const { return generation_; }

  // Current alerts (pending and firing), and the same as JSON (for /api/v1/alerts).
  std::vector<ActiveAlert> ActiveAlerts() const;
  std::string AlertsJson() const;
  // (alertname, state) -> instances, for errpulse_alerts.
  std::map<std::pair<std::string, std::string>, int> StateCounts() const;
  const std::vector<Destination>& destinations() const { return destinations_; }
  const std::vector<AlertRule>& rules() const { return engine_.rules(); }

 private:
  struct Sent {
    std::map<std::string, std::string> labels;       // full label set
    std::map<std::string, std::string> annotations;
    int64_t starts_at_ms = 0;
    int64_t resolved_at_ms = -1;
    int64_t last_sent_ms = 0;
  };

  // An alert as receivers get it: endsAt ahead of now while it fires.
  OutgoingAlert Outgoing(const Sent& s, int64_t now_ms) const;
  std::map<std::string, std::string> Labels(const AlertRule& rule,
                                            const std::map<std::string, std::string>& by) const;
  std::map<std::string, std::string> Annotations(
      const AlertRule& rule, const std::map<std::string, std::string>& by, uint64_t count,
      const std::vector<ConditionReading>& readings) const;
  // Whether transition `t` of the alert with `labels` (under `key`) is held
  // back by an inhibition instead of sent (its firing while an inhibitor
  // fires, or the resolve of one held so far).
  bool HoldBack(const AlertTransition& t, const std::map<std::string, std::string>& labels,
                const std::string& key);

  AlertEngine engine_;
  std::shared_ptr<const Catalog> catalog_;
  std::string host_;
  int64_t resend_ms_;
  std::vector<Destination> destinations_;
  std::map<std::string, Sent> sent_;  // by alertname + labels
  struct Held {
    const AlertRule* rule = nullptr;
    Sent alert;  // last_sent_ms: 0, never sent
  };
  std::map<std::string, Held> held_;  // firing, not sent: an inhibitor fires (same keys)
  // Set by Import(): the restored alerts' annotations are written at the
  // first Tick, once the engine has counted their windows again.
  bool annotate_restored_ = false;
  uint64_t generation_ = 0;
  // The year for log times without one, worked out once per UTC day of the
  // wall clock: gmtime_r per line took a lock and 3% of the pipeline's time.
  int64_t year_day_ = -1;
  int year_ = 0;
};

// RFC 3339 in UTC with milliseconds, as Alertmanager expects.
std::string Rfc3339(int64_t ms);

}  // namespace errpulse
