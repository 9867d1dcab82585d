#pragma once

// A strict check of HTTP/1 request framing on the raw bytes, run ahead of
// http-parser (which, as packaged, takes "\rX" for CRLF, data not followed by
// CRLF, and bare LF in chunk lines). It checks only what decides where a
// message, its header section or a chunk ends, plus the size limits that are
// counted on the wire; http-parser still parses the rest.
//
// Example:
//   FramingScanner scanner({8192, 100});
//   size_t n = scanner.scan(bytes);     // head: stops after the empty line
//   ... hand bytes[0, n) to the parser; in on_headers_complete:
//   scanner.startChunkedBody();          // or startLengthBody(content_length)
//   n = scanner.scan(more);              // stops at the end of the chunked body
//   ... on_message_complete: scanner.reset();
//   if (scanner.failed()) reply scanner.errorStatus() with scanner.errorDescription().
//
// Not thread-safe; one per connection.

#include <cstdint>
#include <string>
#include <string_view>

namespace gw::http {

struct FramingLimits {
  uint32_t max_header_size = 8192;  // bytes of a header or trailer section on the wire
  uint32_t max_header_count = 100;  // field lines in a header or trailer section
};

class FramingScanner {
 public:
  explicit FramingScanner(const FramingLimits& limits) : limits_(limits) {}

  // Scans `bytes`, which continue where the last scan stopped. Returns how many
  // of them belong to the current phase and are well-formed: the parser may
  // take exactly these. Stops early at the end of the head (until a start*Body
  // call), at the end of the body (until reset()), or at the first error.
  size_t scan(std::string_view bytes);

  // The head has ended (headComplete()); what follows is a chunked body, or
  // `length` bytes of body (0 for none).
  void startChunkedBody();
  void startLengthBody(uint64_t length);
  // The message has ended: the next byte starts a new request.
  void reset();

  bool headComplete() const { return state_ == State::AwaitBody; }
  bool messageComplete() const { return state_ == State::Done; }
  bool failed() const { return state_ == State::Failed; }
  int errorStatus() const { return error_status_; }  // 400 or 431
  const std::string& errorDescription() const { return error_; }

 private:
  enum class State {
    // Head.
    RequestLine,
    RequestLineLf,
    FieldLineStart,
    FieldLine,
    FieldLineLf,
    HeadEndLf,
    AwaitBody,
    // Body with a Content-Length.
    LengthBody,
    // Chunked body (RFC 9112 7.1).
    ChunkSize,
    ChunkSizeMore,
    ChunkExtBws,
    ChunkExtNameStart,
    ChunkExtName,
    ChunkExtAfterName,
    ChunkExtValueStart,
    ChunkExtToken,
    ChunkExtQuoted,
    ChunkExtQuotedPair,
    ChunkExtAfterValue,
    ChunkSizeLf,
    ChunkData,
    ChunkDataCr,
    ChunkDataLf,
    TrailerLineStart,
    TrailerName,
    TrailerValue,
    TrailerLineLf,
    TrailerEndLf,
    Done,
    Failed,
  };

  // Returns false when the byte ends the scan (error or end of phase).
  bool step(unsigned char c);
  bool stepHead(unsigned char c);
  bool stepChunkLine(unsigned char c);
  bool stepChunkExt(unsigned char c);
  State nextExtState(unsigned char c) const;
  bool stepChunkData(unsigned char c);
  bool stepTrailer(unsigned char c);
  bool countSectionByte();
  bool countFieldLine();
  bool fail(int status, std::string description);

  FramingLimits limits_;
  State state_ = State::RequestLine;
  bool in_trailers_ = false;
  uint64_t section_bytes_ = 0;
  uint32_t field_lines_ = 0;
  uint64_t remaining_ = 0;  // chunk-data or Content-Length bytes still to come
  bool saw_colon_ = false;
  int error_status_ = 0;
  std::string error_;
};

}  // namespace gw::http
