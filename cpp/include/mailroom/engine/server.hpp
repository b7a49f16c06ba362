// The mail server: its options and listeners, protocol policy, TLS, and the
// wiring of the network layer (net/, which knows no protocol), the protocol
// state machines (smtp/, pop3/), reply rules, the mailbox store and the
// outgoing queue. No sockets here: net::Network owns them.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mailroom/engine/event_bus.hpp"
#include "mailroom/engine/imap_reply_rules.hpp"
#include "mailroom/engine/reply_rules.hpp"
#include "mailroom/imap/config.hpp"
#include "mailroom/net/network.hpp"
#include "mailroom/pop3/config.hpp"
#include "mailroom/queue/clock.hpp"
#include "mailroom/queue/outgoing_queue.hpp"
#include "mailroom/smtp/config.hpp"
#include "mailroom/smtp/handler.hpp"
#include "mailroom/store/mail_store.hpp"

namespace mailroom::engine {

class BlockingWork;
class ImapSessions;

// TLS for the listeners (STARTTLS, STLS, SMTPS, POP3S).
struct TlsOptions {
  std::string cert_file;  // PEM: the certificate, then its chain
  std::string key_file;   // PEM private key
  // true: ignore the files; make a throwaway CA and a certificate for the
  // host name, localhost, 127.0.0.1 and ::1 at start (Server::tls_ca_pem()).
  bool throwaway = false;
  // The handshake must finish in this time, or the connection is closed.
  std::chrono::milliseconds handshake_timeout{10'000};
};

// Checks a password for AUTH and POP3 logins when no users map is given
// (a Python callable, say). May be called from any network thread.
using PasswordCheck = std::function<bool(const std::string& user, const std::string& password)>;

enum class Protocol { Smtp, Pop3, Imap, Http };

// One listening socket: what it serves, how TLS starts, where.
//   {"smtp", Smtp, StartTls, "", 25}, {"submission", Smtp, StartTls, "", 587,
//   true}, {"smtps", Smtp, Implicit, "", 465}, {"pop3", Pop3, StartTls, "",
//   110}, {"pop3s", Pop3, Implicit, "", 995}, {"imap", Imap, StartTls, "", 143},
//   {"imaps", Imap, Implicit, "", 993}, {"http", Http, None, "", 8025},
//   {"https", Http, Implicit, "", 8443}
// TLS modes other than None need ServerOptions::tls. Checked by
// Server::check_options().
struct ListenerOptions {
  std::string name;  // unique; Server::port(name) after start()
  Protocol protocol = Protocol::Smtp;
  net::TlsMode tls = net::TlsMode::None;
  std::string host;  // empty: ServerOptions::host
  int port = 0;      // 0 picks a free port
  bool auth_required = false;  // AUTH before MAIL (submission, RFC 6409); SMTP only
  // This listener's own cap; 0: three quarters of max_connections when there
  // are several listeners, so one protocol's clients cannot lock out the rest.
  std::size_t max_connections = 0;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::vector<ListenerOptions> listeners = {{"smtp", Protocol::Smtp}};
  std::string maildir;          // empty: keep mail in memory
  std::vector<std::string> domains;  // empty: accept every recipient (catch-all)
  // Where <postmaster> and postmaster@ each local domain go (RFC 5321 §4.5.1):
  // empty means postmaster@ the first domain (or @ the host name without domains).
  std::string postmaster;
  smtp::Config smtp;
  pop3::Config pop3;
  imap::Config imap;
  // POP3 accounts (address -> password). None: test mode, where any password
  // opens the mailbox named in USER; allowed only on a loopback address.
  std::optional<std::map<std::string, std::string>> users;
  PasswordCheck password_check;  // used when `users` is not given
  // TLS (RFC 3207 STARTTLS, RFC 2595 STLS, RFC 8314 implicit TLS); TLS 1.2+.
  std::optional<TlsOptions> tls;
  // Passwords in clear (AUTH, USER/PASS outside TLS). None: only when the
  // server has no TLS at all and the client is on a loopback address.
  std::optional<bool> allow_plaintext_auth;
  // Relaying through the outgoing queue. Off: every recipient is local (or
  // refused by `domains`). On: recipients outside `domains`, or with a route
  // of their own (or "*" when `domains` is empty), are queued for the next
  // hop, but only for clients in `relay_networks` or logged in (AUTH); anyone
  // else gets 550 5.7.1. Never an open relay.
  bool relay = false;
  std::vector<std::string> relay_networks = {"127.0.0.0/8", "::1/128"};  // CIDR
  queue::QueueOptions queue;
  bool manual_clock = false;  // the queue's clock moves only by advance()
  // RFC 5321 §6.3: more Received lines than this is a loop: 554 5.4.6.
  std::size_t max_received = 100;
  std::size_t max_connections = 1000;
  // From one client address; nullopt: a quarter of max_connections (0: no
  // limit). Loopback clients are exempt in test mode (no users).
  std::optional<std::size_t> max_connections_per_ip;
  std::chrono::milliseconds idle_timeout{300'000};
  // Octets a second a message transfer (DATA, BDAT) or a large reply (RETR)
  // must keep up once idle_timeout is spent: a slower one gets 421 4.4.2
  // and is closed (Postfix's smtpd_min_data_rate); 0: no minimum.
  std::size_t min_data_rate = 500;
  // Past 80% of max_connections, idle clients get this instead (Postfix's
  // stress mode); 0: off.
  std::chrono::milliseconds stress_idle_timeout{10'000};
  unsigned threads = 0;           // 0: one per two cores, at most 4
  std::size_t max_transcripts = 1000;  // session transcripts kept (oldest dropped)
  // The store is bounded too: past either limit a message gets 452 4.3.1
  // (insufficient storage, try later) and nothing is lost.
  std::size_t max_stored_messages = 1'000'000;  // copies (one per recipient)
  std::uint64_t max_stored_bytes = std::uint64_t{4} << 30;
  std::string product_version = "0";  // what HTTP's /api/v1/info reports
  std::string web_root;  // the web mail client's static files; empty: none served
  // HTTP's bearer tokens (token -> account), for REST clients of a server
  // with users (http/logins.hpp).
  std::map<std::string, std::string, std::less<>> http_tokens;
  // Test mode shows every mailbox over HTTP without a login, so it is served
  // on a loopback address only, unless this asks for more.
  bool public_http = false;
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

  // Throws std::invalid_argument naming the first bad option (listeners,
  // limits, timeouts); start() calls it.
  void check_options() const;
  // Binds and starts serving; throws std::system_error (port taken, bad
  // address) or std::invalid_argument (bad option) without leaving threads.
  void start();
  // Closes the listener and every session, joins the threads. Idempotent.
  void stop();
  bool running() const;

  const std::string& host() const { return options_.host; }
  // The bound port of the listener named `name`; 0 when stopped or none.
  std::uint16_t port(std::string_view name) const;
  std::uint16_t smtp_port() const { return port("smtp"); }
  std::uint16_t pop3_port() const { return port("pop3"); }
  std::uint16_t smtps_port() const { return port("smtps"); }
  std::uint16_t submission_port() const { return port("submission"); }
  std::uint16_t pop3s_port() const { return port("pop3s"); }
  std::uint16_t imap_port() const { return port("imap"); }
  std::uint16_t imaps_port() const { return port("imaps"); }
  std::uint16_t http_port() const { return port("http"); }
  std::uint16_t https_port() const { return port("https"); }
  // The throwaway CA (TlsOptions::throwaway) and the certificate served, as
  // PEM; empty before start() or without them.
  const std::string& tls_ca_pem() const { return tls_ca_pem_; }
  const std::string& tls_certificate_pem() const { return tls_certificate_pem_; }
  const ServerOptions& options() const { return options_; }
  // For settings added after construction; only before start().
  ServerOptions& options_before_start() {
    if (net_) throw std::logic_error("the server is running: stop it to change its settings");
    return options_;
  }

  store::MailStore& store() { return *store_; }
  // Every store change, session start and end, and queue event; subscribers
  // run on the publishing thread and must not block (event_bus.hpp).
  EventBus& events() { return events_; }
  // What the IMAP sessions share (parsed messages, who watches which folder).
  ImapSessions& imap_sessions() { return *imap_; }
  // The reply rules of the IMAP sessions (imap_reply_rules.hpp).
  ImapReplyRules& imap_rules();
  ReplyRules& rules() { return rules_; }

  void set_message_hook(MessageHook hook);

  // The outgoing queue: null until the first start() with `relay` on.
  queue::OutgoingQueue* queue() { return queue_.get(); }
  queue::Clock& clock() { return *clock_; }
  // Recreates the clock (only before the queue is made).
  void set_manual_clock(bool manual);
  // Checks the relay settings and makes the queue (when relaying); start()
  // calls it, or a caller that wants the queue before start(). Throws
  // std::invalid_argument for bad settings.
  void prepare_queue();
  // Whether `rcpt` leaves through the queue (relaying on, not a local domain).
  bool is_remote(std::string_view rcpt) const;
  // The postmaster account when `rcpt` is <postmaster> or postmaster@ a local
  // domain (the local part compared case-insensitively), else empty.
  std::string postmaster_for(std::string_view rcpt) const;
  std::string postmaster_account() const;
  // The account a local recipient's mail goes to: with users, a subaddress
  // of a user (RFC 5233: bob+signup@x.test) is that user's; else itself.
  std::string local_account_for(const std::string& rcpt) const;
  // Whether the client at `peer` (with `env`'s login) may relay.
  bool may_relay(const smtp::Envelope& env, const std::string& peer) const;
  // Queues or stores a message given by the application (no relay check):
  // adds a Received line; returns the id. Throws std::runtime_error
  // (queue or store full, disk) or std::invalid_argument.
  std::string submit(const std::string& mail_from, const std::vector<std::string>& rcpts,
                     std::string message);

  std::vector<SessionRecord> sessions() const;
  // One of them by id; nullopt once it has been dropped (max_transcripts).
  std::optional<SessionRecord> session(std::uint64_t id) const;
  void clear_sessions();
  std::size_t active_connections() const;

  // Delivery of an accepted message (used by the sessions): adds Return-Path
  // and Received (RFC 5321 §4.4), stores one copy per recipient. `session`:
  // the SMTP session's id (session_started()), kept in the stored envelope.
  smtp::Decision accept_message(const smtp::Envelope& env, std::string&& message,
                                const std::string& peer, std::uint64_t session = 0);
  // The domains list and the relay rules alone (no reply rules): the refusal
  // of `rcpt` (550 5.7.1), or nullopt when it is delivered locally or, with
  // `may_relay`, queued. SMTP's RCPT and the HTTP API's sending both ask it.
  std::optional<smtp::Decision> recipient_refusal(std::string_view rcpt, bool may_relay) const;
  // Recipient policy: recipient_refusal(), then the reply rules.
  smtp::Decision check_recipient(const smtp::Envelope& env, std::string_view rcpt,
                                 const std::string& peer);

  // Accounts (users map, else password_check, else test mode: anyone).
  // Constant time in the length of the given password.
  bool check_password(std::string_view user, std::string_view password) const;
  // CRAM-MD5 (RFC 2195): the expected digest needs the shared secret, which
  // only a users map has. Test mode accepts any digest.
  bool check_cram_md5(std::string_view user, std::string_view challenge,
                      std::string_view digest) const;
  // A fresh "<random.time@hostname>" for CRAM-MD5.
  std::string new_challenge() const;
  bool has_secrets() const { return options_.users.has_value(); }
  bool test_mode_accounts() const { return !options_.users && !options_.password_check; }
  // Whether a client at `peer` may send a password outside TLS.
  bool plaintext_auth_allowed(const std::string& peer) const;
  // Whether `peer` ("ip:port", "[v6]:port") is a loopback address: a
  // process of this host, over no network.
  static bool loopback_peer(const std::string& peer);

  // Session bookkeeping (net/ calls these).
  std::uint64_t session_started(const std::string& peer, const char* protocol);
  void session_ended(std::uint64_t id, const std::string& transcript, bool truncated,
                     std::size_t messages);

  // Whether a listener requires AUTH before MAIL (submission).
  bool has_submission_listener() const;

  // Whether accept_message() may block (a message hook, a Maildir or a spool
  // to fsync) and check_password() (a password_check callable): the sessions
  // then run them with run_blocking(), off the network threads.
  bool delivery_may_block() const;
  bool password_check_may_block() const { return !options_.users && options_.password_check; }
  // Runs `job` on the threads for blocking work (inline when stopped).
  void run_blocking(std::function<void()> job);

 private:
  void init_store();
  void deliver_bounce(const std::string& rcpt, std::string message);
  // RFC 3461 §5.2.3: a "delivered" report for the local recipients (indexes
  // into env.rcpt_to) that asked for one with NOTIFY=SUCCESS.
  void report_local_delivery(const smtp::Envelope& env, const std::vector<std::size_t>& local,
                             std::string_view message, const std::string& id);
  // A copy for the mailboxes: Return-Path (at final delivery, RFC 5321
  // §4.4), the trace line, the message.
  static std::shared_ptr<std::string> final_copy(std::string_view mail_from, std::string_view trace,
                                                 std::string_view message);
  static std::shared_ptr<store::Envelope> make_envelope(const std::string& mail_from,
                                                        std::vector<std::string> rcpts,
                                                        const std::string& peer);
  std::string local_id();
  ServerOptions options_;
  // Before the store and the queue, which publish into it: destroyed after them.
  EventBus events_;
  std::unique_ptr<store::MailStore> store_;
  std::unique_ptr<ImapSessions> imap_;  // subscribed to events_
  ReplyRules rules_;
  mutable std::mutex hook_mutex_;
  std::shared_ptr<MessageHook> hook_;
  mutable std::mutex sessions_mutex_;
  std::deque<SessionRecord> sessions_;
  std::uint64_t next_session_ = 1;
  std::unique_ptr<net::Network> net_;
  std::unique_ptr<BlockingWork> work_;  // while running
  std::map<std::string, std::uint16_t, std::less<>> ports_;  // by listener name
  std::uint64_t next_queue_id_ = 1;
  std::string tls_ca_pem_;
  std::string tls_certificate_pem_;
  std::mutex id_mutex_;
  struct RelayNetwork {
    int family = 0;
    unsigned char bytes[16] = {};
    int prefix = 0;
  };
  std::vector<RelayNetwork> relay_nets_;
  std::shared_ptr<queue::Clock> clock_;
  // Last: destroyed first (its threads use the store and the clock).
  std::unique_ptr<queue::OutgoingQueue> queue_;
};

// The "Received: from ..." line for a message (CRLF terminated, folded),
// RFC 5321 §4.4 with RFC 3848 protocol names. Return-Path is added only at
// final delivery.
std::string received_header(const smtp::Envelope& env, const std::string& peer,
                            const std::string& hostname, const std::string& id);
// Received lines in the header section of `message`.
std::size_t count_received(std::string_view message);

}  // namespace mailroom::engine
