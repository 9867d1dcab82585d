#include "gateway/http/framing_scanner.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "gateway/common/strcat.h"

namespace gw::http {
namespace {

bool isTchar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

bool isWs(unsigned char c) { return c == ' ' || c == '\t'; }

// A byte that, at the start of a line in the head, begins a new field line
// (not the empty line that ends the head, not an obs-fold continuation).
bool startsFieldLine(unsigned char c) { return c != '\r' && c != '\n' && !isWs(c); }

int hexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 9110 5.6.4 qdtext, and the octets a quoted-pair may escape.
bool isQdtext(unsigned char c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
         (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}
bool isQuotable(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

// A field value octet: VCHAR, SP, HTAB or obs-text.
bool isFieldValueOctet(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

constexpr const char* kChunked = "chunked body: ";

// The index of the first CR or LF in `bytes` from `from`, or bytes.size().
size_t lineEnd(std::string_view bytes, size_t from) {
  const char* begin = bytes.data() + from;
  size_t n = bytes.size() - from;
  const void* lf = std::memchr(begin, '\n', n);
  if (lf != nullptr) n = static_cast<const char*>(lf) - begin;
  const void* cr = std::memchr(begin, '\r', n);
  if (cr != nullptr) n = static_cast<const char*>(cr) - begin;
  return from + n;
}

}  // namespace

void FramingScanner::startChunkedBody() {
  state_ = State::ChunkSize;
  remaining_ = 0;
}

void FramingScanner::startLengthBody(uint64_t length) {
  remaining_ = length;
  state_ = length == 0 ? State::Done : State::LengthBody;
}

void FramingScanner::reset() {
  state_ = State::RequestLine;
  in_trailers_ = false;
  section_bytes_ = 0;
  field_lines_ = 0;
  remaining_ = 0;
}

size_t FramingScanner::scan(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (state_ == State::AwaitBody || state_ == State::Done || state_ == State::Failed) return i;
    if (state_ == State::LengthBody || state_ == State::ChunkData) {
      // Body octets are opaque: skip them in one go.
      uint64_t take = std::min<uint64_t>(remaining_, bytes.size() - i);
      i += take;
      remaining_ -= take;
      if (remaining_ == 0) {
        state_ = state_ == State::LengthBody ? State::Done : State::ChunkDataCr;
      }
      continue;
    }
    if (state_ == State::RequestLine || state_ == State::FieldLine) {
      // The middle of a head line: only CR and LF matter. Count the run at once.
      size_t end = lineEnd(bytes, i);
      size_t run = end - i;
      if (state_ == State::FieldLine && section_bytes_ + run > limits_.max_header_size) {
        i += limits_.max_header_size - section_bytes_;
        section_bytes_ = limits_.max_header_size;
        countSectionByte();  // fails with the limit's message
        return i;
      }
      section_bytes_ += run;
      i = end;
      if (i == bytes.size()) break;
      // The usual end of a field line: CRLF and the first byte of the next
      // field line, taken in one go (as step() would take them one by one)
      // while both limits hold.
      if (state_ == State::FieldLine && bytes.size() - i > 2 && bytes[i] == '\r' &&
          bytes[i + 1] == '\n' && startsFieldLine(static_cast<unsigned char>(bytes[i + 2])) &&
          section_bytes_ + 3 <= limits_.max_header_size &&
          field_lines_ < limits_.max_header_count) {
        section_bytes_ += 3;
        ++field_lines_;
        i += 3;
        continue;
      }
    }
    if (!step(static_cast<unsigned char>(bytes[i]))) return failed() ? i : i + 1;
    ++i;
  }
  return i;
}

bool FramingScanner::fail(int status, std::string description) {
  state_ = State::Failed;
  error_status_ = status;
  error_ = std::move(description);
  return false;
}

bool FramingScanner::countSectionByte() {
  if (++section_bytes_ <= limits_.max_header_size) return true;
  return fail(431,
              gw::cat("request ", in_trailers_ ? "trailers" : "headers",
                      " exceed listenerConfig.maxHeaderSize (", limits_.max_header_size,
                      " bytes, counted on the wire: names, values, separators and line ends)"));
}

bool FramingScanner::countFieldLine() {
  if (++field_lines_ <= limits_.max_header_count) return true;
  return fail(
      431, gw::cat("the request has more than listenerConfig.maxHeaderCount (",
                   limits_.max_header_count, ") ", in_trailers_ ? "trailer" : "header", " fields"));
}

bool FramingScanner::step(unsigned char c) {
  switch (state_) {
    case State::RequestLine:
    case State::RequestLineLf:
    case State::FieldLineStart:
    case State::FieldLine:
    case State::FieldLineLf:
    case State::HeadEndLf:
      return stepHead(c);
    case State::ChunkSize:
    case State::ChunkSizeMore:
    case State::ChunkSizeLf:
      return stepChunkLine(c);
    case State::ChunkDataCr:
    case State::ChunkDataLf:
      return stepChunkData(c);
    case State::TrailerLineStart:
    case State::TrailerName:
    case State::TrailerValue:
    case State::TrailerLineLf:
    case State::TrailerEndLf:
      return stepTrailer(c);
    case State::AwaitBody:
    case State::LengthBody:
    case State::ChunkData:
    case State::Done:
    case State::Failed:
      return false;
    default:
      return stepChunkExt(c);
  }
}

// The head: a bare CR is refused anywhere (http-parser reads "\rX" as a line
// end in places); a bare LF ends a line, as http-parser reads it. Bytes after
// the request line count towards maxHeaderSize, field lines towards maxHeaderCount.
bool FramingScanner::stepHead(unsigned char c) {
  constexpr const char* kBareCr = "a CR in the request head is not followed by LF";
  switch (state_) {
    case State::RequestLine:
      if (c == '\r') {
        state_ = State::RequestLineLf;
      } else if (c == '\n') {
        if (section_bytes_ > 0) state_ = State::FieldLineStart;  // else an empty line before it
        section_bytes_ = 0;
      } else {
        ++section_bytes_;  // bytes of the request line; maxUriLength limits it
      }
      return true;
    case State::RequestLineLf:
      if (c != '\n') return fail(400, kBareCr);
      state_ = section_bytes_ > 0 ? State::FieldLineStart : State::RequestLine;
      section_bytes_ = 0;
      return true;
    default:
      break;
  }
  if (!countSectionByte()) return false;
  switch (state_) {
    case State::FieldLineStart:
      if (c == '\r') {
        state_ = State::HeadEndLf;
      } else if (c == '\n') {
        state_ = State::AwaitBody;
        return false;
      } else {
        // A line starting with SP/HTAB continues the previous field (obs-fold).
        if (!isWs(c) && !countFieldLine()) return false;
        state_ = State::FieldLine;
      }
      return true;
    case State::FieldLine:
      if (c == '\r') state_ = State::FieldLineLf;
      if (c == '\n') state_ = State::FieldLineStart;
      return true;
    case State::FieldLineLf:
      if (c != '\n') return fail(400, kBareCr);
      state_ = State::FieldLineStart;
      return true;
    case State::HeadEndLf:
      if (c != '\n') return fail(400, kBareCr);
      state_ = State::AwaitBody;
      return false;
    default:
      return fail(400, "internal framing state error");
  }
}

// chunk-size [ chunk-ext ] CRLF
bool FramingScanner::stepChunkLine(unsigned char c) {
  switch (state_) {
    case State::ChunkSize:
      if (hexValue(c) < 0)
        return fail(400, gw::cat(kChunked, "a chunk must start with its size in hex"));
      remaining_ = hexValue(c);
      state_ = State::ChunkSizeMore;
      return true;
    case State::ChunkSizeMore:
      if (hexValue(c) >= 0) {
        if (remaining_ > (std::numeric_limits<uint64_t>::max() >> 4)) {
          return fail(400, gw::cat(kChunked, "a chunk size is too large"));
        }
        remaining_ = (remaining_ << 4) | static_cast<uint64_t>(hexValue(c));
      } else if (c == ';') {
        state_ = State::ChunkExtNameStart;
      } else if (isWs(c)) {
        state_ = State::ChunkExtBws;
      } else if (c == '\r') {
        state_ = State::ChunkSizeLf;
      } else {
        return fail(400, gw::cat(kChunked, c == '\n' ? "a chunk-size line ends in a bare LF"
                                                     : "a chunk size has a non-hex character"));
      }
      return true;
    case State::ChunkSizeLf:
      if (c != '\n') return fail(400, gw::cat(kChunked, "a chunk-size line ends in a bare CR"));
      if (remaining_ > 0) {
        state_ = State::ChunkData;
      } else {
        state_ = State::TrailerLineStart;  // the last chunk: the trailer section follows
        in_trailers_ = true;
        section_bytes_ = 0;
        field_lines_ = 0;
      }
      return true;
    default:
      return fail(400, "internal framing state error");
  }
}

// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
// The state after `c` in a chunk extension, or Failed.
FramingScanner::State FramingScanner::nextExtState(unsigned char c) const {
  const bool ws = isWs(c);
  const bool tchar = isTchar(c);
  switch (state_) {
    case State::ChunkExtBws:
      return c == ';' ? State::ChunkExtNameStart : ws ? state_ : State::Failed;
    case State::ChunkExtNameStart:
      return tchar ? State::ChunkExtName : ws ? state_ : State::Failed;
    case State::ChunkExtName:
      if (tchar) return state_;
      if (c == '\r') return State::ChunkSizeLf;
      [[fallthrough]];
    case State::ChunkExtAfterName:
      if (ws) return State::ChunkExtAfterName;
      if (c == '=') return State::ChunkExtValueStart;
      return c == ';' ? State::ChunkExtNameStart : State::Failed;
    case State::ChunkExtValueStart:
      if (c == '"') return State::ChunkExtQuoted;
      return tchar ? State::ChunkExtToken : ws ? state_ : State::Failed;
    case State::ChunkExtToken:
      if (tchar) return state_;
      [[fallthrough]];
    case State::ChunkExtAfterValue:
      if (ws) return State::ChunkExtAfterValue;
      if (c == ';') return State::ChunkExtNameStart;
      return c == '\r' ? State::ChunkSizeLf : State::Failed;
    case State::ChunkExtQuoted:
      if (c == '"') return State::ChunkExtAfterValue;
      if (c == '\\') return State::ChunkExtQuotedPair;
      return isQdtext(c) ? state_ : State::Failed;
    case State::ChunkExtQuotedPair:
      return isQuotable(c) ? State::ChunkExtQuoted : State::Failed;
    default:
      return State::Failed;
  }
}

bool FramingScanner::stepChunkExt(unsigned char c) {
  State next = nextExtState(c);
  if (next == State::Failed) {
    return fail(400, gw::cat(kChunked, c == '\n' ? "a chunk-size line ends in a bare LF"
                                                 : "a chunk extension is malformed"));
  }
  state_ = next;
  return true;
}

// chunk-data CRLF
bool FramingScanner::stepChunkData(unsigned char c) {
  if (state_ == State::ChunkDataCr) {
    if (c != '\r') {
      return fail(400,
                  gw::cat(kChunked, "chunk data is longer than its size or not followed by CRLF"));
    }
    state_ = State::ChunkDataLf;
    return true;
  }
  if (c != '\n') return fail(400, gw::cat(kChunked, "chunk data is followed by a bare CR"));
  state_ = State::ChunkSize;
  return true;
}

// trailer-section CRLF: field lines "name:value" ended by CRLF, no obs-fold.
bool FramingScanner::stepTrailer(unsigned char c) {
  if (!countSectionByte()) return false;
  switch (state_) {
    case State::TrailerLineStart:
      if (c == '\r') {
        state_ = State::TrailerEndLf;
        return true;
      }
      if (!isTchar(c)) {
        return fail(
            400, gw::cat(kChunked, "a trailer line must start with a field name and end in CRLF"));
      }
      if (!countFieldLine()) return false;
      state_ = State::TrailerName;
      return true;
    case State::TrailerName:
      if (c == ':')
        state_ = State::TrailerValue;
      else if (!isTchar(c))
        return fail(400, gw::cat(kChunked, "a trailer name is not a token"));
      return true;
    case State::TrailerValue:
      if (c == '\r')
        state_ = State::TrailerLineLf;
      else if (!isFieldValueOctet(c)) {
        return fail(400, gw::cat(kChunked, "a trailer value has a control character or a bare LF"));
      }
      return true;
    case State::TrailerLineLf:
    case State::TrailerEndLf:
      if (c != '\n') return fail(400, gw::cat(kChunked, "a trailer line ends in a bare CR"));
      if (state_ == State::TrailerEndLf) {
        state_ = State::Done;
        return false;
      }
      state_ = State::TrailerLineStart;
      return true;
    default:
      return fail(400, "internal framing state error");
  }
}

}  // namespace gw::http
