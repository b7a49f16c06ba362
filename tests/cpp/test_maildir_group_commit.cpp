// Appends to a Maildir folder in two steps (group commit): write_new leaves
// each file in tmp/, record_new moves a group into new/ or cur/ and gives it
// its UID-list records at once, raising the UIDs when another program wrote
// the list meanwhile; discard_new removes the file wherever it is.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "conversation.hpp"
#include "store_test_helpers.hpp"
#include "mailroom/store/mail_store.hpp"
#include "mailroom/store/maildir_backend.hpp"

using namespace mailroom::store;
namespace fs = std::filesystem;

namespace {

const std::string kBob = "bob@example.org";

std::string text_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A message as MailStore hands it to the backend: its home set, then (after
// write_new) a UID and MODSEQ reserved.
MessageDraft new_message(const FolderHomePtr& home, std::uint8_t flags) {
  auto m = make_message();
  m->home = home;
  m->flags = flags;
  m->internal_date = 1'700'000'000;
  return m;
}

}  // namespace

TEST(group_is_recorded_with_raised_uids_after_another_writer) {
  const fs::path dir = temp_dir("mailroom-group-commit");
  {
    MailStore s(dir);
    s.ensure_account(kBob);
    s.append(kBob, "INBOX", "Subject: first\r\n\r\n");
  }
  const fs::path inbox = dir / kBob;
  MaildirBackend backend(dir);
  (void)backend.load();
  auto home = std::make_shared<const FolderHome>(FolderHome{kBob, inbox.string(), {}});
  auto a = new_message(home, 0);
  auto b = new_message(home, kSeen);
  backend.write_new(kBob, "INBOX", *a, "Subject: a\r\n\r\n");
  backend.write_new(kBob, "INBOX", *b, "Subject: b\r\n\r\n");
  CHECK_EQ(names_in(inbox / "tmp").size(), std::size_t{2});
  CHECK_EQ(names_in(inbox / "new").size(), std::size_t{1});  // only "first"

  // Another program (Dovecot, under the lock) gives UIDs 2..4 meanwhile.
  {
    std::ofstream out(inbox / "dovecot-uidlist", std::ios::app | std::ios::binary);
    out << "2 :other.1\n3 :other.2\n4 :other.3\n";
  }
  a->uid = 2;  // what this store reserved, not knowing
  a->modseq = 2;
  b->uid = 3;
  b->modseq = 3;
  backend.record_new(kBob, "INBOX", {a.get(), b.get()});
  CHECK_EQ(a->uid, 5u);
  CHECK_EQ(b->uid, 6u);
  CHECK(names_in(inbox / "tmp").empty());
  CHECK(a->file.view().substr(0, 4) == "new/");
  CHECK(b->file.view().substr(0, 4) == "cur/");
  CHECK(fs::exists(a->path()));
  CHECK(fs::exists(b->path()));
  const std::string list = text_of(inbox / "dovecot-uidlist");
  CHECK(list.find(" N0000000007") != std::string::npos);
  CHECK(list.find("5 :" + std::string(a->base_name()) + "\n") != std::string::npos);
  CHECK(list.find("6 :" + std::string(b->base_name()) + "\n") != std::string::npos);
  CHECK(!fs::exists(inbox / "dovecot-uidlist.lock"));

  // Opened again, the store reads the raised UIDs, with the flags.
  MailStore again(dir);
  auto ma = again.by_uid(kBob, "INBOX", 5);
  auto mb = again.by_uid(kBob, "INBOX", 6);
  CHECK(ma != nullptr && mb != nullptr);
  if (ma) CHECK_EQ(*again.read(*ma), std::string("Subject: a\r\n\r\n"));
  if (mb) CHECK(mb->flags & kSeen);
  CHECK_EQ(again.status(kBob, "INBOX").uidnext, 7u);
  fs::remove_all(dir);
}

TEST(discarded_new_messages_leave_no_file) {
  const fs::path dir = temp_dir("mailroom-group-discard");
  {
    MailStore s(dir);
    s.ensure_account(kBob);
  }
  const fs::path inbox = dir / kBob;
  MaildirBackend backend(dir);
  (void)backend.load();
  auto home = std::make_shared<const FolderHome>(FolderHome{kBob, inbox.string(), {}});
  auto written = new_message(home, 0);
  backend.write_new(kBob, "INBOX", *written, "Subject: never recorded\r\n\r\n");
  CHECK_EQ(names_in(inbox / "tmp").size(), std::size_t{1});
  backend.discard_new(*written);
  CHECK(names_in(inbox / "tmp").empty());

  auto recorded = new_message(home, 0);
  backend.write_new(kBob, "INBOX", *recorded, "Subject: recorded, then discarded\r\n\r\n");
  recorded->uid = 1;
  recorded->modseq = 1;
  backend.record_new(kBob, "INBOX", {recorded.get()});
  CHECK_EQ(names_in(inbox / "new").size(), std::size_t{1});
  backend.discard_new(*recorded);
  CHECK(names_in(inbox / "new").empty());
  fs::remove_all(dir);
}

// MailStore's group commit: appends from many threads at once into one
// folder, each acknowledged with a UID that is on disk, none given twice.
TEST(concurrent_appends_share_commits_and_keep_their_uids) {
  const fs::path dir = temp_dir("mailroom-group-threads");
  constexpr int kThreads = 8, kEach = 25;
  std::vector<std::vector<std::uint32_t>> uids(kThreads);
  {
    MailStore s(dir);
    s.ensure_account(kBob);
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t)
      writers.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          AppendOptions options;
          if (i % 2) options.flags = {"\\Seen", "$Work"};
          auto m = s.append(kBob, "INBOX",
                            "Subject: " + std::to_string(t) + "-" + std::to_string(i) + "\r\n\r\n",
                            options);
          uids[static_cast<std::size_t>(t)].push_back(m->uid);
        }
      });
    for (auto& w : writers) w.join();
  }
  MailStore again(dir);
  std::vector<std::uint32_t> all;
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kEach; ++i) {
      const std::uint32_t uid = uids[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)];
      all.push_back(uid);
      auto m = again.by_uid(kBob, "INBOX", uid);
      CHECK(m != nullptr);
      if (!m) continue;
      CHECK_EQ(*again.read(*m),
               "Subject: " + std::to_string(t) + "-" + std::to_string(i) + "\r\n\r\n");
      CHECK_EQ(m->has_keywords(), i % 2 == 1);
    }
  std::sort(all.begin(), all.end());
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
  CHECK_EQ(again.messages(kBob, "INBOX").size(), all.size());
  CHECK(names_in(dir / kBob / "tmp").empty());
  fs::remove_all(dir);
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
