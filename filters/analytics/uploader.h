#pragma once

// Uploads the zips of the usage-data directory to the analytics server as
// WSO2 API Microgateway 3.x does: POST uploadingEndpoint, multipart/form-data
// with one part `file` (filename = the zip's name), headers
// `FileName: <zip>`, `Accept: application/json` and Basic credentials. The
// first round runs initialDelayInMillis after start, then one every
// uploadingTimeSpanInMillis; a round sends the zips oldest first, one at a time.
//
// A zip is deleted only after 201, or after a 500 whose body says "A duplicate
// entry found for the file" (the server already has it). Any other answer or
// a network error ends the round; the next one comes after a back-off
// (1 s doubling, at most uploadingTimeSpanInMillis).
//
// Runs on its own thread with its own dispatcher, connector and HttpClient,
// so the upload goes through [httpClients.proxy] exactly when
// enableInternalServices = true.
//
// Thread-safety: construct and destroy on one thread (the destructor stops
// and joins the upload thread; an upload in flight is abandoned, its zip kept).

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "conf/config.h"
#include "filters/analytics/usage_files.h"
#include "gateway/event/dispatcher.h"
#include "gateway/stats/stats.h"

namespace gw::filters::analytics {

// The multipart body for `file_name` with `content`, using `boundary`.
std::string multipartBody(const std::string& boundary, const std::string& file_name,
                          const std::string& content);

// True for WSO2's answer to a zip it already has (delete it, as after 201).
bool isDuplicateEntryAnswer(int status, const std::string& body);

class Uploader {
 public:
  // `files` and `stats` must outlive the uploader.
  Uploader(UsageFiles& files, const conf::AnalyticsConfig& config,
           const conf::HttpClientsConfig& http_clients, stats::Store& stats);
  ~Uploader();

 private:
  class Task;
  event::DispatcherPtr dispatcher_;
  std::thread thread_;
};

}  // namespace gw::filters::analytics
