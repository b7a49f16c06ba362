// mailroom._core.smtp.SmtpClient / pop3.Pop3Client (and their values and
// failures, in smtp, pop3 and net): the native protocol clients behind
// mailroom.SMTPClient and mailroom.POP3Client. Network waits release the GIL.
#include <pybind11/stl.h>

#include <cctype>
#include <chrono>
#include <string_view>
#include <optional>

#include "bytes_arg.hpp"
#include "client_options.hpp"
#include "dsn_values.hpp"
#include "mailroom/net/pop3_client.hpp"
#include "mailroom/net/smtp_client.hpp"
#include "mailroom/text.hpp"
#include "register.hpp"
#include "text_values.hpp"

namespace py = pybind11;

namespace mailroom::bindings {

namespace {

using net::Pop3Client;
using net::SmtpClient;

std::string reply_text(const smtp::Reply& r) {
  std::string text;
  for (std::size_t i = 0; i < r.lines.size(); ++i) {
    if (i) text += "\n";
    text += r.lines[i];
  }
  return text;
}

py::dict extensions_dict(const smtp::Extensions& e) {
  py::dict d;
  d["esmtp"] = e.esmtp;
  d["pipelining"] = e.pipelining;
  d["size"] = e.size ? py::object(py::int_(e.size_limit)) : py::object(py::none());
  d["8bitmime"] = e.eightbitmime;
  d["smtputf8"] = e.smtputf8;
  d["chunking"] = e.chunking;
  d["binarymime"] = e.binarymime;
  d["starttls"] = e.starttls;
  d["enhancedstatuscodes"] = e.enhancedstatuscodes;
  d["dsn"] = e.dsn;
  d["auth"] = e.auth;
  d["keywords"] = e.keywords;
  return d;
}

smtp::Transfer parse_transfer(const std::string& t) {
  if (t == "auto") return smtp::Transfer::Auto;
  if (t == "data") return smtp::Transfer::Data;
  if (t == "bdat") return smtp::Transfer::Bdat;
  throw py::value_error("transfer must be 'auto', 'data' or 'bdat', not '" + t + "'");
}


}  // namespace

void register_clients(py::module_& m) {
  py::module_ smtp_ = m.def_submodule("smtp");
  py::module_ pop3_ = m.def_submodule("pop3");
  py::module_ net_ = m.def_submodule("net");
  register_dsn_values(smtp_);

  py::class_<smtp::Reply>(smtp_, "Reply", "An SMTP reply (RFC 5321 §4.2)")
      .def_readonly("code", &smtp::Reply::code)
      .def_readonly("enhanced", &smtp::Reply::enhanced, "The enhanced status code (RFC 3463) or \"\"")
      .def_property_readonly("text", &reply_text, "The lines of the reply, joined by newlines")
      .def_readonly("lines", &smtp::Reply::lines);
  py::class_<smtp::SendResult>(smtp_, "SendResult", "What the server answered to one message")
      .def_readonly("ok", &smtp::SendResult::ok,
                    "The final reply was 2yz: accepted for the recipients whose RCPT got 2yz")
      .def_readonly("error", &smtp::SendResult::error, "Why not ok: a local refusal or the reply")
      .def_readonly("mail", &smtp::SendResult::mail, "The reply to MAIL FROM")
      .def_readonly("rcpts", &smtp::SendResult::rcpts, "(recipient, reply to its RCPT TO), in order")
      .def_readonly("data", &smtp::SendResult::data, "The final reply (after DATA's dot or the last BDAT)")
      .def_readonly("dsn_dropped", &smtp::SendResult::dsn_dropped,
                    "DSN parameters were asked for and not sent (the server offers no DSN)");
  py::class_<pop3::Response>(pop3_, "Response", "A POP3 response (RFC 1939 §3)")
      .def_readonly("id", &pop3::Response::id, "What the command method returned")
      .def_readonly("ok", &pop3::Response::ok, "+OK")
      .def_readonly("status_line", &pop3::Response::status_line, "The first line, without CRLF")
      .def_readonly("text", &pop3::Response::text, "After +OK/-ERR and the response code")
      .def_readonly("code", &pop3::Response::resp_code,
                    "The RFC 2449 §8 response code (\"IN-USE\"), or \"\"")
      .def_property_readonly(
          "body", [](const pop3::Response& r) { return py::bytes(r.body); },
          "A multi-line response's content, unstuffed, CRLF line ends");
  // A session-ending failure: .kind ("Timeout", "ConnectionLost", ...) and
  // .reply, the last reply (code 0 when none came).
  static py::exception<net::SmtpSessionError> smtp_failure(smtp_, "SmtpSessionFailure");
  // A POP3 session ended: .kind "Timeout", "ConnectionLost"...
  static py::exception<net::Pop3SessionError> pop3_failure(pop3_, "Pop3SessionFailure",
                                                           PyExc_ConnectionError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const net::SmtpSessionError& e) {
      raise_failure(smtp_failure, e.what(),
                    {{"kind", py::str(smtp::to_string(e.kind))}, {"reply", py::cast(e.reply)}});
    } catch (const net::Pop3SessionError& e) {
      raise_failure(pop3_failure, e.what(), {{"kind", py::str(pop3::to_string(e.kind))}});
    }
  });

  // Connecting failed: .stage "resolve" (.code: EAI_*), "connect" (.code:
  // errno) or "timeout"; .host, .port, .detail.
  static py::exception<net::ConnectError> connect_failure(net_, "ConnectFailure", PyExc_ConnectionError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const net::ConnectError& e) {
      const char* stage = e.stage == net::ConnectError::Stage::Resolve   ? "resolve"
                          : e.stage == net::ConnectError::Stage::Timeout ? "timeout"
                                                                         : "connect";
      raise_failure(connect_failure, e.what(),
                    {{"stage", py::str(stage)},
                     {"host", py::str(e.host)},
                     {"port", py::int_(e.port)},
                     {"code", py::int_(e.code_value)},
                     {"detail", py::str(e.detail)}});
    }
  });

  // TLS failures; for certificates .reason says why it did not verify.
  static py::exception<net::TlsError> tls_failure(net_, "TlsFailure", PyExc_ConnectionError);
  static py::exception<net::CertificateError> certificate_failure(net_, "CertificateFailure",
                                                                  tls_failure.ptr());
  static py::exception<pop3::PlaintextAuthRefused> plaintext_refused(pop3_, "PlaintextAuthRefused");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const net::CertificateError& e) {
      raise_failure(certificate_failure, e.what(), {{"reason", py::str(e.reason)}});
    } catch (const net::TlsError& e) {
      PyErr_SetString(tls_failure.ptr(), e.what());
    } catch (const pop3::PlaintextAuthRefused& e) {
      PyErr_SetString(plaintext_refused.ptr(), e.what());
    }
  });

  py::class_<SmtpClient> smtp_client(smtp_, "SmtpClient");
  smtp_client
      .def(py::init([](std::string host, int port, std::optional<std::string> helo_name,
                       std::optional<double> timeout, double connect_timeout, bool pipelining,
                       std::size_t max_transcript_bytes, std::optional<std::string> tls,
                       bool verify, std::optional<std::string> cafile,
                       std::optional<std::string> ca_pem, std::optional<std::string> server_hostname,
                       std::optional<std::string> user, std::optional<std::string> password,
                       std::optional<std::string> auth, std::optional<bool> allow_plaintext_auth,
                       const std::string& local_name) {
             if (port <= 0 || port > 65535)
               throw py::value_error("port must be in 1..65535, not " + std::to_string(port));
             // No EHLO name given: this host's, unless it makes no EHLO domain.
             if (!helo_name) helo_name = host_name_chars(local_name) ? local_name : "localhost";
             if (!host_name_chars(*helo_name))
               throw py::value_error("bad EHLO name: '" + *helo_name + "'");
             if (timeout && !(*timeout > 0)) throw py::value_error("timeout must be positive");
             const auto no_cr_lf_nul = [](const std::optional<std::string>& v, const char* what) {
               if (v && v->find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
                 throw py::value_error(std::string("CR, LF or NUL in ") + what);
             };
             no_cr_lf_nul(user, "the user name");
             no_cr_lf_nul(password, "the password");
             net::SmtpClientOptions o;
             o.host = std::move(host);
             o.port = static_cast<std::uint16_t>(port);
             o.session.helo_name = std::move(*helo_name);
             o.session.use_pipelining = pipelining;
             o.session.max_transcript_bytes = max_transcript_bytes;
             o.session.timeouts.connect = ms(connect_timeout);
             if (timeout) {  // one number for every wait instead of RFC 5321's
               auto t = ms(*timeout);
               auto& ts = o.session.timeouts;
               ts.greeting = ts.command = ts.mail = ts.rcpt = ts.data_init = ts.data_block =
                   ts.data_term = t;
             }
             o.tls = parse_tls_mode(tls);
             o.tls_options = tls_options(o.tls, verify, std::move(cafile), std::move(ca_pem),
                                         std::move(server_hostname));
             if (user.has_value() != password.has_value())
               throw py::value_error("give both user and password, or neither");
             if (user && user->empty()) throw py::value_error("user must not be empty");
             if (auth && !user) throw py::value_error("auth names a mechanism: give user and password too");
             if (auth && !smtp::known_auth_mechanism(*auth))
               throw py::value_error("auth must be 'PLAIN', 'LOGIN' or 'CRAM-MD5', not '" + *auth + "'");
             o.session.auth_user = user.value_or("");
             o.session.auth_password = password.value_or("");
             std::string mechanism = auth.value_or("");
             for (char& c : mechanism) c = ascii_upper(c);
             o.session.auth_mechanism = std::move(mechanism);
             o.allow_plaintext_auth = allow_plaintext_auth;
             return std::make_unique<SmtpClient>(std::move(o));
           }),
           py::arg("host"), py::arg("port"), py::arg("helo_name"), py::arg("timeout"),
           py::arg("connect_timeout"), py::arg("pipelining"), py::arg("max_transcript_bytes"),
           py::arg("tls") = py::none(), py::arg("verify") = true, py::arg("cafile") = py::none(),
           py::arg("ca_pem") = py::none(), py::arg("server_hostname") = py::none(),
           py::arg("user") = py::none(), py::arg("password") = py::none(),
           py::arg("auth") = py::none(), py::arg("allow_plaintext_auth") = py::none(),
           py::arg("local_name") = "localhost")
      .def("connect", &SmtpClient::connect, py::call_guard<py::gil_scoped_release>())
      .def("send",
           [](SmtpClient& c, const std::string& mail_from, const std::vector<std::string>& rcpts,
              py::object content, bool bdat, std::vector<std::string> mail_params,
              const std::string& transfer, const std::string& ret, std::optional<std::string> envid,
              const std::vector<std::vector<std::string>>& notify,
              const std::vector<std::pair<std::string, std::string>>& orcpt, bool dsn_optional) {
             std::string data(ByteArg(content, "send", "content", false).view());
             smtp::MessageOptions opts;
             opts.transfer = parse_transfer(transfer);
             opts.bdat = bdat;
             opts.mail_params = std::move(mail_params);
             // RFC 3461: `notify` and `orcpt` are empty or one entry per recipient.
             opts.dsn.ret = ret;
             opts.dsn.has_envid = envid.has_value();
             opts.dsn.envid = envid.value_or("");
             if (!notify.empty() || !orcpt.empty()) {
               if ((!notify.empty() && notify.size() != rcpts.size()) ||
                   (!orcpt.empty() && orcpt.size() != rcpts.size()))
                 throw py::value_error("notify and orcpt need one entry per recipient");
               opts.rcpt_dsn.resize(rcpts.size());
               for (std::size_t i = 0; i < rcpts.size(); ++i) {
                 if (!notify.empty()) opts.rcpt_dsn[i].notify = notify_from(notify[i]);
                 if (!orcpt.empty()) {
                   opts.rcpt_dsn[i].orcpt_type = orcpt[i].first;
                   opts.rcpt_dsn[i].orcpt = orcpt[i].second;
                 }
               }
             }
             opts.dsn_optional = dsn_optional;
             smtp::SendResult r;
             {
               py::gil_scoped_release nogil;
               r = c.send(mail_from, rcpts, std::move(data), opts);
             }
             return r;
           },
           py::arg("mail_from"), py::arg("rcpts"), py::arg("content"), py::arg("bdat") = false,
           py::arg("mail_params") = std::vector<std::string>{}, py::arg("transfer") = "auto",
           py::arg("ret") = "", py::arg("envid") = py::none(),
           py::arg("notify") = std::vector<std::vector<std::string>>{},
           py::arg("orcpt") = std::vector<std::pair<std::string, std::string>>{},
           py::arg("dsn_optional") = false)
      // [(mail_from, rcpts, content bytes)] -> [SendResult], in order; pipelined.
      .def("send_many",
           [](SmtpClient& c, const py::list& messages, const std::string& transfer) {
             smtp::MessageOptions opts;
             opts.transfer = parse_transfer(transfer);
             std::vector<net::OutgoingMessage> batch;
             batch.reserve(messages.size());
             for (const py::handle item : messages) {
               if (!py::isinstance<py::tuple>(item) || py::len(item) != 3)
                 throw py::type_error("send_many: each message is (mail_from, rcpts, content)");
               auto t = py::reinterpret_borrow<py::tuple>(item);
               net::OutgoingMessage one;
               one.mail_from = t[0].cast<std::string>();
               one.rcpts = t[1].cast<std::vector<std::string>>();
               one.content = std::string(ByteArg(t[2], "send_many", "content", false).view());
               batch.push_back(std::move(one));
             }
             std::vector<smtp::SendResult> rs;
             {
               py::gil_scoped_release nogil;
               rs = c.send_many(batch, opts);
             }
             return rs;
           },
           py::arg("messages"), py::arg("transfer") = "auto")
      .def("quit", &SmtpClient::quit, py::call_guard<py::gil_scoped_release>())
      // Inside TLS, close() waits (briefly) for the server's close_notify.
      .def("close", &SmtpClient::close, py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("connected", &SmtpClient::connected)
      .def_property_readonly("extensions",
                             [](const SmtpClient& c) { return extensions_dict(c.session().extensions()); })
      .def_property_readonly("greeting", [](const SmtpClient& c) { return smtp::Reply(c.session().greeting()); })
      .def_property_readonly("transcript", [](const SmtpClient& c) { return c.session().transcript(); })
      .def_property_readonly("messages_sent", [](const SmtpClient& c) { return c.session().messages_sent(); })
      .def_property_readonly("local_address", &SmtpClient::local_address)
      .def_property_readonly("authenticated", [](const SmtpClient& c) { return c.session().authenticated(); })
      .def_property_readonly("auth_mechanism", [](const SmtpClient& c) { return c.session().auth_mechanism(); })
      .def_property_readonly("dropped_before_tls",
                             [](const SmtpClient& c) { return c.session().dropped_before_tls(); });
  def_tls_properties(smtp_client);

  py::class_<Pop3Client> pop3_client(pop3_, "Pop3Client");
  pop3_client
      .def(py::init([](std::string host, int port, double timeout, double connect_timeout,
                       bool pipelining, std::size_t max_transcript_bytes,
                       std::optional<std::string> tls, bool verify, std::optional<std::string> cafile,
                       std::optional<std::string> ca_pem, std::optional<std::string> server_hostname,
                       std::optional<bool> allow_plaintext_auth) {
             if (port <= 0 || port > 65535)
               throw py::value_error("port must be in 1..65535, not " + std::to_string(port));
             net::Pop3ClientOptions o;
             o.host = std::move(host);
             o.port = static_cast<std::uint16_t>(port);
             o.connect_timeout = ms(connect_timeout);
             o.session.greeting_timeout = o.session.response_timeout = ms(timeout);
             o.session.use_pipelining = pipelining;
             o.session.max_transcript_bytes = max_transcript_bytes;
             o.tls = parse_tls_mode(tls);
             o.tls_options = tls_options(o.tls, verify, std::move(cafile), std::move(ca_pem),
                                         std::move(server_hostname));
             o.allow_plaintext_auth = allow_plaintext_auth;
             return std::make_unique<Pop3Client>(std::move(o));
           }),
           py::arg("host"), py::arg("port"), py::arg("timeout"), py::arg("connect_timeout"),
           py::arg("pipelining"), py::arg("max_transcript_bytes"), py::arg("tls") = py::none(),
           py::arg("verify") = true, py::arg("cafile") = py::none(), py::arg("ca_pem") = py::none(),
           py::arg("server_hostname") = py::none(), py::arg("allow_plaintext_auth") = py::none())
      .def("connect",
           [](Pop3Client& c) {
             pop3::Response r;
             {
               py::gil_scoped_release nogil;
               r = c.connect();
             }
             return r;
           })
      // Queue a command (nothing is sent until wait()); returns its id.
      .def("command",
           [](Pop3Client& c, const std::string& name, std::vector<std::string> args) {
             auto& s = c.session();
             auto num = [&](std::size_t i) -> std::uint64_t {
               if (i >= args.size()) throw py::value_error(name + ": missing argument");
               return std::stoull(args[i]);
             };
             auto opt = [&]() -> std::optional<std::uint64_t> {
               if (args.empty()) return std::nullopt;
               return num(0);
             };
             if (name == "USER") return s.user(args.at(0));
             if (name == "PASS") return s.pass(args.at(0));
             if (name == "APOP") return s.apop(args.at(0), args.at(1));
             if (name == "AUTH PLAIN") return s.auth_plain(args.at(0), args.at(1), args.size() > 2 ? args[2] : "");
             if (name == "CAPA") return s.capa();
             if (name == "STAT") return s.stat();
             if (name == "LIST") return s.list(opt());
             if (name == "UIDL") return s.uidl(opt());
             if (name == "TOP") return s.top(num(0), num(1));
             if (name == "RETR") return s.retr(num(0));
             if (name == "DELE") return s.dele(num(0));
             if (name == "RSET") return s.rset();
             if (name == "NOOP") return s.noop();
             if (name == "QUIT") return s.quit();
             throw py::value_error("unknown POP3 command: " + name);
           },
           py::arg("name"), py::arg("args") = std::vector<std::string>{})
      .def("wait",
           [](Pop3Client& c, std::uint64_t id) {
             pop3::Response r;
             {
               py::gil_scoped_release nogil;
               r = c.wait(id);
             }
             return r;
           },
           py::arg("id"))
      .def("wait_many",
           [](Pop3Client& c, const std::vector<std::uint64_t>& ids) {
             std::vector<pop3::Response> rs;
             {
               py::gil_scoped_release nogil;
               rs.reserve(ids.size());
               for (auto id : ids) rs.push_back(c.wait(id));
             }
             return rs;
           },
           py::arg("ids"))
      .def("close", &Pop3Client::close, py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("connected", &Pop3Client::connected)
      .def_property_readonly("capabilities", [](Pop3Client& c) { return c.session().capabilities(); })
      .def_property_readonly("pipelining", [](Pop3Client& c) { return c.session().pipelining(); })
      .def_property_readonly("apop_timestamp", [](Pop3Client& c) { return c.session().apop_timestamp(); })
      .def_property_readonly("transcript", [](Pop3Client& c) { return c.session().transcript(); })
      .def_property_readonly("sasl_plain_offered",
                             [](Pop3Client& c) { return c.session().sasl_plain_offered(); })
      .def_property_readonly("credentials_allowed",
                             [](Pop3Client& c) { return c.session().credentials_allowed(); })
      .def_property_readonly("dropped_before_tls",
                             [](Pop3Client& c) { return c.session().dropped_before_tls(); });
  def_tls_properties(pop3_client);

  pop3_.def(
      "parse_stat",
      [](const pop3::Response& r) -> std::optional<std::pair<std::uint64_t, std::uint64_t>> {
        std::uint64_t count = 0, octets = 0;
        if (!pop3::parse_stat(r, count, octets)) return std::nullopt;
        return std::make_pair(count, octets);
      },
      py::arg("response"), "STAT's (messages, octets) (RFC 1939 §5), or None when malformed");
  // The values as str, undecodable octets as U+FFFD (a server's listing is
  // not always ASCII).
  const auto row = [](std::uint64_t n, const std::string& value) {
    return py::make_tuple(n, utf8_str(value));
  };
  pop3_.def(
      "parse_listing",
      [row](const pop3::Response& r) -> std::optional<py::list> {
        std::vector<std::pair<std::uint64_t, std::string>> rows;
        if (!pop3::parse_listing(r, rows)) return std::nullopt;
        py::list out;
        for (const auto& [n, value] : rows) out.append(row(n, value));
        return out;
      },
      py::arg("response"),
      "LIST's or UIDL's [(message number, size or unique id)], or None when malformed");
  pop3_.def(
      "parse_listing_line",
      [row](const std::string& line) -> std::optional<py::tuple> {
        std::uint64_t n = 0;
        std::string value;
        if (!pop3::parse_listing_line(line, n, value)) return std::nullopt;
        return row(n, value);
      },
      py::arg("line"), "One \"n value\" line (LIST or UIDL with an argument), or None");
}

}  // namespace mailroom::bindings
