#include "filters/analytics/usage_files.h"

#include <fcntl.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/common/fast_random.h"
#include "gateway/common/strcat.h"

namespace gw::filters::analytics {
namespace fs = std::filesystem;
namespace {

bool isZipName(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".zip") == 0 &&
         name.rfind(std::string(kDatFile) + ".", 0) == 0;
}

// The epochMillis of "api-usage-data.dat.<ms>.<uuid>.zip" (0 if unreadable).
int64_t zipMillis(const std::string& name) {
  const size_t start = std::strlen(kDatFile) + 1;
  int64_t ms = 0;
  for (size_t i = start; i < name.size() && name[i] >= '0' && name[i] <= '9'; ++i) {
    ms = ms * 10 + (name[i] - '0');
  }
  return ms;
}

uint64_t fileSize(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

}  // namespace

std::string randomUuid() {
  char out[36];
  gw::writeUuid4(out);
  return std::string(out, sizeof(out));
}

absl::StatusOr<std::unique_ptr<UsageFiles>> UsageFiles::open(std::string directory) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec || !fs::is_directory(directory, ec)) {
    return absl::UnavailableError(gw::cat("analytics: cannot create the usage-data directory ",
                                          directory, " (", ec.message(),
                                          "); set [analytics.fileUpload] usageDataDirectory"));
  }
  std::unique_ptr<UsageFiles> files(new UsageFiles(std::move(directory)));
  uint64_t used = 0;
  for (const auto& entry : fs::directory_iterator(files->directory_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == kTmpFile || name == kDatFile || isZipName(name)) used += fileSize(entry.path());
  }
  files->used_ = used;
  return files;
}

UsageFiles::~UsageFiles() { closeTmp(); }

void UsageFiles::closeTmp() {
  if (tmp_fd_ >= 0) ::close(tmp_fd_);
  tmp_fd_ = -1;
}

absl::Status UsageFiles::append(const std::string& bytes) {
  if (tmp_fd_ < 0) {
    tmp_fd_ = ::open(path(kTmpFile).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (tmp_fd_ < 0) {
      return absl::UnavailableError(
          gw::cat("analytics: cannot open ", path(kTmpFile), ": ", std::strerror(errno)));
    }
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(tmp_fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      used_.fetch_add(done, std::memory_order_relaxed);
      return absl::UnavailableError(
          gw::cat("analytics: cannot write ", path(kTmpFile), ": ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  used_.fetch_add(done, std::memory_order_relaxed);
  return absl::OkStatus();
}

absl::StatusOr<std::string> UsageFiles::zipDat(int64_t now_ms) {
  const std::string name = gw::cat(kDatFile, ".", now_ms, ".", randomUuid(), ".zip");
  const std::string dat = path(kDatFile);
  int error = 0;
  zip_t* archive = zip_open(path(name).c_str(), ZIP_CREATE | ZIP_EXCL, &error);
  if (archive == nullptr) {
    return absl::UnavailableError(gw::cat("analytics: cannot create ", path(name)));
  }
  zip_source_t* source = zip_source_file(archive, dat.c_str(), 0, -1);
  if (source == nullptr || zip_file_add(archive, kDatFile, source, ZIP_FL_ENC_UTF_8) < 0) {
    if (source != nullptr) zip_source_free(source);
    zip_discard(archive);
    return absl::UnavailableError(gw::cat("analytics: cannot add ", dat, " to ", name));
  }
  if (zip_close(archive) != 0) {
    const std::string why = zip_strerror(archive);
    zip_discard(archive);
    return absl::UnavailableError(gw::cat("analytics: cannot write ", path(name), ": ", why));
  }
  const uint64_t dat_size = fileSize(dat);
  std::error_code ec;
  fs::remove(dat, ec);
  used_.fetch_add(fileSize(path(name)), std::memory_order_relaxed);
  release(dat_size);
  return name;
}

absl::StatusOr<std::vector<std::string>> UsageFiles::rotate(int64_t now_ms) {
  std::vector<std::string> made;
  std::error_code ec;
  if (fs::exists(path(kDatFile), ec)) {
    absl::StatusOr<std::string> name = zipDat(now_ms);
    if (!name.ok()) return name.status();
    made.push_back(*name);
  }
  closeTmp();
  if (fileSize(path(kTmpFile)) == 0) return made;
  fs::rename(path(kTmpFile), path(kDatFile), ec);
  if (ec) {
    return absl::UnavailableError(
        gw::cat("analytics: cannot rename ", path(kTmpFile), ": ", ec.message()));
  }
  absl::StatusOr<std::string> name = zipDat(now_ms);
  if (!name.ok()) return name.status();
  made.push_back(*name);
  return made;
}

std::vector<std::string> UsageFiles::listZips() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory_, ec)) {
    std::string name = entry.path().filename().string();
    if (isZipName(name)) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    const int64_t ma = zipMillis(a), mb = zipMillis(b);
    return ma != mb ? ma < mb : a < b;
  });
  return names;
}

absl::StatusOr<std::string> UsageFiles::readFile(const std::string& name) const {
  std::ifstream in(path(name), std::ios::binary);
  if (!in) return absl::NotFoundError(gw::cat("analytics: cannot read ", path(name)));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

absl::Status UsageFiles::removeZip(const std::string& name) {
  const uint64_t size = fileSize(path(name));
  std::error_code ec;
  if (!fs::remove(path(name), ec)) {
    return absl::UnavailableError(
        gw::cat("analytics: cannot remove ", path(name), ": ", ec ? ec.message() : "no such file"));
  }
  release(size);
  return absl::OkStatus();
}

void UsageFiles::release(uint64_t bytes) {
  uint64_t cur = used_.load(std::memory_order_relaxed);
  while (!used_.compare_exchange_weak(cur, cur - std::min(cur, bytes))) {
  }
}

}  // namespace gw::filters::analytics
