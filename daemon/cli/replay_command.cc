// errpulsed replay [--config FILE] [--source NAME] [--format F] [--json] LOGFILE...
// errpulsed replay [...] --journal-file FILE [--journal-file FILE...]
// Runs the daemon's own engine (FileTailer line splitting or the journal
// source's JournalLines, the LineScanner, the catalog, SourceCounts) over
// whole files and prints what it counted.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstring>
#include <vector>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/options.h"
#include "alert/backtest.h"
#include "alert/condition_text.h"
#include "common/time_format.h"
#include "count/source_counts.h"
#include "engine/counting.h"
#include "journal/journal_lines.h"
#include "journal/journal_source.h"
#include "tail/file_tailer.h"

namespace errpulse {
namespace {

double CpuSeconds() {
  struct rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Every code counted, keyed by its label value ("other:<domain>" for the overflow).
std::map<std::string, uint64_t> ByCode(const Catalog& catalog, const SourceCounts& counts) {
  std::map<std::string, uint64_t> out;
  for (size_t i = 0; i < counts.by_entry.size(); ++i)
    if (counts.by_entry[i]) out[catalog.entries()[i].code_text] = counts.by_entry[i];
  for (const auto& [code, n] : counts.unknown) out[std::to_string(code)] = n;
  for (size_t d = 0; d < counts.other.size(); ++d)
    if (counts.other[d]) out["other:" + std::string(kRangeDomains[d])] = counts.other[d];
  return out;
}

std::string FormatTime(int64_t ms) { return FormatUtc(ms, /*with_millis=*/false); }

uint64_t DecodeErrors(const SourceStats& stats) {
  uint64_t total = 0;
  for (uint64_t n : stats.decode_errors) total += n;
  return total;
}

// A pipe, FIFO or terminal (`... | errpulsed replay /dev/stdin`) cannot be
// read at offsets, and its first bytes cannot be looked at twice: copy it
// into an anonymous in-memory file first. Returns the path to read (the
// file's own for a regular file), or "" with `error` set.
std::string Readable(const std::string& path, std::vector<int>* fds, std::string* error) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return path;  // Open() reports it
  const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return path;
  const int copy = ::memfd_create("errpulse-replay", MFD_CLOEXEC);
  if (copy < 0) {
    *error = std::string("cannot buffer it: ") + std::strerror(errno);
    ::close(in);
    return "";
  }
  std::vector<char> buffer(1 << 20);
  ssize_t n;
  while ((n = ::read(in, buffer.data(), buffer.size())) > 0 || (n < 0 && errno == EINTR)) {
    for (ssize_t done = 0; n > 0 && done < n;) {
      const ssize_t w = ::write(copy, buffer.data() + done, static_cast<size_t>(n - done));
      if (w < 0) {
        *error = std::string("cannot buffer it: ") + std::strerror(errno);
        ::close(in);
        ::close(copy);
        return "";
      }
      done += w;
    }
  }
  if (n < 0) *error = std::string("read error: ") + std::strerror(errno);
  ::close(in);
  fds->push_back(copy);
  return error->empty() ? "/proc/self/fd/" + std::to_string(copy) : "";
}

nlohmann::ordered_json FilesJson(const std::vector<std::pair<std::string, std::string>>& formats) {
  nlohmann::ordered_json files = nlohmann::json::array();
  for (const auto& [file, decided] : formats) files.push_back({{"path", file}, {"format", decided}});
  return files;
}

}  // namespace

int ReplayCommand(const Args& raw) {
  Args args = raw;
  const bool json = TakeFlag(&args, "json");
  const std::string config = TakeOption(&args, "config").value_or("");
  const std::string source_name = TakeOption(&args, "source").value_or("");
  const bool no_alerts = TakeFlag(&args, "no-alerts");
  const std::string format_name = TakeOption(&args, "format").value_or("");
  std::vector<std::string> journal_files;
  while (auto file = TakeOption(&args, "journal-file")) journal_files.push_back(*file);
  if (!RejectUnknownOptions(args, "replay")) return 2;
  if (args.empty() && journal_files.empty()) {
    std::cerr << "errpulsed replay: give one or more log files (- for standard input) or "
                 "--journal-file FILE\n";
    return 2;
  }
  if (!journal_files.empty() && !format_name.empty()) {
    std::cerr << "errpulsed replay: --format is for log files, not --journal-file\n";
    return 2;
  }
  if (std::count(args.begin(), args.end(), "-") > 1) {
    std::cerr << "errpulsed replay: standard input (-) can be read only once\n";
    return 2;
  }
  auto setup = LoadSetup(config, /*defaults_ok=*/true);
  if (!setup) return 2;
  const LineScanner* scanner = setup->all_rules.get();
  if (!source_name.empty()) {
    scanner = nullptr;
    for (size_t s = 0; s < setup->config.sources.size(); ++s)
      if (setup->config.sources[s].name == source_name) scanner = setup->scanners[s].get();
    if (!scanner) {
      std::cerr << "errpulsed replay: no source named '" << source_name << "' in the config\n";
      return 2;
    }
  }
  // The format: --format, else the --source's, else decided per file.
  LogFormat format = LogFormat::kAuto;
  if (!source_name.empty())
    for (const auto& s : setup->config.sources)
      if (s.name == source_name) format = s.format;
  if (!format_name.empty()) {
    auto parsed = ParseLogFormat(format_name);
    if (!parsed) {
      std::cerr << "errpulsed replay: --format must be one of " << LogFormatChoices() << ", not '"
                << format_name << "'\n";
      return 2;
    }
    format = *parsed;
  }
  std::vector<std::pair<std::string, std::string>> formats;  // file -> decided format
  std::vector<int> buffered;  // in-memory copies of pipes (Readable())
  const Catalog& catalog = *setup->catalog;
  SourceCounts counts(catalog.size(), setup->config.max_unknown_codes);
  SourceStats stats;
  ReadBuffers buffers;
  buffers.raw.resize(static_cast<size_t>(setup->config.max_line_bytes) + (1 << 20));
  const bool alerts = !setup->alerts.empty() && !no_alerts;
  Backtest backtest(setup->alerts, source_name.empty() ? "replay" : source_name, CurrentYear());
  const ChunkSink sink = [&](size_t, std::string_view lines, const ChunkMeta& meta) {
    if (alerts) {
      CountChunkWith(*scanner, catalog, lines, &counts,
                     [&](const Match& match, const CatalogEntry* entry) {
                       // -1: the line's own time
                       backtest.OnMatch(match, entry, meta.times.At(match.line_offset));
                     });
    } else {
      CountChunk(*scanner, catalog, lines, &counts);
    }
  };
  const auto wall_start = std::chrono::steady_clock::now();
  const double cpu_start = CpuSeconds();
  int status = 0;
  // A progress bar on a terminal, for files big enough to wait for.
  uint64_t total_bytes = 0;
  for (const auto& path : args) {
    struct stat st;
    if (path != "-" && ::stat(path.c_str(), &st) == 0)
      total_bytes += static_cast<uint64_t>(st.st_size);
  }
  const bool show_progress = ::isatty(STDERR_FILENO) && total_bytes > (64u << 20);
  auto last_progress = std::chrono::steady_clock::now();
  auto progress = [&](bool done) {
    if (!show_progress) return;
    const auto now = std::chrono::steady_clock::now();
    if (!done && now - last_progress < std::chrono::milliseconds(200)) return;
    last_progress = now;
    if (done) {
      std::fprintf(stderr, "\r\033[K");
      return;
    }
    const double share = static_cast<double>(stats.bytes_read) / static_cast<double>(total_bytes);
    const int filled = static_cast<int>(share * 30);
    std::fprintf(stderr, "\r  replaying [%.*s%*s] %3.0f%%  %llu/%llu MB", filled,
                 "##############################", 30 - filled, "", share * 100,
                 static_cast<unsigned long long>(stats.bytes_read >> 20),
                 static_cast<unsigned long long>(total_bytes >> 20));
  };
  for (const auto& path : args) {
    std::string error;
    const std::string shown = path == "-" ? "standard input" : path;
    // "-": standard input, buffered like any pipe (Readable()).
    const std::string readable = Readable(path == "-" ? "/dev/stdin" : path, &buffered, &error);
    if (readable.empty()) {
      std::cerr << "errpulsed replay: " << shown << ": " << error << "\n";
      status = 1;
      continue;
    }
    FileTailer file(readable, 0, static_cast<size_t>(setup->config.max_line_bytes), format);
    if (int err = file.Open(/*at_end=*/false); err != 0) {
      std::cerr << "errpulsed replay: " << shown << ": " << std::strerror(err) << "\n";
      status = 1;
      continue;
    }
    file.DecideFormat(/*complete=*/true);  // the file is read as it is now
    formats.push_back({path, std::string(LogFormatName(file.format()))});
    FileTailer::ReadStatus rs;
    while ((rs = file.ReadSome(1 << 20, &buffers, sink, &stats)) ==
           FileTailer::ReadStatus::kData) {
      progress(false);
    }
    if (rs == FileTailer::ReadStatus::kError) {
      std::cerr << "errpulsed replay: " << shown << ": read error: " << std::strerror(errno) << "\n";
      status = 1;
    }
    file.FlushPartial(&buffers, sink, &stats);
  }
  if (!journal_files.empty()) {
    // As the daemon's journal source reads them: each MESSAGE one line, at
    // the entry's time; a journal --source's units and identifiers apply.
    JournalSelection selection;
    for (const auto& s : setup->config.sources)
      if (s.name == source_name && s.journal) selection = *s.journal;
    JournalSpec spec = JournalSpecOf(selection, setup->config.max_line_bytes);
    spec.files = journal_files;  // these files, not the selection's directory
    JournalReader reader(spec);
    if (std::string error = reader.Open(); !error.empty()) {
      std::cerr << "errpulsed replay: " << error << "\n";
      status = 1;
    } else {
      JournalLines lines;
      const auto flush = [&] {
        if (lines.empty()) return;
        sink(0, lines.lines(), lines.meta());
        lines.Clear();
      };
      JournalRead read;
      do {
        read = reader.Read(4096, [&](const JournalEntry& entry) {
          stats.bytes_read += lines.Add(entry);
        });
        flush();
      } while (!read.at_end && read.error == 0);
      if (read.error != 0) {
        std::cerr << "errpulsed replay: " << reader.last_error() << "\n";
        status = 1;
      }
      stats.lines_cut += reader.stats().messages_cut;
      stats.read_errors += reader.stats().unreadable;
      for (const auto& file : journal_files) formats.push_back({file, "journal"});
    }
  }
  progress(true);
  for (int fd : buffered) ::close(fd);
  if (alerts) backtest.Finish();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const double cpu = CpuSeconds() - cpu_start;
  const auto by_code = ByCode(catalog, counts);
  if (json) {
    nlohmann::ordered_json out = {
        {"lines", counts.lines},         {"errors", counts.errors},
        {"successes", counts.successes}, {"unknown", counts.unknown_total},
        {"bytes", stats.bytes_read},     {"lines_cut", stats.lines_cut},
        {"decode_errors", DecodeErrors(stats)},
        {"encrypted_blocks", stats.encrypted_blocks}, {"seq_gaps", stats.seq_gaps},
        {"files", FilesJson(formats)},
        {"wall_seconds", wall},          {"cpu_seconds", cpu},
        {"by_code", by_code}};
    if (alerts) {
      nlohmann::ordered_json transitions = nlohmann::json::array();
      for (const auto& t : backtest.transitions()) {
        transitions.push_back({{"at", FormatTime(t.at_ms)}, {"at_ms", t.at_ms},
                               {"alertname", t.alertname}, {"labels", t.labels},
                               {"state", t.to}, {"count", t.count}});
        // An incident rule: what each of its conditions counted then.
        if (t.rule && t.rule->conditions.size() > 1)
          transitions.back()["conditions"] = ConditionsText(*t.rule, t.conditions);
      }
      out["alerts"] = transitions;
      out["lines_without_time"] = backtest.lines_without_time();
    }
    std::cout << out.dump() << "\n";
  } else {
    std::cout << "lines      " << counts.lines << "\nerrors     " << counts.errors
              << "\nsuccesses  " << counts.successes << "\nunknown    " << counts.unknown_total
              << "\n";
    for (const auto& [code, n] : by_code) {
      int64_t value = 0;
      const CatalogEntry* e = nullptr;
      if (code.rfind("other", 0) != 0) {
        value = std::stoll(code);
        e = catalog.Find(value);
      }
      std::printf("%10llu  %-8s %-44s %s\n", static_cast<unsigned long long>(n), code.c_str(),
                  e ? e->name.c_str() : "(not in catalog)",
                  e ? (e->domain + "/" + e->category).c_str()
                    : std::string(value ? RangeDomain(value) : "various").c_str());
    }
    if (alerts) {
      std::cout << "alert transitions (" << backtest.transitions().size() << ", on the lines' own time):\n";
      for (const auto& t : backtest.transitions()) {
        std::string labels;
        for (const auto& [k, v] : t.labels) labels += (labels.empty() ? "" : ",") + k + "=\"" + v + "\"";
        std::printf("  %s  %-9s %s{%s} count=%llu", FormatTime(t.at_ms).c_str(), t.to.c_str(),
                    t.alertname.c_str(), labels.c_str(), static_cast<unsigned long long>(t.count));
        if (t.rule && t.rule->conditions.size() > 1)
          std::printf("  (%s)", ConditionsText(*t.rule, t.conditions).c_str());
        std::printf("\n");
      }
      if (backtest.lines_without_time())
        std::cout << "  (" << backtest.lines_without_time()
                  << " matched lines carried no time of their own: placed at the previous line's)\n";
    }
    std::fflush(stdout);
    for (const auto& [file, decided] : formats) std::cerr << file << ": format " << decided << "\n";
    if (const uint64_t damaged = DecodeErrors(stats))
      std::cerr << damaged << " damaged stretch(es) in compressed or container logs (see above)\n";
    if (stats.encrypted_blocks)
      std::cerr << stats.encrypted_blocks << " encrypted xlog block(s) skipped: errpulse has no key\n";
    std::cerr << "replayed " << stats.bytes_read << " bytes in " << wall << " s wall, " << cpu
              << " s cpu (" << (cpu > 0 ? stats.bytes_read / cpu / 1e6 : 0) << " MB/cpu-s, "
              << (cpu > 0 ? counts.lines / cpu : 0) << " lines/cpu-s)\n";
  }
  return status;
}

}  // namespace errpulse
