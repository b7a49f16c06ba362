// HTTP on a listener: the sans-IO http::ServerSession over the connection,
// the login check (http::Logins) before anything, the REST API
// (http::MailApi) for most paths, and the two that answer later, fed by the
// event bus: the WebSocket /api/events (Mailpit's live events) and the long
// poll /api/mailroom/wait. A password is checked off the network threads
// when the check may block (a Python callable); a wrong one is answered
// after the server's failure delay, which the connection waits, not a thread.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>

#include "http_deadlines.hpp"
#include "mailroom/http/logins.hpp"
#include "mailroom/http/mail_api.hpp"
#include "mailroom/http/server_session.hpp"
#include "mailroom/queue/outgoing_queue.hpp"
#include "mailroom/http/websocket.hpp"
#include "services.hpp"

namespace mailroom::engine {

namespace {

// Events posted to one WebSocket and not yet written: past this many, new
// ones are dropped (a client that does not read cannot make the server hold
// an unbounded backlog for it).
constexpr int kMaxEventsInFlight = 1024;
// Output waiting on one WebSocket's connection past which the next event
// closes it (1008) instead: a client that stopped reading is told so (when
// it reads again) and reconnects for a fresh view, and the server holds no
// more than this for it. A reader that keeps up never comes near.
constexpr std::size_t kMaxEventBacklog = 1024 * 1024;

http::SessionLimits session_limits(const Server& server) {
  http::SessionLimits l;
  // POST /api/v1/send carries the message as JSON, attachments in base64.
  const std::size_t max_message = server.options().smtp.max_message_size;
  l.parser.max_body = max_message / 3 * 4 + 1024 * 1024;
  return l;
}

class HttpService final : public net::Session, public http::Application {
 public:
  HttpService(Server& server, std::shared_ptr<http::MailApi> api,
              std::shared_ptr<http::Logins> logins, bool tls, const net::Peer& peer)
      : server_(server),
        api_(std::move(api)),
        logins_(std::move(logins)),
        tls_(tls),
        loopback_(Server::loopback_peer(peer.address)),
        connection_(peer.connection),
        session_(*this, session_limits(server)) {}

  void greet(net::Outputs&) override {}  // the client speaks first
  void refuse(net::Outputs& out) override {
    session_.refuse(replies_);
    to_net(replies_, out);
  }
  void feed(std::string_view data, net::Outputs& out) override {
    session_.feed(data, replies_);
    to_net(replies_, out);
  }
  void tls_established() override {}
  void on_timeout(net::Outputs& out) override {
    session_.on_timeout(replies_);
    to_net(replies_, out);
  }
  void output_queued(std::size_t octets) override { queued_output_ = octets; }
  // A body (an upload to /api/v1/send, a compose with attachments) buys time
  // at min_data_rate as SMTP's DATA does; a head must come within idle_timeout.
  bool receiving_data() const override { return session_.receiving_body(); }
  bool paused() const override { return session_.paused(); }
  bool closed() const override { return session_.closed(); }
  void ended() override {
    events_.reset();
    wait_.reset();
  }

  http::Answer handle(http::Request& request) override {
    request.tls = tls_;
    request.loopback = loopback_;
    http::LoginDecision d = logins_->decide(request);
    if (d.kind == http::LoginDecision::Kind::Respond) return http::Answer::now(std::move(d.response));
    if (d.kind == http::LoginDecision::Kind::CheckPassword) return check_password(request, d);
    request.account = std::move(d.account);
    request.csrf = std::move(d.csrf);
    return serve(request);
  }

 private:
  http::Answer serve(http::Request& request) {
    if (request.path == "/api/events") return open_events(request);
    if (request.path == "/api/mailroom/wait") return wait(request);
    return api_->handle(request);
  }

  // The login route's password, or basic auth's: checked here when that
  // cannot block, else on the blocking threads and answered later.
  http::Answer check_password(http::Request& request, http::LoginDecision& d) {
    if (!server_.password_check_may_block()) {
      const bool ok = server_.check_password(d.user, d.password);
      std::fill(d.password.begin(), d.password.end(), '\0');
      return checked(request, d.user, d.basic, ok);
    }
    // A WebSocket cannot be opened by an answer that comes later.
    if (d.basic && request.path == "/api/events")
      return http::Answer::now(http::error_response(
          400, "the WebSocket takes a session cookie or a bearer token on this server"));
    auto copy = std::make_shared<http::Request>(std::move(request));
    server_.run_blocking([this, &server = server_, connection = connection_, copy,
                          user = d.user, password = std::move(d.password), basic = d.basic]() mutable {
      bool ok = false;
      try {
        ok = server.check_password(user, password);
      } catch (...) {
        ok = false;
      }
      std::fill(password.begin(), password.end(), '\0');
      resume_on<http::Output>(connection, [this, copy, user, basic, ok](auto& out) {
        http::Answer a = checked(*copy, user, basic, ok);
        if (a.kind == http::Answer::Kind::Now) session_.answer(std::move(a.response), out);
      });
    });
    return http::Answer::later();
  }

  http::Answer checked(http::Request& request, const std::string& user, bool basic, bool ok) {
    if (!basic) return http::Answer::now(logins_->login_checked(request, user, ok));
    http::LoginDecision d = logins_->basic_checked(user, ok);
    if (d.kind != http::LoginDecision::Kind::Allow) return http::Answer::now(std::move(d.response));
    request.account = std::move(d.account);
    return serve(request);
  }

  // Another method than `allow` lists (as the router answers it): OPTIONS
  // 204, the rest 405, both with Allow.
  static http::Answer only(const http::Request& r, const char* allow) {
    http::Response e;
    if (r.method == "OPTIONS") {
      e.status = 204;
    } else {
      e = http::error_response(405, r.method + " is not allowed here; use GET");
    }
    e.header("Allow", allow);
    return http::Answer::now(std::move(e));
  }

  // GET /api/events: a WebSocket with one text message per event.
  http::Answer open_events(http::Request& request) {
    if (request.method != "GET") return only(request, "GET, OPTIONS");
    std::string why;
    if (!http::is_websocket_request(request, why)) {
      http::Response e = http::error_response(426, why);
      e.header("Upgrade", "websocket");
      return http::Answer::now(std::move(e));
    }
    auto in_flight = std::make_shared<std::atomic<int>>(0);
    events_ = server_.events().subscribe(
        [service = this, api = api_, connection = connection_, session = &session_, in_flight,
         account = request.account](const Event& e) {
          const auto* change = std::get_if<store::StoreChange>(&e);
          if (!change) return;
          auto texts = api->events_for(*change, account);
          if (texts.empty() || in_flight->load() >= kMaxEventsInFlight) return;
          ++*in_flight;
          resume_on<http::Output>(connection, [service, session, texts = std::move(texts),
                                               in_flight](std::vector<http::Output>& out) {
            --*in_flight;
            if (service->queued_output_ > kMaxEventBacklog)
              return session->close_websocket(1008, "events not read: reconnect", out);
            for (const auto& t : texts) session->send_text(t, out);
          });
        },
        EventFilter::of({"appended", "flags", "expunged", "created", "deleted", "renamed"}));
    keep_pinging(connection_, &session_, ping_interval());
    return http::Answer::websocket();
  }

  // A WebSocket may be quiet for long (a browser tab waiting for mail): a
  // Ping at half the idle timeout keeps it from being cut as idle. Each
  // ping schedules the next; the chain ends with the connection.
  std::chrono::milliseconds ping_interval() const {
    return std::clamp(server_.options().idle_timeout / 2, std::chrono::milliseconds(100),
                      std::chrono::milliseconds(30'000));
  }
  static void keep_pinging(net::ConnectionRef connection, http::ServerSession* session,
                           std::chrono::milliseconds every) {
    run_after(every, [connection, session, every] {
      resume_on<http::Output>(connection, [connection, session, every](auto& out) {
        if (session->closed()) return;
        session->send_ping(out);
        keep_pinging(connection, session, every);
      });
    });
  }

  // GET /api/mailroom/wait: the newest matching message, now or the moment
  // one arrives, else 408 after the timeout.
  http::Answer wait(http::Request& request) {
    if (request.method != "GET" && request.method != "HEAD")
      return only(request, "GET, HEAD, OPTIONS");
    http::WaitQuery query;
    http::Response error;
    if (!http::MailApi::parse_wait(request, query, error)) return http::Answer::now(std::move(error));
    query.account = request.account;
    struct Waiting {
      std::atomic<bool> done{false};
    };
    auto state = std::make_shared<Waiting>();
    // The deadline may come after this session is gone: the answer holds
    // only the connection's handle, and its task runs only while it lives.
    auto answer = [this, connection = connection_](std::string text) {
      resume_on<http::Output>(connection, [this, text = std::move(text)](auto& out) {
        wait_.reset();
        if (text.empty())
          session_.answer(http::error_response(408, "no matching message arrived in time"), out);
        else
          session_.answer(http::MailApi::json_text(text), out);
      });
    };
    // Subscribed before looking, so nothing arrives unseen in between.
    wait_ = server_.events().subscribe(
        [api = api_, query, state, answer](const Event& e) {
          const auto* change = std::get_if<store::StoreChange>(&e);
          if (!change || change->folder != "INBOX" || state->done) return;
          std::string text = api->wait_match(query, change->account, change->uid);
          if (text.empty() || state->done.exchange(true)) return;
          answer(std::move(text));
        },
        EventFilter::of({"appended"}));
    std::string now = api_->wait_match(query);
    if (!now.empty() && !state->done.exchange(true)) {
      wait_.reset();
      return http::Answer::now(http::MailApi::json_text(std::move(now)));
    }
    run_after(query.timeout, [state, answer] {
      if (!state->done.exchange(true)) answer({});
    });
    return http::Answer::later();
  }

  Server& server_;
  std::shared_ptr<http::MailApi> api_;
  std::shared_ptr<http::Logins> logins_;  // the server's, shared by its HTTP listeners
  const bool tls_;                         // this listener serves HTTPS
  const bool loopback_;                    // the client is on this host
  net::ConnectionRef connection_;
  EventBus::Subscription events_;
  EventBus::Subscription wait_;
  std::vector<http::Output> replies_;
  std::size_t queued_output_ = 0;  // on the connection, not yet written (output_queued)
  http::ServerSession session_;  // last: it calls handle()
};

// The outgoing queue and the transcripts, for the API's routes.
// `may_relay`: whether this listener's clients may send mail on through the
// queue (see http_service); release is off for the others.
http::ServerControls server_controls(Server& server, bool may_relay) {
  http::ServerControls c;
  c.queue = [&server]() -> std::optional<std::vector<http::QueuedMessage>> {
    queue::OutgoingQueue* q = server.queue();
    if (!q) return std::nullopt;
    std::vector<http::QueuedMessage> out;
    for (const auto& e : q->entries()) {
      http::QueuedMessage m;
      m.id = e.id;
      m.from = e.mail_from;
      m.arrived = e.arrived_at;
      m.next_attempt = e.next_attempt;
      m.attempts = e.attempts;
      m.size = e.data ? e.data->size() : 0;
      for (const auto& r : e.rcpts)
        m.rcpts.push_back({r.address, queue::to_string(r.status), r.last_reply, r.attempts});
      out.push_back(std::move(m));
    }
    return out;
  };
  c.flush_queue = [&server] {
    if (auto* q = server.queue()) q->flush();
  };
  c.remove_queued = [&server](const std::string& id) {
    auto* q = server.queue();
    return q && q->remove(id);
  };
  if (may_relay)
    c.relay = [&server](const std::string& from, const std::vector<std::string>& rcpts,
                        std::string message) { server.submit(from, rcpts, std::move(message)); };
  c.transcripts = [&server] {
    std::vector<http::SessionTranscript> out;
    for (auto& r : server.sessions())
      out.push_back({r.protocol, r.peer, r.started_at, r.ended_at, std::move(r.transcript),
                     r.truncated, r.id, r.messages});
    return out;
  };
  c.smtp_rules = &server.rules();
  c.imap_rules = &server.imap_rules();
  return c;
}

}  // namespace

std::shared_ptr<http::Logins> http_logins(const Server& server) {
  http::LoginSettings logins;
  logins.test_mode = server.test_mode_accounts();
  logins.failure_delay_ms = server.options().pop3.auth_failure_delay_ms;
  logins.tokens = server.options().http_tokens;
  return std::make_shared<http::Logins>(std::move(logins));
}

net::SessionFactory http_service(Server& server, const ListenerOptions& listener,
                                 std::shared_ptr<http::Logins> logins) {
  http::MailApiSettings settings;
  settings.version = server.options().product_version;
  settings.hostname = server.options().smtp.hostname;
  settings.max_message_size = server.options().smtp.max_message_size;
  settings.web_root = server.options().web_root;
  settings.is_remote = [&server](std::string_view rcpt) { return server.is_remote(rcpt); };
  settings.session = [&server](std::uint64_t id) -> std::optional<http::SessionTranscript> {
    auto r = server.session(id);
    if (!r) return std::nullopt;
    return http::SessionTranscript{r->protocol,   r->peer,      r->started_at, r->ended_at,
                                   r->transcript, r->truncated, r->id,         r->messages};
  };
  // An API client with users is logged in: it may relay, as an authenticated
  // SMTP client may (RFC 4954 §5). In test mode nobody logs in, so only a
  // listener on loopback relays; one made public (public_http) does not, or
  // anyone who reached it could send through the server's routes.
  const std::string& host = listener.host.empty() ? server.options().host : listener.host;
  const bool may_relay =
      !server.test_mode_accounts() || host == "localhost" || Server::loopback_peer(host);
  auto api = std::make_shared<http::MailApi>(
      server.store(),
      [&server, may_relay](const std::string& from, const std::vector<std::string>& rcpts,
                           std::string data) {
        // The recipient decision SMTP's RCPT makes, for every recipient before
        // anything is sent.
        for (const auto& rcpt : rcpts)
          if (auto refused = server.recipient_refusal(rcpt, may_relay))
            throw std::invalid_argument("recipient '" + rcpt + "' refused: " +
                                        std::to_string(refused->reply.code) + " " +
                                        refused->reply.enhanced + " " +
                                        (refused->reply.lines.empty() ? std::string()
                                                                      : refused->reply.lines[0]));
        server.submit(from, rcpts, std::move(data));
      },
      settings, server_controls(server, may_relay));
  const bool tls = listener.tls != net::TlsMode::None;
  return [&server, api, logins = std::move(logins), tls](
             const net::Peer& peer) -> std::unique_ptr<net::Session> {
    return std::make_unique<HttpService>(server, api, logins, tls, peer);
  };
}

}  // namespace mailroom::engine
