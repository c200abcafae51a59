// AlertEngine on a fake clock: threshold, `for`, `keep_firing_for`, spike,
// ratio, `by` labels, late events; and the alert rule loader's errors.
#include <gtest/gtest.h>

#include "alert/alert_engine.h"
#include "alert/engine_clock.h"
#include "common/yaml_reader.h"

namespace errpulse {
namespace {

using testing::EvaluateEachSecond;
using testing::Rule;

AlertEvent Error(int64_t ms, int64_t code = 60007, const char* source = "rest") {
  return {ms, source, code, "rest_common", "rate_limit"};
}

TEST(AlertEngine, ThresholdForAndKeepFiringFor) {
  AlertEngine engine({Rule(R"(- alert: A
  match: { codes: [60007] }
  window: 10s
  threshold: 5
  for: 3s
  keep_firing_for: 4s
)")});
  for (int i = 0; i < 5; ++i) engine.Observe(Error(100'000 + i * 100));  // 5 at t=100s
  engine.Observe(Error(100'000, 60008));  // not matched
  EXPECT_EQ(EvaluateEachSecond(engine, 99, 120),
            (std::vector<std::string>{"100 pending 5", "103 firing 5", "114 resolved 0"}));
  // 110: the window (100, 110] no longer holds them; false since 110, +4s.
}

TEST(AlertEngine, PendingThatDoesNotLastGoesBackToInactive) {
  AlertEngine engine({Rule("- alert: A\n  window: 2s\n  threshold: 3\n  for: 10s\n")});
  for (int i = 0; i < 3; ++i) engine.Observe(Error(50'000));
  EXPECT_EQ(EvaluateEachSecond(engine, 50, 60), (std::vector<std::string>{"50 pending 3", "52 inactive 0"}));
}

TEST(AlertEngine, ByLabelsMakeInstances) {
  AlertEngine engine({Rule("- alert: A\n  by: [code, source]\n  window: 5s\n  threshold: 2\n")});
  engine.Observe(Error(10'000, 60007, "a"));
  engine.Observe(Error(10'000, 60007, "a"));
  engine.Observe(Error(10'000, 60007, "b"));
  engine.Observe(Error(10'000, 60011, "a"));
  engine.Observe(Error(10'000, 60011, "a"));
  auto t = engine.Evaluate(10'000);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].labels, (std::map<std::string, std::string>{{"code", "60007"}, {"source", "a"}}));
  EXPECT_EQ(t[1].labels, (std::map<std::string, std::string>{{"code", "60011"}, {"source", "a"}}));
  EXPECT_EQ(engine.Instances().size(), 2u);
}

// A dropped instance (inactive, nothing left in its windows) must not be
// found again through the lookup cache: a second surge of the same code and
// source makes a new instance that fires again, and counts only itself.
TEST(AlertEngine, SecondSurgeAfterTheInstanceWasDroppedFiresAgain) {
  AlertEngine engine({Rule("- alert: A\n  by: [code, source]\n  window: 5s\n  threshold: 3\n")});
  for (int round = 0; round < 3; ++round) {
    const int64_t start_s = 100 + round * 50;
    for (int i = 0; i < 3; ++i) engine.Observe(Error(start_s * 1000 + i, 60007, "a"));
    engine.Observe(Error(start_s * 1000, 60007, "b"));
    EXPECT_EQ(EvaluateEachSecond(engine, start_s, start_s + 20),
              (std::vector<std::string>{std::to_string(start_s) + " firing 3",
                                        std::to_string(start_s + 5) + " resolved 0"}))
        << "round " << round;
  }
}

// What a commit takes: only the instances that changed since the last
// commit, and those dropped since, until they are committed.
TEST(AlertEngine, ExportChangesListsOnlyWhatChangedSinceTheCommit) {
  AlertEngine engine({Rule("- alert: A\n  by: [code]\n  window: 2s\n  threshold: 100\n")});
  engine.Observe(Error(10'000, 60007));
  engine.Observe(Error(10'000, 60011));
  engine.Evaluate(10'000);
  EXPECT_EQ(engine.Export().size(), 2u);
  EXPECT_EQ(engine.ExportChanges().size(), 2u);
  engine.MarkCommitted(engine.change_clock());
  EXPECT_TRUE(engine.ExportChanges().empty());
  engine.Observe(Error(10'500, 60011));
  auto changed = engine.ExportChanges();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].labels.at("code"), "60011");
  EXPECT_FALSE(changed[0].removed);
  engine.MarkCommitted(engine.change_clock());
  engine.Evaluate(20'000);  // both windows empty: both dropped
  auto dropped = engine.ExportChanges();
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_TRUE(dropped[0].removed && dropped[1].removed);
  engine.MarkCommitted(engine.change_clock());
  EXPECT_TRUE(engine.ExportChanges().empty());
  EXPECT_TRUE(engine.Export().empty());
}

// A committed instance that only gains counts is exported with the seconds
// that moved; once a second leaves its window, whole again (so the journal
// forgets it too). A change after the export's clock stays listed.
TEST(AlertEngine, ExportChangesSendsOnlyTheSecondsThatMoved) {
  AlertEngine engine({Rule("- alert: A\n  by: [code]\n  window: 3s\n  threshold: 100\n")});
  engine.Observe(Error(10'000, 60007));
  engine.Observe(Error(11'000, 60007));
  engine.Evaluate(11'000);
  auto first = engine.ExportChanges();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_FALSE(first[0].windows_partial) << "a new instance is exported whole";
  EXPECT_EQ(first[0].errors.size(), 2u);
  engine.MarkCommitted(engine.change_clock());

  engine.Observe(Error(12'000, 60007));
  engine.Observe(Error(12'500, 60007));
  engine.Evaluate(12'500);
  auto moved = engine.ExportChanges();
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_TRUE(moved[0].windows_partial);
  EXPECT_EQ(moved[0].errors, (std::map<int64_t, uint64_t>{{12, 2}}));
  const uint64_t exported_at = engine.change_clock();
  engine.Observe(Error(12'900, 60007));  // after the export: still to commit
  engine.MarkCommitted(exported_at);
  auto later = engine.ExportChanges();
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].errors, (std::map<int64_t, uint64_t>{{12, 3}}));
  engine.MarkCommitted(engine.change_clock());

  engine.Evaluate(14'000);  // second 10 leaves the retention
  auto trimmed = engine.ExportChanges();
  ASSERT_EQ(trimmed.size(), 1u);
  EXPECT_FALSE(trimmed[0].windows_partial);
  EXPECT_EQ(trimmed[0].errors, (std::map<int64_t, uint64_t>{{11, 1}, {12, 3}}));
}

// A quiet instance below its threshold is not looked at again until it
// changes: that must not hide what the window takes in as the clock moves
// (events stamped ahead of it) or steps back, nor keep an emptied instance
// from being dropped.
TEST(AlertEngine, QuietInstancesStillFireWhenSecondsEnterTheWindowAndAreDropped) {
  AlertEngine engine({Rule("- alert: A\n  window: 3s\n  threshold: 2\n")});
  engine.Observe(Error(100'000));
  engine.Observe(Error(100'500));
  EXPECT_TRUE(engine.Evaluate(99'000).empty());  // both after "now": not counted
  EXPECT_TRUE(engine.Evaluate(99'500).empty());  // unchanged, clock on: still nothing
  auto fired = engine.Evaluate(100'900);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].to, "firing");
  EXPECT_EQ(fired[0].count, 2u);

  // The clock steps back a second: second 100, kept but just outside the
  // window at 103, is inside it at 102.
  AlertEngine back({Rule("- alert: A\n  window: 3s\n  threshold: 2\n")});
  back.Observe(Error(100'000));
  back.Observe(Error(100'200));
  EXPECT_TRUE(back.Evaluate(103'000).empty());
  auto after_step = back.Evaluate(102'500);
  ASSERT_EQ(after_step.size(), 1u);
  EXPECT_EQ(after_step[0].to, "firing");

  AlertEngine quiet({Rule("- alert: A\n  window: 3s\n  threshold: 5\n")});
  quiet.Observe(Error(200'000));
  for (int64_t s = 200; s <= 204; ++s) EXPECT_TRUE(quiet.Evaluate(s * 1000).empty());
  EXPECT_TRUE(quiet.Export().empty()) << "the second left the window: the instance is dropped";
}

TEST(AlertEngine, SpikeNeedsFactorTimesTheBaselineRate) {
  AlertEngine engine({Rule(R"(- alert: S
  window: 10s
  threshold: 1
  spike: { baseline: 110s, factor: 4, min_count: 10 }
)")});
  // Baseline: 1 per second for 100 s before t=1000 -> 10 expected per 10 s window.
  for (int s = 900; s < 1000; ++s) engine.Observe(Error(s * 1000));
  for (int s = 1000; s < 1010; ++s)
    for (int i = 0; i < 3; ++i) engine.Observe(Error(s * 1000));  // 30 in the window: 3x, no
  EXPECT_TRUE(engine.Evaluate(1009'000).empty());
  for (int s = 1000; s < 1010; ++s) engine.Observe(Error(s * 1000));  // 40: 4x, fires
  auto t = engine.Evaluate(1009'000);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].to, "firing");
  EXPECT_EQ(t[0].count, 40u);
}

TEST(AlertEngine, RatioOfErrorsToAllResponses) {
  AlertEngine engine({Rule(R"(- alert: R
  match: { sources: [rest] }
  by: [source]
  window: 10s
  ratio: { above: 0.05, min_total: 100 }
)")});
  auto success = [](int64_t ms) { return AlertEvent{ms, "rest", 0, "unknown", "unknown"}; };
  for (int i = 0; i < 95; ++i) engine.Observe(success(5'000));
  for (int i = 0; i < 5; ++i) engine.Observe(Error(5'000));
  EXPECT_TRUE(engine.Evaluate(5'000).empty()) << "5% is not above 5%";
  engine.Observe(Error(5'000));
  auto t = engine.Evaluate(5'000);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].to, "firing");
  EXPECT_NEAR(t[0].ratio, 6.0 / 101.0, 1e-9);
  engine.Observe(AlertEvent{5'000, "other", 60007, "rest_common", "rate_limit"});  // not matched
  EXPECT_EQ(engine.Instances().size(), 1u);
}

TEST(AlertEngine, LateEventsLandInTheirSecondOrAreCountedLate) {
  AlertEngine engine({Rule("- alert: A\n  window: 10s\n  threshold: 2\n")});
  engine.Observe(Error(100'000));
  engine.Observe(Error(95'000));  // late but inside the window: counts
  EXPECT_EQ(engine.Evaluate(100'000).size(), 1u);
  engine.Observe(Error(50'000));  // older than any window
  EXPECT_EQ(engine.late_events(), 1u);
}

TEST(AlertRuleLoader, ReportsMistakesWithPositions) {
  Diagnostics d;
  YamlReader reader("alerts.yaml", &d);
  auto root = reader.LoadString(R"(- alert: B
  window: 500ms
  by: [room]
  treshold: 3
- alert: A
- alert: A
- alert: R
  by: [code]
  ratio: { above: 2 }
)");
  std::vector<AlertRule> rules;
  std::map<std::string, std::string> names;
  ReadAlertRules(reader, *root, &rules, &names);
  const std::string all = FormatDiagnostics(d);
  EXPECT_NE(all.find("alerts.yaml:1:3: window must be at least 1s"), std::string::npos) << all;
  EXPECT_NE(all.find("alerts.yaml:3:7: by: 'room' is not one of"), std::string::npos) << all;
  EXPECT_NE(all.find("alerts.yaml:4:3: unknown key 'treshold' in alert rule (did you mean "
                     "'threshold'?)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("alerts.yaml:6:10: alert 'A' is already defined"), std::string::npos) << all;
  EXPECT_NE(all.find("ratio above must be between 0 and 1"), std::string::npos) << all;
  EXPECT_NE(all.find("a ratio rule can only be grouped by source"), std::string::npos) << all;
}

}  // namespace
}  // namespace errpulse

namespace errpulse {
namespace {

// A restart (Export, new engine, Import) neither forgets a firing alert nor
// loses a pending one, nor fires anew: the restored engine goes on exactly as
// the one that kept running.
TEST(AlertEngine, RestartWhilePendingAndWhileFiringContinuesExactly) {
  const std::string yaml = "- alert: A\n  window: 10s\n  threshold: 5\n  for: 4s\n"
                           "  keep_firing_for: 3s\n";
  AlertEngine running({Rule(yaml)});
  for (int i = 0; i < 6; ++i) running.Observe(Error(200'000 + i * 500));
  EXPECT_EQ(EvaluateEachSecond(running, 200, 202), (std::vector<std::string>{"202 pending 6"}));

  // Restart while pending.
  AlertEngine restarted({Rule(yaml)});
  restarted.Import(running.Export());
  EXPECT_EQ(EvaluateEachSecond(restarted, 203, 206), (std::vector<std::string>{"206 firing 6"}));
  EXPECT_EQ(EvaluateEachSecond(running, 203, 206), (std::vector<std::string>{"206 firing 6"}));

  // Restart while firing: no new firing transition, resolution on time.
  AlertEngine again({Rule(yaml)});
  again.Import(restarted.Export());
  ASSERT_EQ(again.Instances().size(), 1u);
  EXPECT_EQ(again.Instances()[0].state, AlertState::kFiring);
  EXPECT_EQ(again.Instances()[0].active_since_ms, 202'000);
  EXPECT_EQ(EvaluateEachSecond(again, 207, 230), EvaluateEachSecond(running, 207, 230));
}

}  // namespace
}  // namespace errpulse
