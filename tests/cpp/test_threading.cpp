// RFC 5256: base subject extraction (§2.1) and REFERENCES threading (§3),
// rule by rule.
#include <string>
#include <vector>

#include "conversation.hpp"
#include "mailroom/mime/threading.hpp"

using namespace mailroom::mime;

namespace {

ThreadInput msg(std::string id, std::string refs, std::string subject, std::int64_t date,
                std::string in_reply_to = "") {
  ThreadInput m;
  m.message_id = std::move(id);
  m.references = std::move(refs);
  m.subject = std::move(subject);
  m.date = date;
  m.in_reply_to = std::move(in_reply_to);
  return m;
}

std::string base(const char* s) { return base_subject(s).text; }

}  // namespace

TEST(base_subject_rfc5256_section_2_1) {
  CHECK_EQ(base("Re: hello"), std::string("hello"));
  CHECK(base_subject("Re: hello").reply_or_forward);
  CHECK(!base_subject("hello").reply_or_forward);
  CHECK_EQ(base("RE: [list] Re: Hello (fwd)"), std::string("hello"));    // (2), (3)
  CHECK(base_subject("Lunch (fwd)").reply_or_forward);                    // (2)
  CHECK_EQ(base("Fwd: Fw: FWD: x"), std::string("x"));
  CHECK_EQ(base("Re[2]: x"), std::string("x"));                          // subj-refwd's blob
  CHECK_EQ(base("[PATCH] fix it"), std::string("fix it"));               // (4)
  CHECK_EQ(base("[only a blob]"), std::string("[only a blob]"));         // (4): would be empty
  CHECK_EQ(base("[fwd: Re: lunch]"), std::string("lunch"));              // (6)
  CHECK(base_subject("[Fwd: lunch]").reply_or_forward);
  CHECK_EQ(base("  many \t  spaces\r\n there  "), std::string("many spaces there"));  // (1)
  CHECK_EQ(base("Reply to this"), std::string("reply to this"));  // "Re" then no ':'
  CHECK_EQ(base("Re:"), std::string(""));
  CHECK_EQ(base("Zoë: café"), std::string("zoë: café"));  // UTF-8 passes through
}

TEST(message_ids_of_references) {
  auto ids = message_ids("<a@x> (comment <not@this>)\r\n\t<b@y>  <bad id> <c@z>");
  CHECK_EQ(ids.size(), std::size_t{3});
  CHECK_EQ(std::string(ids[0]), std::string("a@x"));
  CHECK_EQ(std::string(ids[2]), std::string("c@z"));
}

TEST(references_chain_and_in_reply_to) {
  std::vector<ThreadInput> in = {
      msg("<a@x>", "", "hello", 100),
      msg("<c@x>", "<a@x> <b@x>", "Re: hello", 300),
      msg("<b@x>", "<a@x>", "Re: hello", 200),
      msg("<d@x>", "", "Re: hello", 400, "<c@x> <zzz@x>"),  // In-Reply-To: its first id
      msg("<e@x>", "", "other", 50),
  };
  Threads t = thread_references(in);
  CHECK_EQ(t.roots.size(), std::size_t{2});
  CHECK_EQ(t.thread[4], std::uint32_t{0});  // (7) "other" is older: first
  for (int i : {0, 1, 2, 3}) CHECK_EQ(t.thread[i], std::uint32_t{1});
  CHECK_EQ(t.parent[0], -1);
  CHECK_EQ(t.parent[2], 0);  // b under a
  CHECK_EQ(t.parent[1], 2);  // c under b
  CHECK_EQ(t.parent[3], 1);  // d under c
}

TEST(dummies_pruned_and_kept) {
  // (3) a missing parent with two children stays as a dummy at the top; one
  // with one child gives way to it.
  std::vector<ThreadInput> in = {
      msg("<b@x>", "<gone@x>", "one", 100),
      msg("<c@x>", "<gone@x>", "two", 200),
      msg("<e@x>", "<lost@x> <alsolost@x>", "three", 300),
  };
  Threads t = thread_references(in);
  CHECK_EQ(t.roots.size(), std::size_t{2});
  const ThreadNode& first = t.nodes[t.roots[0]];
  CHECK_EQ(first.message, -1);
  CHECK_EQ(first.children.size(), std::size_t{2});
  CHECK_EQ(t.nodes[first.children[0]].message, 0);  // (4) by date
  CHECK_EQ(t.nodes[t.roots[1]].message, 2);
  CHECK_EQ(t.parent[0], -1);
}

TEST(subjects_merge_root_threads) {
  // (5) "Re: lunch" with no references joins "lunch" as its child; two
  // messages with the same subject and neither a reply share a new dummy.
  std::vector<ThreadInput> in = {
      msg("<a@x>", "", "lunch", 100),
      msg("<b@x>", "", "Re: lunch", 200),
      msg("<c@x>", "", "dinner", 300),
      msg("<d@x>", "", "Dinner", 400),
      msg("<e@x>", "", "", 500),  // an empty subject is never merged
      msg("<f@x>", "", "", 600),
  };
  Threads t = thread_references(in);
  CHECK_EQ(t.roots.size(), std::size_t{4});
  CHECK_EQ(t.thread[0], t.thread[1]);
  CHECK_EQ(t.parent[1], 0);
  CHECK_EQ(t.thread[2], t.thread[3]);
  CHECK_EQ(t.nodes[t.roots[t.thread[2]]].message, -1);
  CHECK(t.thread[4] != t.thread[5]);
}

TEST(loops_duplicates_and_missing_ids) {
  std::vector<ThreadInput> in = {
      msg("<a@x>", "<b@x>", "x", 100),
      msg("<b@x>", "<a@x>", "y", 200),          // would make a loop
      msg("<a@x>", "", "z", 300),               // a duplicate Message-ID: unique
      msg("", "<a@x>", "w", 400),               // none at all
      msg("<self@x>", "<self@x>", "v", 500),   // refers to itself
      msg("bare@x", "", "u", 600),              // no brackets
      msg("<t@x>", "", "t", 700, "<bare@x>"),
  };
  Threads t = thread_references(in);
  CHECK_EQ(t.thread.size(), in.size());
  CHECK_EQ(t.thread[0], t.thread[1]);
  CHECK(t.parent[0] == -1 || t.parent[1] == -1);
  CHECK(t.thread[2] != t.thread[0]);
  CHECK_EQ(t.parent[3], 0);
  CHECK_EQ(t.parent[4], -1);
  CHECK_EQ(t.parent[6], 5);
}

TEST(a_long_chain_is_threaded_without_deep_recursion) {
  std::vector<ThreadInput> in;
  const int n = 30000;
  for (int i = 0; i < n; ++i) {
    in.push_back(msg("<m" + std::to_string(i) + "@x>",
                     i ? "<m" + std::to_string(i - 1) + "@x>" : "", "Re: long", i));
  }
  Threads t = thread_references(in);
  CHECK_EQ(t.parent[1], 0);
  CHECK_EQ(t.parent[5000], 4999);
  // past kMaxThreadDepth a link is refused; the subject brings it back
  CHECK_EQ(t.roots.size(), std::size_t{1});
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
