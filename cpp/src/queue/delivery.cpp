#include "mailroom/queue/delivery.hpp"

#include <stdexcept>
#include <system_error>

#include "mailroom/net/smtp_client.hpp"
#include "mailroom/queue/mx.hpp"
#include "mailroom/text.hpp"

namespace mailroom::queue {

std::string NextHop::text() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out.append(":").append(std::to_string(port));
  return out;
}

NextHop parse_next_hop(std::string_view text) {
  NextHop hop;
  std::string_view host = text, port;
  if (!text.empty() && text[0] == '[') {
    auto end = text.find(']');
    if (end == std::string_view::npos) throw std::invalid_argument("missing ']' in " + std::string(text));
    host = text.substr(1, end - 1);
    auto rest = text.substr(end + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') throw std::invalid_argument("expected ':port' after ']' in " + std::string(text));
      port = rest.substr(1);
    }
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) throw std::invalid_argument("no host in the next hop '" + std::string(text) + "'");
  for (char c : host)
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '@')
      throw std::invalid_argument("bad host name in the next hop '" + std::string(text) + "'");
  hop.host = std::string(host);
  if (!port.empty()) {
    unsigned long p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || p > 65535) throw std::invalid_argument("bad port in '" + std::string(text) + "'");
      p = p * 10 + static_cast<unsigned long>(c - '0');
    }
    if (p == 0 || p > 65535) throw std::invalid_argument("port out of range in '" + std::string(text) + "'");
    hop.port = static_cast<std::uint16_t>(p);
  }
  return hop;
}

Routes::Routes(const std::map<std::string, std::string>& routes) {
  for (const auto& [domain, target] : routes) {
    NextHop hop;
    try {
      hop = parse_next_hop(target);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("route for '" + domain + "': " + e.what());
    }
    if (domain == "*")
      fallback_ = std::make_unique<NextHop>(hop);
    else if (domain.empty() || domain.find_first_of(" @\t\r\n") != std::string::npos)
      throw std::invalid_argument("bad domain in routes: '" + domain + "'");
    else
      by_domain_[lowered(domain)] = hop;
  }
}

const NextHop* Routes::find(std::string_view domain) const {
  auto it = by_domain_.find(lowered(std::string(domain)));
  if (it != by_domain_.end()) return &it->second;
  return fallback_.get();
}

bool Routes::routes(std::string_view domain) const { return find(domain) != nullptr; }

bool Routes::has_own(std::string_view domain) const {
  return by_domain_.find(lowered(domain)) != by_domain_.end();
}

Destination resolve_destination(const Routes& routes, const std::string& domain) {
  Destination d;
  if (const NextHop* hop = routes.find(domain)) {
    d.hops.push_back(*hop);
    return d;
  }
  // RFC 5321 §5.1: the MX records in preference order; none: the domain itself.
  MxAnswer mx = lookup_mx(domain);
  switch (mx.status) {
    case MxAnswer::Status::Ok:
      for (const auto& h : mx.hosts) d.hops.push_back(NextHop{h.host, 25});
      if (d.hops.empty()) {
        d.status = Destination::Status::Temporary;
        d.error = "no mail exchanger for " + domain;
      }
      break;
    case MxAnswer::Status::NoSuchDomain:
    case MxAnswer::Status::NullMx:
      d.status = Destination::Status::Permanent;
      d.error = mx.error;
      break;
    case MxAnswer::Status::TempFail:
      d.status = Destination::Status::Temporary;
      d.error = mx.error;
      break;
  }
  return d;
}

namespace {

std::string one_line(const smtp::Reply& r) {
  std::string out = std::to_string(r.code);
  if (!r.enhanced.empty()) out.append(" ").append(r.enhanced);
  for (const auto& l : r.lines) out.append(" ").append(l);
  for (char& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

RecipientOutcome outcome(const smtp::Reply& r, const std::string& host) {
  return RecipientOutcome{r.code, one_line(r), host};
}

}  // namespace

std::vector<std::vector<RecipientOutcome>> deliver(const Destination& destination,
                                                   const std::vector<DeliveryItem>& items,
                                                   const DeliverySettings& settings,
                                                   const ItemDelivered& on_item) {
  std::vector<std::vector<RecipientOutcome>> out(items.size());
  // Until told otherwise every recipient is deferred with the last error.
  auto set_rest = [&](std::size_t from, int code, const std::string& text, const std::string& host) {
    for (std::size_t i = from; i < items.size(); ++i)
      out[i].assign(items[i].rcpts.size(), RecipientOutcome{code, text, host});
  };
  if (destination.status != Destination::Status::Ok) {
    const bool perm = destination.status == Destination::Status::Permanent;
    set_rest(0, perm ? 550 : 0, (perm ? "550 5.1.2 " : "") + destination.error, "");
    return out;
  }
  std::string last_error = "no next hop";
  using Tls = DeliverySettings::Tls;
  bool plain_retry = false;  // May: once more without TLS after a failed handshake
  for (std::size_t h = 0; h < destination.hops.size(); ++h) {
    const NextHop& hop = destination.hops[h];
    net::SmtpClientOptions o;
    o.host = hop.host;
    o.port = hop.port;
    o.session.helo_name = settings.helo_name;
    auto& t = o.session.timeouts;
    t.connect = settings.connect_timeout;
    t.greeting = t.command = t.mail = t.rcpt = t.data_init = t.data_block = settings.command_timeout;
    t.data_term = settings.command_timeout * 2;
    o.tls = settings.tls == Tls::Encrypt ? net::TlsMode::StartTls
            : settings.tls == Tls::May && !plain_retry ? net::TlsMode::Opportunistic
                                                       : net::TlsMode::None;
    // Between MTAs the certificate is not checked (no MTA-STS or DANE here).
    o.tls_options.verify = false;
    o.allow_plaintext_auth = false;
    net::SmtpClient client(o);
    try {
      client.connect();
      plain_retry = false;
    } catch (const net::TlsError& e) {
      last_error = hop.text() + ": TLS handshake failed: " + e.what();
      if (settings.tls == Tls::May && !plain_retry) {
        plain_retry = true;
        --h;  // the same host again, in plain text
      } else {
        plain_retry = false;
      }
      continue;
    } catch (const net::SmtpSessionError& e) {
      last_error = hop.text() + ": " + (e.reply.code ? one_line(e.reply) : std::string(e.what()));
      continue;  // RFC 5321 §5.1: try the next host
    } catch (const std::exception& e) {  // names the host already
      last_error = e.what();
      continue;
    }
    const std::string host = hop.text();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const DeliveryItem& item = items[i];
      try {
        smtp::MessageOptions mo;
        mo.dsn = item.dsn;
        mo.rcpt_dsn = item.rcpt_dsn;
        mo.dsn_optional = true;  // a next hop without DSN: "relayed" (RFC 3461 §5.2.2)
        smtp::SendResult r = client.send(item.mail_from, item.rcpts, *item.data, mo);
        auto& rs = out[i];
        rs.clear();
        for (std::size_t k = 0; k < item.rcpts.size(); ++k) {
          if (r.mail.code && !r.mail.positive()) {
            rs.push_back(outcome(r.mail, host));
          } else if (k < r.rcpts.size() && r.rcpts[k].second.code && !r.rcpts[k].second.positive()) {
            rs.push_back(outcome(r.rcpts[k].second, host));
          } else if (r.data.code) {
            rs.push_back(outcome(r.data, host));
            rs.back().without_dsn = !client.session().extensions().dsn;
          } else {  // refused before anything went out (say, SMTPUTF8 needed)
            rs.push_back(RecipientOutcome{554, "554 5.6.7 " + r.error, host});
          }
        }
      } catch (const std::invalid_argument& e) {
        out[i].assign(item.rcpts.size(), RecipientOutcome{553, std::string("553 5.1.3 ") + e.what(), host});
      } catch (const std::exception& e) {
        // The session ended (421, lost connection, timeout): this message and
        // the rest go again later; the reply, if any, says why.
        const auto* se = dynamic_cast<const net::SmtpSessionError*>(&e);
        std::string why = se && se->reply.code ? one_line(se->reply) : std::string(e.what());
        set_rest(i, 0, host + ": " + why, host);
        client.close();
        return out;
      }
      if (on_item) on_item(i, out[i]);
    }
    client.quit();
    return out;
  }
  set_rest(0, 0, last_error, "");
  return out;
}

}  // namespace mailroom::queue
