// The store's pages and counts without walks: the arrival index paged
// newest first, folder pages, and the per-folder and INBOX counts kept as
// messages arrive, change flags, are expunged and moved, by many writers at
// once, and the same counts from a Maildir opened again from disk.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "conversation.hpp"
#include "store_test_helpers.hpp"
#include "mailroom/store/arrival_index.hpp"
#include "mailroom/store/mail_store.hpp"

using namespace mailroom::store;
namespace fs = std::filesystem;

namespace {

const std::string kBob = "bob@example.org";
const std::string kCarol = "carol@example.org";


std::vector<std::uint64_t> arrivals(const std::vector<MessagePtr>& v) {
  std::vector<std::uint64_t> out;
  for (const auto& m : v) out.push_back(m->arrival);
  return out;
}

std::vector<std::uint32_t> uids(const std::vector<MessagePtr>& v) {
  std::vector<std::uint32_t> out;
  for (const auto& m : v) out.push_back(m->uid);
  return out;
}

// What a walk over the folder finds: messages, unseen, deleted, octets.
std::vector<std::uint64_t> walked(const MailStore& s, const std::string& account,
                                  const std::string& folder) {
  std::vector<std::uint64_t> out(4, 0);
  for (const auto& m : s.messages(account, folder)) {
    ++out[0];
    if (!(m->flags & kSeen)) ++out[1];
    if (m->flags & kDeleted) ++out[2];
    out[3] += m->size;
  }
  return out;
}

std::vector<std::uint64_t> kept(const MailStore& s, const std::string& account,
                                const std::string& folder) {
  auto st = s.status(account, folder);
  return {st.messages, st.unseen, st.deleted, st.size};
}

// The INBOX counts against a walk over every INBOX, and the index's newest
// first order against all() reversed, page by page.
void check_inbox_index(const MailStore& s) {
  auto all = s.all();
  std::size_t unseen = 0;
  std::uint64_t size = 0;
  for (const auto& m : all) {
    if (!(m->flags & kSeen)) ++unseen;
    size += m->size;
  }
  const auto c = s.inbox_counts();
  CHECK_EQ(c.messages, all.size());
  CHECK_EQ(c.unseen, unseen);
  CHECK_EQ(c.size, size);
  std::vector<MessagePtr> reversed(all.rbegin(), all.rend());
  for (std::size_t start : {std::size_t{0}, std::size_t{1}, std::size_t{7}, all.size() / 2}) {
    std::vector<MessagePtr> want;
    for (std::size_t i = start; i < reversed.size() && want.size() < 5; ++i) want.push_back(reversed[i]);
    CHECK_EQ(arrivals(s.newest(start, 5)), arrivals(want));
  }
  CHECK(s.newest(all.size(), 5).empty());
  CHECK_EQ(arrivals(s.newest(0, all.size() + 10)), arrivals(reversed));
}

std::shared_ptr<const std::string> body(int i) {
  return std::make_shared<const std::string>("Subject: " + std::to_string(i) + "\r\n\r\n" +
                                             std::string(static_cast<std::size_t>(i % 5) * 10, 'x'));
}

}  // namespace

TEST(arrival_index_pages_newest_first) {
  ArrivalIndex index;
  std::vector<std::uint64_t> live;  // what a plain list would hold
  std::mt19937 rng(7);
  std::uint64_t next = 1;
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 1500; ++i) {
      auto m = make_message();
      m->arrival = next;
      index.push(next, m);
      live.push_back(next++);
    }
    // Remove most of them: the index compacts itself on the way.
    for (int i = 0; i < 1300 && !live.empty(); ++i) {
      const std::size_t at = rng() % live.size();
      CHECK(index.erase(live[at]));
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(at));
    }
    CHECK(!index.erase(live.empty() ? 0 : live.back() + 100000));
    CHECK_EQ(index.size(), live.size());
    for (std::size_t start : {std::size_t{0}, std::size_t{3}, live.size() / 3, live.size() - 1}) {
      std::vector<std::uint64_t> want;
      for (std::size_t i = start; i < live.size() && want.size() < 50; ++i)
        want.push_back(live[live.size() - 1 - i]);
      CHECK_EQ(arrivals(index.newest(start, 50)), want);
    }
    CHECK(index.newest(live.size(), 1).empty());
    std::vector<std::uint64_t> after;
    for (auto a : live)
      if (a > live[live.size() / 2]) after.push_back(a);
    CHECK_EQ(arrivals(index.since(live[live.size() / 2])), after);
  }
  // A record replaced (flags changed) is what the pages show.
  auto m = make_message();
  m->arrival = live.back();
  m->flags = kSeen;
  CHECK(index.replace(live.back(), m));
  CHECK_EQ(int(index.newest(0, 1).front()->flags), int(kSeen));
}

TEST(counts_follow_flags_expunge_and_move) {
  MailStore s;
  for (int i = 0; i < 30; ++i) s.deliver({i % 3 ? kBob : kCarol}, body(i), nullptr);
  check_inbox_index(s);
  CHECK_EQ(kept(s, kBob, "INBOX"), walked(s, kBob, "INBOX"));
  CHECK_EQ(s.inbox_counts().unseen, std::size_t{30});

  // Flags: \Seen on some, \Deleted on others, one taken off again.
  s.store(kBob, "INBOX", {1, 2, 3, 4}, FlagChange::Add, {"\\Seen"});
  s.store(kBob, "INBOX", {5, 6}, FlagChange::Add, {"\\Deleted", "\\Seen"});
  s.store(kBob, "INBOX", {2}, FlagChange::Remove, {"\\Seen"});
  s.store(kBob, "INBOX", {3}, FlagChange::Replace, {"$Label"});
  CHECK_EQ(kept(s, kBob, "INBOX"), walked(s, kBob, "INBOX"));
  CHECK_EQ(s.status(kBob, "INBOX").deleted, std::size_t{2});
  check_inbox_index(s);

  // Expunge, and a UID EXPUNGE of one of them only.
  CHECK_EQ(s.expunge(kBob, "INBOX", std::vector<std::uint32_t>{5}), std::vector<std::uint32_t>{5});
  CHECK_EQ(kept(s, kBob, "INBOX"), walked(s, kBob, "INBOX"));
  CHECK_EQ(s.expunge(kBob, "INBOX"), std::vector<std::uint32_t>{6});
  CHECK_EQ(kept(s, kBob, "INBOX"), walked(s, kBob, "INBOX"));
  check_inbox_index(s);

  // Move to Archive: the INBOX counts fall, the Archive's rise; a copy adds.
  s.move(kBob, "INBOX", {1, 2, 7}, "Archive");
  s.copy(kBob, "INBOX", {8}, "Archive");
  CHECK_EQ(kept(s, kBob, "INBOX"), walked(s, kBob, "INBOX"));
  CHECK_EQ(kept(s, kBob, "Archive"), walked(s, kBob, "Archive"));
  CHECK_EQ(s.status(kBob, "Archive").messages, std::size_t{4});
  check_inbox_index(s);

  // A folder's own pages, newest UID first.
  CHECK_EQ(uids(s.newest(kBob, "Archive", 0, 2)), (std::vector<std::uint32_t>{4, 3}));
  CHECK_EQ(uids(s.newest(kBob, "Archive", 3, 9)), std::vector<std::uint32_t>{1});
  CHECK(s.newest(kBob, "Archive", 4, 9).empty());

  // An account's sum over its folders.
  std::uint64_t messages = 0, unseen = 0, size = 0;
  for (const auto& f : s.list_folders(kBob)) {
    auto w = walked(s, kBob, f.name);
    messages += w[0];
    unseen += w[1];
    size += w[3];
  }
  const auto acc = s.account_counts(kBob);
  CHECK_EQ(std::uint64_t{acc.messages}, messages);
  CHECK_EQ(std::uint64_t{acc.unseen}, unseen);
  CHECK_EQ(acc.size, size);

  // Renaming INBOX moves its messages; deleting a folder takes its counts.
  s.rename_folder(kBob, "INBOX", "Old");
  CHECK_EQ(kept(s, kBob, "INBOX"), walked(s, kBob, "INBOX"));
  CHECK_EQ(kept(s, kBob, "Old"), walked(s, kBob, "Old"));
  check_inbox_index(s);
  const std::size_t before = s.count();
  const std::uint64_t in_old = walked(s, kBob, "Old")[0];
  s.delete_folder(kBob, "Old");
  CHECK_EQ(std::uint64_t{s.count()}, before - in_old);
  CHECK_EQ(s.account_counts(kBob).messages, std::size_t{4});
  s.clear();
  CHECK_EQ(s.inbox_counts().messages, std::size_t{0});
  CHECK_EQ(s.inbox_counts().unseen, std::size_t{0});
  CHECK_EQ(kept(s, kBob, "Archive"), (std::vector<std::uint64_t>{0, 0, 0, 0}));
}

TEST(many_sessions_change_one_folder) {
  MailStore s;
  s.ensure_account(kBob);
  constexpr int kThreads = 4, kEach = 150;
  std::atomic<bool> done{false};
  std::vector<std::thread> sessions;
  for (int t = 0; t < kThreads; ++t)
    sessions.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < kEach; ++i) {
        s.deliver({kBob}, body(i), nullptr);
        const auto st = s.status(kBob, "INBOX");
        const std::uint32_t uid = 1 + static_cast<std::uint32_t>(rng() % st.uidnext);
        switch (rng() % 5) {
          case 0: s.store(kBob, "INBOX", {uid}, FlagChange::Add, {"\\Seen"}); break;
          case 1: s.store(kBob, "INBOX", {uid}, FlagChange::Remove, {"\\Seen"}); break;
          case 2: s.store(kBob, "INBOX", {uid}, FlagChange::Add, {"\\Deleted"}); break;
          case 3: s.expunge(kBob, "INBOX", std::vector<std::uint32_t>{uid}); break;
          default: s.move(kBob, "INBOX", {uid}, "Trash"); break;
        }
      }
    });
  std::thread reader([&] {
    while (!done) {
      (void)s.newest(0, 50);
      (void)s.inbox_counts();
      (void)s.status(kBob, "INBOX");
    }
  });
  for (auto& t : sessions) t.join();
  done = true;
  reader.join();
  CHECK_EQ(kept(s, kBob, "INBOX"), walked(s, kBob, "INBOX"));
  CHECK_EQ(kept(s, kBob, "Trash"), walked(s, kBob, "Trash"));
  check_inbox_index(s);
}

TEST(maildir_opened_again_has_the_same_counts) {
  const fs::path dir = temp_dir("mailroom-store-paging");
  std::vector<std::uint64_t> inbox, archive;
  std::vector<std::uint32_t> page;
  {
    MailStore s(dir);
    for (int i = 0; i < 12; ++i) s.deliver({kBob}, body(i), nullptr);
    s.store(kBob, "INBOX", {1, 2, 3}, FlagChange::Add, {"\\Seen"});
    s.store(kBob, "INBOX", {4}, FlagChange::Add, {"\\Deleted", "Work"});
    s.expunge(kBob, "INBOX", std::vector<std::uint32_t>{4});
    s.move(kBob, "INBOX", {5, 6}, "Archive");
    inbox = kept(s, kBob, "INBOX");
    archive = kept(s, kBob, "Archive");
    CHECK_EQ(inbox, walked(s, kBob, "INBOX"));
    page = uids(s.newest(kBob, "INBOX", 1, 3));
    check_inbox_index(s);
    // The file of a flagged message is named for its flags, in its folder.
    auto m = s.by_uid(kBob, "INBOX", 1);
    CHECK(fs::exists(m->path()));
    CHECK_EQ(fs::path(m->path()).filename().string(), std::string(m->base_name()) + ":2,S");
  }
  MailStore again(dir);
  CHECK_EQ(kept(again, kBob, "INBOX"), inbox);
  CHECK_EQ(kept(again, kBob, "Archive"), archive);
  CHECK_EQ(kept(again, kBob, "INBOX"), walked(again, kBob, "INBOX"));
  CHECK_EQ(uids(again.newest(kBob, "INBOX", 1, 3)), page);
  check_inbox_index(again);
  // Still right after changes on the reopened store.
  again.store(kBob, "INBOX", {7}, FlagChange::Add, {"\\Seen"});
  again.deliver({kBob}, body(99), nullptr);
  CHECK_EQ(kept(again, kBob, "INBOX"), walked(again, kBob, "INBOX"));
  check_inbox_index(again);
  fs::remove_all(dir);
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
