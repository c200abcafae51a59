// AlertEngine on a fake clock: threshold, `for`, `keep_firing_for`, spike,
// ratio, `by` labels, late events; and the alert rule loader's errors.
#include <gtest/gtest.h>

#include "alert/alert_engine.h"
#include "common/yaml_reader.h"
#include "support/alert_rules.h"

namespace errpulse {
namespace {

AlertRule Rule(const std::string& yaml) {
  std::vector<AlertRule> rules = testing::AlertRulesFromYaml(yaml);
  EXPECT_EQ(rules.size(), 1u);
  return rules.empty() ? AlertRule() : rules[0];
}

AlertEvent Error(int64_t ms, int64_t code = 60007, const char* source = "rest") {
  return {ms, source, code, "rest_common", "rate_limit"};
}

std::vector<std::string> EvaluateEachSecond(AlertEngine& engine, int64_t from_s, int64_t to_s) {
  std::vector<std::string> out;
  for (int64_t s = from_s; s <= to_s; ++s)
    for (const auto& t : engine.Evaluate(s * 1000))
      out.push_back(std::to_string(s) + " " + t.to + " " + std::to_string(t.count));
  return out;
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

// What a commit takes: only the instances that changed after a clock
// reading, and those dropped after it, until they are committed.
TEST(AlertEngine, ExportSinceAClockListsOnlyWhatChanged) {
  AlertEngine engine({Rule("- alert: A\n  by: [code]\n  window: 2s\n  threshold: 100\n")});
  engine.Observe(Error(10'000, 60007));
  engine.Observe(Error(10'000, 60011));
  engine.Evaluate(10'000);
  EXPECT_EQ(engine.Export().size(), 2u);
  const uint64_t committed = engine.change_clock();
  EXPECT_TRUE(engine.Export(committed).empty());
  engine.Observe(Error(10'500, 60011));
  auto changed = engine.Export(committed);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].labels.at("code"), "60011");
  EXPECT_FALSE(changed[0].removed);
  const uint64_t second = engine.change_clock();
  engine.Evaluate(20'000);  // both windows empty: both dropped
  auto dropped = engine.Export(second);
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_TRUE(dropped[0].removed && dropped[1].removed);
  engine.ForgetDropped(engine.change_clock());
  EXPECT_TRUE(engine.Export(second).empty());
  EXPECT_TRUE(engine.Export().empty());
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
