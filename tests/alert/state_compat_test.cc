// Alert state written by errpulse before incident rules (testdata/: state
// directories the errpulsed of revision c31b3d7 left, one after SIGTERM with
// the alerts in the state file, one after SIGKILL with them in the journal)
// loads, and its alerts go on: OldFiring fired on 4 x 60007 and OldPending
// pends on 2 x -2 (`for: 1h`).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "alert/alert_engine.h"
#include "state/state_store.h"
#include "support/alert_rules.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

const char* kRules = R"(- alert: OldFiring
  match: { codes: [60007] }
  by: [code, source]
  window: 10m
  threshold: 3
  keep_firing_for: 10m
- alert: OldPending
  match: { codes: [-2] }
  window: 10m
  threshold: 2
  for: 1h
)";

Snapshot LoadFixture(const std::string& name) {
  testing::TempDir dir;
  const std::string from = std::string(ERRPULSE_SOURCE_DIR) + "/tests/alert/testdata/" + name;
  for (const char* file : {"state", "state.journal"})
    testing::WriteFile(dir.File(file), testing::ReadFile(from + "/" + file));
  StateStore store(dir.path());
  EXPECT_EQ(store.Open(), "");
  Snapshot snapshot;
  std::string problem;
  EXPECT_EQ(store.Load(&snapshot, &problem), StateStore::LoadResult::kLoaded) << problem;
  return snapshot;
}

const AlertInstanceState* Find(const Snapshot& s, const std::string& alertname) {
  for (const auto& a : s.alerts)
    if (a.alertname == alertname) return &a;
  return nullptr;
}

TEST(StateCompat, AlertsCommittedBeforeIncidentRulesLoadAndGoOn) {
  for (const char* fixture : {"file_before_incident_rules", "journal_before_incident_rules"}) {
    SCOPED_TRACE(fixture);
    const Snapshot snapshot = LoadFixture(fixture);
    const AlertInstanceState* firing = Find(snapshot, "OldFiring");
    const AlertInstanceState* pending = Find(snapshot, "OldPending");
    ASSERT_TRUE(firing && pending);
    EXPECT_EQ(firing->state, AlertState::kFiring);
    EXPECT_EQ(firing->labels, (std::map<std::string, std::string>{{"code", "60007"},
                                                                  {"source", "rest"}}));
    ASSERT_EQ(firing->errors.size(), 1u);
    EXPECT_EQ(firing->errors.begin()->second, 4u);
    EXPECT_EQ(firing->firing_since_ms, -1) << "not written then";
    EXPECT_TRUE(firing->more_windows.empty());
    EXPECT_EQ(pending->state, AlertState::kPending);

    AlertEngine engine(testing::AlertRulesFromYaml(kRules));
    engine.Import(snapshot.alerts);
    const int64_t second = firing->errors.begin()->first;
    // A minute on: still firing with its start, 4 in its window; the other
    // still pending. 11 minutes on, the window is empty: resolved 10m later.
    EXPECT_TRUE(engine.Evaluate((second + 60) * 1000).empty());
    auto views = engine.Instances();
    ASSERT_EQ(views.size(), 2u);
    for (const auto& v : views) {
      if (v.alertname == "OldFiring") {
        EXPECT_EQ(v.state, AlertState::kFiring);
        EXPECT_EQ(v.active_since_ms, firing->active_since_ms);
        EXPECT_EQ(v.count, 4u);
      } else {
        EXPECT_EQ(v.state, AlertState::kPending);
      }
    }
    std::vector<std::string> later;
    for (int64_t s = second + 600; s <= second + 1201; s += 1)
      for (const auto& t : engine.Evaluate(s * 1000))
        later.push_back(t.alertname + " " + t.to + " +" + std::to_string(s - second));
    EXPECT_EQ(later, (std::vector<std::string>{"OldPending inactive +600", "OldFiring resolved +1200"}));
  }
}

}  // namespace
}  // namespace errpulse
