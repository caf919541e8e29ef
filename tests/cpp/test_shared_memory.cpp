// SPDX-License-Identifier: Apache-2.0
// The OFX client's shared memory segments keep the contract the backend's orphan sweep relies on
// (synthfx.transport.shm.remove_orphaned_segments): a name it recognises as a locking creator's,
// a shared flock held for the segment's whole life, and the name removed with the segment.
#include "shared_memory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <regex>
#include <string>

#include "c_check.h"

namespace {

// The sweep's exclusive, non-blocking lock attempt on the segment's file.
int trySweepLock(const std::string& path) {
    const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return errno;
    const int result = flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno;
    close(fd);
    return result;
}

}  // namespace

int main() {
    using synthfx::ofx::SharedMemory;
    std::string error;
    auto segment = SharedMemory::create(4096, error);
    CHECK(segment != nullptr, "create failed: %s", error.c_str());
    if (!segment) return 1;
    const std::string name = segment->name();
    const std::string path = "/dev/shm/" + name;
    const std::regex locking(R"(^synthfx-[a-z]*2-\d+-[0-9a-f]+$)");  // shm._LOCKING_NAME
    CHECK(std::regex_match(name, locking), "name %s is not a locking creator's", name.c_str());
    CHECK(name.rfind("synthfx-c2-" + std::to_string(getpid()) + "-", 0) == 0, "name %s",
          name.c_str());
    CHECK(access(path.c_str(), F_OK) == 0, "%s missing", path.c_str());
    const int held = trySweepLock(path);
    CHECK(held == EWOULDBLOCK, "a live segment could be taken for an orphan (errno %d)", held);
    segment.reset();
    CHECK(access(path.c_str(), F_OK) != 0, "%s left behind", path.c_str());
    return failures ? 1 : 0;
}
