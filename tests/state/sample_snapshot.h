// Test helpers for the state stage: a Snapshot that sets every field
// (Sample) and a field-by-field comparison that names the first difference
// (SameSnapshot). Header-only; used by snapshot_test.cc and
// state_journal_test.cc.
#pragma once

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "state/snapshot.h"

namespace errpulse {

inline FileRecord MakeFile(const std::string& path, uint64_t device, uint64_t inode, uint32_t fp_length,
                    uint64_t fp_hash, uint64_t offset, bool skipping, bool retired) {
  FileRecord f;
  f.path = path;
  f.identity.device = device;
  f.identity.inode = inode;
  f.fingerprint.length = fp_length;
  f.fingerprint.hash = fp_hash;
  f.offset = offset;
  f.skipping = skipping;
  f.retired = retired;
  return f;
}

// Three sources exercising every field: negative codes, "other", all tail
// counters, files with every FileRecord field set (hashes above INT64_MAX so
// that signedness mistakes show), known fingerprints, and an empty source.
inline Snapshot Sample() {
  Snapshot s;
  s.written_at_ms = 1767225600123;

  SourceState sdk;
  sdk.name = "sdk";
  sdk.lines = 123456;
  sdk.errors = 321;
  sdk.successes = 77;
  sdk.unknown_total = 9;
  sdk.by_code = {{-2105, 4}, {-2340, 2}, {-2, 300}, {-1, 1}, {-9999, 6}, {8010, 3}, {100001, 5}};
  sdk.other = {{"client", 2}, {"unknown", 1}};
  sdk.tail.bytes_read = 98765432;
  sdk.tail.read_errors = 1;
  sdk.tail.lines_cut = 2;
  sdk.tail.rotations = 3;
  sdk.tail.truncations = 4;
  sdk.tail.files_lost = 5;
  sdk.files = {
      MakeFile("/var/log/liveroom/sdk/app.log", 2049, 131074, 256, 0xcbf29ce484222325ull, 40960,
               false, false),
      MakeFile("/var/log/liveroom/sdk/app.log.1", 2049, 131075, 200, 0xfedcba9876543210ull, 123,
               true, true),
      MakeFile("/var/log/liveroom/sdk/empty.log", 2049, 131076, 0, 0, 0, false, false),
      MakeFile("/var/log/liveroom/sdk/name with \"quotes\" \\ and \xe6\x97\xa5\xe5\xbf\x97.log",
               std::numeric_limits<uint64_t>::max(), std::numeric_limits<uint64_t>::max(), 1, 1,
               std::numeric_limits<uint64_t>::max(), true, false),
  };
  sdk.known = {{256, 0x8000000000000000ull}, {17, 42}, {1, std::numeric_limits<uint64_t>::max()}};

  SourceState rest;
  rest.name = "rest";
  rest.lines = 10;
  rest.errors = 4;
  rest.successes = 6;
  rest.unknown_total = 1;
  rest.by_code = {{60007, 3}, {70001, 1}};
  rest.other = {{"rest_common", 11}, {"server", 12}};
  rest.files = {MakeFile("/srv/app-server.log", 64768, 7, 31, 0x0123456789abcdefull, 2048,
                         false, false)};

  SourceState idle;  // nothing at all yet
  idle.name = "idle";

  s.sources = {sdk, rest, idle};
  return s;
}

inline ::testing::AssertionResult SameSnapshot(const Snapshot& a, const Snapshot& b) {
  auto fail = [](const std::string& what) { return ::testing::AssertionFailure() << what; };
  if (a.written_at_ms != b.written_at_ms) return fail("written_at_ms differs");
  if (a.sources.size() != b.sources.size()) return fail("number of sources differs");
  for (size_t i = 0; i < a.sources.size(); ++i) {
    const SourceState& x = a.sources[i];
    const SourceState& y = b.sources[i];
    const std::string where = "source " + std::to_string(i) + " (" + x.name + "): ";
    if (x.name != y.name) return fail(where + "name");
    if (x.lines != y.lines || x.errors != y.errors || x.successes != y.successes ||
        x.unknown_total != y.unknown_total)
      return fail(where + "counts");
    if (x.by_code != y.by_code) return fail(where + "by_code");
    if (x.other != y.other) return fail(where + "other");
    if (x.tail.bytes_read != y.tail.bytes_read || x.tail.read_errors != y.tail.read_errors ||
        x.tail.lines_cut != y.tail.lines_cut || x.tail.rotations != y.tail.rotations ||
        x.tail.truncations != y.tail.truncations || x.tail.files_lost != y.tail.files_lost ||
        x.tail.decode_errors != y.tail.decode_errors ||
        x.tail.encrypted_blocks != y.tail.encrypted_blocks || x.tail.seq_gaps != y.tail.seq_gaps)
      return fail(where + "tail counters");
    if (x.journal_cursor != y.journal_cursor) return fail(where + "journal cursor");
    if (x.containers.size() != y.containers.size()) return fail(where + "number of containers");
    for (size_t c = 0; c < x.containers.size(); ++c) {
      const ContainerState& p = x.containers[c];
      const ContainerState& q = y.containers[c];
      if (p.namespace_name != q.namespace_name || p.pod != q.pod || p.container != q.container ||
          p.lines != q.lines || p.successes != q.successes || p.by_code != q.by_code)
        return fail(where + "container " + std::to_string(c));
    }
    if (x.files.size() != y.files.size()) return fail(where + "number of files");
    for (size_t f = 0; f < x.files.size(); ++f) {
      const FileRecord& p = x.files[f];
      const FileRecord& q = y.files[f];
      const std::string fw = where + "file " + std::to_string(f) + " ";
      if (p.path != q.path) return fail(fw + "path");
      if (p.identity.device != q.identity.device) return fail(fw + "device");
      if (p.identity.inode != q.identity.inode) return fail(fw + "inode");
      if (!(p.fingerprint == q.fingerprint)) return fail(fw + "fingerprint");
      if (p.offset != q.offset) return fail(fw + "offset");
      if (p.skipping != q.skipping) return fail(fw + "skipping");
      if (p.retired != q.retired) return fail(fw + "retired");
      if (p.format != q.format) return fail(fw + "format");
      if (p.decode_skip != q.decode_skip) return fail(fw + "decode_skip");
      // Plain files' counted offset is their offset (not written).
      const bool decoded = p.format != LogFormat::kPlain && p.format != LogFormat::kAuto;
      if (decoded && p.counted_offset != q.counted_offset) return fail(fw + "counted_offset");
      if (p.catch_up_to != q.catch_up_to) return fail(fw + "catch_up_to");
    }
    if (x.known.size() != y.known.size()) return fail(where + "number of known");
    for (size_t k = 0; k < x.known.size(); ++k)
      if (!(x.known[k] == y.known[k])) return fail(where + "known " + std::to_string(k));
  }
  return ::testing::AssertionSuccess();
}

}  // namespace errpulse
