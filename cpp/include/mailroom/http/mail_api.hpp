// The REST API over the mail store, sans-IO: requests in, responses out.
// Mailpit's API v1, compatible (paths, JSON field names, status codes and
// search syntax as in Mailpit's swagger document), over every account's
// INBOX, newest first; errors are JSON, {"Error": "..."}, naming the field
// at fault. The live parts (the WebSocket /api/events, the long poll
// /api/mailroom/wait) need a connection that answers later: the engine
// serves them, with the texts made here.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/http/message.hpp"
#include "mailroom/http/router.hpp"
#include "mailroom/http/server_session.hpp"
#include "mailroom/store/mail_store.hpp"

namespace mailroom::engine {
class ReplyRules;
class ImapReplyRules;
}  // namespace mailroom::engine

namespace mailroom::http {

// Sends a message the API built (POST /api/v1/send): local delivery or the
// outgoing queue. Throws std::invalid_argument (bad addresses) or
// std::runtime_error (store or queue full).
using SubmitMessage = std::function<void(const std::string& mail_from,
                                         const std::vector<std::string>& rcpts,
                                         std::string message)>;

// A session the server keeps (GET /api/mailroom/message/{ID}/transcript,
// GET /api/mailroom/transcripts): the transcript's "C: line" / "S: line"
// text, credentials masked.
struct SessionTranscript {
  std::string protocol;  // "smtp"
  std::string peer;      // "ip:port" of the client
  double started_at = 0;  // seconds since the epoch
  double ended_at = 0;    // 0 while it runs (no transcript yet)
  std::string transcript;
  bool truncated = false;
  std::uint64_t id = 0;
  std::size_t messages = 0;  // accepted in it
};

// One entry of the outgoing queue, as GET /api/mailroom/queue shows it.
struct QueuedMessage {
  std::string id;
  std::string from;  // "" for the null sender (a bounce)
  struct Recipient {
    std::string address, status, last_reply;  // status: "pending", "delivered", "failed"
    int attempts = 0;
  };
  std::vector<Recipient> rcpts;
  double arrived = 0, next_attempt = 0;  // seconds since the epoch
  int attempts = 0;
  std::size_t size = 0;
};

// What the engine lends the API beyond the store: the outgoing queue, the
// session transcripts and the reply rules. Unset (a server without them):
// the routes say so.
struct ServerControls {
  // nullopt when the queue is off (no relay)
  std::function<std::optional<std::vector<QueuedMessage>>()> queue;
  std::function<void()> flush_queue;
  std::function<bool(const std::string& id)> remove_queued;  // false: no such entry
  // Queues a copy of a message for `rcpts` (local ones are delivered);
  // throws std::invalid_argument for bad addresses, std::runtime_error when full.
  std::function<void(const std::string& mail_from, const std::vector<std::string>& rcpts,
                     std::string message)>
      relay;
  std::function<std::vector<SessionTranscript>()> transcripts;  // oldest first
  // The reply rules (GET/POST/DELETE /api/mailroom/rules, Mailpit's chaos).
  engine::ReplyRules* smtp_rules = nullptr;
  engine::ImapReplyRules* imap_rules = nullptr;
};

struct MailApiSettings {
  std::string version;   // of mailroom, for /api/v1/info
  std::string hostname;  // for the Message-ID of sent messages
  std::size_t max_message_size = 32 * 1024 * 1024;
  // The web mail client's folder: "/" is its index.html, "/web/{File}" its
  // other files (names of letters, digits, '-' and '_' with a known
  // extension, nothing else; never a file elsewhere). Empty: none.
  std::string web_root;
  // Whether a recipient leaves through the outgoing queue (the compose
  // route's "Queued"); unset: every recipient is local.
  std::function<bool(std::string_view rcpt)> is_remote;
  // The session with this id if the server still keeps it; unset: none kept.
  std::function<std::optional<SessionTranscript>(std::uint64_t id)> session;
};

// GET /api/mailroom/wait?to=&from=&subject=&timeout=&since=
struct WaitQuery {
  std::string to, from, subject;    // lower-cased substrings; all must match
  std::chrono::milliseconds timeout{30'000};
  double since = 0;  // only messages received at or after this time (seconds)
  std::optional<std::string> account;  // only this account's (Request::account)
};

class MailApi {
 public:
  MailApi(store::MailStore& store, SubmitMessage submit, MailApiSettings settings,
          ServerControls controls = {});
  ~MailApi();
  MailApi(const MailApi&) = delete;
  MailApi& operator=(const MailApi&) = delete;

  Answer handle(Request& request);
  // The routes it serves, {method, pattern} (the OpenAPI document's test).
  std::vector<std::pair<std::string, std::string>> routes() const;

  // The WebSocket texts for a store change: Mailpit's for an INBOX
  // ({"Type":"new","Data":summary}, "delete", "update", then "stats"), then
  // mailroom's "mailroom.folder" (the folder's Total and Unread) for any
  // folder; none for an account other than `account` (when given: a
  // logged-in user hears of their own mail only).
  std::vector<std::string> events_for(const store::StoreChange& change,
                                      const std::optional<std::string>& account = {}) const;
  // {"Type":"stats","Data":{"Total":..,"Unread":..,"Version":..}}
  std::string stats_event(const std::optional<std::string>& account = {}) const;

  // Reads a wait query; false with a 400 response naming the parameter.
  static bool parse_wait(const Request& request, WaitQuery& query, Response& error);
  // The summary JSON of the newest INBOX message matching `query`, "" when none.
  std::string wait_match(const WaitQuery& query) const;
  // The same for one message that just arrived.
  std::string wait_match(const WaitQuery& query, const std::string& account,
                         std::uint32_t uid) const;
  // The 200 answer with a summary text.
  static Response json_text(std::string text);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mailroom::http
