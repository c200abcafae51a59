// Inhibition in the AlertDispatcher, on a fake clock, sending to a recording
// receiver: while an incident fires, the rule it inhibits is evaluated but
// not sent; it is sent, with its own start, once the incident resolves if
// it still fires, and never if it resolved first; what was sent before the
// incident fired goes on; a restart keeps each of these as it was. The same
// rules without `inhibits` send both at once, so the inhibition is what
// held the alert back.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "alert/dispatcher.h"
#include "support/http_recorder.h"
#include "support/alert_rules.h"
#include "support/shipped_data.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000;
constexpr int64_t kResendMs = 3'600'000;  // no re-sends within a test

std::string Rules(bool inhibit, const std::string& plain_window = "10s") {
  return "- alert: RestApiRateLimited\n  match: { codes: [60007] }\n  window: " + plain_window +
         "\n  threshold: 5\n"
         "- alert: RateLimitIncident\n  all_of:\n"
         "    - { match: { codes: [60007] }, threshold: 5 }\n"
         "    - { match: { codes: [-2] }, threshold: 5 }\n"
         "  window: 10s\n" +
         std::string(inhibit ? "  inhibits: [RestApiRateLimited]\n" : "") +
         "  annotations: { summary: \"{{counts}}\" }\n";
}

class Harness {
 public:
  explicit Harness(const std::string& rules)
      : catalog_(testing::ShippedCatalog()), alerting_(Make(rules)) {}

  std::unique_ptr<AlertDispatcher> Make(const std::string& rules) {
    HttpUrl url;
    EXPECT_TRUE(ParseHttpUrl(recorder_.url(), &url));
    std::vector<Destination> destinations;
    destinations.push_back({std::make_unique<Receiver>("recorder", url, "/api/v2/alerts", 100,
                                                       2000),
                            PayloadFormat::kAlertmanagerApi});
    return std::make_unique<AlertDispatcher>(testing::AlertRulesFromYaml(rules), catalog_, "",
                                             kResendMs, std::move(destinations));
  }
  // A restart: the state as committed, a new dispatcher, the state back.
  void Restart(const std::string& rules) {
    auto saved = alerting_->Export();
    alerting_ = Make(rules);
    alerting_->Import(saved);
  }
  void Errors(int64_t at_ms, int64_t code, int n) {
    Match m;
    m.code = code;
    for (int i = 0; i < n; ++i) alerting_->Observe("app", m, catalog_->Find(code), at_ms);
  }
  // Each message sent (one per Tick that had something to send), each alert
  // as "alertname startsAt->endsAt", waiting until `n` have arrived.
  std::vector<std::string> Messages(size_t n) {
    testing::WaitFor([&] { return recorder_.bodies().size() >= n; }, std::chrono::seconds(5));
    std::vector<std::string> out;
    for (const auto& body : recorder_.bodies()) {
      std::string message;
      for (const auto& a : nlohmann::json::parse(body))
        message += (message.empty() ? "" : " | ") + a["labels"]["alertname"].get<std::string>() +
                   " " + a["startsAt"].get<std::string>() + "->" + a["endsAt"].get<std::string>();
      out.push_back(message);
    }
    return out;
  }
  std::vector<std::string> Bodies() const { return recorder_.bodies(); }
  AlertDispatcher& alerting() { return *alerting_; }

 private:
  testing::HttpRecorder recorder_;
  std::shared_ptr<const Catalog> catalog_;
  std::unique_ptr<AlertDispatcher> alerting_;
};

std::string Firing(const char* name, int64_t start_ms, int64_t tick_ms) {
  return std::string(name) + " " + Rfc3339(start_ms) + "->" + Rfc3339(tick_ms + 3 * kResendMs);
}
std::string Resolved(const char* name, int64_t start_ms, int64_t tick_ms) {
  return std::string(name) + " " + Rfc3339(start_ms) + "->" + Rfc3339(tick_ms);
}

const ActiveAlert* Find(const std::vector<ActiveAlert>& alerts, const std::string& name) {
  for (const auto& a : alerts)
    if (a.labels.at("alertname") == name) return &a;
  return nullptr;
}

// Both fire at t0+1s. The incident's -2s leave its window at t0+10s while
// 60007s written at t0+5s keep the plain rule firing until t0+15s.
void Surge(Harness& h) {
  h.Errors(kT0, 60007, 5);
  h.Errors(kT0, -2, 5);
  h.alerting().Tick(kT0 + 1'000);
  h.Errors(kT0 + 5'000, 60007, 5);
  h.alerting().Tick(kT0 + 5'000);
}

TEST(Inhibition, HeldWhileTheIncidentFiresAndSentWithItsStartAfter) {
  Harness h(Rules(/*inhibit=*/true));
  Surge(h);
  const auto active = h.alerting().ActiveAlerts();
  ASSERT_EQ(active.size(), 2u);
  EXPECT_EQ(Find(active, "RestApiRateLimited")->state, AlertState::kFiring);
  EXPECT_EQ(Find(active, "RestApiRateLimited")->inhibited_by, "RateLimitIncident");
  EXPECT_EQ(Find(active, "RateLimitIncident")->inhibited_by, "");
  EXPECT_NE(h.alerting().AlertsJson().find("\"inhibitedBy\":[\"RateLimitIncident\"]"),
            std::string::npos);
  EXPECT_EQ(Find(active, "RateLimitIncident")->annotations.at("summary"),
            "code 60007: 10 (≥5); code -2: 5 (≥5)");
  h.alerting().Tick(kT0 + 10'000);  // the incident resolves
  h.alerting().Tick(kT0 + 15'000);  // then the plain rule
  EXPECT_EQ(h.Messages(3),
            (std::vector<std::string>{
                Firing("RateLimitIncident", kT0 + 1'000, kT0 + 1'000),
                Resolved("RateLimitIncident", kT0 + 1'000, kT0 + 10'000) + " | " +
                    Firing("RestApiRateLimited", kT0 + 1'000, kT0 + 10'000),
                Resolved("RestApiRateLimited", kT0 + 1'000, kT0 + 15'000)}));
}

TEST(Inhibition, WithoutInhibitsBothAreSentAtOnce) {
  Harness h(Rules(/*inhibit=*/false));
  Surge(h);
  EXPECT_EQ(Find(h.alerting().ActiveAlerts(), "RestApiRateLimited")->inhibited_by, "");
  EXPECT_EQ(h.alerting().AlertsJson().find("inhibitedBy"), std::string::npos);
  h.alerting().Tick(kT0 + 10'000);
  EXPECT_EQ(h.Messages(2),
            (std::vector<std::string>{Firing("RestApiRateLimited", kT0 + 1'000, kT0 + 1'000) +
                                          " | " +
                                          Firing("RateLimitIncident", kT0 + 1'000, kT0 + 1'000),
                                      Resolved("RateLimitIncident", kT0 + 1'000, kT0 + 10'000)}));
}

// A held alert that resolves inside the incident is never sent, not even its
// resolve: the next message after the incident's is a later surge's page.
TEST(Inhibition, HeldAlertThatResolvesFirstIsNeverSent) {
  Harness h(Rules(/*inhibit=*/true, /*plain_window=*/"3s"));
  h.Errors(kT0, 60007, 5);
  h.Errors(kT0, -2, 5);
  h.alerting().Tick(kT0 + 1'000);
  h.alerting().Tick(kT0 + 3'000);   // the plain rule resolves, held
  h.alerting().Tick(kT0 + 10'000);  // the incident resolves
  h.Errors(kT0 + 20'000, 60007, 5);
  h.alerting().Tick(kT0 + 20'000);
  EXPECT_EQ(h.Messages(3),
            (std::vector<std::string>{Firing("RateLimitIncident", kT0 + 1'000, kT0 + 1'000),
                                      Resolved("RateLimitIncident", kT0 + 1'000, kT0 + 10'000),
                                      Firing("RestApiRateLimited", kT0 + 20'000, kT0 + 20'000)}));
}

// Sent before the incident fired: not retracted; its resolve is sent while
// the incident still fires.
TEST(Inhibition, AlertSentBeforeTheIncidentFiredGoesOn) {
  Harness h(Rules(/*inhibit=*/true, /*plain_window=*/"3s"));
  h.Errors(kT0, 60007, 5);
  h.alerting().Tick(kT0 + 1'000);  // the plain rule fires alone
  h.Errors(kT0 + 1'000, -2, 5);
  h.alerting().Tick(kT0 + 2'000);  // the incident fires
  EXPECT_EQ(Find(h.alerting().ActiveAlerts(), "RestApiRateLimited")->inhibited_by, "")
      << "sent already: not held";
  h.alerting().Tick(kT0 + 3'000);  // the plain rule resolves
  EXPECT_EQ(h.Messages(3),
            (std::vector<std::string>{Firing("RestApiRateLimited", kT0 + 1'000, kT0 + 1'000),
                                      Firing("RateLimitIncident", kT0 + 2'000, kT0 + 2'000),
                                      Resolved("RestApiRateLimited", kT0 + 1'000, kT0 + 3'000)}));
}

// A restart while the incident fires: the incident is sent again with its
// start and with the counts of the windows it restored (not zeros), the
// held alert stays held (no page), and is sent with its own start once the
// incident resolves.
TEST(Inhibition, RestartKeepsHeldAlertsHeld) {
  const std::string rules = Rules(/*inhibit=*/true);
  Harness h(rules);
  Surge(h);
  ASSERT_EQ(h.Messages(1).size(), 1u) << "sent before the old receiver goes";
  h.Restart(rules);
  h.alerting().Tick(kT0 + 6'000);
  ASSERT_EQ(h.Messages(2).size(), 2u);
  EXPECT_EQ(Find(h.alerting().ActiveAlerts(), "RestApiRateLimited")->inhibited_by,
            "RateLimitIncident");
  h.alerting().Tick(kT0 + 10'000);
  EXPECT_EQ(h.Messages(3),
            (std::vector<std::string>{
                Firing("RateLimitIncident", kT0 + 1'000, kT0 + 1'000),
                Firing("RateLimitIncident", kT0 + 1'000, kT0 + 6'000),
                Resolved("RateLimitIncident", kT0 + 1'000, kT0 + 10'000) + " | " +
                    Firing("RestApiRateLimited", kT0 + 1'000, kT0 + 10'000)}));
  const auto bodies = h.Bodies();
  EXPECT_EQ(nlohmann::json::parse(bodies[0])[0]["annotations"]["summary"],
            "code 60007: 5 (≥5); code -2: 5 (≥5)");
  EXPECT_EQ(nlohmann::json::parse(bodies[1])[0]["annotations"]["summary"],
            "code 60007: 10 (≥5); code -2: 5 (≥5)");
}

}  // namespace
}  // namespace errpulse
