#pragma once

// A second HPACK decoder that follows a client's header blocks, so that the
// client's dynamic table can be copied when its HTTP/2 session is deleted
// (nghttp2 gives no way to read a session's decoder table). It sees the same
// bytes the session is given, finds the header blocks in them (HEADERS and
// CONTINUATION payloads, without padding and priority fields) and decodes
// them with nghttp2's stand-alone inflater, discarding the fields.
// tableReplay() is the table as a header block that rebuilds it in a fresh
// decoder. Single-threaded, owned by one Http2ServerCodec.
//
// Example:
//   Http2HpackMirror mirror;
//   mirror.feed(bytes, n);  // what nghttp2 consumed
//   if (!mirror.broken()) { state.hpack_max = mirror.maxSize(); state.hpack = mirror.entries(); }
//   ...
//   Http2HpackMirror next(state.hpack_max, state.hpack);  // a new session's mirror

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gw::http {

class Http2HpackMirror {
 public:
  // A connection's mirror from its first byte (the client preface first).
  Http2HpackMirror();
  // A resumed connection's: the decoder table that maxSize() and entries()
  // of the one before describe, with the input continuing at a frame boundary.
  Http2HpackMirror(uint32_t max_size, std::string_view entries);
  ~Http2HpackMirror();
  Http2HpackMirror(const Http2HpackMirror&) = delete;
  Http2HpackMirror& operator=(const Http2HpackMirror&) = delete;

  // Follows `len` more bytes of the client's input.
  void feed(const uint8_t* data, size_t len);
  // The input did not decode (the session fails on it too): the table is unknown.
  bool broken() const { return broken_; }
  // Bytes in the decoder table, RFC 7541's 32 per entry included.
  size_t tableSize() const;
  // The table's maximum size, as the client's last table size update set it.
  uint32_t maxSize() const;
  // Each entry, oldest first, as a literal header field with incremental
  // indexing and a literal name: decoded after a table size update to
  // maxSize(), they rebuild the table in a fresh decoder.
  std::string entries() const;
  // True when the entries, as header fields, are all valid in a request
  // after its pseudo-header fields: lowercase token names, none a pseudo-
  // header or connection-specific, values without NUL, CR, LF or spaces
  // at either end.
  bool entriesAreRequestFields() const;

  // A dynamic table size update to `size` (RFC 7541 6.3), appended to `out`.
  static void appendSizeUpdate(std::string& out, uint32_t size);

 private:
  // Decodes `len` bytes of a header block; `last`: its end.
  void inflate(const uint8_t* data, size_t len, bool last);
  // True when the whole header block [data, data + len) leaves the table as
  // it is: only indexed fields (that exist) and literals not indexed, no
  // size update. Such a block, the usual one once a client has indexed its
  // fields, need not be decoded (a scan, not Huffman decoding and copies).
  bool leavesTableAlone(const uint8_t* data, size_t len) const;

  // Null while the table is empty at the default maximum (between the
  // header blocks of a client that does not index).
  nghttp2_hd_inflater* inflater_ = nullptr;
  bool broken_ = false;
  // Framing: the preface still to skip, the frame header being read, and
  // for the frame being read: bytes left, of them the header block fragment
  // (after a pad length byte and a priority field) and the padding after it.
  size_t preface_left_ = 0;
  uint8_t head_[9] = {};
  size_t head_have_ = 0;
  size_t payload_left_ = 0;
  size_t prefix_left_ = 0;    // pad length byte and priority field still to skip
  size_t fragment_left_ = 0;  // header block bytes in this frame
  bool padded_ = false;       // the pad length byte is still to be read
  bool block_ends_ = false;   // this frame has END_HEADERS
  bool mid_block_ = false;    // inflate() has part of a header block
};

}  // namespace gw::http
