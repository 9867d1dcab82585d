// The usage-data line format, byte for byte, for each stream and version.

#include "filters/analytics/event_format.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace gw::filters::analytics {
namespace {

UsageEvent sampleEvent() {
  UsageEvent e;
  e.api_context = "/petstore/v1/1.0.0";
  e.api_name = "Petstore";
  e.api_version = "1.0.0";
  e.resource_path = "/pets/{petId}";
  e.method = "GET";
  e.hostname = "gw-1";
  e.user_ip = "127.0.0.1";
  e.user_agent = "curl/7.88";
  e.request_time_ms = 1800000000123;
  e.response_time_ms = 12;
  e.backend_time_ms = 11;
  e.response_size = 42;
  e.status = 200;
  e.destination = "http://127.0.0.1:8080/";
  e.backend_latency_ms = 11;
  e.correlation_id = "abc";
  return e;
}

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  size_t from = 0;
  while (true) {
    const size_t at = s.find(sep, from);
    out.push_back(s.substr(from, at == std::string::npos ? std::string::npos : at - from));
    if (at == std::string::npos) return out;
    from = at + sep.size();
  }
}

TEST(EventFormat, RequestLineByteForByte) {
  const std::string line = formatEventLine(Stream::Request, sampleEvent(), "3.2.0", 1800000000200);
  const std::string expected =
      "streamId-KS-org.wso2.apimgt.statistics.request:3.2.0-ES-timestamp-KS-1800000000200"
      "-ES-metadata-KS-{\"clientType\":\"PRODUCTION\",\"correlationID\":\"abc\"}"
      "-ES-correlationData-KS-null-ES-payLoadData-KS-"
      "anonymous-OS-anonymous-OS-anonymous-OS-anonymous-OS-/petstore/v1/1.0.0-OS-Petstore"
      "-OS-1.0.0-OS-/pets/{petId}-OS-/pets/{petId}-OS-GET-OS-__unknown__-OS-carbon.super"
      "-OS-Unauthenticated-OS-gw-1-OS-anonymous-OS-anonymous-OS-127.0.0.1-OS-curl/7.88"
      "-OS-1800000000123-OS-false-OS-12-OS-0-OS-11-OS-false-OS-42-OS-http-OS-200"
      "-OS-http://127.0.0.1:8080/-OS-0-OS-0-OS-0-OS-0-OS-11-OS-0-OS-MICRO-OS-MICRO-OS-{}\n";
  EXPECT_EQ(line, expected);
}

// The reused buffer: each line whole, the same as formatEventLine's, a
// shorter one after a longer one included.
TEST(EventFormat, LinesWrittenIntoAReusedBufferAreWhole) {
  UsageEvent e = sampleEvent();
  std::string scratch;
  for (Stream stream : {Stream::Request, Stream::Fault, Stream::Throttle, Stream::Request}) {
    EXPECT_EQ(writeEventLine(scratch, stream, e, "3.2.0", 1700000000123),
              formatEventLine(stream, e, "3.2.0", 1700000000123));
  }
  e.user_agent = std::string(5000, 'u');
  EXPECT_EQ(writeEventLine(scratch, Stream::Request, e, "3.2.0", 7),
            formatEventLine(Stream::Request, e, "3.2.0", 7));
  e.user_agent = "curl";
  EXPECT_EQ(writeEventLine(scratch, Stream::Request, e, "3.1.0", 7),
            formatEventLine(Stream::Request, e, "3.1.0", 7));
}

TEST(EventFormat, FieldCountsPerStreamAndVersion) {
  const UsageEvent e = sampleEvent();
  struct Case {
    std::string payload;
    size_t fields;
  };
  const Case cases[] = {
      // 36 request fields (+ meta_clientType in the metadata = WSO2's 37) + properties.
      {requestPayload(e, "3.2.0"), 37},  {requestPayload(e, "3.1.0"), 37},
      {requestPayload(e, "3.0.0"), 36},  {faultPayload(e, "3.2.0"), 20},
      {faultPayload(e, "3.1.0"), 18},    {faultPayload(e, "3.0.0"), 17},
      {throttlePayload(e, "3.2.0"), 17}, {throttlePayload(e, "3.1.0"), 15},
      {throttlePayload(e, "3.0.0"), 14},
  };
  for (const Case& c : cases) EXPECT_EQ(split(c.payload, "-OS-").size(), c.fields) << c.payload;
}

TEST(EventFormat, FaultAndThrottleLines) {
  UsageEvent e = sampleEvent();
  e.status = 401;
  e.error_code = "900901";
  e.error_message = "Invalid Credentials";
  EXPECT_EQ(faultPayload(e, "3.2.0"),
            "anonymous-OS-Petstore-OS-1.0.0-OS-/petstore/v1/1.0.0-OS-/pets/{petId}-OS-/pets/{petId}"
            "-OS-GET-OS-__unknown__-OS-anonymous-OS-anonymous-OS-carbon.super-OS-gw-1"
            "-OS-anonymous-OS-anonymous-OS-anonymous-OS-http-OS-900901-OS-Invalid Credentials"
            "-OS-1800000000123-OS-{}");
  const std::string fault = formatEventLine(Stream::Fault, e, "3.2.0", 5);
  EXPECT_EQ(fault.rfind("streamId-KS-org.wso2.apimgt.statistics.fault:3.2.0-ES-timestamp-KS-5"
                        "-ES-metadata-KS-{\"keyType\":\"PRODUCTION\",\"correlationID\":\"abc\"}",
                        0),
            0u)
      << fault;
  e.throttled_out_reason = "Message throttled out";
  EXPECT_EQ(throttlePayload(e, "3.2.0"),
            "anonymous-OS-anonymous-OS-Petstore-OS-1.0.0-OS-/petstore/v1/1.0.0-OS-__unknown__"
            "-OS-carbon.super-OS-/pets/{petId}-OS-GET-OS-anonymous-OS-anonymous-OS-anonymous"
            "-OS-Message throttled out-OS-MICRO-OS-1800000000123-OS-gw-1-OS-{}");
}

TEST(EventFormat, StreamChoice) {
  EXPECT_EQ(streamFor(200, false), Stream::Request);
  EXPECT_EQ(streamFor(500, false), Stream::Request);  // the backend's own error
  EXPECT_EQ(streamFor(401, true), Stream::Fault);
  EXPECT_EQ(streamFor(502, true), Stream::Fault);
  EXPECT_EQ(streamFor(429, true), Stream::Throttle);
  EXPECT_EQ(streamFor(429, false), Stream::Throttle);
  EXPECT_EQ(streamFor(200, true), Stream::Request);
}

// A client-controlled value (User-Agent) cannot add fields or lines.
TEST(EventFormat, SeparatorsAndLineEndsInValuesAreNeutralised) {
  UsageEvent e = sampleEvent();
  e.user_agent = "x-OS-evil-ES-payLoadData-KS-y\r\nstreamId-KS-z";
  const std::string line = formatEventLine(Stream::Request, e, "3.2.0", 1);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  EXPECT_EQ(split(split(line, "-ES-").back(), "-OS-").size(), 37u);
  EXPECT_NE(line.find("x_OS_evil_ES_payLoadData_KS_y  streamId_KS_z"), std::string::npos);
  EXPECT_EQ(sanitizeField("a-b-c--OS"), "a-b-c--OS");
  EXPECT_EQ(sanitizeField("-KS-ES-x-OS"), "_KS_ES-x-OS");
  EXPECT_EQ(sanitizeField("1-OS--ES-\r\n-"), "1_OS__ES_  -");
  EXPECT_EQ(sanitizeField("-KX-a-SS-b-OS-"), "-KX-a-SS-b_OS_");
}

// The byte-by-byte rule, as plainly as it can be written: the reference the
// word-at-a-time sanitiser must match.
std::string sanitizedByteByByte(std::string v) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\r' || v[i] == '\n') {
      v[i] = ' ';
    } else if (v[i] == '-' && i + 3 < v.size() && v[i + 3] == '-' &&
               (v[i + 2] == 'S' && (v[i + 1] == 'K' || v[i + 1] == 'E' || v[i + 1] == 'O'))) {
      v[i] = v[i + 3] = '_';
      i += 3;
    }
  }
  return v;
}

// Random values over an alphabet dense in separator parts, of every length
// around the 8-byte steps, so that separators straddle word boundaries.
TEST(EventFormat, SanitisingMatchesTheByteByByteRule) {
  std::mt19937 rng(12345);
  const std::string alphabet = "-KEOSx\r\n";
  int changed = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string v(rng() % 40, ' ');
    for (char& c : v) c = alphabet[rng() % alphabet.size()];
    const std::string want = sanitizedByteByByte(v);
    ASSERT_EQ(sanitizeField(v), want) << "value: " << v;
    changed += want != v;
  }
  EXPECT_GT(changed, 1000);  // the values did exercise the rule
}

// The route's run, prepared once per operation, gives the same line as its
// fields written one by one, in every stream (fault and throttle do not use it).
TEST(EventFormat, RouteRunWritesTheSameLineAsItsFields) {
  UsageEvent e = sampleEvent();
  const std::string run =
      "/petstore/v1/1.0.0-OS-Petstore-OS-1.0.0-OS-/pets/{petId}-OS-/pets/{petId}";
  for (const Stream stream : {Stream::Request, Stream::Fault, Stream::Throttle}) {
    for (const char* version : {"3.0.0", "3.1.0", "3.2.0"}) {
      e.route_run = {};
      const std::string fields = formatEventLine(stream, e, version, 5);
      e.route_run = run;
      EXPECT_EQ(formatEventLine(stream, e, version, 5), fields) << version;
    }
  }
}

// Values with one byte to neutralise (or none) among plain ones, at every
// position of every length around the 8-byte steps: the sanitiser first
// looks for such a byte a word at a time (the last word overlapping), and
// must not miss one in any word.
TEST(EventFormat, SanitisingFindsALoneSeparatorOrLineEndAnywhere) {
  for (size_t n = 0; n <= 40; ++n) {
    const std::string plain(n, 'x');
    EXPECT_EQ(sanitizeField(plain), plain);
    for (size_t at = 0; at < n; ++at) {
      for (const char* mark : {"\r", "\n", "-KS-", "-ES-", "-OS-"}) {
        std::string v = plain;
        v.replace(at, std::min(std::strlen(mark), n - at), mark,
                  std::min(std::strlen(mark), n - at));
        ASSERT_EQ(sanitizeField(v), sanitizedByteByByte(v)) << "value: " << v;
      }
    }
  }
  EXPECT_EQ(sanitizeField("xxxxxxxxxx\n"), "xxxxxxxxxx ");  // in the overlapping last word
  EXPECT_EQ(sanitizeField("xxxxxxxxx-OS-"), "xxxxxxxxx_OS_");
}

// Metadata values that need JSON escaping (or are not UTF-8) are escaped as
// nlohmann::json writes them; plain ones are written as they are.
TEST(EventFormat, MetadataEscapesQuotesControlsAndInvalidUtf8) {
  UsageEvent e = sampleEvent();
  e.correlation_id = "a\"b\\c\x01-KS-\xff";
  e.key_type = "SAND-OS-BOX";
  const std::string line = formatEventLine(Stream::Fault, e, "3.2.0", 1);
  EXPECT_NE(line.find("-ES-metadata-KS-{\"keyType\":\"SAND_OS_BOX\",\"correlationID\":"
                      "\"a\\\"b\\\\c\\u0001_KS_\xef\xbf\xbd\"}-ES-"),
            std::string::npos)
      << line;
  e.correlation_id = "0f8e-KS-1";
  e.key_type = "PRODUCTION";
  EXPECT_NE(formatEventLine(Stream::Request, e, "3.2.0", 1)
                .find("{\"clientType\":\"PRODUCTION\",\"correlationID\":\"0f8e_KS_1\"}"),
            std::string::npos);
}

// A lone byte that needs escaping, anywhere in a correlation id of any length
// around the 8-byte steps, makes the metadata escaped: the plain test looks
// a word at a time (the last word overlapping) and must miss none.
TEST(EventFormat, MetadataFindsALoneByteToEscapeAnywhere) {
  UsageEvent e = sampleEvent();
  for (size_t n = 1; n <= 40; ++n) {
    for (size_t at = 0; at < n; ++at) {
      for (const char c : {'"', '\\', '\x01', '\xc3'}) {
        std::string id(n, 'a');
        id[at] = c;
        e.correlation_id = id;
        const std::string line = formatEventLine(Stream::Request, e, "3.2.0", 1);
        ASSERT_EQ(line.find("\"correlationID\":\"" + id + "\"}"), std::string::npos)
            << n << " " << at << " " << int(c);
      }
    }
  }
}

}  // namespace
}  // namespace gw::filters::analytics
