// The mail store without sockets: folders, UIDs, flags, MODSEQs and the
// expunge record in memory and in Maildir++ (the files as Dovecot and mutt
// read them), bad input refused with a typed error and no change, threads,
// and a writer killed with SIGKILL at random points.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "conversation.hpp"
#include "store_test_helpers.hpp"
#include "mailroom/store/durable_file.hpp"
#include "mailroom/store/mail_store.hpp"
#include "mailroom/store/subscriptions_file.hpp"

using namespace mailroom::store;
namespace fs = std::filesystem;

namespace {

const std::string kBob = "bob@example.org";

// A copy of the bytes (CHECK_EQ binds a reference: not to a temporary's inside).
std::string bytes_of(const std::shared_ptr<const std::string>& p) { return *p; }

template <class E, class F>
bool throws(F&& f) {
  try {
    f();
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
  return false;
}

// What a folder looks like from outside, to compare before and after.
std::string snapshot(const MailStore& s, const std::string& folder) {
  auto st = s.status(kBob, folder);
  std::ostringstream out;
  out << st.messages << "/" << st.uidnext << "/" << st.uidvalidity << "/" << st.highestmodseq;
  for (const auto& m : s.messages(kBob, folder)) {
    out << " " << m->uid << ":" << m->modseq << ":" << int(m->flags);
    for (const auto& k : m->keywords()) out << "," << k;
  }
  return out.str();
}

// The same checks for both backends.
void folder_rules(MailStore& s) {
  CHECK_EQ(s.ensure_account("bob@EXAMPLE.org"), kBob);
  auto folders = s.list_folders(kBob);
  CHECK_EQ(folders.size(), std::size_t{6});
  CHECK_EQ(folders[0].name, std::string("INBOX"));
  std::map<std::string, std::string> use;
  for (const auto& f : folders) use[f.name] = f.special_use;
  CHECK_EQ(use["Sent"], std::string("\\Sent"));  // RFC 6154
  CHECK_EQ(use["Junk"], std::string("\\Junk"));

  const std::string raw = bytes("Subject: a\r\n\r\nNUL \0 and bare\nLF\r\n");
  auto m1 = s.append(kBob, "inbox", raw, {{"\\Seen", "$Forwarded"}, 1'700'000'000, nullptr});
  auto m2 = s.append(kBob, "INBOX", "Subject: b\r\n\r\nx\r\n");
  CHECK_EQ(m1->uid, 1u);
  CHECK_EQ(m2->uid, 2u);
  CHECK(m2->modseq > m1->modseq);
  CHECK_EQ(m1->internal_date, std::int64_t{1'700'000'000});
  CHECK_EQ(m1->size, std::uint64_t{raw.size()});
  CHECK_EQ(bytes_of(s.read(kBob, "INBOX", 1)), raw);  // byte for byte
  CHECK_EQ(int(m1->flags), int(kSeen));
  CHECK_EQ(m1->keywords(), std::vector<std::string>{"$Forwarded"});

  auto st = s.status(kBob, "INBOX");
  CHECK_EQ(st.messages, std::size_t{2});
  CHECK_EQ(st.uidnext, 3u);
  CHECK_EQ(st.unseen, std::size_t{1});
  CHECK_EQ(st.highestmodseq, m2->modseq);
  CHECK(st.uidvalidity > 0);
  CHECK_EQ(s.at(kBob, "INBOX", 2)->uid, 2u);
  CHECK(s.at(kBob, "INBOX", 3) == nullptr);
  CHECK(s.at(kBob, "INBOX", 0) == nullptr);
  CHECK_EQ(s.position_of(kBob, "INBOX", 2), std::size_t{2});
  CHECK_EQ(s.position_of(kBob, "INBOX", 9), std::size_t{0});
  CHECK(s.by_uid(kBob, "INBOX", 9) == nullptr);

  // STORE: +FLAGS, -FLAGS, FLAGS; a no-op keeps the MODSEQ.
  auto r = s.store(kBob, "INBOX", {2}, FlagChange::Add, {"\\flagged", "Work"});
  CHECK_EQ(r.changed.size(), std::size_t{1});
  CHECK_EQ(int(r.changed[0]->flags), int(kFlagged));
  const auto after_add = r.changed[0]->modseq;
  CHECK(after_add > m2->modseq);
  r = s.store(kBob, "INBOX", {2}, FlagChange::Add, {"\\Flagged"});
  CHECK(r.changed.empty());
  CHECK_EQ(s.by_uid(kBob, "INBOX", 2)->modseq, after_add);
  r = s.store(kBob, "INBOX", {2}, FlagChange::Remove, {"work"});  // keywords: any case
  CHECK(s.by_uid(kBob, "INBOX", 2)->keywords().empty());
  // RFC 7162 §3.1.3: UNCHANGEDSINCE older than the message's MODSEQ: not changed.
  r = s.store(kBob, "INBOX", {1, 2}, FlagChange::Replace, {"\\Answered"}, m1->modseq);
  CHECK_EQ(r.modified, std::vector<std::uint32_t>{2});
  CHECK_EQ(r.changed.size(), std::size_t{1});
  CHECK_EQ(int(s.by_uid(kBob, "INBOX", 1)->flags), int(kAnswered));
  CHECK_EQ(int(s.by_uid(kBob, "INBOX", 2)->flags), int(kFlagged));

  // COPY and MOVE answer COPYUID (RFC 4315); MOVE expunges the source (RFC 6851).
  s.create_folder(kBob, "Work/2024");
  auto names = s.list_folders(kBob);
  CHECK(std::any_of(names.begin(), names.end(), [](const FolderInfo& f) { return f.name == "Work"; }));
  auto c = s.copy(kBob, "INBOX", {1, 2, 7}, "Work/2024");
  CHECK_EQ(c.source_uids, (std::vector<std::uint32_t>{1, 2}));
  CHECK_EQ(c.dest_uids, (std::vector<std::uint32_t>{1, 2}));
  CHECK_EQ(c.uidvalidity, s.status(kBob, "Work/2024").uidvalidity);
  CHECK_EQ(bytes_of(s.read(kBob, "Work/2024", 1)), raw);
  CHECK_EQ(int(s.by_uid(kBob, "Work/2024", 2)->flags), int(kFlagged));
  const auto before_move = s.status(kBob, "INBOX").highestmodseq;
  auto mv = s.move(kBob, "INBOX", {2}, "Sent");
  CHECK_EQ(mv.dest_uids, std::vector<std::uint32_t>{1});
  CHECK_EQ(s.status(kBob, "INBOX").messages, std::size_t{1});
  CHECK_EQ(s.expunged_since(kBob, "INBOX", before_move), std::vector<std::uint32_t>{2});

  // EXPUNGE removes \Deleted only; UID EXPUNGE only the given ones.
  s.append(kBob, "INBOX", "Subject: c\r\n\r\n", {{"\\Deleted"}, {}, nullptr});
  s.append(kBob, "INBOX", "Subject: d\r\n\r\n", {{"\\Deleted"}, {}, nullptr});
  CHECK_EQ(s.expunge(kBob, "INBOX", std::vector<std::uint32_t>{3}), std::vector<std::uint32_t>{3});
  CHECK_EQ(s.expunge(kBob, "INBOX"), std::vector<std::uint32_t>{4});
  CHECK_EQ(s.status(kBob, "INBOX").messages, std::size_t{1});
  // UIDs are never given twice (RFC 9051 §2.3.1.1).
  CHECK_EQ(s.append(kBob, "INBOX", "Subject: e\r\n\r\n")->uid, 5u);

  // RENAME takes the inferiors along; a renamed folder's messages read the same.
  s.rename_folder(kBob, "Work", "Jobs");
  CHECK_EQ(bytes_of(s.read(kBob, "Jobs/2024", 1)), raw);
  CHECK(throws<NoSuchFolder>([&] { s.status(kBob, "Work/2024"); }));
  s.delete_folder(kBob, "Jobs/2024");
  CHECK(throws<NoSuchFolder>([&] { s.messages(kBob, "Jobs/2024"); }));
}

void bad_input_changes_nothing(MailStore& s) {
  s.ensure_account(kBob);
  s.append(kBob, "INBOX", "Subject: kept\r\n\r\n");
  const std::string before = snapshot(s, "INBOX");
  const auto folders = s.list_folders(kBob).size();
  CHECK(throws<InvalidFlag>([&] { s.store(kBob, "INBOX", {1}, FlagChange::Add, {"\\Recent"}); }));
  CHECK(throws<InvalidFlag>([&] { s.store(kBob, "INBOX", {1}, FlagChange::Add, {"two words"}); }));
  CHECK(throws<InvalidFlag>([&] { s.append(kBob, "INBOX", "x", {{"\\Bogus"}, {}, nullptr}); }));
  CHECK(throws<InvalidFlag>([&] { s.append(kBob, "INBOX", "x", {{"caf\xc3\xa9"}, {}, nullptr}); }));
  CHECK(throws<InvalidFlag>([&] { s.append(kBob, "INBOX", "x", {{""}, {}, nullptr}); }));
  for (const char* name : {"", "a//b", "/a", "a/", "a.b", "a%", "x*", "caf\xff", "a\xc2\x85" "b", "a\nb", "a/INBOX"})
    CHECK(throws<InvalidFolderName>([&] { s.create_folder(kBob, name); }));
  CHECK(throws<InvalidFolderName>([&] { s.create_folder(kBob, std::string(256, 'a')); }));
  CHECK(throws<FolderExists>([&] { s.create_folder(kBob, "Sent"); }));
  CHECK(throws<FolderExists>([&] { s.create_folder(kBob, "inbox"); }));
  CHECK(throws<FolderNotAllowed>([&] { s.delete_folder(kBob, "INBOX"); }));
  CHECK(throws<FolderNotAllowed>([&] { s.rename_folder(kBob, "Sent", "Sent/Old"); }));
  CHECK(throws<FolderExists>([&] { s.rename_folder(kBob, "Sent", "Trash"); }));
  CHECK(throws<NoSuchFolder>([&] { s.delete_folder(kBob, "Nope"); }));
  CHECK(throws<NoSuchFolder>([&] { s.copy(kBob, "INBOX", {1}, "Nope"); }));
  CHECK(throws<NoSuchAccount>([&] { s.status("nobody@example.org", "INBOX"); }));
  CHECK(throws<NoSuchMessage>([&] { s.read(kBob, "INBOX", 99); }));
  CHECK(throws<StoreError>([&] { s.ensure_account("bad\r\naccount"); }));
  // Limits: refused whole, nothing stored.
  s.limits().max_messages = s.count();
  CHECK(throws<LimitExceeded>([&] { s.append(kBob, "INBOX", "x"); }));
  CHECK(throws<LimitExceeded>([&] { s.copy(kBob, "INBOX", {1}, "Trash"); }));
  CHECK(throws<LimitExceeded>([&] { s.deliver({kBob}, std::make_shared<std::string>("x"), nullptr); }));
  s.limits().max_messages = 1'000'000;
  s.limits().max_message_size = 10;
  CHECK(throws<LimitExceeded>([&] { s.append(kBob, "INBOX", std::string(11, 'x')); }));
  s.limits().max_message_size = 1 << 20;
  s.limits().max_folders = folders;
  CHECK(throws<LimitExceeded>([&] { s.create_folder(kBob, "One/More"); }));
  s.limits().max_folders = 1000;
  std::vector<std::string> many;
  for (int i = 0; i < 27; ++i) many.push_back("k" + std::to_string(i));
  CHECK(throws<LimitExceeded>([&] { s.store(kBob, "INBOX", {1}, FlagChange::Add, many); }));
  CHECK_EQ(snapshot(s, "INBOX"), before);
  CHECK_EQ(s.list_folders(kBob).size(), folders);
  CHECK_EQ(s.status(kBob, "Trash").messages, std::size_t{0});
}

std::string uidlist_of(const fs::path& box) { return read_file(box / "dovecot-uidlist"); }

}  // namespace

TEST(memory_folders_uids_flags_modseqs) {
  MailStore s;
  folder_rules(s);
}

TEST(memory_bad_input_is_refused_and_changes_nothing) {
  MailStore s;
  bad_input_changes_nothing(s);
}

TEST(keywords_are_bits_of_the_folders_table) {
  // A record holds its keywords as bits of its folder's table: a table
  // larger than the bits is refused when the store is made, not truncated.
  StoreLimits too_many;
  too_many.max_keywords = kMaxKeywordBits + 1;
  bool refused = false;
  try {
    MailStore s(too_many);
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  CHECK(refused);
  // Records made before the table grew keep their keywords; a later STORE
  // adds to them by bit.
  MailStore s;
  s.ensure_account(kBob);
  AppendOptions with;
  with.flags = {"$Label1"};
  auto first = s.append(kBob, "INBOX", "Subject: 1\r\n\r\nx\r\n", with);
  with.flags = {"$Label2", "Junk"};
  s.append(kBob, "INBOX", "Subject: 2\r\n\r\nx\r\n", with);
  CHECK_EQ(first->keywords(), std::vector<std::string>{"$Label1"});
  s.store(kBob, "INBOX", {1}, FlagChange::Add, {"junk", "$Label3"});
  CHECK_EQ(s.by_uid(kBob, "INBOX", 1)->keywords(),
           (std::vector<std::string>{"$Label1", "$Label3", "Junk"}));
  CHECK_EQ(s.by_uid(kBob, "INBOX", 2)->keywords(), (std::vector<std::string>{"$Label2", "Junk"}));
  CHECK_EQ(s.by_uid(kBob, "INBOX", 1)->account(), std::string(kBob));
}

TEST(maildir_folders_uids_flags_modseqs) {
  const fs::path dir = temp_dir("mailroom-store-rules");
  {
    MailStore s(dir);
    folder_rules(s);
  }
  fs::remove_all(dir);
}

TEST(maildir_bad_input_is_refused_and_changes_nothing) {
  const fs::path dir = temp_dir("mailroom-store-bad");
  {
    MailStore s(dir);
    bad_input_changes_nothing(s);
    CHECK(!fs::exists(dir / kBob / ".a.b"));
  }
  fs::remove_all(dir);
}

TEST(maildir_files_are_what_dovecot_and_mutt_read) {
  const fs::path dir = temp_dir("mailroom-store-files");
  const fs::path box = dir / kBob;
  std::string before;
  std::uint32_t uidvalidity;
  {
    MailStore s(dir);
    s.ensure_account(kBob);
    CHECK_EQ(names_in(box), (std::vector<std::string>{".Archive", ".Drafts", ".Junk", ".Sent", ".Trash",
                                                      "cur", "dovecot-uidlist", "new", "tmp"}));
    CHECK(fs::exists(box / ".Sent" / "maildirfolder"));  // Maildir++
    auto m = s.deliver({kBob}, std::make_shared<std::string>("Subject: one\r\n\r\n"), nullptr)[0];
    CHECK_EQ(names_in(box / "new"), std::vector<std::string>{std::string(m->base_name())});  // unread: new/, no info
    s.append(kBob, "INBOX", "Subject: two\r\n\r\n", {{"\\Seen", "\\Flagged", "$Label1"}, 1'600'000'000, nullptr});
    // Info letters in ASCII order; keyword 0 is 'a' (dovecot-keywords).
    auto two = s.by_uid(kBob, "INBOX", 2);
    CHECK_EQ(fs::path(two->path()).filename().string(), std::string(two->base_name()) + ":2,FSa");
    CHECK_EQ(read_file(box / "dovecot-keywords"), std::string("0 $Label1\n"));
    CHECK_EQ(fs::last_write_time(two->path()).time_since_epoch().count() != 0, true);
    s.store(kBob, "INBOX", {1}, FlagChange::Add, {"\\Seen"});
    CHECK(names_in(box / "new").empty());
    CHECK_EQ(fs::path(s.by_uid(kBob, "INBOX", 1)->path()).parent_path().filename().string(),
             std::string("cur"));
    uidvalidity = s.status(kBob, "INBOX").uidvalidity;
    // "3 V<uidvalidity> N<uidnext> G<guid>" then "<uid> :<name>".
    std::istringstream lines(uidlist_of(box));
    std::string head, r1, r2;
    std::getline(lines, head);
    std::getline(lines, r1);
    std::getline(lines, r2);
    CHECK_EQ(head.substr(0, 2 + std::to_string(uidvalidity).size() + 1),
             "3 V" + std::to_string(uidvalidity));
    CHECK(head.find(" N0000000003 G") != std::string::npos);
    CHECK_EQ(r1, "1 :" + std::string(m->base_name()));
    CHECK_EQ(r2, "2 :" + std::string(two->base_name()));
    s.store(kBob, "INBOX", {2}, FlagChange::Add, {"\\Deleted"});
    s.expunge(kBob, "INBOX");
    s.append(kBob, "INBOX", "Subject: three\r\n\r\n");
    before = snapshot(s, "INBOX");
  }
  {
    MailStore again(dir);  // the same UIDs, flags, MODSEQs, UIDVALIDITY, expunges
    CHECK_EQ(snapshot(again, "INBOX"), before);
    CHECK_EQ(again.status(kBob, "INBOX").uidnext, 4u);
    CHECK_EQ(again.expunged_since(kBob, "INBOX", 0), std::vector<std::uint32_t>{2});
    CHECK_EQ(again.list_folders(kBob).size(), std::size_t{6});
    CHECK_EQ(bytes_of(again.read(kBob, "INBOX", 3)), std::string("Subject: three\r\n\r\n"));
    // Another program: a file renamed with new flags, one added, one removed.
    auto one = again.by_uid(kBob, "INBOX", 1);
    fs::rename(one->path(), box / "cur" / (std::string(one->base_name()) + ":2,RS"));
    write_durably(box / "tmp" / "outside", box / "new" / "1.outside.host", "Subject: four\r\n\r\n");
    fs::remove(again.by_uid(kBob, "INBOX", 3)->path());
    before = snapshot(again, "INBOX");
  }
  {
    MailStore third(dir);
    auto one = third.by_uid(kBob, "INBOX", 1);
    CHECK_EQ(int(one->flags), int(kSeen | kAnswered));
    const auto high = third.status(kBob, "INBOX").highestmodseq;
    CHECK(one->modseq > 3);  // a new MODSEQ for a change made while closed
    CHECK_EQ(third.by_uid(kBob, "INBOX", 4)->base_name(), std::string_view("1.outside.host"));  // next UID
    CHECK(third.by_uid(kBob, "INBOX", 3) == nullptr);
    CHECK_EQ(third.expunged_since(kBob, "INBOX", 0), (std::vector<std::uint32_t>{2, 3}));
    CHECK_EQ(third.status(kBob, "INBOX").uidvalidity, uidvalidity);
    const std::string now = snapshot(third, "INBOX");
    MailStore fourth(dir);
    (void)high;
    CHECK_EQ(snapshot(fourth, "INBOX"), now);  // stable once noticed
  }
  fs::remove_all(dir);
}

namespace {

std::vector<std::string> record_changes(MailStore& s) {
  std::vector<std::string> seen;
  std::mutex m;
  s.set_change_hook([&](const StoreChange& c) {
    static const char* kinds[] = {"append", "flags", "expunge", "create", "delete", "rename"};
    std::lock_guard lock(m);
    std::string line = std::string(kinds[static_cast<int>(c.kind)]) + " " + c.folder;
    if (!c.old_name.empty()) line += " from " + c.old_name;
    if (c.uid) line += " uid " + std::to_string(c.uid);
    if (c.modseq) line += " modseq " + std::to_string(c.modseq);
    seen.push_back(line);
  });
  s.ensure_account(kBob);
  s.append(kBob, "INBOX", "Subject: a\r\n\r\n");                       // modseq 2
  s.store(kBob, "INBOX", {1}, FlagChange::Add, {"\\Deleted"});         // 3
  s.store(kBob, "INBOX", {1}, FlagChange::Add, {"\\Deleted"});         // no change: no event
  s.expunge(kBob, "INBOX");                                             // 4
  s.create_folder(kBob, "A/B");
  s.rename_folder(kBob, "A", "C");
  s.delete_folder(kBob, "C/B");
  s.set_change_hook(nullptr);
  s.append(kBob, "INBOX", "Subject: unheard\r\n\r\n");
  return seen;
}

}  // namespace

TEST(every_change_is_an_event) {
  const std::vector<std::string> want{
      "create INBOX", "create Sent", "create Drafts", "create Trash", "create Junk",
      "create Archive", "append INBOX uid 1 modseq 2", "flags INBOX uid 1 modseq 3",
      "expunge INBOX uid 1 modseq 4", "create A", "create A/B", "rename C from A",
      "rename C/B from A/B", "delete C/B"};
  MailStore memory;
  CHECK_EQ(record_changes(memory), want);
  const fs::path dir = temp_dir("mailroom-store-events");
  {
    MailStore maildir(dir);
    CHECK_EQ(record_changes(maildir), want);
  }
  fs::remove_all(dir);
}

TEST(maildir_modseq_log_is_compacted_at_open) {
  const fs::path dir = temp_dir("mailroom-store-log");
  std::string before;
  {
    MailStore s(dir);
    s.ensure_account(kBob);
    s.append(kBob, "INBOX", "Subject: a\r\n\r\n");
    s.append(kBob, "INBOX", "Subject: b\r\n\r\n", {{"\\Deleted"}, {}, nullptr});
    s.expunge(kBob, "INBOX");
    for (int i = 0; i < 100; ++i)
      s.store(kBob, "INBOX", {1}, i % 2 ? FlagChange::Remove : FlagChange::Add, {"\\Flagged"});
    before = snapshot(s, "INBOX");
  }
  const auto lines = [&] {
    std::istringstream in(read_file(dir / kBob / "mailroom-modseq"));
    std::size_t n = 0;
    for (std::string l; std::getline(in, l);) ++n;
    return n;
  };
  CHECK(lines() > 100);
  {
    MailStore again(dir);
    CHECK_EQ(snapshot(again, "INBOX"), before);  // HIGHESTMODSEQ kept too
    CHECK_EQ(again.expunged_since(kBob, "INBOX", 0), std::vector<std::uint32_t>{2});
  }
  CHECK_EQ(lines(), std::size_t{3});  // H, the message, the expunge
  MailStore third(dir);
  CHECK_EQ(snapshot(third, "INBOX"), before);
  fs::remove_all(dir);
}

// Flag changes and expunges are logged without fsync, so a power loss can
// leave a torn last record: the next open rewrites the log whole rather than
// appending to the torn line (which would glue two records into a wrong one).
TEST(maildir_torn_modseq_record_is_not_extended) {
  const fs::path dir = temp_dir("mailroom-store-torn");
  std::string before;
  {
    MailStore s(dir);
    s.ensure_account(kBob);
    s.append(kBob, "INBOX", "Subject: a\r\n\r\n");
    s.store(kBob, "INBOX", {1}, FlagChange::Add, {"\\Seen"});
    before = snapshot(s, "INBOX");
  }
  const fs::path log = dir / kBob / "mailroom-modseq";
  std::ofstream(log, std::ios::app | std::ios::binary) << "1 9";  // cut short
  {
    MailStore again(dir);
    CHECK_EQ(snapshot(again, "INBOX"), before);
    const std::string text = read_file(log);
    CHECK(!text.empty() && text.back() == '\n');
    again.store(kBob, "INBOX", {1}, FlagChange::Add, {"\\Flagged"});
    before = snapshot(again, "INBOX");
  }
  MailStore third(dir);
  CHECK_EQ(snapshot(third, "INBOX"), before);
  fs::remove_all(dir);
}

TEST(maildir_old_tmp_files_are_removed_at_open) {
  const fs::path dir = temp_dir("mailroom-store-tmp");
  {
    MailStore s(dir);
    s.ensure_account(kBob);
  }
  write_durably(dir / kBob / "x", dir / kBob / "tmp" / "old", "half");
  write_durably(dir / kBob / "y", dir / kBob / "tmp" / "fresh", "being written");
  fs::last_write_time(dir / kBob / "tmp" / "old",
                      fs::file_time_type::clock::now() - std::chrono::hours(48));
  MailStore s(dir);
  CHECK_EQ(s.stale_tmp_removed(), std::size_t{1});
  CHECK_EQ(names_in(dir / kBob / "tmp"), std::vector<std::string>{"fresh"});
  CHECK_EQ(s.status(kBob, "INBOX").messages, std::size_t{0});
  fs::remove_all(dir);
}

namespace {

void threads_agree(MailStore& s) {
  constexpr int kThreads = 4, kEach = 60;
  s.ensure_account(kBob);
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string body = "Subject: " + std::to_string(t) + "-" + std::to_string(i) + "\r\n\r\n";
        if (i % 3 == 0)
          s.deliver({kBob, "carol@example.org"}, std::make_shared<std::string>(body), nullptr);
        else
          s.append(kBob, t % 2 ? "INBOX" : "Sent", body);
      }
    });
  std::thread flagger([&] {
    while (!done) {
      auto msgs = s.messages(kBob, "INBOX");
      std::vector<std::uint32_t> uids;
      for (const auto& m : msgs) uids.push_back(m->uid);
      s.store(kBob, "INBOX", uids, FlagChange::Add, {"\\Seen"});
      for (const auto& m : msgs) (void)s.read(*m);
      (void)s.since(0);
      (void)s.status(kBob, "INBOX");
    }
  });
  for (auto& w : writers) w.join();
  done = true;
  flagger.join();
  const int delivered = kThreads * ((kEach + 2) / 3);
  const int appended = kThreads * kEach - delivered;
  CHECK_EQ(s.count(), std::size_t(2 * delivered + appended));
  for (const char* f : {"INBOX", "Sent"}) {
    auto msgs = s.messages(kBob, f);
    std::set<std::uint32_t> uids;
    std::uint64_t last = 0;
    for (const auto& m : msgs) {
      uids.insert(m->uid);
      CHECK(m->uid > last);
      last = m->uid;
    }
    CHECK_EQ(uids.size(), msgs.size());
    CHECK_EQ(s.status(kBob, f).uidnext, static_cast<std::uint32_t>(msgs.size() + 1));
  }
  CHECK_EQ(s.inbox("carol@example.org").size(), std::size_t(delivered));
  CHECK_EQ(s.since(0).size(), s.messages(kBob, "INBOX").size() + s.inbox("carol@example.org").size());
}

}  // namespace

TEST(memory_threads_agree) {
  MailStore s;
  threads_agree(s);
}

TEST(maildir_threads_agree) {
  const fs::path dir = temp_dir("mailroom-store-threads");
  {
    MailStore s(dir);
    threads_agree(s);
  }
  {
    MailStore again(dir);
    CHECK_EQ(again.messages(kBob, "INBOX").size() + again.messages(kBob, "Sent").size() +
                 again.inbox("carol@example.org").size(),
             again.count());
  }
  fs::remove_all(dir);
}

// A child appends, flags and expunges, reporting on a pipe each change once it
// is acknowledged; it is killed with SIGKILL at a random point. After each
// kill the store is opened again: every acknowledged message is there with
// its bytes and UID, nothing acknowledged as expunged came back, and no UID
// was given to two messages.
TEST(maildir_survives_kill_9) {
  const fs::path dir = temp_dir("mailroom-store-crash");
  std::mt19937 rng(static_cast<unsigned>(::getpid()));
  std::map<std::uint32_t, std::string> acked;  // UID -> body
  std::set<std::uint32_t> gone;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  int rounds = 0;
  while (std::chrono::steady_clock::now() < deadline && rounds < 40) {
    int fds[2];
    CHECK(::pipe(fds) == 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      MailStore s(dir);
      s.ensure_account(kBob);
      for (int i = 0;; ++i) {
        const std::string body = "Subject: r" + std::to_string(rounds) + " n" + std::to_string(i) +
                                 "\r\n\r\n" + std::string(static_cast<std::size_t>(i % 7) * 300, 'x');
        auto m = s.append(kBob, "INBOX", body);
        std::string line = "A " + std::to_string(m->uid) + " " + std::to_string(rounds) + " " +
                           std::to_string(i) + "\n";
        if (i % 4 == 3) {
          s.store(kBob, "INBOX", {m->uid}, FlagChange::Add, {"\\Deleted"});
          s.expunge(kBob, "INBOX", std::vector<std::uint32_t>{m->uid});
          line += "X " + std::to_string(m->uid) + "\n";
        }
        if (::write(fds[1], line.data(), line.size()) < 0) ::_exit(1);
      }
    }
    ::close(fds[1]);
    // Once the child has acknowledged something (or after a second), a random
    // moment later: SIGKILL, wherever it is.
    std::string text;
    char buf[4096];
    struct pollfd pfd {fds[0], POLLIN, 0};
    if (::poll(&pfd, 1, 1000) > 0) {
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n > 0) text.append(buf, static_cast<std::size_t>(n));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 40'000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      std::istringstream l(line);
      std::string kind;
      std::uint32_t uid = 0;
      l >> kind >> uid;
      if (kind == "A") {
        int r = 0, i = 0;
        l >> r >> i;
        CHECK(!acked.count(uid) && !gone.count(uid));  // never given twice
        acked[uid] = "Subject: r" + std::to_string(r) + " n" + std::to_string(i) + "\r\n\r\n" +
                     std::string(static_cast<std::size_t>(i % 7) * 300, 'x');
      } else if (kind == "X") {
        acked.erase(uid);
        gone.insert(uid);
      }
    }
    MailStore s(dir);
    if (rounds > 0 || !acked.empty()) {
      for (const auto& [uid, body] : acked) {
        auto m = s.by_uid(kBob, "INBOX", uid);
        CHECK(m != nullptr);
        if (m) CHECK_EQ(bytes_of(s.read(*m)), body);
      }
      for (auto uid : gone) CHECK(s.by_uid(kBob, "INBOX", uid) == nullptr);
      const std::uint32_t highest = acked.empty() ? 0 : acked.rbegin()->first;
      CHECK(s.status(kBob, "INBOX").uidnext > highest);
    }
    ++rounds;
  }
  std::printf("  %d rounds, %zu messages acknowledged, %zu expunged\n", rounds, acked.size(),
              gone.size());
  CHECK(rounds >= 5);
  CHECK(!acked.empty());
  fs::remove_all(dir);
}

// IMAP subscriptions: Dovecot's `subscriptions` file (version 2: levels
// joined by TAB, tab-escaped; version 1: plain lines), kept across a restart.
TEST(subscriptions_file_and_restart) {
  using mailroom::store::format_subscriptions;
  using mailroom::store::parse_subscriptions;
  CHECK_EQ(format_subscriptions({"INBOX", "Work/2024", "Odd\tname"}),
           std::string("V\t2\n\nINBOX\nWork\t2024\nOdd\001tname\n"));
  const std::vector<std::string> back = parse_subscriptions("V\t2\n\nINBOX\nWork\t2024\nOdd\001tname\n\n");
  CHECK_EQ(back.size(), 3u);
  CHECK_EQ(back[1], std::string("Work/2024"));
  CHECK_EQ(back[2], std::string("Odd\tname"));
  const std::vector<std::string> v1 = parse_subscriptions("INBOX\r\nLists/ietf\n");
  CHECK_EQ(v1.size(), 2u);
  CHECK_EQ(v1[1], std::string("Lists/ietf"));
  const fs::path dir = temp_dir("mailroom-store-subscriptions");
  {
    MailStore s(dir);
    s.ensure_account("bob@example.test");
    s.set_subscribed("bob@example.test", "Sent", true);
    s.set_subscribed("bob@example.test", "Gone", true);
    s.set_subscribed("bob@example.test", "Gone", false);
  }
  {
    MailStore s(dir);
    CHECK(s.subscriptions("bob@example.test") == std::set<std::string>{"Sent"});
  }
  MailStore memory;
  memory.set_subscribed("bob@example.test", "Sent", true);
  CHECK_EQ(memory.subscriptions("bob@example.test").size(), 1u);
  fs::remove_all(dir);
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
