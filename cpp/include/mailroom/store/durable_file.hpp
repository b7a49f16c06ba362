// Files that must be on stable storage before a reply says so: the Maildir
// store and the queue's spool write through these.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace mailroom::store {

// Writes `data` to `tmp` (created, must not exist), fsyncs it, renames it to
// `final` and fsyncs `final`'s directory. On failure the temporary file is
// removed and std::system_error says which step failed on which file.
void write_durably(const std::filesystem::path& tmp, const std::filesystem::path& final,
                   std::string_view data);
// Appends `data` to `path` (created if missing) and fsyncs it.
void append_durably(const std::filesystem::path& path, std::string_view data);
void fsync_dir(const std::filesystem::path& dir);
// The whole file; empty when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace mailroom::store
