// XlogDecoder: Tencent mars `.xlog` files (the IM SDK's Imsdk_*.xlog) as text lines.
//
// An xlog file is a sequence of blocks, appended whole by the writer:
//   magic u8 | seq u16 LE | begin_hour u8 | end_hour u8 | length u32 LE |
//   key (4 bytes for magics 0x03-0x05, 64 from 0x06 on) | payload[length] | 0x00
// A sync-mode block holds one record as plain text (0x03, 0x06, 0x08, 0x0A,
// 0x0B: mars never encrypts sync records, whatever the magic says). An
// async-mode block holds a batch: one raw deflate stream (0x04, 0x09; 0x05
// cut into `[u16 LE length][bytes]` pieces) or one zstd frame (0x0D), both
// sync-flushed after each record and never finished, so each block gets a
// fresh streaming decoder that accepts an unfinished stream. 0x07 and 0x0C
// are TEA-encrypted with a key from the app's ECDH exchange: errpulse has no
// key, so they are skipped and counted in encrypted_blocks (one warning per
// file). Records end in '\n'; a block's text is appended as is.
//
// A block is decoded once it is all there; the start of one still arriving
// waits in the decoder. Damage (an unknown magic, a length over 16 MiB,
// hours over 23, an end byte that is not 0x00, a payload that does not
// decompress) is counted once per damaged stretch in decode_errors[xlog] and
// logged once per stretch. Lines decoded before the damage are kept; the
// unfinished line of a broken block is dropped. Decoding goes on at the
// first later offset where a whole block starts whose first 64 KiB decode
// to text ending in '\n': bytes that only look like a header are never
// emitted, and a look-alike claiming megabytes that have not come does not
// hold back the whole blocks after it. Without that proof, in mid-stream, a
// header is taken at its word: a block cut short by a crash is found out
// when the length it claims has arrived (mars's blocks are under 150 KiB).
//
// Sequence numbers: mars numbers async blocks from one process-wide counter
// (1..65535, 0 skipped, 1 again after a restart) and writes 0 in sync
// blocks. A jump forward between async blocks means the writer lost blocks
// and is counted in seq_gaps, as mars's own decoder reports it; seq 0, a
// restart at 1, a repeat or a step back are not gaps, and neither are the
// blocks lost in a stretch we skipped as damaged (counted there already).
//
// Restart (line_decoder.h): the position is (a block start, decoded bytes
// after it already counted): blocks decode independently, so re-decoding
// from that block re-creates the rest. It is the block holding the start of
// the unfinished line, usually the next block to come.
//
// Ownership: owns one zlib inflater and one zstd stream (reused per block)
// and the raw bytes of the block still arriving (at most 16 MiB, the largest
// length taken as sane; mars's async blocks are under 150 KiB). Not
// thread-safe; one per followed file, on the pipeline thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "tail/line_decoder.h"

namespace errpulse {

std::unique_ptr<LineDecoder> MakeXlogDecoder(const std::string& path, size_t max_line_bytes);

// Whether `head` (a file's first bytes) starts with a plausible xlog block
// header: a known magic, a length of 1 byte to 16 MiB, hours 0-23 (mars
// writes tm_hour in both) and, when the whole block is in `head`, the end
// byte 0x00. False while `head` is shorter than the header: too early to
// tell.
bool LooksLikeXlog(std::string_view head);

}  // namespace errpulse
