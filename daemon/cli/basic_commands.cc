// errpulsed (run), check, --version and usage.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "build_info.h"
#include "cli/commands.h"
#include "cli/daemon_runner.h"
#include "cli/options.h"
#include "common/paths.h"
#include "journal/journal_source.h"
#include "tail/file_tailer.h"

namespace errpulse {

int RunDaemonCommand(const Args& raw) {
  Args args = raw;
  const std::string config = TakeOption(&args, "config").value_or(kDefaultConfigPath);
  const std::string web_config_file = TakeOption(&args, "web.config.file").value_or("");
  if (!RejectUnknownOptions(args, "") ) return 2;
  if (!args.empty()) {
    std::cerr << "errpulsed: unexpected argument '" << args[0] << "'\n";
    return UsageCommand(2);
  }
  auto setup = LoadSetup(config, /*defaults_ok=*/false);
  if (!setup) {
    spdlog::error("{}: invalid configuration; not starting (run errpulsed check --config {})",
                  config, config);
    return 2;
  }
  std::shared_ptr<const WebConfig> web_config;
  if (!web_config_file.empty()) {
    web_config = LoadWebConfigFile(web_config_file);
    if (!web_config) {
      spdlog::error("{}: invalid web config; not starting (run errpulsed check "
                    "--web.config.file {})",
                    web_config_file, web_config_file);
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::from_str(setup->config.log_level));
  spdlog::info("errpulse {} ({}) starting with {}: {} rules, {} catalogued codes",
               build::kVersion, build::kRevision, config, setup->rules->rules().size(),
               setup->catalog->size());
  DaemonOptions options;
  options.setup = setup;
  options.reload = [config](std::string* report) {
    return LoadSetup(config, /*defaults_ok=*/false, report);
  };
  options.web_config = web_config;
  return RunDaemon(options);
}

namespace {

// Every file the sources match now, with the format it is read as (what
// format: auto decides from its name and first bytes).
void PrintFileFormats(const Config& config) {
  const auto level = spdlog::get_level();
  spdlog::set_level(spdlog::level::warn);  // the lines below say what was decided
  for (size_t s = 0; s < config.sources.size(); ++s) {
    const SourceConfig& source = config.sources[s];
    for (const auto& pattern : source.paths) {
      for (const auto& path : ExpandPattern(pattern)) {  // as the tailer expands it
        FileTailer file(path, s, static_cast<size_t>(config.max_line_bytes), source.format);
        std::string format;
        if (int err = file.Open(/*at_end=*/false); err == ENOENT) {
          continue;  // not there yet: the directory warning above covers it
        } else if (err != 0) {
          format = std::string("cannot open: ") + std::strerror(err);
        } else if (file.format() == LogFormat::kAuto) {
          format = "auto (undecided: too few bytes yet)";
        } else {
          format = std::string(LogFormatName(file.format())) +
                   (source.format == LogFormat::kAuto ? " (auto)" : "");
        }
        std::cout << "source '" << source.name << "': " << path << ": format " << format << "\n";
      }
    }
  }
  spdlog::set_level(level);
}

// Each journal source's journal as this user can read it now: a warning for
// what would leave the source blind (the daemon retries, so none is fatal).
void CheckJournalSources(const Config& config, const std::string& config_path) {
  for (const SourceConfig& source : config.sources) {
    if (!source.journal) continue;
    const JournalSpec spec = JournalSpecOf(*source.journal, config.max_line_bytes);
    JournalReader reader(spec);
    const std::string prefix = "source '" + source.name + "': ";
    if (std::string error = reader.Open(); !error.empty()) {
      std::cerr << config_path << ": warning: " << prefix << error << "\n";
      continue;
    }
    if (reader.directory_missing()) {
      std::cerr << config_path << ": warning: " << prefix << "journal directory "
                << spec.directory << " does not exist (yet)\n";
      continue;
    }
    if (spec.directory.empty() && !reader.HasReadableFiles()) {
      std::cerr << config_path << ": warning: " << prefix
                << "no system journal file is readable by this user: add it to the "
                   "systemd-journal group (the shipped unit does)\n";
      continue;
    }
    size_t matching = 0;
    reader.Read(1, [&](const JournalEntry&) { ++matching; });
    std::cout << prefix << reader.Describe() << ": readable"
              << (matching ? "" : "; no entry matches its units/identifiers yet") << "\n";
  }
}

}  // namespace

int CheckCommand(const Args& raw) {
  Args args = raw;
  const std::string config = TakeOption(&args, "config").value_or(kDefaultConfigPath);
  const std::string web_config_file = TakeOption(&args, "web.config.file").value_or("");
  if (!RejectUnknownOptions(args, "check")) return 2;
  auto setup = LoadSetup(config, /*defaults_ok=*/false);
  // Both files are checked, so one run reports every mistake.
  std::shared_ptr<const WebConfig> web_config;
  if (!web_config_file.empty()) web_config = LoadWebConfigFile(web_config_file);
  if (!setup || (!web_config_file.empty() && !web_config)) return 2;
  // Paths that do not exist yet are fine (they are followed once they appear),
  // but worth a note: a typo looks exactly like that.
  for (const auto& source : setup->config.sources) {
    for (const auto& path : source.paths) {
      const std::string dir = DirName(path);
      struct stat st;
      if (!HasGlobChars(dir) &&
          ::stat(dir.c_str(), &st) != 0)
        std::cerr << config << ": warning: source '" << source.name << "': directory " << dir
                  << " does not exist (yet)\n";
    }
  }
  PrintFileFormats(setup->config);
  CheckJournalSources(setup->config, config);
  std::cout << config << ": ok: " << setup->config.sources.size() << " source(s), "
            << setup->rules->rules().size() << " rule(s) from "
            << setup->config.rule_files.size() << " file(s), " << setup->catalog->size()
            << " catalogued code(s)\n";
  if (web_config) std::cout << web_config_file << ": ok: " << web_config->Summary() << "\n";
  return 0;
}

int VersionCommand() {
  std::cout << "errpulsed " << build::kVersion << " (revision " << build::kRevision << ")\n";
  return 0;
}

int UsageCommand(int status) {
  (status == 0 ? std::cout : std::cerr) << R"(usage:
  errpulsed [--config FILE] [--web.config.file FILE]
                                            run the daemon (default config /etc/errpulse/errpulse.yaml;
                                            the web config secures HTTP: TLS, basic auth)
  errpulsed check [--config FILE] [--web.config.file FILE]
                                            validate config, rules, catalog and web config;
                                            FILE:LINE:COL: message per error
  errpulsed explain [--json] [--config FILE] CODE|NAME...
                                            print the catalog entry of each code
  errpulsed replay [--config FILE] [--source NAME] [--format F] [--json] LOGFILE...
  errpulsed replay [--config FILE] [--source NAME] [--json] --journal-file FILE...
                                            run the engine over log files and print what it counted
                                            (- : standard input, e.g. journalctl -o cat | ... replay -)
  errpulsed demo [--listen HOST:PORT]       run on generated SDK and REST logs (default 127.0.0.1:9464)
  errpulsed --version
)";
  return status;
}

}  // namespace errpulse
