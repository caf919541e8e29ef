// SPDX-License-Identifier: Apache-2.0
// Stands in for a host application's own protobuf and gRPC: same soname as Debian's
// libprotobuf and some of the same symbols, each of which aborts. Loaded globally before the
// plugin, it crashes the test host if the plugin's client ever binds to it.
#include <cstdlib>
#include <string>

namespace google::protobuf {
class MessageLite {
  public:
    bool SerializeToString(std::string* output) const;
    bool ParseFromString(const std::string& data);
};
bool MessageLite::SerializeToString(std::string*) const { std::abort(); }
bool MessageLite::ParseFromString(const std::string&) { std::abort(); }
}  // namespace google::protobuf

extern "C" void grpc_init(void) { std::abort(); }
extern "C" void grpc_shutdown(void) { std::abort(); }
