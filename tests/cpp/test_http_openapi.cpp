// The router against the OpenAPI document (/api/openapi.json): every route
// the REST API serves is a path of the document with that method. (The other
// way, every operation of the document answered, is tests/test_http_openapi.py.)
#include <string>
#include <string_view>
#include <vector>

#include "conversation.hpp"
#include "mailroom/http/mail_api.hpp"
#include "mailroom/store/mail_store.hpp"

namespace mailroom::http {
extern const std::string_view kOpenApiDocument;
}

using namespace mailroom;

namespace {

// The document's line of one path ("  \"/api/v1/info\": {...}"), "" when absent.
std::string_view path_line(std::string_view doc, const std::string& path) {
  const std::string key = "\n  \"" + path + "\": {";
  const std::size_t at = doc.find(key);
  if (at == std::string_view::npos) return {};
  const std::size_t end = doc.find('\n', at + 1);
  return doc.substr(at + 1, end - at - 1);
}

TEST(every_route_is_in_the_document) {
  store::MailStore store;
  http::MailApi api{store, [](const std::string&, const std::vector<std::string>&, std::string) {},
                    {"1", "mail.example.test", 1 << 20}};
  const auto routes = api.routes();
  CHECK(routes.size() > 40);
  std::string missing;
  for (const auto& [method, pattern] : routes) {
    const std::string_view line = path_line(http::kOpenApiDocument, pattern);
    std::string op = "\"" + method + "\": {";
    for (char& c : op) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (line.empty() || line.find(op) == std::string_view::npos)
      missing += method + " " + pattern + "\n";
  }
  CHECK_EQ(missing, std::string());
}

}  // namespace

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
