// The outgoing queue and its clock, as methods of mailroom._core.server.SmtpServer,
// and its values in mailroom._core.queue
// (mailroom.Server.queue, .clock and .submit wrap them).
#include <pybind11/stl.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bytes_arg.hpp"
#include "mailroom/engine/server.hpp"
#include "dsn_values.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace mailroom::bindings {

namespace {

using engine::Server;

std::chrono::milliseconds millis(double seconds, const char* name) {
  if (!(seconds > 0)) throw py::value_error(std::string(name) + " must be a positive number of seconds");
  return std::chrono::milliseconds(std::max<long long>(1, static_cast<long long>(seconds * 1000.0)));
}

}  // namespace

void register_queue(py::module_& m) {
  py::module_ queue_ = m.def_submodule("queue");
  using queue::QueueEntry;
  using queue::QueueEvent;
  using queue::QueueRecipient;
  py::class_<QueueRecipient>(queue_, "QueueRecipient", "One recipient of a queued message")
      .def_readonly("address", &QueueRecipient::address)
      .def_property_readonly(
          "state", [](const QueueRecipient& r) { return queue::to_string(r.status); },
          "\"pending\", \"delivered\" or \"failed\"")
      .def_readonly("attempts", &QueueRecipient::attempts)
      .def_readonly("last_code", &QueueRecipient::last_code, "0: no reply (no connection, not tried)")
      .def_readonly("last_reply", &QueueRecipient::last_reply)
      .def_readonly("remote_host", &QueueRecipient::remote_host, "The next hop that answered last")
      .def_readonly("last_attempt", &QueueRecipient::last_attempt, "Seconds since the epoch; 0: none")
      .def_readonly("busy", &QueueRecipient::busy, "A delivery of it is running")
      .def_readonly("dsn", &QueueRecipient::dsn, "NOTIFY and ORCPT it came with (RFC 3461)");
  py::class_<QueueEntry>(queue_, "QueueEntry", "A message in the outgoing queue")
      .def_readonly("id", &QueueEntry::id)
      .def_readonly("mail_from", &QueueEntry::mail_from, "\"\" for the null sender (bounces)")
      .def_readonly("arrived_at", &QueueEntry::arrived_at)
      .def_readonly("next_attempt", &QueueEntry::next_attempt)
      .def_readonly("attempts", &QueueEntry::attempts, "Finished delivery rounds")
      .def_readonly("last_reply", &QueueEntry::last_reply)
      .def_property_readonly(
          "size", [](const QueueEntry& e) { return e.data ? e.data->size() : 0; }, "Octets")
      .def_readonly("rcpts", &QueueEntry::rcpts)
      .def_property_readonly(
          "busy", [](const QueueEntry& e) { return e.running > 0; }, "A delivery of it is running")
      .def_readonly("dsn", &QueueEntry::dsn, "RET and ENVID it came with (RFC 3461)");
  py::class_<QueueEvent>(queue_, "QueueEvent", "Something that happened to a queued message")
      .def_property_readonly(
          "kind", [](const QueueEvent& e) { return queue::to_string(e.kind); },
          "\"delivered\", \"deferred\", \"bounced\" or \"delayed\"")
      .def_readonly("id", &QueueEvent::id)
      .def_readonly("mail_from", &QueueEvent::mail_from)
      .def_readonly("recipients", &QueueEvent::recipients)
      .def_property_readonly(
          "notify",
          [](const QueueEvent& e) {
            py::list out;
            for (unsigned n : e.notify) out.append(notify_tuple(n));
            return out;
          },
          "Each recipient's NOTIFY keywords")
      .def_readonly("code", &QueueEvent::code)
      .def_readonly("reply", &QueueEvent::reply)
      .def_readonly("remote_host", &QueueEvent::remote_host)
      .def_readonly("at", &QueueEvent::at, "Seconds since the epoch")
      .def_readonly("attempt", &QueueEvent::attempt);

  auto cls = py::reinterpret_borrow<py::class_<Server>>(m.attr("server").attr("SmtpServer"));
  cls.def(
         "configure_queue",
         [](Server& s, bool relay, std::map<std::string, std::string> routes,
            std::vector<std::string> relay_networks, std::string spool, double retry_interval,
            bool retry_backoff, double max_retry_interval, double max_lifetime, double delay_warning,
            unsigned max_deliveries, unsigned max_per_destination, std::size_t max_messages_per_connection,
            std::size_t max_entries, std::uint64_t max_bytes, bool manual_clock, std::size_t max_received,
            double connect_timeout, double command_timeout, const std::string& delivery_tls) {
           engine::ServerOptions& o = s.options_before_start();
           if (s.queue()) throw py::value_error("the queue is set up before the server first starts");
           o.relay = relay || !routes.empty();
           o.relay_networks = std::move(relay_networks);
           auto& q = o.queue;
           q.routes = std::move(routes);
           q.spool = std::move(spool);
           q.retry_interval = retry_interval;
           q.retry_backoff = retry_backoff;
           q.max_retry_interval = std::max(max_retry_interval, retry_interval);
           q.max_lifetime = max_lifetime;
           q.delay_warning = delay_warning;
           q.max_deliveries = max_deliveries;
           q.max_per_destination = max_per_destination;
           q.max_messages_per_connection = max_messages_per_connection;
           q.max_entries = max_entries;
           q.max_bytes = max_bytes;
           q.delivery.connect_timeout = millis(connect_timeout, "connect_timeout");
           q.delivery.command_timeout = millis(command_timeout, "command_timeout");
           using Tls = queue::DeliverySettings::Tls;
           if (delivery_tls == "none")
             q.delivery.tls = Tls::None;
           else if (delivery_tls == "may")
             q.delivery.tls = Tls::May;
           else if (delivery_tls == "encrypt")
             q.delivery.tls = Tls::Encrypt;
           else
             throw py::value_error("delivery_tls must be \"none\", \"may\" or \"encrypt\", not \"" +
                                   delivery_tls + "\"");
           o.max_received = max_received;
           if (manual_clock != s.clock().manual()) s.set_manual_clock(manual_clock);
           // Checks the routes, networks and numbers now, and makes the queue
           // (loaded from the spool at start()).
           try {
             s.prepare_queue();
           } catch (const std::invalid_argument& e) {
             throw py::value_error(e.what());
           }
         },
         py::arg("relay") = false, py::arg("routes") = std::map<std::string, std::string>{},
         py::arg("relay_networks") = std::vector<std::string>{"127.0.0.0/8", "::1/128"},
         py::arg("spool") = "", py::arg("retry_interval") = 1800.0, py::arg("retry_backoff") = false,
         py::arg("max_retry_interval") = 4 * 3600.0, py::arg("max_lifetime") = 5 * 86400.0,
         py::arg("delay_warning") = 0.0, py::arg("max_deliveries") = 16,
         py::arg("max_per_destination") = 4, py::arg("max_messages_per_connection") = 100,
         py::arg("max_entries") = 100000, py::arg("max_bytes") = std::uint64_t{1} << 30,
         py::arg("manual_clock") = false, py::arg("max_received") = 100,
         py::arg("connect_timeout") = 30.0, py::arg("command_timeout") = 300.0,
         py::arg("delivery_tls") = "may")
      .def_property_readonly("relay", [](Server& s) { return s.options().relay; })
      .def("queue_entries",
           [](Server& s) {
             std::vector<queue::QueueEntry> entries;
             if (auto* q = s.queue()) entries = q->entries();
             return entries;
           })
      .def("queue_size", [](Server& s) { return s.queue() ? s.queue()->size() : 0; })
      .def("queue_flush", [](Server& s) {
        if (auto* q = s.queue()) q->flush();
      })
      .def(
          "queue_remove",
          [](Server& s, const std::string& id) { return s.queue() ? s.queue()->remove(id) : false; },
          py::arg("id"))
      .def(
          "queue_wait_idle",
          [](Server& s, double timeout) {
            auto t = millis(timeout, "timeout");
            py::gil_scoped_release release;
            return s.queue() ? s.queue()->wait_idle(t) : true;
          },
          py::arg("timeout"))
      .def("clock_now", [](Server& s) { return s.clock().now(); })
      .def_property_readonly("clock_manual", [](Server& s) { return s.clock().manual(); })
      .def(
          "clock_advance",
          [](Server& s, double seconds, double step_timeout) {
            if (!s.clock().manual())
              throw py::value_error("the clock is real time: create the server with clock=\"manual\"");
            if (!(seconds >= 0)) throw py::value_error("advance() takes a non-negative number of seconds");
            auto t = millis(step_timeout, "timeout");
            py::gil_scoped_release release;  // deliveries call Python hooks meanwhile
            if (s.queue())
              s.queue()->advance(seconds, t);
            else
              s.clock().set(s.clock().now() + seconds);
          },
          py::arg("seconds"), py::arg("step_timeout") = 300.0)
      .def(
          "submit",
          [](Server& s, const std::string& mail_from, const std::vector<std::string>& rcpts, py::handle data) {
            ByteArg bytes(data, "submit", "message", true);
            std::string message(bytes.view());
            if (!s.running()) throw py::value_error("start the server before submitting mail");
            py::gil_scoped_release release;
            return s.submit(mail_from, rcpts, std::move(message));
          },
          py::arg("mail_from"), py::arg("rcpts"), py::arg("message"));
}

}  // namespace mailroom::bindings
