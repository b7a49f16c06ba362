// Threading messages into conversations: the REFERENCES algorithm of RFC 5256
// §3 (Jamie Zawinski's, as IMAP's THREAD=REFERENCES specifies it), and the
// base subject extraction of RFC 5256 §2.1 it groups threads by. One function
// for every caller: the archive tables' thread_id and IMAP's THREAD.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/mime/message.hpp"

namespace mailroom::mime {

struct BaseSubject {
  std::string text;         // the base subject, ASCII letters lower-cased for comparing
  bool reply_or_forward = false;  // "Re:", "Fw:", "Fwd:" or "(fwd)" was removed (§2.1)
};

// RFC 5256 §2.1, steps 1-6, on a subject already decoded to UTF-8 (RFC 2047
// words undone): white space runs become one space; trailing "(fwd)" and
// blanks, leading "Re:", "Fw:", "Fwd:" (with "[blob]"s before and inside
// them) and "[blob]"s that leave something behind are removed until nothing
// changes, and a "[fwd: ...]" wrapper is taken off and the steps repeated.
BaseSubject base_subject(std::string_view subject);

// The subject without its leading reply and forward prefixes, for writing a
// reply's or forward's subject: "Re:", "RE:", "Fw:", "Fwd:" (with "[blob]"s
// inside them, as §2.1), and "Aw:" that mail user agents write; "[tag]"s
// before them are kept ("[list] Re: x" -> "[list] x"), the case of the rest
// too; a trailing "(fwd)" is removed.
std::string subject_without_prefixes(std::string_view subject);

// What threading needs of one message.
struct ThreadInput {
  std::string message_id;   // the Message-ID field's raw value
  std::string in_reply_to;  // In-Reply-To, raw ("" when absent)
  std::string references;   // References, raw ("" when absent)
  std::string subject;      // decoded (UTF-8) Subject
  std::int64_t date = 0;    // sent date (Date field, else internal date), seconds
  // base_subject(subject) when already known (thread_input sets it, so the
  // threads that parse messages share that work); else threading finds it.
  std::optional<BaseSubject> base;
  // Of a message without a Message-ID: content_id(its bytes), which names
  // its thread when it is the root (thread_input sets it); 0 when not known.
  std::int64_t content_id = 0;
};

// The thread forest: containers for messages and for the dummies standing in
// for messages referred to but not present.
struct ThreadNode {
  std::int32_t message = -1;  // index into the input; -1 for a dummy
  std::vector<std::uint32_t> children;  // by sent date
};

struct Threads {
  std::vector<ThreadNode> nodes;
  std::vector<std::uint32_t> roots;   // one per thread, in RFC 5256 §3 step 7 order
  std::vector<std::uint32_t> thread;  // per input message: its thread (index into roots)
  std::vector<std::int32_t> parent;   // per input message: its parent message, -1 for none
  std::vector<std::int64_t> ids;      // per thread (as roots): its conversation_id
};

// A thread's id, the same for the same conversation whichever messages were
// threaded with it (several runs over parts of an archive agree): the first
// 8 bytes of SHA-256 of the root's msg-id written "<id>", big-endian, with the
// top bit cleared (a non-negative int64). The root is the oldest message the
// thread knows of, present or only referred to: the first msg-id of the
// References its messages carry (RFC 5322 §3.6.4 puts the conversation's first
// message first), else the top message's own Message-ID. Threads gathered by
// base subject alone (RFC 5256 §3 step 5) take the id of the thread they join
// (the one not a reply, else the earliest). A root without a Message-ID is
// named by its content: content_id of its bytes, and failing that of its
// subject and date.
std::int64_t conversation_id(std::string_view message_id);

// The first 8 bytes of SHA-256 of `bytes`, big-endian, the top bit cleared.
std::int64_t content_id(std::string_view bytes);

// A Message-ID field's msg-id, without its angle brackets: the first one, or
// the whole value when it is one bare word ("id@host", as some write it);
// empty when it has none.
std::string_view own_message_id(std::string_view field_value);

constexpr std::size_t kMaxThreadReferences = 1000;  // of one message, the last ones kept
constexpr std::size_t kMaxThreadDepth = 10'000;     // a deeper link is not made

// RFC 5256 §3, REFERENCES: (1) link messages by References (or the first
// Message-ID of In-Reply-To), a duplicate or missing Message-ID taken as
// unique, no link making a loop; (2) the root set; (3) dummies pruned;
// (4) siblings sorted by sent date (a dummy by its first child's), ties by
// input order; (5) root threads with the same base subject merged; (6) sorted
// again; (7) threads in order of their first message. Each thread's id as
// conversation_id says. Time O(n log n) for mail as it is (loop checks walk
// at most kMaxThreadDepth).
Threads thread_references(const std::vector<ThreadInput>& messages);

// RFC 5256 §3, ORDEREDSUBJECT ("poor man's threading"): messages sorted by
// base subject, then sent date, then input order; each run of one base
// subject is a thread whose first message is the parent of all the others
// (no deeper nesting); threads in order of their first message's sent date,
// ties by input order. The same Threads shape as thread_references (a
// thread's id names its first message).
Threads thread_ordered_subject(const std::vector<ThreadInput>& messages);

// A parsed message's Message-ID, In-Reply-To, References, decoded Subject
// and Date (0 when it has none that parses); without a Message-ID, the
// content_id of its bytes.
ThreadInput thread_input(const ParsedMessage& message);

// The msg-ids ("<...>") of a References or In-Reply-To value, in order,
// without their angle brackets; lenient about comments and white space.
std::vector<std::string_view> message_ids(std::string_view value);

// "<id>": a msg-id of message_ids() written with its angle brackets again.
std::string bracketed(std::string_view id);

}  // namespace mailroom::mime
