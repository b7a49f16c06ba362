// The IMAP4rev1 server protocol state machine (RFC 3501, with the rules of
// RFC 9051 where the two agree) and the extensions LITERAL+ (RFC 7888),
// SASL-IR (RFC 4959), ID (RFC 2971), ENABLE (RFC 5161), IDLE (RFC 2177),
// NAMESPACE (RFC 2342), UNSELECT (RFC 3691), UIDPLUS (RFC 4315), MOVE (RFC
// 6851), SORT and THREAD (RFC 5256, with SORT=DISPLAY of RFC 5957),
// COMPRESS=DEFLATE (RFC 4978), BINARY (RFC 3516), MULTIAPPEND (RFC 3502),
// UTF8=ACCEPT (RFC 6855), AUTH=CRAM-MD5 (RFC 2195), CHILDREN (RFC 3348), SPECIAL-USE (RFC 6154), APPENDLIMIT (RFC 7889),
// NOTIFY (RFC 5465) and CATENATE (RFC 4469).
//
// No I/O: the transport moves the bytes it reads into feed() and writes the
// Output records that come back, in order. Folders and messages are the
// store's (store::MailStore, thread-safe); logins go to a Handler.
//
//   ServerSession s(config, handler, store, cache, "192.0.2.1:52344");
//   write(s.greeting());
//   while (!s.closed()) {
//     std::vector<Output> out;
//     s.feed(read_some(), out);       // any split of the stream gives the same responses
//     for (auto& o : out) { wait(o.delay_ms); write_gather(o.bytes, o.body, o.tail);
//                           if (o.start_tls) handshake(); if (o.close_after) close(); }
//   }
//   // another session or a delivery changed the selected folder:
//   s.store_changed(out);           // in IDLE: untagged updates now; else at the next command
//
// States (RFC 9051 §3): not authenticated, authenticated, selected, logout.
//
// Input: a command is lines joined by literals. A line ending in "{n}" is
// answered "+ " (unless n is too big: NO [TOOBIG]) and n octets follow;
// "{n+}" (LITERAL+) is not answered; "~{n}" is APPEND's literal8. Lines end at
// LF (a CR before it is dropped); a line over Config::max_command_line gets BAD
// and its octets are dropped as they stream by; a command's lines and
// literals are bounded by Config::max_command_size (APPEND's message by
// max_literal). Commands may be pipelined; responses come in order.
//
// Many sessions on one folder: each selected session keeps its own view (the
// message records it has told its client about, in sequence order). At the end
// of a command (or at once in IDLE) it brings that view up to date (looking up
// the messages the Handler noted as changed, or else comparing the whole
// folder) and reports what others changed: EXPUNGE, FETCH (FLAGS), EXISTS,
// by the rules of RFC 9051 §7.5.1 (no EXPUNGE during FETCH, STORE and SEARCH,
// whose sequence numbers must stay put; their UID forms may have them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/imap/arguments.hpp"
#include "mailroom/imap/config.hpp"
#include "mailroom/imap/handler.hpp"
#include "mailroom/imap/message_cache.hpp"
#include "mailroom/imap/sequence_set.hpp"  // compact_set
#include "mailroom/store/mail_store.hpp"
#include "mailroom/text.hpp"

namespace mailroom::imap {

struct FetchItem;

// One piece of output: `bytes`, then `*body` when set, then `tail`. A FETCH of
// a whole message carries the store's string in `body` (no copy).
struct Output {
  std::string bytes;
  std::shared_ptr<const std::string> body;
  std::string_view tail;       // a static string
  std::uint32_t delay_ms = 0;  // wait this long before writing it
  bool close_after = false;
  bool start_tls = false;      // begin the TLS handshake once written (STARTTLS)
  // COMPRESS DEFLATE (RFC 4978): from the next octet read on, and for all
  // output after this one, every byte is raw DEFLATE.
  bool start_compression = false;
  bool ok = true;              // false: it ends in a NO, BAD or BYE

  std::size_t size() const { return bytes.size() + (body ? body->size() : 0) + tail.size(); }
  std::string wire() const;
};

enum class State { NotAuthenticated, Authenticated, Selected, Logout };
const char* to_string(State s);

class ServerSession {
 public:
  // `config`, `handler`, `store` and `cache` must outlive the session.
  ServerSession(const Config& config, Handler& handler, store::MailStore& store,
                MessageCache& cache, std::string peer);
  ~ServerSession();
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  // "* OK [CAPABILITY ...] <hostname> IMAP4rev1 server ready". Once, first.
  Output greeting();
  void feed(std::string_view data, std::vector<Output>& out);
  // The TLS handshake finished (STARTTLS), or before greeting(): implicit TLS.
  void tls_established();
  // The autologout timer expired (RFC 9051 §5.4): BYE and close.
  void on_timeout(std::vector<Output>& out);
  // A login answered later (LoginResult::Pending): input fed meanwhile is
  // held until resume_login() gives the answer.
  bool paused() const { return paused_; }
  // How long the client may be silent before on_timeout() (Config::autologout).
  std::chrono::milliseconds idle_timeout() const { return cfg_.autologout; }
  void resume_login(LoginResult result, std::vector<Output>& out);
  // Store work the Handler ran elsewhere (Handler::run_store_work) is done:
  // the command's responses, then the input held meanwhile.
  void resume_store(std::vector<Output>& out);
  // The selected folder changed in the store: untagged responses now when
  // idling, else at the end of the next command. After NOTIFY SET, also
  // what the handler queued about other mailboxes (take_notifications),
  // and the selected one's news at once (RFC 5465).
  void store_changed(std::vector<Output>& out);
  bool notifying() const { return notify_.has_value(); }

  bool closed() const { return state_ == State::Logout; }
  State state() const { return state_; }
  const std::string& peer() const { return peer_; }
  const std::string& account() const { return account_; }
  const std::string& folder() const { return folder_; }  // selected; "" when none
  bool read_only() const { return read_only_; }
  bool idling() const { return idling_; }
  bool tls_active() const { return tls_active_; }
  bool condstore() const { return condstore_; }
  bool qresync() const { return qresync_; }
  bool imap4rev2() const { return rev2_; }

  bool compressing() const { return compressing_; }
  bool utf8_accepted() const { return utf8_; }
  // Messages the client knows of in the selected folder (its EXISTS).
  std::size_t exists() const { return view_.size(); }
  const std::string& transcript() const { return transcript_.text(); }
  bool transcript_truncated() const { return transcript_.truncated(); }
  unsigned error_count() const { return errors_; }
  std::size_t buffered_bytes() const { return line_.size() + command_.size(); }
  std::size_t messages_appended() const { return appended_; }

 private:
  // ---- input (server_session.cpp)
  void line_done(std::string_view line, std::vector<Output>& out);
  void overlong_line(std::vector<Output>& out);
  void literal_announced(std::string_view line, std::uint64_t n, bool sync,
                         std::vector<Output>& out);
  void command(std::string_view text, std::vector<Output>& out);
  void dispatch(const std::string& tag, const std::string& name, Arguments& a,
                std::vector<Output>& out);
  // A reply rule's answer to the command `name`; true when it answered.
  bool ruled(const std::string& tag, std::string_view text, const std::string& name,
             std::size_t args, std::vector<Output>& out);
  void raw_line(std::string_view line, std::vector<Output>& out);  // SASL, IDLE's DONE
  // Runs `fn`, answering what it throws (SyntaxError: BAD; store errors: NO
  // with their response code) with `tag`.
  void guarded(const std::string& tag, const std::function<void()>& fn,
               std::vector<Output>& out);

  // ---- store work off the session's thread (store_work.cpp)
  // `work` calls the store only (no member of the session: it may run on
  // another thread); `done` then answers on the session's thread. Until
  // then the session is paused(): the next pipelined command waits, so
  // untagged responses keep the order of RFC 9051 §7.
  void run_store(const std::string& tag, std::function<void()> work,
                 std::function<void(std::vector<Output>&)> done, std::vector<Output>& out);

  // ---- responses (server_session.cpp)
  void untagged(std::string_view text);
  void tagged(std::vector<Output>& out, const std::string& tag, std::string_view status,
              std::string_view text, std::uint32_t delay_ms = 0);
  void bye(std::vector<Output>& out, std::string_view text);
  void flush(std::vector<Output>& out);
  void emit(std::vector<Output>& out, Output o);
  void log_client(std::string_view text);
  std::string capabilities() const;

  // ---- the selected folder (server_session.cpp)
  void select_view(const std::string& folder, bool read_only);
  void deselect();
  // Compares the view with the store and queues EXPUNGE (when
  // `expunges`), FETCH (FLAGS) and EXISTS responses.
  void sync(bool expunges);
  // What one sync changes in the view (selected_view.cpp).
  struct ViewUpdate;
  // The view brought up to date by looking up only `uids` (the handler's
  // note of what changed) and the expunges held back before; false (the
  // view untouched) when they cannot tell, e.g. a message new to the view
  // that is not after its last. Throws NoSuchFolder.
  bool apply_folder_changes(std::vector<std::uint32_t> uids, bool expunges, ViewUpdate& u);
  // The view brought up to date by comparing it with the whole folder.
  void compare_view(bool expunges, ViewUpdate& u);
  std::string cache_key(std::uint32_t uid) const;
  // The cached parse of a message of the view (an empty message when another
  // session expunged it meanwhile).
  std::shared_ptr<const mime::ParsedMessage> parsed_message(const store::MessagePtr& m);
  // The view's positions (0-based) a set names, sorted; throws SyntaxError.
  std::vector<std::size_t> resolve(const SequenceSet& set, bool uid) const;
  std::string flags_text(const store::Message& m) const;
  // \Recent in this session (RFC 3501 §2.3.2).
  bool recent(std::uint32_t uid) const;
  std::size_t recent_count() const;
  // Claims the view's new messages as recent here (read-write sessions).
  void claim_recent();

  // ---- commands (commands_session.cpp)
  void cmd_capability(const std::string& tag, Arguments& a, std::vector<Output>& out);
  void cmd_starttls(const std::string& tag, Arguments& a, std::vector<Output>& out);
  void cmd_login(const std::string& tag, Arguments& a, std::vector<Output>& out);
  void cmd_authenticate(const std::string& tag, Arguments& a, std::vector<Output>& out);
  void auth_response(std::string_view line, std::vector<Output>& out);
  void try_login(std::string_view authzid, std::string_view user, std::string_view password,
                 std::vector<Output>& out);
  void finish_login(LoginResult r, std::vector<Output>& out);
  bool logins_allowed() const { return cfg_.plaintext_auth || tls_active_; }
  void cmd_id(const std::string& tag, Arguments& a, std::vector<Output>& out);
  void cmd_enable(const std::string& tag, Arguments& a, std::vector<Output>& out);
  void cmd_idle(const std::string& tag, Arguments& a, std::vector<Output>& out);

  // ---- commands (commands_folders.cpp)
  void cmd_select(const std::string& tag, Arguments& a, bool read_only, std::vector<Output>& out);
  void cmd_create(const std::string& tag, Arguments& a, std::vector<Output>& out);
  void cmd_delete(const std::string& tag, Arguments& a, std::vector<Output>& out);
  void cmd_rename(const std::string& tag, Arguments& a, std::vector<Output>& out);
  void cmd_subscribe(const std::string& tag, Arguments& a, bool on, std::vector<Output>& out);
  // LIST with LIST-EXTENDED and LIST-STATUS; LSUB (list_extended.cpp).
  void cmd_list(const std::string& tag, Arguments& a, bool lsub, std::vector<Output>& out);
  void cmd_namespace(const std::string& tag, Arguments& a, std::vector<Output>& out);
  void cmd_status(const std::string& tag, Arguments& a, std::vector<Output>& out);
  // STATUS's "(item ...)" (RFC 9051 §6.3.11, RFC 8438 SIZE, RFC 7162
  // HIGHESTMODSEQ); and the "STATUS name (...)" answer for a folder (throws
  // store errors). LIST-STATUS (RFC 5819) shares both.
  std::vector<std::string> read_status_items(Arguments& a);
  std::string status_line(const std::string& folder, const std::vector<std::string>& items);
  void cmd_append(const std::string& tag, Arguments& a, std::vector<Output>& out);
  // CATENATE (RFC 4469, catenate.cpp): the message that "SP (cat-part ...)"
  // after APPEND's word CATENATE puts together. Throws SyntaxError; sets
  // `refusal` ("[BADURL url] ...", "[TOOBIG] ...") when it cannot be made.
  std::string catenate(Arguments& a, std::string& refusal);
  // The octets an IMAP URL (RFC 5092) of this account names.
  std::string url_part(std::string_view url, std::string& refusal);
  // UTF8=ACCEPT (utf8_accept.cpp): ENABLE's part, and the name on the wire.
  bool enable_utf8_accept();
  std::string utf8_wire_name(std::string_view name) const;
  // A mailbox argument: modified UTF-7 decoded (UTF-8 as it is after
  // ENABLE UTF8=ACCEPT); throws SyntaxError.
  std::string mailbox(Arguments& a);
  // The store's name as the client sees it (modified UTF-7, quoted).
  std::string wire_name(std::string_view name) const;

  // ---- commands (commands_messages.cpp)
  void cmd_close(const std::string& tag, Arguments& a, bool expunge, std::vector<Output>& out);
  void cmd_expunge(const std::string& tag, Arguments& a, bool uid, std::vector<Output>& out);
  void cmd_search(const std::string& tag, Arguments& a, bool uid, std::vector<Output>& out);
  void cmd_fetch(const std::string& tag, Arguments& a, bool uid, std::vector<Output>& out);
  void cmd_store(const std::string& tag, Arguments& a, bool uid, std::vector<Output>& out);
  void cmd_copy(const std::string& tag, Arguments& a, bool uid, bool move,
                std::vector<Output>& out);
  // The FETCH responses for the view's `positions` (FLAGS added where
  // `seen_now`, as BODY[] set \Seen); true when some had been expunged.
  bool fetch_responses(const std::vector<FetchItem>& items, const std::vector<std::size_t>& positions,
                       const std::vector<bool>& seen_now, bool uid, bool changed_since,
                       std::vector<Output>& out);
  // NOTIFY's MessageNew "(fetch-att ...)": read (SyntaxError, also for one
  // that would set \Seen), and answered for the view's messages from
  // position `from` on.
  void check_notify_fetch(Arguments& a);
  void notify_fetch(const std::string& attributes, std::size_t from, std::vector<Output>& out);

  // ---- NOTIFY (RFC 5465) (notify.cpp)
  void cmd_notify(const std::string& tag, Arguments& a, std::vector<Output>& out);
  NotifyGroup read_notify_group(Arguments& a, bool& bad_event);
  // The queued changes as untagged responses (STATUS, LIST), and the
  // selected mailbox's when its group asks for them; flushed.
  void notify_changes(std::vector<Output>& out);
  void notify_status(const std::string& folder, const NotifyEvents& events);
  void notify_off();
  // The responses of STORE and COPY/MOVE once the store has done its part.
  void store_answer(const std::string& tag, bool uid, bool silent,
                    const std::vector<std::size_t>& positions, store::StoreResult r,
                    std::vector<Output>& out);
  void copy_answer(const std::string& tag, bool move, const char* verb,
                   const store::CopyResult& r, std::vector<Output>& out);

  // ---- CONDSTORE and QRESYNC (RFC 7162), ENABLE (RFC 5161) (condstore.cpp)
  // Turns on what ENABLE names; returns the words newly enabled ("" when none).
  std::string enable(std::string_view capability);
  void enable_condstore() { condstore_ = true; }
  // SELECT/EXAMINE's "(CONDSTORE)" / "(QRESYNC (...))" parameters (RFC 7162
  // §3.1.8, §3.2.5); reads to the end. Throws SyntaxError.
  struct SelectSync {
    bool qresync = false;
    std::uint32_t uidvalidity = 0;
    std::uint64_t modseq = 0;
    std::vector<SequenceRange> known_uids;  // empty: all
    std::vector<SequenceRange> match_seqs, match_uids;
  };
  SelectSync read_select_params(Arguments& a);
  // After SELECT's own responses: VANISHED (EARLIER) and FETCH of what
  // changed since the client's modseq (RFC 7162 §3.2.5.2).
  void qresync_select(const SelectSync& p);
  // FETCH's "(CHANGEDSINCE n [VANISHED])" modifier (RFC 7162 §3.1.4.1,
  // §3.2.6); reads it when it comes next.
  struct FetchChangedSince {
    std::optional<std::uint64_t> since;
    bool vanished = false;
  };
  FetchChangedSince read_fetch_modifiers(Arguments& a, bool uid);
  // STORE's "(UNCHANGEDSINCE n)" modifier (RFC 7162 §3.1.3).
  std::optional<std::uint64_t> read_store_modifiers(Arguments& a);
  // "* VANISHED [(EARLIER) ]uid-set" for UIDs gone since `modseq` that `set`
  // names (RFC 7162 §3.2.10).
  void vanished_since(std::uint64_t modseq, const std::vector<SequenceRange>& uids, bool earlier);
  // " MODSEQ (n)" for FETCH responses about flag changes once CONDSTORE is on.
  std::string modseq_item(const store::Message& m) const;

  // ---- ESEARCH (RFC 4731), SEARCHRES (RFC 5182) (esearch.cpp)
  struct SearchReturn {
    bool given = false;  // RETURN (...) was written
    bool min = false, max = false, all = false, count = false, save = false;
  };
  SearchReturn read_search_return(Arguments& a);
  // The untagged answer to SEARCH: "* SEARCH ..." or "* ESEARCH ...".
  void search_results(const std::string& tag, bool uid, const SearchReturn& r,
                      const std::vector<std::size_t>& positions,
                      std::optional<std::uint64_t> modseq);

  // ---- commands (compression.cpp)
  void cmd_compress(const std::string& tag, Arguments& a, std::vector<Output>& out);

  // ---- commands (sort_thread.cpp)
  void cmd_sort(const std::string& tag, Arguments& a, bool uid, std::vector<Output>& out);
  void cmd_thread(const std::string& tag, Arguments& a, bool uid, std::vector<Output>& out);
  // "charset SP search-criteria" (RFC 5256 §4) to the end of `a`: the view's
  // positions (0-based) that match, ascending. An unknown charset is answered
  // NO [BADCHARSET] and `refused` set.
  // The view's positions (0-based, ascending) that the search criteria to
  // the end of `a` match; `uses_modseq` when they name MODSEQ (which turns
  // CONDSTORE on). SEARCH, SORT and THREAD share it. Throws SyntaxError.
  std::vector<std::size_t> matching(Arguments& a, bool& uses_modseq);
  std::vector<std::size_t> search_positions(Arguments& a, const std::string& tag, bool& refused,
                                            std::vector<Output>& out);

  const Config& cfg_;
  Handler& handler_;
  store::MailStore& store_;
  MessageCache& cache_;
  std::string peer_;

  State state_ = State::NotAuthenticated;
  bool tls_active_ = false;
  bool tls_pending_ = false;  // STARTTLS answered: input dropped until the handshake
  bool compressing_ = false;  // COMPRESS DEFLATE answered OK
  bool utf8_ = false;         // ENABLE UTF8=ACCEPT (RFC 6855)
  bool switching_input_ = false;  // ... just now: the rest of this feed() is not read

  // Input.
  std::string line_;             // the partial line (bounded by max_command_line)
  std::string command_;          // the lines and literals of the command so far
  std::uint64_t literal_left_ = 0;
  bool discarding_ = false;      // dropping the rest of an overlong line
  std::size_t discarded_ = 0;
  std::string discarded_tag_;    // the tag of the overlong command, when it was read
  unsigned errors_ = 0;
  unsigned auth_failures_ = 0;

  // A SASL exchange (AUTHENTICATE) in progress.
  enum class Sasl { None, Plain, LoginUser, LoginPassword, CramMd5 } sasl_ = Sasl::None;
  std::string sasl_tag_, sasl_user_, sasl_challenge_;
  // IDLE in progress (RFC 2177).
  bool idling_ = false;
  std::string idle_tag_;
  // A login waiting for its answer.
  bool paused_ = false;
  std::string held_;
  std::string login_tag_;
  // Store work running elsewhere: how its command ends.
  std::function<void(std::vector<Output>&)> store_done_;

  // The session.
  std::string account_;
  std::string folder_;
  bool read_only_ = false;
  std::uint32_t uidvalidity_ = 0;
  std::vector<store::MessagePtr> view_;  // sequence order (ascending UID)
  // UID ranges [first, last] that are \Recent in this session, ascending.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> recent_;
  bool dirty_ = false;                   // the store may differ from the view
  // UIDs expunged from the store that are still in the view, as a command
  // that allows no EXPUNGE left them (ascending).
  std::vector<std::uint32_t> held_expunges_;
  bool closing_ = false;                 // the selected folder went away: BYE
  std::size_t appended_ = 0;

  // Extensions a client turned on (ENABLE, or CONDSTORE by its first use).
  bool condstore_ = false;  // RFC 7162 §3.1: MODSEQ in FETCH of flag changes
  bool qresync_ = false;    // RFC 7162 §3.2: VANISHED instead of EXPUNGE
  bool rev2_ = false;       // RFC 9051: no \Recent, ESEARCH answers to SEARCH
  // SEARCHRES "$" (RFC 5182): the saved result, as UIDs (ascending);
  // emptied by SELECT, EXAMINE, CLOSE, UNSELECT and a failed SEARCH ... SAVE.
  std::vector<std::uint32_t> saved_uids_;

  // NOTIFY SET in force (RFC 5465); none before it and after NOTIFY NONE.
  std::optional<NotifySpec> notify_;
  bool uid_command_ = false;  // the command in progress is a UID command

  std::string pending_;  // untagged responses of the command in progress
  std::uint32_t reply_delay_ms_ = 0;  // a reply rule's delay for the next output
  Transcript transcript_;
};

}  // namespace mailroom::imap
