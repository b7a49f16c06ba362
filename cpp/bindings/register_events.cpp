// mailroom._core.events, the server's event bus for Python: typed event values
// and a bounded queue of them that a Python thread takes from with the GIL
// released (mailroom.events builds the dispatcher thread and listeners on it).
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <stdexcept>
#include <variant>

#include "mailroom/engine/event_bus.hpp"
#include "mailroom/engine/server.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace mailroom::bindings {

namespace {

using engine::Event;
using engine::EventQueue;
using engine::SessionEvent;

py::object to_python(const Event& e) {
  return std::visit([](const auto& v) -> py::object { return py::cast(v); }, e);
}

std::chrono::milliseconds wait_time(double seconds) {
  if (!(seconds >= 0) || std::isinf(seconds)) throw py::value_error("timeout must be a number of seconds >= 0");
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(std::min(seconds, 1e9) * 1000)));
}

}  // namespace

void register_events(py::module_& root) {
  py::module_ m = root.def_submodule("events");
  // Reports an exception from a Python callback the way the native hooks do
  // (sys.unraisablehook), for the Python dispatcher thread.
  m.def(
      "report_unraisable",
      [](py::object exc, const std::string& where) {
        if (!PyExceptionInstance_Check(exc.ptr())) throw py::type_error("exc must be an exception");
        PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
        py::error_already_set e;
        e.discard_as_unraisable(where.c_str());
      },
      py::arg("exc"), py::arg("where"));
  m.attr("EVENT_KINDS") = py::cast(engine::event_kinds());

  // Store changes and queue events are mailroom._core.store.StoreChange and
  // mailroom._core.queue.QueueEvent (register_store, register_queue).
  py::class_<SessionEvent>(m, "SessionEvent")
      .def_property_readonly("kind", [](const SessionEvent& s) { return engine::to_string(s.kind); })
      .def_readonly("id", &SessionEvent::id)
      .def_readonly("protocol", &SessionEvent::protocol)
      .def_readonly("peer", &SessionEvent::peer)
      .def_readonly("at", &SessionEvent::at)
      .def_property_readonly("transcript",
                             [](const SessionEvent& s) { return py::str(s.transcript); })
      .def_readonly("truncated", &SessionEvent::truncated)
      .def_readonly("messages", &SessionEvent::messages);

  py::class_<engine::EventFilter>(m, "EventFilter")
      .def(py::init([](std::optional<std::vector<std::string>> kinds, std::string account) {
             if (!kinds) {
               engine::EventFilter f;
               f.account = std::move(account);
               return f;
             }
             try {
               return engine::EventFilter::of(*kinds, std::move(account));
             } catch (const std::invalid_argument& e) {
               throw py::value_error(e.what());
             }
           }),
           py::arg("kinds") = py::none(), py::arg("account") = "")
      .def_readonly("account", &engine::EventFilter::account)
      .def_property_readonly("kinds",
                             [](const engine::EventFilter& f) {
                               std::vector<std::string> out;
                               const auto& all = engine::event_kinds();
                               for (std::size_t i = 0; i < all.size(); ++i)
                                 if (f.kinds & (std::uint32_t{1} << i)) out.push_back(all[i]);
                               return out;
                             })
      .def("accepts", [](const engine::EventFilter& f, const Event& e) { return f.accepts(e); },
           py::arg("event"));

  py::class_<EventQueue>(m, "EventQueue")
      .def(py::init([](engine::Server& server, std::size_t capacity, engine::EventFilter filter) {
             if (capacity == 0) throw py::value_error("capacity must be at least 1");
             auto q = std::make_unique<EventQueue>(capacity);
             q->attach(server.events(), std::move(filter));
             return q;
           }),
           py::arg("server"), py::arg("capacity") = 100'000,
           py::arg("filter") = engine::EventFilter{})
      .def(
          "get",
          [](EventQueue& q, double timeout) -> py::object {
            std::optional<Event> e;
            {
              py::gil_scoped_release nogil;
              e = q.pop(wait_time(timeout));
            }
            if (!e) return py::none();
            return to_python(*e);
          },
          py::arg("timeout"))
      .def("drain",
           [](EventQueue& q) {
             std::vector<Event> events;
             {
               py::gil_scoped_release nogil;
               events = q.drain();
             }
             py::list out;
             for (const auto& e : events) out.append(to_python(e));
             return out;
           })
      .def("close",
           [](EventQueue& q) {
             py::gil_scoped_release nogil;
             q.detach();
             q.close();
           })
      .def("interrupt", &EventQueue::interrupt)
      .def_property_readonly("closed", &EventQueue::closed)
      .def_property_readonly("dropped", &EventQueue::dropped)
      .def_property_readonly("pushed", &EventQueue::pushed)
      .def_property_readonly("taken", &EventQueue::taken)
      .def("__len__", &EventQueue::size);
}

}  // namespace mailroom::bindings
