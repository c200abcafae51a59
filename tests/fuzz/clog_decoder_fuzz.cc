// libFuzzer target: the clog LineDecoder (tail/clog_decoder.h) against a
// reference. The input is a small program that builds a .clog the way the
// LiteAV SDK writes one (raw deflate, a flush per line or batch, one
// unfinished stream per process session), so most mutations change only the
// text of the lines while the stream stays valid.
//
// Input:
//   byte 0     bits 0-1 mode: 0, 1 well-formed; 2 damaged (well-formed, then
//              mutated); 3 raw (the rest of the input is the file itself)
//              bits 2-3 max_line_bytes: 64, 16, 300, 65536
//              bits 4-5 restarts in the Position()/Resume() chain: 1-4
//              bit 6    finish the last session (Z_FINISH) instead of leaving
//                       it unfinished after a sync flush
//   bytes 1-4  seed of the Feed() piece sizes and the restart points
//   damaged:   a byte n (1-4 mutations), then per mutation: kind, u16
//              position, length, and the inserted bytes for an insertion
//   then       2 bytes of deflate parameters, then records until the end:
//              ctl, length, text. ctl bits 0-2 the flush after the record
//              (sync mostly; none = batched with the next; full, partial,
//              block), bit 3 append '\n', bits 4-5 == 3 a new process session
//              after it (bit 6: the old stream finished, else left unfinished
//              after a sync flush; bit 7: 2 more bytes of deflate parameters)
//
// Checks (besides decoder_fuzz_harness.h's: chunking, restarts, max line):
//   well-formed  the lines are exactly the LineSplitter split of the text
//                written (the reference), lines_cut matches, no decode error;
//   damaged      the lines start with the reference's lines of everything
//                sync-flushed before the first damaged byte;
//   raw          nothing more (no crash, no sanitizer report, no hang).
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "decoder_fuzz_harness.h"
#include "tail/clog_decoder.h"

namespace {

constexpr size_t kMaxLines[] = {64, 16, 300, 65536};

std::unique_ptr<errpulse::LineDecoder> Make(const std::string& path, size_t max_line) {
  return errpulse::MakeClogDecoder(path, max_line);
}

// One process session's raw deflate stream.
class Deflater {
 public:
  ~Deflater() { End(); }
  void Start(uint8_t p0, uint8_t p1) {
    End();
    static const int kStrategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED};
    const int level = p0 % 10;
    const int strategy = kStrategies[(p0 / 10) % 5];
    const int wbits = 9 + p1 % 7;        // raw deflate: 9..15
    const int mem_level = 1 + (p1 / 7) % 9;
    z_ = {};
    if (deflateInit2(&z_, level, Z_DEFLATED, -wbits, mem_level, strategy) != Z_OK) __builtin_trap();
    live_ = true;
  }
  // Compresses `text` with `flush`, appending the output to `out`.
  void Write(std::string_view text, int flush, std::string* out) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z_.avail_in = static_cast<uInt>(text.size());
    for (;;) {
      unsigned char buf[4096];
      z_.next_out = buf;
      z_.avail_out = sizeof(buf);
      const int rc = deflate(&z_, flush);
      out->append(reinterpret_cast<char*>(buf), sizeof(buf) - z_.avail_out);
      if (rc == Z_STREAM_END) return;
      if (rc != Z_OK && rc != Z_BUF_ERROR) __builtin_trap();
      if (z_.avail_out != 0 && z_.avail_in == 0 && flush != Z_FINISH) return;
    }
  }
  void End() {
    if (live_) deflateEnd(&z_);
    live_ = false;
  }

 private:
  z_stream z_{};
  bool live_ = false;
};

struct Built {
  std::string file;
  std::string text;  // everything written, decompressed
  // (file offset, text offset) where everything written so far is decodable
  // from the file's bytes up to there (after a sync/full flush or a finish).
  std::vector<std::pair<size_t, size_t>> flushed;
  std::vector<size_t> sessions;     // file offsets where a process session starts
  std::vector<size_t> stream_ends;  // text offsets where a finished stream ended
};

Built Build(fuzz::Reader* in, bool finish_last) {
  Built b;
  Deflater deflater;
  const uint8_t p0 = in->Byte();
  deflater.Start(p0, in->Byte());
  b.sessions.push_back(0);
  bool aligned = true;  // the stream ends at a byte boundary, all output written
  while (!in->empty()) {
    const uint8_t ctl = in->Byte();
    std::string text(in->Bytes(in->Byte()));
    if (ctl & 8) text.push_back('\n');
    static const int kFlushes[] = {Z_SYNC_FLUSH, Z_SYNC_FLUSH, Z_SYNC_FLUSH, Z_NO_FLUSH,
                                   Z_FULL_FLUSH, Z_PARTIAL_FLUSH, Z_BLOCK, Z_SYNC_FLUSH};
    const int flush = kFlushes[ctl & 7];
    deflater.Write(text, flush, &b.file);
    b.text += text;
    aligned = flush == Z_SYNC_FLUSH || flush == Z_FULL_FLUSH;
    if (aligned) b.flushed.emplace_back(b.file.size(), b.text.size());
    if (((ctl >> 4) & 3) == 3) {  // the process ends; a new one appends its own stream
      deflater.Write({}, (ctl & 0x40) ? Z_FINISH : Z_SYNC_FLUSH, &b.file);
      b.flushed.emplace_back(b.file.size(), b.text.size());
      if (ctl & 0x40) b.stream_ends.push_back(b.text.size());
      uint8_t p0 = 0, p1 = 0;
      if (ctl & 0x80) {
        p0 = in->Byte();
        p1 = in->Byte();
      }
      deflater.Start(p0, p1);
      b.sessions.push_back(b.file.size());
    }
  }
  deflater.Write({}, finish_last ? Z_FINISH : Z_SYNC_FLUSH, &b.file);
  b.flushed.emplace_back(b.file.size(), b.text.size());
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::QuietLogs();
  fuzz::Reader in(data, size);
  const uint8_t flags = in.Byte();
  const int mode = flags & 3;
  const size_t max_line = kMaxLines[(flags >> 2) & 3];
  const int restarts = 1 + ((flags >> 4) & 3);
  const uint64_t seed = in.U32();

  // Findings that broke these checks while they were open (both fixed;
  // tolerated only when ERRPULSE_FUZZ_TOLERATE names them): cut-line-reset
  // the restart check where a finished stream ended inside a cut line,
  // clog-split-marker the chunking and restart checks after damage.
  const bool tolerate_reset = fuzz::Tolerated("cut-line-reset");
  fuzz::Skip skip;
  skip.restarts_if_cut = tolerate_reset;
  skip.pieces_if_damaged = skip.restarts_if_damaged = fuzz::Tolerated("clog-split-marker");

  if (mode == 3) {  // raw: any bytes
    const std::string file(in.Rest());
    fuzz::CheckDecoder(&Make, max_line, false, file, seed, restarts, skip);
    return 0;
  }

  std::vector<fuzz::Mutation> mutations;
  if (mode == 2) mutations = fuzz::ReadMutations(&in, /*torn_writes=*/true);
  Built b = Build(&in, (flags & 0x40) != 0);
  fuzz::DumpText("text written", b.text);
  if (mode == 2) {
    const size_t first = fuzz::Damage(mutations, /*torn_writes=*/true, b.sessions, &b.file);
    const fuzz::RunResult r = fuzz::CheckDecoder(&Make, max_line, false, b.file, seed, restarts, skip);
    size_t good_text = 0;  // text decodable from the bytes before the damage
    for (const auto& [file_end, text_end] : b.flushed)
      if (file_end <= first) good_text = text_end;
    if (tolerate_reset &&
        fuzz::CutLineSpans(std::string_view(b.text).substr(0, good_text), b.stream_ends, max_line))
      return 0;
    const fuzz::Lines before =
        fuzz::SplitReference(std::string_view(b.text).substr(0, good_text), max_line, false);
    if (!fuzz::StartsWith(r.lines, before)) {
      fuzz::Dump("decoder", r.lines);
      fuzz::Dump("reference before the damage", before);
      fuzz::Fail("lines decoded before the damage were lost or changed");
    }
    return 0;
  }

  const fuzz::RunResult r = fuzz::CheckDecoder(&Make, max_line, false, b.file, seed, restarts, skip);
  if (tolerate_reset && fuzz::CutLineSpans(b.text, b.stream_ends, max_line)) return 0;
  uint64_t cut = 0;
  const fuzz::Lines want = fuzz::SplitReference(b.text, max_line, true, &cut);
  fuzz::ExpectLines(r.lines, want, "well-formed clog: lines differ from the text written");
  fuzz::ExpectCount(r.stats.lines_cut, cut, "lines_cut differs from the reference");
  for (uint64_t n : r.stats.decode_errors) FUZZ_CHECK(n == 0);
  return 0;
}
