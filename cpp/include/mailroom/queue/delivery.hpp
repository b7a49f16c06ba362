// Delivery to the next hop: routes (explicit, "*", else MX records through
// the system resolver, RFC 5321 §5.1), then one SMTP connection that carries
// every message of a job, each with all its recipients for that hop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/smtp/dsn_parameters.hpp"

namespace mailroom::queue {

struct NextHop {
  std::string host;
  std::uint16_t port = 25;
  std::string text() const;  // "host:port"
};
// "host:port", "[v6]:port", "host" (port 25). Throws std::invalid_argument.
NextHop parse_next_hop(std::string_view text);

// domain -> next hop; "*" for every domain without its own route.
class Routes {
 public:
  Routes() = default;
  // Throws std::invalid_argument naming the bad route.
  explicit Routes(const std::map<std::string, std::string>& routes);
  bool empty() const { return by_domain_.empty() && !fallback_; }
  // A route for this domain (or "*")?
  bool routes(std::string_view domain) const;
  // A route for exactly this domain?
  bool has_own(std::string_view domain) const;
  const NextHop* find(std::string_view domain) const;

 private:
  std::map<std::string, NextHop, std::less<>> by_domain_;
  std::unique_ptr<NextHop> fallback_;
};

struct Destination {
  enum class Status { Ok, Permanent, Temporary } status = Status::Ok;
  std::vector<NextHop> hops;  // in the order to try
  std::string error;          // for Permanent and Temporary
};
// The hops for `domain`: its route, else the "*" route, else its MX hosts.
Destination resolve_destination(const Routes& routes, const std::string& domain);

// One message of a delivery job, with its recipients at this destination.
struct DeliveryItem {
  std::string id;
  std::string mail_from;
  std::vector<std::string> rcpts;
  std::vector<std::size_t> rcpt_index;  // positions in the queue entry
  std::shared_ptr<const std::string> data;
  // RFC 3461 §5.2.1: passed on unchanged when the next hop offers DSN.
  smtp::MessageDsn dsn;
  std::vector<smtp::RecipientDsn> rcpt_dsn;  // one per rcpts
};

struct RecipientOutcome {
  int code = 0;            // 0: no reply (no connection, lost connection)
  std::string reply;       // the reply on one line, or what went wrong
  std::string host;        // "host:port" that answered
  bool without_dsn = false;  // accepted by a next hop that does not offer DSN
  bool delivered() const { return code >= 200 && code < 300; }
  bool failed() const { return code >= 500; }  // else: try again later
};

struct DeliverySettings {
  std::string helo_name = "localhost";
  // STARTTLS to the next hop: None; May (when offered, unauthenticated, plain
  // text when the handshake fails: RFC 7435 opportunistic security); Encrypt
  // (required, unauthenticated: no STARTTLS or a failed handshake defers).
  enum class Tls { None, May, Encrypt } tls = Tls::May;
  std::chrono::milliseconds connect_timeout{30'000};
  std::chrono::milliseconds command_timeout{300'000};
};

// Called as each message's last reply arrives, with its outcomes, so the
// queue can record them then rather than when the whole connection is done.
using ItemDelivered = std::function<void(std::size_t item, const std::vector<RecipientOutcome>&)>;

// Delivers `items` (all for one destination) over one connection; the result
// has one outcome per recipient of each item. Never throws for network or
// protocol trouble: that is in the outcomes.
std::vector<std::vector<RecipientOutcome>> deliver(const Destination& destination,
                                                   const std::vector<DeliveryItem>& items,
                                                   const DeliverySettings& settings,
                                                   const ItemDelivered& on_item = {});

}  // namespace mailroom::queue
