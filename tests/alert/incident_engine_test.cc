// Incident rules in the AlertEngine on a fake clock: all_of needs every
// condition in the same window, any_of one; a ratio condition; the readings
// each transition carries ({{counts}}); keep_firing_for across flapping; and
// export / import through the state file's two encodings.
#include <gtest/gtest.h>

#include "alert/alert_engine.h"
#include "alert/condition_text.h"
#include "alert/engine_clock.h"
#include "state/snapshot.h"
#include "state/state_entries.h"

namespace errpulse {
namespace {

using testing::EvaluateEachSecond;
using testing::Rule;

AlertEvent Event(int64_t ms, int64_t code, const char* source) {
  return {ms, source, code, "any", "any"};
}
void Observe(AlertEngine& engine, int n, int64_t ms, int64_t code, const char* source) {
  for (int i = 0; i < n; ++i) engine.Observe(Event(ms, code, source));
}

const char* kAllOf = R"(- alert: RateLimitIncident
  all_of:
    - { match: { codes: [60007, 60011] }, threshold: 20 }
    - { match: { codes: [-2] }, threshold: 10 }
  window: 10s
  for: 2s
)";

// One stream's surge alone is not the incident: it pends only once the
// other stream's errors join it within the window, and fires `for` later.
TEST(IncidentEngine, AllOfNeedsEveryConditionInTheSameWindow) {
  AlertEngine engine({Rule(kAllOf)});
  Observe(engine, 30, 100'000, 60007, "rest");  // condition 1 alone, far over
  EXPECT_TRUE(EvaluateEachSecond(engine, 100, 104).empty());
  Observe(engine, 9, 105'000, -2, "app");  // condition 2 one short
  EXPECT_TRUE(EvaluateEachSecond(engine, 105, 106).empty());
  Observe(engine, 1, 107'000, -2, "app");
  EXPECT_EQ(EvaluateEachSecond(engine, 107, 120),
            (std::vector<std::string>{"107 pending 40", "109 firing 40", "110 resolved 10"}));
  // 110: the 60007s (second 100) left the window (100, 110]; no keep_firing_for.
}

// The same surge of condition 1 alone does fire an any_of rule.
TEST(IncidentEngine, AnyOfNeedsOneCondition) {
  AlertEngine engine({Rule(R"(- alert: Either
  any_of:
    - { match: { codes: [60007, 60011] }, threshold: 20 }
    - { match: { codes: [-2] }, threshold: 10 }
  window: 10s
)")});
  Observe(engine, 19, 100'000, 60011, "rest");
  Observe(engine, 9, 100'000, -2, "app");
  EXPECT_TRUE(EvaluateEachSecond(engine, 100, 102).empty()) << "neither reached";
  Observe(engine, 1, 103'000, -2, "app");
  auto t = engine.Evaluate(103'000);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].to, "firing");
  EXPECT_EQ(t[0].count, 29u);
  ASSERT_EQ(t[0].conditions.size(), 2u);
  EXPECT_FALSE(t[0].conditions[0].met);
  EXPECT_EQ(t[0].conditions[0].count, 19u);
  EXPECT_TRUE(t[0].conditions[1].met);
  EXPECT_EQ(ConditionsText(engine.rules()[0], t[0].conditions),
            "codes 60007,60011: 19 (<20); code -2: 10 (≥10)");
}

// A ratio condition takes the successes of its sources: 20 errors among
// 2,020 responses are under 5%; with 200 more errors, over.
TEST(IncidentEngine, RatioCondition) {
  AlertEngine engine({Rule(R"(- alert: RestFailingWithClientThrottled
  all_of:
    - { match: { codes: [60007], sources: [rest] }, ratio: { above: 0.05, min_total: 100 } }
    - { match: { codes: [-2] }, threshold: 5 }
  window: 10s
)")});
  EXPECT_TRUE(engine.WantsSuccesses());
  Observe(engine, 2000, 100'000, 0, "rest");
  Observe(engine, 500, 100'000, 0, "app");  // another source's successes: not in the total
  Observe(engine, 20, 100'000, 60007, "rest");
  Observe(engine, 5, 100'000, -2, "app");
  EXPECT_TRUE(engine.Evaluate(100'000).empty());
  Observe(engine, 200, 101'000, 60007, "rest");
  auto t = engine.Evaluate(101'000);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].to, "firing");
  ASSERT_EQ(t[0].conditions.size(), 2u);
  EXPECT_EQ(t[0].conditions[0].count, 220u);
  EXPECT_EQ(t[0].conditions[0].total, 2220u);
  EXPECT_EQ(ConditionsText(engine.rules()[0], t[0].conditions),
            "code 60007 from source rest: 9.9% of 2220 (>5%); code -2: 5 (≥5)");
}

// A spike condition: its count must also stand out from the stretch before
// the window (here 1 a second for 50 s: 10 expected per 10 s window, x4).
TEST(IncidentEngine, SpikeCondition) {
  AlertEngine engine({Rule(R"(- alert: Burst
  any_of:
    - { match: { codes: [-2] }, threshold: 10, spike: { baseline: 60s, factor: 4 } }
  window: 10s
)")});
  for (int64_t s = 100; s < 150; ++s) Observe(engine, 1, s * 1000, -2, "app");
  Observe(engine, 30, 155'000, -2, "app");
  EXPECT_TRUE(engine.Evaluate(159'000).empty()) << "30: under 4 x 10";
  EXPECT_EQ(ConditionsText(engine.rules()[0], {ConditionReading{30, 0, 0, false}}),
            "code -2: 30 (≥10, no spike over the baseline)");
  Observe(engine, 10, 156'000, -2, "app");
  auto t = engine.Evaluate(159'000);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].to, "firing");
  EXPECT_EQ(ConditionsText(engine.rules()[0], t[0].conditions), "code -2: 40 (≥10, a spike)");
}

// Flapping: a condition that clears and comes back within keep_firing_for
// leaves the instance firing, with the start it had; only once it has been
// clear for keep_firing_for does it resolve. Without keep_firing_for the
// same flaps resolve and fire again: the setting is what holds it together.
TEST(IncidentEngine, KeepFiringForHoldsAFlappingIncidentTogether) {
  for (const char* keep : {"5s", "0s"}) {
    AlertEngine engine({Rule(std::string(kAllOf) + "  keep_firing_for: " + keep + "\n")});
    std::vector<std::string> seen;
    std::vector<int64_t> starts;
    // Three bursts of both streams, 12 s apart (each leaves the 10 s window
    // 10 s later: clear for 2 s between them), then quiet.
    for (int64_t burst = 0; burst < 3; ++burst) {
      const int64_t at_s = 100 + burst * 12;
      Observe(engine, 20, at_s * 1000, 60007, "rest");
      Observe(engine, 10, at_s * 1000, -2, "app");
      for (int64_t s = at_s; s < at_s + 12; ++s) {
        for (const auto& t : engine.Evaluate(s * 1000)) {
          seen.push_back(std::to_string(s) + " " + t.to);
          if (t.to == "firing") starts.push_back(t.active_since_ms);
        }
      }
    }
    for (const auto& t : EvaluateEachSecond(engine, 136, 160))
      seen.push_back(t.substr(0, t.rfind(' ')));  // without the count
    if (std::string(keep) == "5s") {
      EXPECT_EQ(seen, (std::vector<std::string>{"100 pending", "102 firing", "139 resolved"}));
      ASSERT_EQ(engine.Instances().size(), 0u);
    } else {
      EXPECT_EQ(seen, (std::vector<std::string>{"100 pending", "102 firing", "110 resolved",
                                                "112 pending", "114 firing", "122 resolved",
                                                "124 pending", "126 firing", "134 resolved"}));
      EXPECT_EQ(starts, (std::vector<int64_t>{100'000, 112'000, 124'000}));
    }
  }
}

// The same for a plain rule: keep_firing_for is every rule's.
TEST(IncidentEngine, KeepFiringForOnAPlainRule) {
  AlertEngine engine(
      {Rule("- alert: A\n  match: { codes: [60007] }\n  window: 3s\n  threshold: 5\n"
            "  keep_firing_for: 4s\n")});
  Observe(engine, 5, 100'000, 60007, "rest");
  EXPECT_EQ(EvaluateEachSecond(engine, 100, 104), (std::vector<std::string>{"100 firing 5"}));
  // Clear since 103; back at 105, within 4 s: still firing, same start.
  Observe(engine, 5, 105'000, 60007, "rest");
  EXPECT_TRUE(EvaluateEachSecond(engine, 105, 107).empty());
  ASSERT_EQ(engine.Instances().size(), 1u);
  EXPECT_EQ(engine.Instances()[0].state, AlertState::kFiring);
  EXPECT_EQ(engine.Instances()[0].active_since_ms, 100'000);
  // Clear since 108: resolved 4 s later.
  EXPECT_EQ(EvaluateEachSecond(engine, 108, 115), (std::vector<std::string>{"112 resolved 0"}));
}

// Export, a state file (JSON, and the journal's entries), Import: the
// restored engine goes on exactly as the one that kept running, each
// condition's window included.
TEST(IncidentEngine, ExportImportRoundTripThroughBothEncodings) {
  const std::string yaml = std::string(kAllOf) + "  keep_firing_for: 3s\n";
  AlertEngine running({Rule(yaml)});
  Observe(running, 25, 200'000, 60011, "rest");
  Observe(running, 4, 200'000, -2, "app");
  Observe(running, 4, 201'000, -2, "app");
  Observe(running, 4, 202'000, -2, "app");
  EXPECT_EQ(EvaluateEachSecond(running, 200, 204),
            (std::vector<std::string>{"202 pending 37", "204 firing 37"}));

  const std::vector<AlertInstanceState> saved = running.Export();
  ASSERT_EQ(saved.size(), 1u);
  EXPECT_EQ(saved[0].errors, (std::map<int64_t, uint64_t>{{200, 25}}));
  ASSERT_EQ(saved[0].more_windows.size(), 1u);
  EXPECT_EQ(saved[0].more_windows[0].errors,
            (std::map<int64_t, uint64_t>{{200, 4}, {201, 4}, {202, 4}}));
  EXPECT_EQ(saved[0].firing_since_ms, 204'000);

  Snapshot snapshot;
  snapshot.alerts = saved;
  Snapshot from_json, from_entries;
  ASSERT_EQ(ParseSnapshot(SerializeSnapshot(snapshot), &from_json), "");
  ASSERT_EQ(UnflattenSnapshot(FlattenToMap(snapshot), &from_entries), "");
  for (const Snapshot* restored : {&from_json, &from_entries}) {
    ASSERT_EQ(restored->alerts.size(), 1u);
    const AlertInstanceState& a = restored->alerts[0];
    EXPECT_EQ(a.firing_since_ms, 204'000);
    EXPECT_EQ(a.errors, saved[0].errors);
    ASSERT_EQ(a.more_windows.size(), 1u);
    EXPECT_EQ(a.more_windows[0].errors, saved[0].more_windows[0].errors);
    AlertEngine again({Rule(yaml)});
    again.Import(restored->alerts);
    EXPECT_TRUE(again.Evaluate(205'000).empty());
    ASSERT_EQ(again.Instances().size(), 1u);
    EXPECT_EQ(again.Instances()[0].state, AlertState::kFiring);
    EXPECT_EQ(again.Instances()[0].active_since_ms, 202'000);
    ASSERT_EQ(again.Instances()[0].conditions.size(), 2u);
    EXPECT_EQ(again.Instances()[0].conditions[0].count, 25u);
    EXPECT_EQ(again.Instances()[0].conditions[1].count, 12u);
    // 210: second 200 leaves the window, condition 1 fails; +3 s. (Had the
    // -2 window been lost, it would have failed at once: resolved at 208.)
    EXPECT_EQ(EvaluateEachSecond(again, 206, 220), (std::vector<std::string>{"213 resolved 0"}));
  }
  EXPECT_EQ(EvaluateEachSecond(running, 205, 220), (std::vector<std::string>{"213 resolved 0"}));
}

}  // namespace
}  // namespace errpulse
