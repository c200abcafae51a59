// libFuzzer target: the xlog LineDecoder (tail/xlog_decoder.h) against a
// reference. The input is a small program that builds a mars .xlog: blocks
// of input-chosen magics (plain sync blocks, raw deflate async blocks, 0x05's
// length-prefixed deflate pieces, zstd async blocks, encrypted blocks), each
// async block a stream flushed after every record and left unfinished (or,
// input's choice, finished). Mutations mostly change the record texts while
// the file stays valid.
//
// Input:
//   byte 0     bits 0-1 mode: 0, 1 well-formed; 2 damaged (well-formed, then
//              mutated); 3 raw (the rest of the input is the file itself)
//              bits 2-3 max_line_bytes: 64, 16, 300, 65536
//              bits 4-5 restarts in the Position()/Resume() chain: 1-4
//   bytes 1-4  seed of the Feed() piece sizes and the restart points
//   damaged:   a byte n (1-4 mutations), then per mutation: kind, u16
//              position, length, and the inserted bytes for an insertion
//   then       blocks until the end: magic choice, hours, u16 seq, flags
//              (bits 0-2: records - 1; bits 3-5 compression level; bit 6
//              finish the stream), then per record: a length byte (bit 7:
//              append '\n') and the text.
//
// Checks (besides decoder_fuzz_harness.h's: chunking, restarts, max line):
//   well-formed  the lines are exactly the LineSplitter split of the text of
//                the blocks that are not encrypted (the reference); lines_cut,
//                encrypted_blocks and seq_gaps as the writer made them; no
//                decode error;
//   damaged      the lines start with the reference's lines of the blocks
//                before the first damaged byte;
//   raw          nothing more (no crash, no sanitizer report, no hang).
#include <zlib.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "decoder_fuzz_harness.h"
#include "tail/xlog_decoder.h"

namespace {

constexpr size_t kMaxLines[] = {64, 16, 300, 65536};

std::unique_ptr<errpulse::LineDecoder> Make(const std::string& path, size_t max_line) {
  return errpulse::MakeXlogDecoder(path, max_line);
}

// The magics mars writes, the common async ones more often.
constexpr uint8_t kMagics[] = {0x09, 0x0D, 0x09, 0x0D, 0x03, 0x04, 0x05, 0x06,
                               0x07, 0x08, 0x0A, 0x0B, 0x0C, 0x09, 0x0D, 0x05};

enum class Kind { kPlain, kDeflate, kPieces, kZstd, kEncrypted };

Kind KindOf(uint8_t magic) {
  switch (magic) {
    case 0x04: case 0x09: return Kind::kDeflate;
    case 0x05: return Kind::kPieces;
    case 0x0D: return Kind::kZstd;
    case 0x07: case 0x0C: return Kind::kEncrypted;
    default: return Kind::kPlain;
  }
}

bool IsAsync(uint8_t magic) { return KindOf(magic) != Kind::kPlain; }

void PutU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Raw deflate of `records`, a sync flush after each (a finish after the last
// with `finish`); with `pieces` each flush's output behind its u16 length.
std::string Deflate(const std::vector<std::string>& records, int level, bool finish, bool pieces) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) __builtin_trap();
  std::string out;
  for (size_t i = 0; i < records.size(); ++i) {
    const int flush = finish && i + 1 == records.size() ? Z_FINISH : Z_SYNC_FLUSH;
    std::string piece;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(records[i].data()));
    z.avail_in = static_cast<uInt>(records[i].size());
    for (;;) {
      unsigned char buf[4096];
      z.next_out = buf;
      z.avail_out = sizeof(buf);
      const int rc = deflate(&z, flush);
      piece.append(reinterpret_cast<char*>(buf), sizeof(buf) - z.avail_out);
      if (rc == Z_STREAM_END) break;
      if (rc != Z_OK && rc != Z_BUF_ERROR) __builtin_trap();
      if (z.avail_out != 0 && z.avail_in == 0 && flush != Z_FINISH) break;
    }
    if (pieces) PutU16(&out, static_cast<uint16_t>(piece.size()));
    out += piece;
  }
  deflateEnd(&z);
  return out;
}

// A zstd frame of `records`, flushed after each, ended after the last with `finish`.
std::string Zstd(const std::vector<std::string>& records, int level, bool finish) {
  static ZSTD_CCtx* const cctx = ZSTD_createCCtx();  // reused: creating one per block is slow
  ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  std::string out;
  for (size_t i = 0; i < records.size(); ++i) {
    const ZSTD_EndDirective mode = finish && i + 1 == records.size() ? ZSTD_e_end : ZSTD_e_flush;
    ZSTD_inBuffer in{records[i].data(), records[i].size(), 0};
    for (;;) {
      char buf[4096];
      ZSTD_outBuffer o{buf, sizeof(buf), 0};
      const size_t left = ZSTD_compressStream2(cctx, &o, &in, mode);
      if (ZSTD_isError(left)) __builtin_trap();
      out.append(buf, o.pos);
      if (left == 0 && in.pos == in.size) break;
    }
  }
  return out;
}

struct Built {
  std::string file;
  std::string text;                                // the decodable blocks' text
  std::vector<std::pair<size_t, size_t>> blocks;   // (file end, text end) per block
  std::vector<size_t> starts;                      // block start offsets
  uint64_t encrypted = 0;
  uint64_t seq_gaps = 0;
};

Built Build(fuzz::Reader* in) {
  Built b;
  uint16_t last_seq = 0;
  while (!in->empty()) {
    const uint8_t magic = kMagics[in->Byte() % 16];
    const uint8_t hours = in->Byte();
    const uint16_t seq = in->U16();
    const uint8_t flags = in->Byte();
    std::vector<std::string> records;
    std::string text;
    for (int i = 0, n = 1 + (flags & 7); i < n; ++i) {
      const uint8_t len = in->Byte();
      std::string record(in->Bytes(len & 0x7f));
      if (len & 0x80) record.push_back('\n');
      text += record;
      records.push_back(std::move(record));
    }
    const int level = (flags >> 3) & 7;
    const bool finish = (flags & 0x40) != 0;
    std::string payload;
    switch (KindOf(magic)) {
      case Kind::kPlain: payload = text; break;
      case Kind::kEncrypted: payload = text; break;  // what it says is not for us
      case Kind::kDeflate: payload = Deflate(records, level, finish, false); break;
      case Kind::kPieces: payload = Deflate(records, level, finish, true); break;
      case Kind::kZstd: payload = Zstd(records, 1 + level, finish); break;
    }
    // The writer's sequence numbers: mars skips 0 in async blocks and writes
    // 0 in sync ones; the reference counts a forward jump as a gap.
    const uint16_t written_seq = IsAsync(magic) ? seq : 0;
    if (IsAsync(magic) && written_seq != 0) {
      if (last_seq != 0 && written_seq != 1) {
        const uint16_t expected = last_seq == 0xFFFF ? 1 : static_cast<uint16_t>(last_seq + 1);
        const uint16_t ahead = static_cast<uint16_t>(written_seq - expected);
        if (ahead != 0 && ahead < 0x8000) ++b.seq_gaps;
      }
      last_seq = written_seq;
    }
    b.starts.push_back(b.file.size());
    b.file.push_back(static_cast<char>(magic));
    PutU16(&b.file, written_seq);
    b.file.push_back(static_cast<char>(hours % 24));
    b.file.push_back(static_cast<char>((hours / 24) % 24));
    PutU32(&b.file, static_cast<uint32_t>(payload.size()));
    const size_t key = magic <= 0x05 ? 4 : 64;
    for (size_t i = 0; i < key; ++i) b.file.push_back(static_cast<char>((seq * 31 + i * 7) & 0xff));
    b.file += payload;
    b.file.push_back('\0');
    if (KindOf(magic) == Kind::kEncrypted) {
      ++b.encrypted;
    } else {
      b.text += text;
    }
    b.blocks.emplace_back(b.file.size(), b.text.size());
  }
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

  // Findings that broke the restart check while they were open (both fixed;
  // tolerated only when ERRPULSE_FUZZ_TOLERATE names them): cut-line-reset
  // wherever a block ended inside a cut line, xlog-resync-restart after damage.
  const bool tolerate_reset = fuzz::Tolerated("cut-line-reset");
  fuzz::Skip skip;
  skip.restarts_if_cut = tolerate_reset;
  skip.restarts_if_damaged = fuzz::Tolerated("xlog-resync-restart");

  if (mode == 3) {  // raw: any bytes
    const std::string file(in.Rest());
    fuzz::CheckDecoder(&Make, max_line, false, file, seed, restarts, skip);
    return 0;
  }

  std::vector<fuzz::Mutation> mutations;
  if (mode == 2) mutations = fuzz::ReadMutations(&in, /*torn_writes=*/true);
  Built b = Build(&in);
  fuzz::DumpText("text written", b.text);
  std::vector<size_t> block_ends;  // text offsets where a block ended
  for (const auto& block : b.blocks) block_ends.push_back(block.second);
  if (mode == 2) {
    const size_t first = fuzz::Damage(mutations, /*torn_writes=*/true, b.starts, &b.file);
    const fuzz::RunResult r = fuzz::CheckDecoder(&Make, max_line, false, b.file, seed, restarts, skip);
    size_t good_text = 0;  // text of the blocks wholly before the damage
    for (const auto& [file_end, text_end] : b.blocks)
      if (file_end <= first) good_text = text_end;
    if (tolerate_reset &&
        fuzz::CutLineSpans(std::string_view(b.text).substr(0, good_text), block_ends, max_line))
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
  if (tolerate_reset && fuzz::CutLineSpans(b.text, block_ends, max_line)) return 0;
  uint64_t cut = 0;
  const fuzz::Lines want = fuzz::SplitReference(b.text, max_line, true, &cut);
  fuzz::ExpectLines(r.lines, want, "well-formed xlog: lines differ from the text written");
  fuzz::ExpectCount(r.stats.lines_cut, cut, "lines_cut differs from the reference");
  fuzz::ExpectCount(r.stats.encrypted_blocks, b.encrypted, "encrypted_blocks differs from the reference");
  fuzz::ExpectCount(r.stats.seq_gaps, b.seq_gaps, "seq_gaps differs from the reference");
  for (uint64_t n : r.stats.decode_errors) FUZZ_CHECK(n == 0);
  return 0;
}
