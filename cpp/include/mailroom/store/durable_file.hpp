// Files that must be on stable storage before a reply says so: the Maildir
// store and the queue's spool write through these.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace mailroom::store {

// Writes `data` to `tmp` (created, must not exist), fsyncs it, renames it to
// `final` and (unless the caller does it, say for several files at once)
// fsyncs `final`'s directory. On failure the temporary file is removed and
// std::system_error says which step failed on which file. With `mtime`
// (seconds since the epoch) the file's times are set before the fsync.
void write_durably(const std::filesystem::path& tmp, const std::filesystem::path& final,
                   std::string_view data, bool sync_directory = true,
                   std::optional<std::int64_t> mtime = std::nullopt);
// The two steps of write_durably, for a caller that must do something in
// between (take a lock): `tmp` created, written and fsynced; then renamed.
void write_synced(const std::filesystem::path& tmp, std::string_view data,
                  std::optional<std::int64_t> mtime = std::nullopt);
void rename_durably(const std::filesystem::path& tmp, const std::filesystem::path& final,
                    bool sync_directory = true);
// Appends `data` to `path` (created if missing) and fsyncs it.
void append_durably(const std::filesystem::path& path, std::string_view data);
// The same without the fsync: it survives the process being killed (the page
// cache keeps it), not a power loss.
void append_now(const std::filesystem::path& path, std::string_view data);
void fsync_dir(const std::filesystem::path& dir);

// fsync of one directory shared by threads that renamed into it: a caller
// returns once an fsync that began after its call has finished, so renames
// made at the same time share one fsync (group commit).
class DirectorySync {
 public:
  explicit DirectorySync(std::filesystem::path dir) : dir_(std::move(dir)) {}
  void sync();

 private:
  std::filesystem::path dir_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::uint64_t requested_ = 0, synced_ = 0;
  bool running_ = false;
};
// The whole file; empty when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace mailroom::store
