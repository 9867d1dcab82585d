// Http2HpackMirror against nghttp2's own decoder: header blocks made by an
// nghttp2 encoder, framed with and without padding, priority and
// CONTINUATION, and fed in pieces down to single bytes; the mirror's table
// must match a reference decoder given the blocks directly, and its
// entries() must rebuild that table in a fresh mirror.

#include "gateway/http/http2_hpack_mirror.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <string>
#include <utility>
#include <vector>

#include "test/gateway/http/http2_frame.h"

namespace gw::http {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

using testing::frame;

class Http2HpackMirrorTest : public ::testing::Test {
 protected:
  Http2HpackMirrorTest() {
    nghttp2_hd_deflate_new(&deflater_, 4096);
    nghttp2_hd_inflate_new(&reference_);
  }
  ~Http2HpackMirrorTest() override {
    nghttp2_hd_deflate_del(deflater_);
    nghttp2_hd_inflate_del(reference_);
  }

  // A header block of `fields` (indexed by the encoder as it sees fit), also
  // decoded by the reference.
  std::string block(Fields fields, uint8_t nv_flags = NGHTTP2_NV_FLAG_NONE) {
    std::vector<nghttp2_nv> nva;
    for (auto& [n, v] : fields) {
      nva.push_back({reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(v.data()),
                     n.size(), v.size(), nv_flags});
    }
    std::string out(nghttp2_hd_deflate_bound(deflater_, nva.data(), nva.size()), '\0');
    const ssize_t n = nghttp2_hd_deflate_hd(deflater_, reinterpret_cast<uint8_t*>(out.data()),
                                            out.size(), nva.data(), nva.size());
    out.resize(static_cast<size_t>(n));
    const auto* in = reinterpret_cast<const uint8_t*>(out.data());
    size_t left = out.size();
    for (;;) {
      nghttp2_nv nv;
      int flags = 0;
      const ssize_t used = nghttp2_hd_inflate_hd2(reference_, &nv, &flags, in, left, 1);
      EXPECT_GE(used, 0);
      in += used;
      left -= static_cast<size_t>(used);
      if (flags & NGHTTP2_HD_INFLATE_FINAL) break;
    }
    nghttp2_hd_inflate_end_headers(reference_);
    return out;
  }

  void feedInPieces(Http2HpackMirror& mirror, const std::string& bytes, size_t piece) {
    for (size_t i = 0; i < bytes.size(); i += piece) {
      const size_t n = std::min(piece, bytes.size() - i);
      mirror.feed(reinterpret_cast<const uint8_t*>(bytes.data() + i), n);
    }
  }

  // The client's side of a connection: preface, SETTINGS, then three
  // requests framed three ways, with a DATA frame and a PING between.
  std::string connection() {
    std::string wire(NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC_LEN);
    wire += frame(NGHTTP2_SETTINGS, 0, 0, "");
    wire += frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1,
                  block({{":method", "POST"},
                         {":path", "/a"},
                         {":authority", "gw.example"},
                         {"user-agent", "mirror/1"}}));
    wire += frame(NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1, std::string(100, 'd'));
    // Padded, with a priority field.
    const std::string second = block({{":method", "GET"},
                                      {":path", "/b"},
                                      {":authority", "gw.example"},
                                      {"x-trace", "0123456789"}});
    wire += frame(NGHTTP2_HEADERS,
                  NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_PADDED | NGHTTP2_FLAG_PRIORITY, 3,
                  std::string(1, '\x04') + std::string(5, '\0') + second + std::string(4, '\0'));
    wire += frame(NGHTTP2_PING, 0, 0, std::string(8, 'p'));
    // Split over HEADERS and two CONTINUATIONs, one of them empty.
    const std::string third = block({{":method", "GET"},
                                     {":path", "/c"},
                                     {":authority", "other.example"},
                                     {"cookie", "a=1; b=2; c=3"}});
    wire += frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_STREAM, 5, third.substr(0, 3));
    wire += frame(NGHTTP2_CONTINUATION, 0, 5, "");
    wire += frame(NGHTTP2_CONTINUATION, NGHTTP2_FLAG_END_HEADERS, 5, third.substr(3));
    return wire;
  }

  nghttp2_hd_deflater* deflater_ = nullptr;
  nghttp2_hd_inflater* reference_ = nullptr;
};

TEST_F(Http2HpackMirrorTest, FollowsTheTableThroughAnyFramingAndAnyPieces) {
  const std::string wire = connection();
  const size_t want = nghttp2_hd_inflate_get_dynamic_table_size(reference_);
  ASSERT_GT(want, 0u);
  for (size_t piece : {wire.size(), size_t{7}, size_t{1}}) {
    Http2HpackMirror mirror;
    feedInPieces(mirror, wire, piece);
    EXPECT_FALSE(mirror.broken()) << "pieces of " << piece;
    EXPECT_EQ(mirror.tableSize(), want) << "pieces of " << piece;
    EXPECT_EQ(mirror.maxSize(), 4096u);
  }
}

TEST_F(Http2HpackMirrorTest, EntriesRebuildTheTableAndTheNextBlockDecodes) {
  Http2HpackMirror mirror;
  feedInPieces(mirror, connection(), 1000);
  Http2HpackMirror rebuilt(mirror.maxSize(), mirror.entries());
  EXPECT_FALSE(rebuilt.broken());
  EXPECT_EQ(rebuilt.tableSize(), mirror.tableSize());
  EXPECT_EQ(rebuilt.entries(), mirror.entries());
  // A block that refers to the entries: the rebuilt mirror decodes it, on
  // from a frame boundary, as the first one would.
  const std::string next = frame(
      NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, 7,
      block({{":method", "GET"}, {":path", "/b"}, {":authority", "gw.example"}, {"x-new", "1"}}));
  feedInPieces(rebuilt, next, 1000);
  feedInPieces(mirror, next, 1000);
  EXPECT_FALSE(rebuilt.broken());
  EXPECT_EQ(rebuilt.tableSize(), nghttp2_hd_inflate_get_dynamic_table_size(reference_));
  EXPECT_EQ(rebuilt.entries(), mirror.entries());
}

// Blocks that only refer to the table, or send literals without indexing,
// are scanned, not decoded; the table must still follow the reference
// through them and through the blocks that change it after.
TEST_F(Http2HpackMirrorTest, BlocksThatLeaveTheTableAloneKeepItInStep) {
  const Fields repeated = {{":method", "GET"}, {":path", "/b"}, {":authority", "gw.example"}};
  for (size_t piece : {size_t{1000}, size_t{1}}) {
    Http2HpackMirror mirror;
    feedInPieces(mirror, connection(), piece);
    std::string wire;
    int32_t stream = 7;
    auto headers = [&](const std::string& b) {
      return frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, stream += 2,
                   b);
    };
    wire += headers(block(repeated));                                            // all indexed
    wire += headers(block({{"x-once", "1"}}, NGHTTP2_NV_FLAG_NO_INDEX));         // never indexed
    wire += headers(block({{"x-new", std::string(40, 'n')}}));                   // indexed anew
    wire += headers(block({{"x-new", std::string(40, 'n')}, {":path", "/b"}}));  // refers to it
    const std::string split = block(repeated);
    wire += frame(NGHTTP2_HEADERS, 0, stream += 2, split.substr(0, 1));
    wire += frame(NGHTTP2_CONTINUATION, NGHTTP2_FLAG_END_HEADERS, stream, split.substr(1));
    feedInPieces(mirror, wire, piece);
    EXPECT_FALSE(mirror.broken()) << "pieces of " << piece;
    EXPECT_EQ(mirror.tableSize(), nghttp2_hd_inflate_get_dynamic_table_size(reference_))
        << "pieces of " << piece;
    Http2HpackMirror rebuilt(mirror.maxSize(), mirror.entries());
    EXPECT_EQ(rebuilt.entries(), mirror.entries());
    // The reference saw the blocks once per piece size: start it again.
    nghttp2_hd_deflate_del(deflater_);
    nghttp2_hd_inflate_del(reference_);
    nghttp2_hd_deflate_new(&deflater_, 4096);
    nghttp2_hd_inflate_new(&reference_);
  }
}

TEST_F(Http2HpackMirrorTest, SaysWhetherTheEntriesAreValidRequestFields) {
  Http2HpackMirror regular;
  std::string wire(NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC_LEN);
  feedInPieces(regular,
               wire + frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1,
                            block({{"user-agent", "mirror/1"}, {"accept", "x/y"}})),
               1000);
  EXPECT_GT(regular.tableSize(), 0u);
  EXPECT_TRUE(regular.entriesAreRequestFields());
  Http2HpackMirror pseudo;
  feedInPieces(pseudo,
               wire + frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1,
                            block({{":authority", "indexed.example"}})),
               1000);
  EXPECT_FALSE(pseudo.entriesAreRequestFields());
}

TEST_F(Http2HpackMirrorTest, AHeaderBlockThatDoesNotDecodeBreaksIt) {
  Http2HpackMirror mirror;
  std::string wire(NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC_LEN);
  wire += frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1, "\xff\xff\xff\xff\x0f");  // index
  feedInPieces(mirror, wire, 1000);
  EXPECT_TRUE(mirror.broken());
  Http2HpackMirror short_padding;
  feedInPieces(short_padding,
               std::string(NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC_LEN) +
                   frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_PADDED, 1,
                         std::string(1, '\x09') + "abc"),
               1000);
  EXPECT_TRUE(short_padding.broken());
}

}  // namespace
}  // namespace gw::http
