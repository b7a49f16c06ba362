// The queue on disk. Each entry is two files in DIR/queue/:
//   <id>        the envelope and the message, written once: to DIR/tmp/, fsync,
//               rename, fsync of the directory (the way Postfix and qmail make
//               a queue file durable before the 250 reply, RFC 5321 §6.1);
//   <id>.state  delivery state, appended as whole snapshots after each round
//               and fsync'd; a torn last snapshot is ignored when loading.
// Finished entries are unlinked. Files that cannot be read are moved to
// DIR/corrupt/ rather than deleted.
//
// The DSN parameters (RFC 3461) are lines of their own, written only when
// the message came with them ("ret", "envid" after "from"; "notify",
// "orcpt" after the "rcpt" they belong to, values in xtext), and the state's
// per-recipient report flags are a field added before the reply text: files
// written without DSN fields read as before, and entries without DSN
// parameters are written exactly as before.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "mailroom/queue/entry.hpp"
#include "mailroom/store/durable_file.hpp"

namespace mailroom::queue {

class Spool {
 public:
  // Creates DIR and its subdirectories; throws std::runtime_error.
  explicit Spool(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }
  // On stable storage when it returns; throws std::runtime_error.
  void write_new(const QueueEntry& e);
  // Appends the current state of `e`; throws std::runtime_error.
  void write_state(const QueueEntry& e);
  // The same without fsync: it survives the process being killed (the page
  // cache keeps it), not a power loss; the next write_state makes it durable.
  void write_state_now(const QueueEntry& e);
  void remove(const std::string& id);
  // Every entry found, oldest first; `corrupt` counts files set aside.
  std::vector<QueueEntry> load(std::size_t& corrupt);

  // The serialized forms, for tests and fuzzing.
  static std::string encode_entry(const QueueEntry& e);
  static bool decode_entry(std::string_view bytes, QueueEntry& out);
  static std::string encode_state(const QueueEntry& e);
  // Applies the last complete snapshot in `bytes` to `e`.
  static void apply_state(std::string_view bytes, QueueEntry& e);

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::DirectorySync> queue_dir_sync_;  // DIR/queue/
};

}  // namespace mailroom::queue
