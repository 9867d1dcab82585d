#pragma once

// The analytics directory on disk, in WSO2's layout:
//   api-usage-data.dat.tmp                       events being appended
//   api-usage-data.dat                           a rotated file about to be zipped
//   api-usage-data.dat.<epochMillis>.<uuid>.zip  ready to upload (entry
//                                                "api-usage-data.dat")
// Zips are written by libzip under a temporary name and renamed, so a name
// ending in ".zip" is always a complete file.
//
// Disk use (all three kinds) is tracked in one atomic counter so that the
// writer can enforce the cap while the uploader removes files.
//
// Thread-safety: append(), closeTmp() and rotate() from the writer thread only;
// listZips(), readFile() and removeZip() from any thread; usedBytes() anywhere.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gw::filters::analytics {

inline constexpr const char* kTmpFile = "api-usage-data.dat.tmp";
inline constexpr const char* kDatFile = "api-usage-data.dat";

class UsageFiles {
 public:
  // Creates `directory` if needed and measures what is already there.
  static absl::StatusOr<std::unique_ptr<UsageFiles>> open(std::string directory);
  ~UsageFiles();

  const std::string& directory() const { return directory_; }

  // Appends `bytes` to the .tmp file (opened on demand, O_APPEND).
  absl::Status append(const std::string& bytes);
  // Closes the .tmp file (it stays on disk).
  void closeTmp();

  // Moves .tmp to .dat and zips it as api-usage-data.dat.<now_ms>.<uuid>.zip.
  // A .dat left by an earlier failure is zipped first. Returns the new zip
  // names ("" entries never); nothing to rotate is not an error.
  absl::StatusOr<std::vector<std::string>> rotate(int64_t now_ms);

  // Names (not paths) of the complete zips, oldest first.
  std::vector<std::string> listZips() const;
  absl::StatusOr<std::string> readFile(const std::string& name) const;
  // Removes a zip and returns its bytes to the budget.
  absl::Status removeZip(const std::string& name);

  uint64_t usedBytes() const { return used_.load(std::memory_order_relaxed); }

 private:
  explicit UsageFiles(std::string directory) : directory_(std::move(directory)) {}
  std::string path(const std::string& name) const { return directory_ + "/" + name; }
  absl::StatusOr<std::string> zipDat(int64_t now_ms);
  void release(uint64_t bytes);  // never below zero

  const std::string directory_;
  int tmp_fd_ = -1;
  std::atomic<uint64_t> used_{0};
};

// A random RFC 4122 version-4 UUID ("1b4e28ba-2fa1-41d2-883f-0016d3cca427").
std::string randomUuid();

}  // namespace gw::filters::analytics
