#include "gateway/http/http2_hpack_mirror.h"

#include <algorithm>

#include "gateway/http/header_map.h"

namespace gw::http {
namespace {

constexpr size_t kStaticEntries = 61;
constexpr uint8_t kTypeHeaders = 0x1;
constexpr uint8_t kTypeContinuation = 0x9;
constexpr uint8_t kFlagEndHeaders = 0x4;
constexpr uint8_t kFlagPadded = 0x8;
constexpr uint8_t kFlagPriority = 0x20;

// RFC 7541 5.1: `value` with an N-bit prefix; `first` holds the pattern bits.
void appendInteger(std::string& out, size_t value, int prefix_bits, uint8_t first) {
  const size_t limit = (size_t{1} << prefix_bits) - 1;
  if (value < limit) {
    out.push_back(static_cast<char>(first | value));
    return;
  }
  out.push_back(static_cast<char>(first | limit));
  value -= limit;
  while (value >= 128) {
    out.push_back(static_cast<char>(value % 128 + 128));
    value /= 128;
  }
  out.push_back(static_cast<char>(value));
}

bool isRequestField(std::string_view name, std::string_view value) {
  // A token, in lower case (RFC 9113 8.2.1); pseudo-headers are not fields.
  if (!isToken(name) ||
      std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return false;
  }
  for (std::string_view banned :
       {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host"}) {
    if (name == banned) return false;
  }
  if (name == "te" && value != "trailers") return false;
  if (value.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos) return false;
  return value.empty() || (value.front() != ' ' && value.front() != '\t' && value.back() != ' ' &&
                           value.back() != '\t');
}

std::string_view view(const uint8_t* p, size_t n) {
  return std::string_view(reinterpret_cast<const char*>(p), n);
}

// RFC 7541 5.1: an integer with an N-bit prefix at data[*i]; false when it
// runs past `len` or over 2^28 (left to the decoder to judge).
bool readInteger(const uint8_t* data, size_t len, size_t* i, int prefix_bits, size_t* value) {
  if (*i >= len) return false;
  const size_t limit = (size_t{1} << prefix_bits) - 1;
  *value = data[(*i)++] & limit;
  if (*value < limit) return true;
  for (int shift = 0; shift <= 21; shift += 7) {
    if (*i >= len) return false;
    const uint8_t b = data[(*i)++];
    *value += size_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// A string literal (RFC 7541 5.2), Huffman-coded or not: only its length.
bool skipString(const uint8_t* data, size_t len, size_t* i) {
  size_t n = 0;
  if (!readInteger(data, len, i, 7, &n) || n > len - *i) return false;
  *i += n;
  return true;
}

}  // namespace

Http2HpackMirror::Http2HpackMirror() : preface_left_(NGHTTP2_CLIENT_MAGIC_LEN) {}

Http2HpackMirror::Http2HpackMirror(uint32_t max_size, std::string_view entries) {
  std::string block;
  appendSizeUpdate(block, max_size);
  block.append(entries);
  inflate(reinterpret_cast<const uint8_t*>(block.data()), block.size(), true);
}

Http2HpackMirror::~Http2HpackMirror() {
  if (inflater_ != nullptr) nghttp2_hd_inflate_del(inflater_);
}

void Http2HpackMirror::appendSizeUpdate(std::string& out, uint32_t size) {
  appendInteger(out, size, 5, 0x20);
}

bool Http2HpackMirror::leavesTableAlone(const uint8_t* data, size_t len) const {
  // Indexes that exist: the static table's and the dynamic entries.
  const size_t entries =
      inflater_ != nullptr ? nghttp2_hd_inflate_get_num_table_entries(inflater_) : kStaticEntries;
  size_t i = 0;
  while (i < len) {
    const uint8_t b = data[i];
    size_t index = 0;
    if ((b & 0x80) != 0) {  // indexed field (6.1)
      if (!readInteger(data, len, &i, 7, &index) || index == 0 || index > entries) return false;
    } else if ((b & 0xc0) == 0x40 || (b & 0xe0) == 0x20) {
      return false;  // literal with incremental indexing (6.2.1), size update (6.3)
    } else {         // literal without indexing or never indexed (6.2.2, 6.2.3)
      if (!readInteger(data, len, &i, 4, &index) || index > entries) return false;
      if (index == 0 && !skipString(data, len, &i)) return false;  // the name
      if (!skipString(data, len, &i)) return false;                // the value
    }
  }
  return true;
}

void Http2HpackMirror::inflate(const uint8_t* data, size_t len, bool last) {
  if (!mid_block_ && last && leavesTableAlone(data, len)) return;
  mid_block_ = !last;
  if (inflater_ == nullptr && nghttp2_hd_inflate_new(&inflater_) != 0) {
    inflater_ = nullptr;
    broken_ = true;
    return;
  }
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    const ssize_t used = nghttp2_hd_inflate_hd2(inflater_, &nv, &flags, data, len, last ? 1 : 0);
    if (used < 0) {
      broken_ = true;
      return;
    }
    data += used;
    len -= static_cast<size_t>(used);
    if ((flags & NGHTTP2_HD_INFLATE_FINAL) != 0) {
      nghttp2_hd_inflate_end_headers(inflater_);
      if (tableSize() == 0 && maxSize() == NGHTTP2_DEFAULT_HEADER_TABLE_SIZE) {
        // As good as a new one, which the next block makes: a client that
        // does not index holds no decoder (~1.2 kB with its entry ring)
        // between requests.
        nghttp2_hd_inflate_del(inflater_);
        inflater_ = nullptr;
      }
      return;
    }
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && len == 0) return;
  }
}

void Http2HpackMirror::feed(const uint8_t* data, size_t len) {
  while (len > 0 && !broken_) {
    if (preface_left_ > 0) {
      const size_t n = std::min(preface_left_, len);
      preface_left_ -= n;
      data += n;
      len -= n;
      continue;
    }
    if (head_have_ < sizeof(head_)) {
      const size_t n = std::min(sizeof(head_) - head_have_, len);
      std::copy(data, data + n, head_ + head_have_);
      head_have_ += n;
      data += n;
      len -= n;
      if (head_have_ < sizeof(head_)) return;
      payload_left_ = (size_t{head_[0]} << 16) | (size_t{head_[1]} << 8) | head_[2];
      const uint8_t type = head_[3];
      const uint8_t flags = head_[4];
      const bool block = type == kTypeHeaders || type == kTypeContinuation;
      padded_ = block && type == kTypeHeaders && (flags & kFlagPadded) != 0;
      prefix_left_ = block && type == kTypeHeaders && (flags & kFlagPriority) != 0 ? 5 : 0;
      block_ends_ = block && (flags & kFlagEndHeaders) != 0;
      fragment_left_ = 0;
      if (padded_ && payload_left_ == 0) {
        broken_ = true;  // no room for the pad length
        return;
      }
      if (block && !padded_) {
        if (payload_left_ < prefix_left_) {
          broken_ = true;
          return;
        }
        fragment_left_ = payload_left_ - prefix_left_;
        if (fragment_left_ == 0 && block_ends_) inflate(nullptr, 0, true);
      }
    } else if (padded_) {
      const size_t pad = *data;
      ++data;
      --len;
      --payload_left_;
      padded_ = false;
      if (payload_left_ < prefix_left_ + pad) {
        broken_ = true;
        return;
      }
      fragment_left_ = payload_left_ - prefix_left_ - pad;
      if (fragment_left_ == 0 && block_ends_) inflate(nullptr, 0, true);
    } else if (prefix_left_ > 0) {
      const size_t n = std::min(prefix_left_, len);
      prefix_left_ -= n;
      payload_left_ -= n;
      data += n;
      len -= n;
    } else if (fragment_left_ > 0) {
      const size_t n = std::min(fragment_left_, len);
      fragment_left_ -= n;
      payload_left_ -= n;
      inflate(data, n, block_ends_ && fragment_left_ == 0);
      data += n;
      len -= n;
    } else {
      const size_t n = std::min(payload_left_, len);  // padding, or another frame's payload
      payload_left_ -= n;
      data += n;
      len -= n;
    }
    if (head_have_ == sizeof(head_) && payload_left_ == 0 && !padded_) head_have_ = 0;
  }
}

size_t Http2HpackMirror::tableSize() const {
  return inflater_ != nullptr ? nghttp2_hd_inflate_get_dynamic_table_size(inflater_) : 0;
}

uint32_t Http2HpackMirror::maxSize() const {
  return inflater_ != nullptr
             ? static_cast<uint32_t>(nghttp2_hd_inflate_get_max_dynamic_table_size(inflater_))
             : NGHTTP2_DEFAULT_HEADER_TABLE_SIZE;
}

std::string Http2HpackMirror::entries() const {
  std::string out;
  if (inflater_ == nullptr) return out;
  for (size_t i = nghttp2_hd_inflate_get_num_table_entries(inflater_); i > kStaticEntries; --i) {
    const nghttp2_nv* nv = nghttp2_hd_inflate_get_table_entry(inflater_, i);
    out.push_back(0x40);  // literal with incremental indexing, new name
    appendInteger(out, nv->namelen, 7, 0);
    out.append(view(nv->name, nv->namelen));
    appendInteger(out, nv->valuelen, 7, 0);
    out.append(view(nv->value, nv->valuelen));
  }
  return out;
}

bool Http2HpackMirror::entriesAreRequestFields() const {
  if (inflater_ == nullptr) return true;
  for (size_t i = nghttp2_hd_inflate_get_num_table_entries(inflater_); i > kStaticEntries; --i) {
    const nghttp2_nv* nv = nghttp2_hd_inflate_get_table_entry(inflater_, i);
    if (!isRequestField(view(nv->name, nv->namelen), view(nv->value, nv->valuelen))) return false;
  }
  return true;
}

}  // namespace gw::http
