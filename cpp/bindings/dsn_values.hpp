// The DSN parameters (RFC 3461) between C++ and Python: NOTIFY as a tuple of
// keywords, ORCPT as (type, address), ENVID as str or None.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "mailroom/smtp/dsn_parameters.hpp"

namespace mailroom::bindings {

inline pybind11::tuple notify_tuple(unsigned notify) {
  pybind11::tuple t = pybind11::cast(smtp::notify_keywords(notify));
  return t;
}

// (notify keywords, orcpt type, orcpt address) for one recipient.
inline pybind11::tuple rcpt_dsn_tuple(const smtp::RecipientDsn& d) {
  return pybind11::make_tuple(notify_tuple(d.notify), pybind11::str(d.orcpt_type),
                              pybind11::str(d.orcpt));
}

// (ret or None, envid or None) for a message.
inline pybind11::tuple message_dsn_tuple(const smtp::MessageDsn& d) {
  return pybind11::make_tuple(d.ret.empty() ? pybind11::object(pybind11::none()) : pybind11::str(d.ret),
                              d.has_envid ? pybind11::object(pybind11::str(d.envid))
                                          : pybind11::object(pybind11::none()));
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
