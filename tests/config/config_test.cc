// Config loading: defaults, every key, and FILE:LINE:COL on every mistake.
#include <gtest/gtest.h>

#include "config/config.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

std::string Errors(const std::string& yaml) {
  Diagnostics d;
  auto config = ParseConfig(yaml, "errpulse.yaml", "/base", &d);
  EXPECT_FALSE(config) << "expected errors for:\n" << yaml;
  return FormatDiagnostics(d);
}

TEST(Config, DefaultsWhenKeysAreAbsent) {
  Diagnostics d;
  auto config = ParseConfig("sources: []\n", "errpulse.yaml", "/base", &d);
  ASSERT_TRUE(config) << FormatDiagnostics(d);
  EXPECT_EQ(config->listen_host, "127.0.0.1");
  EXPECT_EQ(config->listen_port, 9464);
  EXPECT_EQ(config->max_unknown_codes, 100);
  EXPECT_EQ(config->max_line_bytes, 64 * 1024);
  EXPECT_EQ(config->scan_threads, 2);
  ASSERT_EQ(config->catalog_files.size(), 1u);
  EXPECT_NE(config->catalog_files[0].find("data/catalog.yaml"), std::string::npos);
  EXPECT_FALSE(config->rule_files.empty());
}

TEST(Config, ReadsEveryKeyAndResolvesRelativePaths) {
  Diagnostics d;
  auto config = ParseConfig(R"(listen: "0.0.0.0:9500"
state_dir: state
max_unknown_codes: 7
poll_interval: 500ms
rescan_interval: 1h
max_line_bytes: 4096
scan_threads: 1
log_level: debug
sources:
  - name: sdk
    paths: [logs/*.log, /var/log/app.log]
    start_at: beginning
    rules: [code_key]
)", "errpulse.yaml", "/base", &d);
  ASSERT_TRUE(config) << FormatDiagnostics(d);
  EXPECT_EQ(config->listen_host, "0.0.0.0");
  EXPECT_EQ(config->listen_port, 9500);
  EXPECT_EQ(config->state_dir, "/base/state");
  EXPECT_EQ(config->max_unknown_codes, 7);
  EXPECT_EQ(config->poll_interval_ms, 500);
  EXPECT_EQ(config->rescan_interval_ms, 3'600'000);
  EXPECT_EQ(config->max_line_bytes, 4096);
  EXPECT_EQ(config->scan_threads, 1);
  EXPECT_EQ(config->log_level, "debug");
  ASSERT_EQ(config->sources.size(), 1u);
  EXPECT_EQ(config->sources[0].paths,
            (std::vector<std::string>{"/base/logs/*.log", "/var/log/app.log"}));
  EXPECT_FALSE(config->sources[0].start_at_end);
  EXPECT_EQ(config->sources[0].rules, std::vector<std::string>{"code_key"});
}

TEST(Config, UnknownKeyWithSuggestion) {
  EXPECT_NE(Errors("sourcse: []\n")
                .find("errpulse.yaml:1:1: unknown key 'sourcse' in config (did you mean "
                      "'sources'?)"),
            std::string::npos);
}

TEST(Config, BadValuesPointAtTheValue) {
  const std::string all = Errors(R"(listen: nowhere
poll_interval: 5 minutes
sources:
  - name: a
    paths: [x.log]
    start_at: middle
  - name: a
    paths: y.log
  - paths: []
scan_threads: 3
)");
  EXPECT_NE(all.find("errpulse.yaml:1:9: listen must be HOST:PORT"), std::string::npos) << all;
  EXPECT_NE(all.find("errpulse.yaml:10:15: scan_threads must be 1 or 2"), std::string::npos)
      << all;
  EXPECT_NE(all.find("errpulse.yaml:2:16: poll_interval must be a duration"), std::string::npos)
      << all;
  EXPECT_NE(all.find("errpulse.yaml:6:15: start_at must be 'end' or 'beginning'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("errpulse.yaml:7:11: source 'a' is defined twice"), std::string::npos)
      << all;
  EXPECT_NE(all.find("errpulse.yaml:9:5: source is missing 'name'"), std::string::npos) << all;
}

TEST(Config, RescanIntervalDefaultAndBadValues) {
  Diagnostics d;
  auto config = ParseConfig("sources: []\n", "errpulse.yaml", "/base", &d);
  ASSERT_TRUE(config) << FormatDiagnostics(d);
  EXPECT_EQ(config->rescan_interval_ms, 30'000);
  std::string all = Errors("sources: []\nrescan_interval: often\n");
  EXPECT_NE(all.find("errpulse.yaml:2:18: rescan_interval must be a duration"), std::string::npos)
      << all;
  all = Errors("sources: []\nrescan_interval: 10ms\n");
  EXPECT_NE(all.find("errpulse.yaml:2:18: rescan_interval must be at least 100ms"),
            std::string::npos)
      << all;
}

TEST(Config, SyncIntervalDefaultZeroAndBadValues) {
  Diagnostics d;
  auto config = ParseConfig("sources: []\n", "errpulse.yaml", "/base", &d);
  ASSERT_TRUE(config) << FormatDiagnostics(d);
  EXPECT_EQ(config->sync_interval_ms, 1000);
  config = ParseConfig("sources: []\nsync_interval: 0s\n", "errpulse.yaml", "/base", &d);
  ASSERT_TRUE(config) << FormatDiagnostics(d);
  EXPECT_EQ(config->sync_interval_ms, 0);  // every commit
  std::string all = Errors("sources: []\nsync_interval: 2h\n");
  EXPECT_NE(all.find("errpulse.yaml:2:16: sync_interval must be between 0s (every commit) and 1h"),
            std::string::npos)
      << all;
  all = Errors("sources: []\nsync_interval: sometimes\n");
  EXPECT_NE(all.find("errpulse.yaml:2:16: sync_interval must be a duration"), std::string::npos)
      << all;
}

TEST(Config, YamlSyntaxError) {
  EXPECT_NE(Errors("sources: [\n").find("errpulse.yaml:2:1: YAML syntax error"),
            std::string::npos);
}

TEST(Config, JournalSourcesReadTheirSelection) {
  Diagnostics d;
  auto config = ParseConfig(R"(sources:
  - name: app
    journal:
      units: [app-server.service, worker.service]
      identifiers: app-server
      directory: journal
    start_at: beginning
    rules: [rest]
  - name: all
    journal: {}
  - name: bare
    journal:
  - name: files
    paths: [/var/log/x.log]
)",
                            "errpulse.yaml", "/base", &d);
  ASSERT_TRUE(config) << FormatDiagnostics(d);
  ASSERT_EQ(config->sources.size(), 4u);
  const SourceConfig& app = config->sources[0];
  ASSERT_TRUE(app.journal);
  EXPECT_TRUE(app.paths.empty());
  EXPECT_EQ(app.journal->units, (std::vector<std::string>{"app-server.service", "worker.service"}));
  EXPECT_EQ(app.journal->identifiers, (std::vector<std::string>{"app-server"}));
  EXPECT_EQ(app.journal->directory, "/base/journal");
  EXPECT_FALSE(app.start_at_end);
  for (size_t s : {1u, 2u}) {
    ASSERT_TRUE(config->sources[s].journal) << s;
    EXPECT_TRUE(config->sources[s].journal->units.empty());
    EXPECT_TRUE(config->sources[s].journal->directory.empty());
  }
  EXPECT_FALSE(config->sources[3].journal);
}

TEST(Config, JournalSourceMistakesPointAtTheValue) {
  const std::string all = Errors(R"(sources:
  - name: both
    paths: [/var/log/x.log]
    journal: {}
  - name: globbed
    journal:
      units: [app-*.service]
      identifiers: []
      unit: [x]
  - name: decoded
    journal: {directory: ""}
    format: clog
  - name: neither
)");
  EXPECT_NE(all.find("errpulse.yaml:3:12: source 'both' has both 'paths' and 'journal'"),
            std::string::npos) << all;
  EXPECT_NE(all.find("errpulse.yaml:7:14: journal units of source 'globbed': 'app-*.service' is "
                     "not an exact name"),
            std::string::npos) << all;
  EXPECT_NE(all.find("errpulse.yaml:8:20: journal identifiers of source 'globbed' is empty"),
            std::string::npos) << all;
  EXPECT_NE(all.find("errpulse.yaml:9:7: unknown key 'unit' in journal (did you mean 'units'?)"),
            std::string::npos) << all;
  EXPECT_NE(all.find("errpulse.yaml:11:26: journal directory of source 'decoded' is empty"),
            std::string::npos) << all;
  EXPECT_NE(all.find("errpulse.yaml:12:13: 'format' is for file sources"), std::string::npos)
      << all;
  EXPECT_NE(all.find("errpulse.yaml:13:5: source 'neither' is missing 'paths' (files) or "
                     "'journal'"),
            std::string::npos) << all;
}

TEST(Config, MissingCatalogFileAndEmptyGlob) {
  const std::string all = Errors("catalog: [/nonexistent/catalog.yaml]\nrules: /nonexistent/*.yaml\n");
  EXPECT_NE(all.find("errpulse.yaml:1:11: '/nonexistent/catalog.yaml': No such file or directory"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("errpulse.yaml:2:8: '/nonexistent/*.yaml' matches no file"),
            std::string::npos)
      << all;
}

TEST(Config, LoadConfigReportsUnreadableFile) {
  Diagnostics d;
  EXPECT_FALSE(LoadConfig("/nonexistent/errpulse.yaml", &d));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].ToString(), "/nonexistent/errpulse.yaml: cannot open: No such file or directory");
}

}  // namespace
}  // namespace errpulse
