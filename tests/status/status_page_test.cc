// The status page and /api/v1/status rendered from a snapshot: everything
// that comes from files, logs or config is escaped (a path or label holding
// markup stays text), nothing external is referenced, and firing alerts lead.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "status/html_text.h"
#include "status/status_json.h"
#include "status/status_page.h"

namespace errpulse {
namespace {

constexpr const char* kHostile = "<script>alert('x')</script>\"&";

StatusSnapshot HostileSnapshot() {
  StatusSnapshot s;
  s.taken_at_ms = 1'800'000'000'000;
  s.counting_since_ms = s.taken_at_ms - 60'000;
  s.host = std::string("host") + kHostile;
  s.config_file = std::string("/etc/errpulse/") + kHostile + ".yaml";
  s.state_dir = "/var/lib/errpulse";
  s.last_commit_ms = s.taken_at_ms - 20;
  s.alert_rules = 2;
  AlertStatus firing;
  firing.alertname = std::string("Surge") + kHostile;
  firing.state = "firing";
  firing.labels = {{"source", kHostile}, {"code", "60007"}};
  firing.annotations = {{"summary", kHostile}};
  firing.since_ms = s.taken_at_ms - 90'000;
  firing.count = 120;
  AlertStatus pending = firing;
  pending.alertname = "QuietOne";
  pending.state = "pending";
  s.alerts = {firing, pending};
  SourceStatus source;
  source.name = std::string("src") + kHostile;
  source.patterns = {std::string("/var/log/") + kHostile + "/*.log"};
  source.files.push_back({std::string("/var/log/") + kHostile + "/a.log", 1234567, 2234567});
  source.tail.rotations = 3;
  s.sources = {source};
  s.domain_windows_ms = {60'000, 300'000, 900'000};
  s.domains = {{"rest_common", {5, 50, 500}, 600, 7000}};
  RecentCodes recent;
  recent.window_ms = recent.covered_ms = 300'000;
  recent.errors = 50;
  recent.top.push_back({"60007", true, "RestApiError.REST_API_RATE_LIMITED", "rest_common",
                        "rate_limit", "error", std::string("meaning ") + kHostile, "", 50});
  s.recent = {recent};
  return s;
}

// The page's text with the line-break hints (<wbr>) taken out.
std::string WithoutBreaks(std::string page) {
  for (size_t at; (at = page.find("<wbr>")) != std::string::npos;) page.erase(at, 5);
  return page;
}

TEST(HtmlText, EscapesMarkupAndQuotes) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">Tom & 'Jerry'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("/var/log/app.log"), "/var/log/app.log");
  EXPECT_EQ(HtmlEscape(""), "");
  EXPECT_EQ(HtmlEscape("\xff\xfe"), "\xff\xfe");  // bytes pass; the browser shows U+FFFD
}

TEST(HtmlText, BreakOpportunitiesAfterEscaping) {
  EXPECT_EQ(HtmlEscapeBreakable("/var/<b>/a_b.log", "/"),
            "/<wbr>var/<wbr>&lt;b&gt;/<wbr>a_b.log");
  EXPECT_EQ(HtmlEscapeBreakable("ERR_A.B", "_."), "ERR_<wbr>A.<wbr>B");
}

TEST(HtmlText, NumbersSizesDurationsTimes) {
  EXPECT_EQ(GroupDigits(0), "0");
  EXPECT_EQ(GroupDigits(999), "999");
  EXPECT_EQ(GroupDigits(1000), "1,000");
  EXPECT_EQ(GroupDigits(1234567), "1,234,567");
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(3ull << 30), "3.0 GiB");
  EXPECT_EQ(HumanDuration(45'500), "45s");
  EXPECT_EQ(HumanDuration(192'000), "3m 12s");
  EXPECT_EQ(HumanDuration(2 * 3'600'000 + 5 * 60'000), "2h 05m");
  EXPECT_EQ(HumanDuration(-5), "0s");
  EXPECT_EQ(DisplayTime(0), "1970-01-01 00:00:00 UTC");
}

TEST(StatusPage, EveryOutsideStringIsEscaped) {
  const StatusSnapshot s = HostileSnapshot();
  const std::string page = WithoutBreaks(
      RenderStatusPage(&s, {"127.0.0.1:9464", s.taken_at_ms - 5'000}, s.taken_at_ms, 5));
  // No markup from outside survives: the only tags are the page's own.
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("alert('x')"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;"),
            std::string::npos);
  // Each place shows the escaped text.
  for (const std::string& text :
       {std::string("src&lt;script&gt;"), std::string("/var/log/&lt;script&gt;"),
        std::string("Surge&lt;script&gt;"), std::string("meaning &lt;script&gt;"),
        std::string("/etc/errpulse/&lt;script&gt;"), std::string("host&lt;script&gt;"),
        std::string("source=&lt;script&gt;")})
    EXPECT_NE(page.find(text), std::string::npos) << text;
}

TEST(StatusPage, SelfContainedWithFiringAlertsFirst) {
  const StatusSnapshot s = HostileSnapshot();
  const std::string page =
      WithoutBreaks(RenderStatusPage(&s, {"127.0.0.1:9464", 0}, s.taken_at_ms, 5));
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
  EXPECT_NE(page.find("Content-Security-Policy"), std::string::npos);
  EXPECT_NE(page.find("<meta http-equiv=\"refresh\" content=\"5\">"), std::string::npos);
  // Alerts come before codes, sources and files; the firing one in a red section.
  const size_t alerts = page.find("id=\"alerts\" class=\"firing\"");
  ASSERT_NE(alerts, std::string::npos);
  EXPECT_LT(alerts, page.find("id=\"top-5m\""));
  EXPECT_LT(page.find("id=\"top-5m\""), page.find("id=\"sources\""));
  EXPECT_LT(page.find("Surge&lt;"), page.find("QuietOne"));
  EXPECT_NE(page.find("1 FIRING"), std::string::npos);
  // Figures: offset, size, rotations, the code with name and count.
  EXPECT_NE(page.find("data-offset=\"1234567\">1,234,567<"), std::string::npos);
  EXPECT_NE(page.find("2,234,567"), std::string::npos);
  EXPECT_NE(page.find("976.6 KiB"), std::string::npos);  // lag: 1,000,000 bytes
  EXPECT_NE(page.find("RestApiError.REST_API_RATE_LIMITED"), std::string::npos);
  EXPECT_NE(page.find("/?refresh=off"), std::string::npos);
}

// An alert an incident rule holds back says so, on the page and in the JSON;
// one that is not held says nothing of the kind.
TEST(StatusPage, AnInhibitedAlertIsMarkedWithItsInhibitor) {
  StatusSnapshot s = HostileSnapshot();
  ASSERT_GE(s.alerts.size(), 2u);
  s.alerts[0].inhibited_by = "RateLimit<Incident>";
  const std::string page =
      WithoutBreaks(RenderStatusPage(&s, {"127.0.0.1:9464", 0}, s.taken_at_ms, 5));
  const size_t mark = page.find("not sent: inhibited by RateLimit&lt;Incident&gt;");
  ASSERT_NE(mark, std::string::npos);
  EXPECT_EQ(page.find("not sent: inhibited by", mark + 1), std::string::npos);
  const std::string json = StatusJson(&s, {"127.0.0.1:9464", 0}, s.taken_at_ms);
  EXPECT_NE(json.find("\"inhibited_by\":\"RateLimit<Incident>\""), std::string::npos) << json;
  EXPECT_EQ(json.find("inhibited_by", json.find("inhibited_by") + 1), std::string::npos);
}

TEST(StatusPage, RefreshCanBePausedAndStartingPageRenders) {
  const StatusSnapshot s = HostileSnapshot();
  const std::string paused = RenderStatusPage(&s, {"127.0.0.1:9464", 0}, s.taken_at_ms, 0);
  EXPECT_EQ(paused.find("http-equiv=\"refresh\""), std::string::npos);
  const std::string starting = RenderStatusPage(nullptr, {"127.0.0.1:9464", 0}, 0, 5);
  EXPECT_NE(starting.find("starting"), std::string::npos);
  EXPECT_NE(starting.find("http-equiv=\"refresh\""), std::string::npos);
}

TEST(StatusPage, NoAlertsNoErrorsSaysSo) {
  StatusSnapshot s;
  s.host = "h";
  s.alert_rules = 7;
  const std::string page = RenderStatusPage(&s, {"127.0.0.1:1", 0}, 0, 5);
  EXPECT_NE(page.find("id=\"alerts\" class=\"ok\""), std::string::npos);
  EXPECT_NE(page.find("No alert pending or firing. 7 rule(s) watching."), std::string::npos);
  EXPECT_NE(page.find("No errors counted yet."), std::string::npos);
}

TEST(StatusPage, ChartsForFiringAlertsAndTopCodes) {
  StatusSnapshot s = HostileSnapshot();
  s.per_minute_last = s.taken_at_ms / 60'000;
  std::vector<uint64_t> surge(60, 0);
  surge[58] = 40;
  surge[59] = 12;
  s.alerts[0].per_minute = surge;
  s.recent[0].top[0].per_minute = surge;
  const std::string page = RenderStatusPage(&s, {"127.0.0.1:9464", 0}, s.taken_at_ms, 5);
  size_t charts = 0;
  for (size_t at = page.find("<svg class=\"spark\""); at != std::string::npos;
       at = page.find("<svg class=\"spark\"", at + 1))
    ++charts;
  EXPECT_EQ(charts, 2u);
  // The alert's chart comes first, in its row, marked where it became active.
  const size_t chart = page.find("<svg class=\"spark\"");
  EXPECT_GT(chart, page.find("Surge&lt;"));
  EXPECT_LT(chart, page.find("QuietOne"));
  EXPECT_NE(page.find("class=\"mark\""), std::string::npos);
  EXPECT_NE(page.find("data-counts=\"0,0,"), std::string::npos);
  EXPECT_NE(page.find("peak 40 at "), std::string::npos);
  EXPECT_NE(page.find("Last hour, per minute"), std::string::npos);
  // Rows without a series (a rule gone after a reload) get a dash.
  EXPECT_NE(page.find("<td class=\"chart muted\">&ndash;</td>"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);

  const auto json = nlohmann::json::parse(StatusJson(&s, {"127.0.0.1:9464", 0}, s.taken_at_ms));
  const auto& data = json.at("data");
  EXPECT_EQ(data.at("alerts").at(0).at("per_minute"), nlohmann::json(surge));
  EXPECT_EQ(data.at("top_codes").at("5m").at("codes").at(0).at("per_minute"),
            nlohmann::json(surge));
  EXPECT_EQ(data.at("per_minute").at("minutes"), 60);
  EXPECT_EQ(data.at("per_minute").at("last_minute"),
            FormatUtc(s.per_minute_last * 60'000, /*with_millis=*/true));
}

TEST(StatusJson, SameDataAndSafeWithInvalidUtf8) {
  StatusSnapshot s = HostileSnapshot();
  s.sources[0].files.push_back({"/var/log/bad-\xff\xfe.log", 10, 10});
  const auto json = nlohmann::json::parse(StatusJson(&s, {"127.0.0.1:9464", 0}, s.taken_at_ms));
  const auto& data = json.at("data");
  EXPECT_TRUE(data.at("ready").get<bool>());
  EXPECT_EQ(data.at("listen"), "127.0.0.1:9464");
  EXPECT_EQ(data.at("sources").at(0).at("name"), s.sources[0].name);
  const auto& file = data.at("sources").at(0).at("files").at(0);
  EXPECT_EQ(file.at("offset"), 1234567);
  EXPECT_EQ(file.at("size"), 2234567);
  EXPECT_EQ(file.at("lag_bytes"), 1000000);
  EXPECT_EQ(data.at("sources").at(0).at("rotations"), 3);
  EXPECT_EQ(data.at("sources").at(0).at("files").at(1).at("path"), "/var/log/bad-\xef\xbf\xbd\xef\xbf\xbd.log");
  EXPECT_EQ(data.at("alerts").at(0).at("state"), "firing");
  EXPECT_EQ(data.at("alerts").at(0).at("count"), 120);
  EXPECT_EQ(data.at("errors_by_domain").at(0).at("last_5m"), 50);
  EXPECT_EQ(data.at("errors_by_domain").at(0).at("total"), 7000);
  const auto& code = data.at("top_codes").at("5m").at("codes").at(0);
  EXPECT_EQ(code.at("code"), "60007");
  EXPECT_EQ(code.at("name"), "RestApiError.REST_API_RATE_LIMITED");
  EXPECT_EQ(data.at("top_codes").at("5m").at("covered_seconds"), 300);
  // Before the pipeline has started.
  const auto starting = nlohmann::json::parse(StatusJson(nullptr, {"127.0.0.1:1", 0}, 5'000));
  EXPECT_FALSE(starting.at("data").at("ready").get<bool>());
  EXPECT_EQ(starting.at("data").at("uptime_seconds"), 5);
}

}  // namespace
}  // namespace errpulse
