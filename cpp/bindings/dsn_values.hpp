// The DSN parameters (RFC 3461) between C++ and Python: NOTIFY as a tuple of
// keywords; MessageDsn and RecipientDsn as read-only classes.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "mailroom/smtp/dsn_parameters.hpp"

namespace mailroom::bindings {

inline pybind11::tuple notify_tuple(unsigned notify) {
  pybind11::tuple t = pybind11::cast(smtp::notify_keywords(notify));
  return t;
}

// mailroom._core.smtp.MessageDsn and RecipientDsn: what a message and each
// recipient asked for, read-only (the store's envelopes, the queue and the
// client share them).
inline void register_dsn_values(pybind11::module_& m) {
  namespace py = pybind11;
  py::class_<smtp::MessageDsn>(m, "MessageDsn", "RET and ENVID of a message (RFC 3461 §4.3, §4.4)")
      .def_property_readonly("ret",
                             [](const smtp::MessageDsn& d) -> std::optional<std::string> {
                               if (d.ret.empty()) return std::nullopt;
                               return d.ret;
                             },
                             "\"FULL\", \"HDRS\" or None")
      .def_property_readonly("envid",
                             [](const smtp::MessageDsn& d) -> std::optional<std::string> {
                               if (!d.has_envid) return std::nullopt;
                               return d.envid;
                             },
                             "The ENVID decoded from xtext, or None");
  py::class_<smtp::RecipientDsn>(m, "RecipientDsn",
                                 "NOTIFY and ORCPT of one recipient (RFC 3461 §4.1, §4.2)")
      .def_property_readonly(
          "notify", [](const smtp::RecipientDsn& d) { return notify_tuple(d.notify); },
          "The NOTIFY keywords (\"SUCCESS\", ...); () when not given")
      .def_readonly("orcpt_type", &smtp::RecipientDsn::orcpt_type, "\"rfc822\"; \"\" without ORCPT")
      .def_readonly("orcpt", &smtp::RecipientDsn::orcpt, "The original address, decoded from xtext");
}

// NOTIFY keywords from Python ("success", "DELAY"): parsed as the server
// parses them; ValueError when they are no valid NOTIFY.
inline unsigned notify_from(const std::vector<std::string>& keywords) {
  if (keywords.empty()) return 0;
  std::string text;
  for (const auto& k : keywords) {
    if (!text.empty()) text.push_back(',');
    text.append(k);
  }
  unsigned notify = 0;
  if (!smtp::parse_notify(text, notify))
    throw pybind11::value_error("NOTIFY must be NEVER alone or SUCCESS, FAILURE and DELAY, each once, not " +
                                text);
  return notify;
}

}  // namespace mailroom::bindings
