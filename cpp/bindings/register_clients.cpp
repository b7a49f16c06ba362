// mailroom._core.SmtpClient / Pop3Client: the native protocol clients behind
// mailroom.SMTPClient and mailroom.POP3Client. Network waits release the GIL.
#include <pybind11/stl.h>

#include <chrono>
#include <optional>

#include "bytes_arg.hpp"
#include "mailroom/net/pop3_client.hpp"
#include "mailroom/net/smtp_client.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace mailroom::bindings {

namespace {

using net::Pop3Client;
using net::SmtpClient;

py::tuple reply_tuple(const smtp::Reply& r) {
  std::string text;
  for (std::size_t i = 0; i < r.lines.size(); ++i) {
    if (i) text += "\n";
    text += r.lines[i];
  }
  return py::make_tuple(r.code, r.enhanced, text);
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
  d["auth"] = e.auth;
  d["keywords"] = e.keywords;
  return d;
}

std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
}

// (ok, error, mail reply, [(rcpt, code, enhanced, text)], final reply)
py::tuple send_result_tuple(const smtp::SendResult& r) {
  py::list rc;
  for (const auto& [addr, reply] : r.rcpts) {
    py::tuple t = reply_tuple(reply);
    rc.append(py::make_tuple(addr, t[0], t[1], t[2]));
  }
  return py::make_tuple(r.ok, r.error, reply_tuple(r.mail), rc, reply_tuple(r.data));
}

smtp::Transfer parse_transfer(const std::string& t) {
  if (t == "auto") return smtp::Transfer::Auto;
  if (t == "data") return smtp::Transfer::Data;
  if (t == "bdat") return smtp::Transfer::Bdat;
  throw py::value_error("transfer must be 'auto', 'data' or 'bdat', not '" + t + "'");
}

py::tuple response_tuple(const pop3::Response& r) {
  return py::make_tuple(r.id, r.ok, r.status_line, r.text, r.resp_code, py::bytes(r.body));
}

}  // namespace

void register_clients(py::module_& m) {
  // A session-ending failure: args are (kind, code, enhanced, text).
  static py::exception<net::SmtpSessionError> smtp_failure(m, "SmtpSessionFailure");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const net::SmtpSessionError& e) {
      py::tuple reply = reply_tuple(e.reply);
      py::tuple args = py::make_tuple(smtp::to_string(e.kind), reply[0], reply[1], reply[2], e.what());
      PyErr_SetObject(smtp_failure.ptr(), args.ptr());
    } catch (const net::Pop3SessionError& e) {
      py::object err = py::module_::import("builtins").attr("ConnectionError")(
          std::string("POP3 session ended: ") + pop3::to_string(e.kind) + ": " + e.what());
      PyErr_SetObject(PyExc_ConnectionError, err.ptr());
    }
  });

  py::class_<SmtpClient>(m, "SmtpClient")
      .def(py::init([](std::string host, int port, std::string helo_name,
                       std::optional<double> timeout, double connect_timeout, bool pipelining,
                       std::size_t max_transcript_bytes) {
             if (port <= 0 || port > 65535)
               throw py::value_error("port must be in 1..65535, not " + std::to_string(port));
             if (helo_name.find_first_of("\r\n \t") != std::string::npos || helo_name.empty())
               throw py::value_error("bad EHLO name: '" + helo_name + "'");
             net::SmtpClientOptions o;
             o.host = std::move(host);
             o.port = static_cast<std::uint16_t>(port);
             o.session.helo_name = std::move(helo_name);
             o.session.use_pipelining = pipelining;
             o.session.max_transcript_bytes = max_transcript_bytes;
             o.session.timeouts.connect = ms(connect_timeout);
             if (timeout) {  // one number for every wait instead of RFC 5321's
               auto t = ms(*timeout);
               auto& ts = o.session.timeouts;
               ts.greeting = ts.command = ts.mail = ts.rcpt = ts.data_init = ts.data_block =
                   ts.data_term = t;
             }
             return std::make_unique<SmtpClient>(std::move(o));
           }),
           py::arg("host"), py::arg("port"), py::arg("helo_name"), py::arg("timeout"),
           py::arg("connect_timeout"), py::arg("pipelining"), py::arg("max_transcript_bytes"))
      .def("connect", &SmtpClient::connect, py::call_guard<py::gil_scoped_release>())
      .def("send",
           [](SmtpClient& c, const std::string& mail_from, const std::vector<std::string>& rcpts,
              py::object content, bool bdat, std::vector<std::string> mail_params,
              const std::string& transfer) {
             std::string data(ByteArg(content, "send", "content", false).view());
             smtp::MessageOptions opts;
             opts.transfer = parse_transfer(transfer);
             opts.bdat = bdat;
             opts.mail_params = std::move(mail_params);
             smtp::SendResult r;
             {
               py::gil_scoped_release nogil;
               r = c.send(mail_from, rcpts, std::move(data), opts);
             }
             return send_result_tuple(r);
           },
           py::arg("mail_from"), py::arg("rcpts"), py::arg("content"), py::arg("bdat") = false,
           py::arg("mail_params") = std::vector<std::string>{}, py::arg("transfer") = "auto")
      // [(mail_from, rcpts, content bytes)] -> [send() tuple], in order; pipelined.
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
             py::list out;
             for (const auto& r : rs) out.append(send_result_tuple(r));
             return out;
           },
           py::arg("messages"), py::arg("transfer") = "auto")
      .def("quit", &SmtpClient::quit, py::call_guard<py::gil_scoped_release>())
      .def("close", &SmtpClient::close)
      .def_property_readonly("connected", &SmtpClient::connected)
      .def_property_readonly("extensions",
                             [](const SmtpClient& c) { return extensions_dict(c.session().extensions()); })
      .def_property_readonly("greeting", [](const SmtpClient& c) { return reply_tuple(c.session().greeting()); })
      .def_property_readonly("transcript", [](const SmtpClient& c) { return c.session().transcript(); })
      .def_property_readonly("messages_sent", [](const SmtpClient& c) { return c.session().messages_sent(); })
      .def_property_readonly("local_address", &SmtpClient::local_address);

  py::class_<Pop3Client>(m, "Pop3Client")
      .def(py::init([](std::string host, int port, double timeout, double connect_timeout,
                       bool pipelining, std::size_t max_transcript_bytes) {
             if (port <= 0 || port > 65535)
               throw py::value_error("port must be in 1..65535, not " + std::to_string(port));
             net::Pop3ClientOptions o;
             o.host = std::move(host);
             o.port = static_cast<std::uint16_t>(port);
             o.connect_timeout = ms(connect_timeout);
             o.session.greeting_timeout = o.session.response_timeout = ms(timeout);
             o.session.use_pipelining = pipelining;
             o.session.max_transcript_bytes = max_transcript_bytes;
             return std::make_unique<Pop3Client>(std::move(o));
           }),
           py::arg("host"), py::arg("port"), py::arg("timeout"), py::arg("connect_timeout"),
           py::arg("pipelining"), py::arg("max_transcript_bytes"))
      .def("connect",
           [](Pop3Client& c) {
             pop3::Response r;
             {
               py::gil_scoped_release nogil;
               r = c.connect();
             }
             return response_tuple(r);
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
             return response_tuple(r);
           })
      .def("wait_many",
           [](Pop3Client& c, const std::vector<std::uint64_t>& ids) {
             std::vector<pop3::Response> rs;
             {
               py::gil_scoped_release nogil;
               rs.reserve(ids.size());
               for (auto id : ids) rs.push_back(c.wait(id));
             }
             py::list out;
             for (const auto& r : rs) out.append(response_tuple(r));
             return out;
           })
      .def("close", &Pop3Client::close)
      .def_property_readonly("connected", &Pop3Client::connected)
      .def_property_readonly("capabilities", [](Pop3Client& c) { return c.session().capabilities(); })
      .def_property_readonly("pipelining", [](Pop3Client& c) { return c.session().pipelining(); })
      .def_property_readonly("apop_timestamp", [](Pop3Client& c) { return c.session().apop_timestamp(); })
      .def_property_readonly("transcript", [](Pop3Client& c) { return c.session().transcript(); });
}

}  // namespace mailroom::bindings
