// The mail server: wires the SMTP listener (Boost.Asio, in net/), the protocol
// state machine (smtp/), reply rules and the mailbox store. No Asio in this
// header: the network lives behind a pimpl in one translation unit.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mailroom/engine/reply_rules.hpp"
#include "mailroom/pop3/config.hpp"
#include "mailroom/smtp/config.hpp"
#include "mailroom/smtp/handler.hpp"
#include "mailroom/store/mailbox_store.hpp"

namespace mailroom::engine {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t smtp_port = 0;  // 0 picks a free port
  std::string maildir;          // empty: keep mail in memory
  std::vector<std::string> domains;  // empty: accept every recipient (catch-all)
  smtp::Config smtp;
  int pop3_port = -1;  // -1: no POP3; 0 picks a free port
  pop3::Config pop3;
  // POP3 accounts (address -> password). None: test mode, where any password
  // opens the mailbox named in USER; allowed only on a loopback address.
  std::optional<std::map<std::string, std::string>> users;
  std::size_t max_connections = 1000;
  std::chrono::milliseconds idle_timeout{300'000};
  unsigned threads = 0;           // 0: one per two cores, at most 4
  std::size_t max_transcripts = 1000;  // session transcripts kept (oldest dropped)
  // The store is bounded too: past either limit a message gets 452 4.3.1
  // (insufficient storage, try later) and nothing is lost.
  std::size_t max_stored_messages = 1'000'000;  // copies (one per recipient)
  std::uint64_t max_stored_bytes = std::uint64_t{4} << 30;
};

// One finished or running SMTP session, for study and debugging.
struct SessionRecord {
  std::uint64_t id = 0;
  std::string protocol;  // "smtp", "pop3"
  std::string peer;
  std::string transcript;
  bool truncated = false;
  double started_at = 0;
  double ended_at = 0;  // 0 while running
  std::size_t messages = 0;
};

// Called before a message is stored; throwing answers 451 4.3.0 and stores
// nothing. A returned Decision other than Accept refuses the message with it.
using MessageHook = std::function<smtp::Decision(const std::string& data,
                                                 const store::Envelope& envelope)>;

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving; throws std::system_error (port taken, bad
  // address) or std::invalid_argument (bad option) without leaving threads.
  void start();
  // Closes the listener and every session, joins the threads. Idempotent.
  void stop();
  bool running() const;

  const std::string& host() const { return options_.host; }
  std::uint16_t smtp_port() const;
  std::uint16_t pop3_port() const;  // 0 when POP3 is off
  const ServerOptions& options() const { return options_; }

  store::MailboxStore& store() { return *store_; }
  ReplyRules& rules() { return rules_; }

  void set_message_hook(MessageHook hook);

  std::vector<SessionRecord> sessions() const;
  void clear_sessions();
  std::size_t active_connections() const;

  // Delivery of an accepted message (used by the sessions): adds Return-Path
  // and Received (RFC 5321 §4.4), stores one copy per recipient.
  smtp::Decision accept_message(const smtp::Envelope& env, std::string&& message,
                                const std::string& peer);
  // Recipient policy: the domains list, then the reply rules.
  smtp::Decision check_recipient(const smtp::Envelope& env, std::string_view rcpt);

  // Session bookkeeping (net/ calls these).
  std::uint64_t session_started(const std::string& peer, const char* protocol);
  void session_ended(std::uint64_t id, const std::string& transcript, bool truncated,
                     std::size_t messages);

  struct Network;  // Asio, in net/listener.cpp

 private:
  void init_store();
  ServerOptions options_;
  std::unique_ptr<store::MailboxStore> store_;
  ReplyRules rules_;
  mutable std::mutex hook_mutex_;
  std::shared_ptr<MessageHook> hook_;
  mutable std::mutex sessions_mutex_;
  std::deque<SessionRecord> sessions_;
  std::uint64_t next_session_ = 1;
  std::unique_ptr<Network> net_;
  std::uint64_t next_queue_id_ = 1;
  std::mutex id_mutex_;
};

// "Received: from ..." and "Return-Path: <...>" lines for a message (CRLF
// terminated, folded), RFC 5321 §4.4 with RFC 3848 protocol names.
std::string trace_headers(const smtp::Envelope& env, const std::string& peer,
                          const std::string& hostname, const std::string& id);

}  // namespace mailroom::engine
