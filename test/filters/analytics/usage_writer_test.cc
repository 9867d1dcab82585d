// The writer thread's logic driven without a thread and with a fake clock:
// queue overflow and disk-cap accounting, rotation into WSO2-named zips,
// leftovers of an earlier process.

#include "filters/analytics/usage_writer.h"

#include <gtest/gtest.h>
#include <zip.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "filters/analytics/usage_files.h"
#include "gateway/stats/stats.h"
#include "test/mocks/fake_clock.h"

namespace gw::filters::analytics {
namespace {
namespace fs = std::filesystem;

class UsageWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    auto files = UsageFiles::open(dir_.string());
    ASSERT_TRUE(files.ok()) << files.status();
    files_ = *std::move(files);
  }

  std::unique_ptr<UsageWriter> makeWriter(size_t queue_size, uint64_t max_disk_bytes) {
    UsageWriter::Options o;
    o.queue_size = queue_size;
    o.max_disk_bytes = max_disk_bytes;
    o.rotating_period = std::chrono::milliseconds(1000);
    o.wall_ms = [this] { return wall_ms_; };
    o.steady_now = clock_.steadyFn();
    o.start_thread = false;
    return std::make_unique<UsageWriter>(*files_, std::move(o), UsageWriter::countersIn(stats_));
  }

  uint64_t counter(const std::string& needle) {
    const std::string text = stats_.renderPrometheus();
    const size_t at = text.find("\n" + needle + " ");
    if (at == std::string::npos) return 0;
    return std::stoull(text.substr(at + needle.size() + 2));
  }

  std::string readTmp() {
    std::ifstream in(dir_ / kTmpFile, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path dir_;
  std::unique_ptr<UsageFiles> files_;
  stats::Store stats_;
  test::FakeClock clock_;
  int64_t wall_ms_ = 1800000000000;
};

// The single entry of a zip, as bytes.
std::string unzipOnly(const fs::path& zip_path, std::string* entry_name) {
  int err = 0;
  zip_t* z = zip_open(zip_path.c_str(), ZIP_RDONLY, &err);
  if (z == nullptr) return "<cannot open>";
  EXPECT_EQ(zip_get_num_entries(z, 0), 1);
  zip_stat_t st;
  zip_stat_index(z, 0, 0, &st);
  *entry_name = st.name;
  std::string out(st.size, '\0');
  zip_file_t* f = zip_fopen_index(z, 0, 0);
  zip_fread(f, out.data(), out.size());
  zip_fclose(f);
  zip_close(z);
  return out;
}

TEST_F(UsageWriterTest, QueueOverflowIsCountedAndNeverBlocks) {
  auto writer = makeWriter(3, 1 << 20);
  int accepted = 0;
  for (int i = 0; i < 5; ++i) accepted += writer->publish("line" + std::to_string(i) + "\n");
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(counter("microgw_analytics_events_dropped_total{reason=\"queue_full\"}"), 2u);
  writer->runOnce();
  EXPECT_EQ(readTmp(), "line0\nline1\nline2\n");
  EXPECT_EQ(counter("microgw_analytics_events_written_total"), 3u);
  // Room again once the writer has drained the queue.
  EXPECT_TRUE(writer->publish("line5\n"));
}

TEST_F(UsageWriterTest, DiskCapDropsAndCounts) {
  auto writer = makeWriter(100, 20);                         // 20 bytes in the whole directory
  for (int i = 0; i < 4; ++i) writer->publish("0123456\n");  // 8 bytes each
  writer->runOnce();
  EXPECT_EQ(readTmp(), "0123456\n0123456\n");
  EXPECT_EQ(counter("microgw_analytics_events_dropped_total{reason=\"disk_cap\"}"), 2u);
  EXPECT_EQ(counter("microgw_analytics_events_written_total"), 2u);
  EXPECT_EQ(files_->usedBytes(), 16u);
}

TEST_F(UsageWriterTest, RotatesIntoAWso2NamedZipWhenThePeriodIsUp) {
  auto writer = makeWriter(100, 1 << 20);
  writer->publish("a\n");
  writer->publish("b\n");
  writer->runOnce();
  clock_.advance(std::chrono::milliseconds(999));
  writer->runOnce();
  EXPECT_TRUE(files_->listZips().empty());  // not yet
  clock_.advance(std::chrono::milliseconds(1));
  wall_ms_ = 1800000000999;
  writer->runOnce();
  const std::vector<std::string> zips = files_->listZips();
  ASSERT_EQ(zips.size(), 1u);
  EXPECT_TRUE(std::regex_match(
      zips[0],
      std::regex(
          R"(api-usage-data\.dat\.1800000000999\.[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.zip)")))
      << zips[0];
  EXPECT_FALSE(fs::exists(dir_ / kTmpFile));
  EXPECT_FALSE(fs::exists(dir_ / kDatFile));
  std::string entry;
  EXPECT_EQ(unzipOnly(dir_ / zips[0], &entry), "a\nb\n");
  EXPECT_EQ(entry, "api-usage-data.dat");
  EXPECT_EQ(files_->usedBytes(), fs::file_size(dir_ / zips[0]));
  // An empty period makes no zip; new events start a new .tmp.
  clock_.advance(std::chrono::milliseconds(1000));
  writer->runOnce();
  EXPECT_EQ(files_->listZips().size(), 1u);
  writer->publish("c\n");
  writer->runOnce();
  EXPECT_EQ(readTmp(), "c\n");
}

TEST_F(UsageWriterTest, DestructorWritesOutTheQueue) {
  auto writer = makeWriter(100, 1 << 20);
  writer->publish("queued\n");
  writer.reset();
  EXPECT_EQ(readTmp(), "queued\n");
}

// What a process left behind (a .tmp, and a .dat it could not zip) is kept:
// measured against the cap, and zipped at the next rotation.
TEST_F(UsageWriterTest, LeftoversOfAnEarlierProcessAreKeptAndZipped) {
  files_.reset();
  { std::ofstream(dir_ / kTmpFile) << "old-tmp\n"; }
  { std::ofstream(dir_ / kDatFile) << "old-dat\n"; }
  auto files = UsageFiles::open(dir_.string());
  ASSERT_TRUE(files.ok());
  files_ = *std::move(files);
  EXPECT_EQ(files_->usedBytes(), 16u);
  auto writer = makeWriter(100, 1 << 20);
  writer->publish("new\n");
  clock_.advance(std::chrono::milliseconds(1000));
  writer->runOnce();
  const std::vector<std::string> zips = files_->listZips();
  ASSERT_EQ(zips.size(), 2u);
  std::string entry;
  std::set<std::string> contents = {unzipOnly(dir_ / zips[0], &entry),
                                    unzipOnly(dir_ / zips[1], &entry)};
  EXPECT_EQ(contents, (std::set<std::string>{"old-dat\n", "old-tmp\nnew\n"}));
  ASSERT_TRUE(files_->removeZip(zips[0]).ok());
  ASSERT_TRUE(files_->removeZip(zips[1]).ok());
  EXPECT_EQ(files_->usedBytes(), 0u);
}

}  // namespace
}  // namespace gw::filters::analytics
