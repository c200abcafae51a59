// Test support: the real daemon on a test's own config. See daemon_harness.h.
#include "support/daemon_harness.h"

namespace errpulse::testing {

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string Repeat(const std::string& line, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += line + "\n";
  return out;
}

std::string Scrape(int port) { return HttpGet(port, "/metrics").body; }

// Every series of `name` whose labels contain all `labels` fragments.
std::vector<std::pair<std::string, double>> Series(const std::string& text,
                                                   const std::string& name,
                                                   const std::vector<std::string>& labels) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [series, value] : ParseMetrics(text)) {
    if (series.substr(0, series.find('{')) != name) continue;
    bool all = true;
    for (const auto& l : labels) all = all && series.find(l) != std::string::npos;
    if (all) out.emplace_back(series, value);
  }
  return out;
}

std::string Label(const std::string& key, const std::string& value) {
  return key + "=\"" + value + "\"";
}

std::string Src(const std::string& source) { return Label("source", source); }

// Exactly one errpulse_errors_total series for (source, code) exists, with the
// given domain and category labels, and its value is `want`.
::testing::AssertionResult ErrorSeriesIs(const std::string& text, const std::string& source,
                                         const std::string& code, const std::string& domain,
                                         const std::string& category, double want) {
  auto found = Series(text, "errpulse_errors_total", {Src(source), Label("code", code)});
  if (found.size() != 1) {
    auto r = ::testing::AssertionFailure();
    r << found.size() << " errpulse_errors_total series for source=" << source
      << " code=" << code << " (want exactly 1):";
    for (const auto& [s, v] : found) r << "\n  " << s << " " << v;
    return r;
  }
  const auto& [series, value] = found[0];
  if (series.find(Label("domain", domain)) == std::string::npos ||
      series.find(Label("category", category)) == std::string::npos)
    return ::testing::AssertionFailure()
           << series << ": want domain=" << domain << " category=" << category;
  if (value != want)
    return ::testing::AssertionFailure() << series << " is " << value << ", want " << want;
  return ::testing::AssertionSuccess();
}

// Polls /metrics until `pred(value of name{labels})` holds.
::testing::AssertionResult WaitMetricPred(int port, const std::string& name,
                                          const std::vector<std::string>& labels,
                                          const std::function<bool(double)>& pred,
                                          const std::string& what,
                                          milliseconds timeout) {
  double last = -1;
  const bool ok = WaitFor(
      [&] {
        last = MetricValue(Scrape(port), name, labels);
        return pred(last);
      },
      timeout);
  if (ok) return ::testing::AssertionSuccess();
  auto r = ::testing::AssertionFailure();
  r << name << "{";
  for (const auto& l : labels) r << l << ",";
  r << "} is " << last << ", want " << what;
  return r;
}

::testing::AssertionResult WaitMetric(int port, const std::string& name,
                                      const std::vector<std::string>& labels, double want,
                                      milliseconds timeout) {
  return WaitMetricPred(
      port, name, labels, [want](double v) { return v == want; }, std::to_string(want),
      timeout);
}

::testing::AssertionResult WaitMetricAtLeast(int port, const std::string& name,
                                             const std::vector<std::string>& labels,
                                             double want,
                                             milliseconds timeout) {
  return WaitMetricPred(
      port, name, labels, [want](double v) { return v >= want; },
      ">= " + std::to_string(want), timeout);
}

double Value(int port, const std::string& name, const std::vector<std::string>& labels) {
  return MetricValue(Scrape(port), name, labels);
}


std::string SourceYaml(const std::string& name, const std::vector<std::string>& paths,
                       const std::string& start_at, const std::vector<std::string>& rules) {
  std::string out = "  - name: " + name + "\n    paths: [";
  for (size_t i = 0; i < paths.size(); ++i) out += (i ? ", " : "") + paths[i];
  out += "]\n";
  if (!start_at.empty()) out += "    start_at: " + start_at + "\n";
  if (!rules.empty()) {
    out += "    rules: [";
    for (size_t i = 0; i < rules.size(); ++i) out += (i ? ", " : "") + rules[i];
    out += "]\n";
  }
  return out;
}

::testing::AssertionResult Daemon::Start() {
  std::string log;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = FreePort();
    WriteFile(config_path_, "listen: \"127.0.0.1:" + std::to_string(port_) +
                                     "\"\nstate_dir: " + dir_.File("state") + "\n" + body_);
    process_ = std::make_unique<DaemonProcess>(
        std::vector<std::string>{"--config", config_path_});
    bool failed = false;
    const bool ready = WaitFor([&] {
      if (HttpGet(port_, "/-/ready").status == 200) return true;
      failed = process_->Log().find(" error ") != std::string::npos;
      return failed;
    });
    if (ready && !failed) return ::testing::AssertionSuccess();
    log = process_->Log();
    process_.reset();
    if (!failed) break;  // not a port clash: do not retry
  }
  return ::testing::AssertionFailure() << "errpulsed did not become ready; its log:\n" << log;
}

}  // namespace errpulse::testing
