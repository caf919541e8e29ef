// SPDX-License-Identifier: Apache-2.0
#include "shared_memory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

namespace synthfx::ofx {
namespace {

// shm_open("/NAME") is /dev/shm/NAME on Linux; opening the file directly spares the bundle a
// librt dependency on older glibc.
constexpr const char* kShmDir = "/dev/shm/";
// Segment names the backend accepts: ^synthfx-[A-Za-z0-9_-]{1,128}$; "c2": a client segment
// whose creator holds its lock (synthfx.transport.shm.CLIENT_PREFIX).
constexpr const char* kNamePrefix = "synthfx-c2-";

}  // namespace

std::string randomHex(size_t bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::random_device device;
    std::string text;
    for (size_t i = 0; i < bytes; ++i) {
        const unsigned value = device() & 0xffu;
        text += kDigits[value >> 4];
        text += kDigits[value & 0xfu];
    }
    return text;
}

bool SharedMemory::available() { return access(kShmDir, W_OK | X_OK) == 0; }

std::unique_ptr<SharedMemory> SharedMemory::create(size_t size, std::string& error) {
    const size_t length = size ? size : 1;
    const std::string name = kNamePrefix + std::to_string(getpid()) + "-" + randomHex(8);
    const std::string path = kShmDir + name;
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = "cannot create shared memory " + path + ": " + std::strerror(errno);
        return nullptr;
    }
    // Held until the segment is removed: a backend takes segments nobody holds a lock on for
    // the leftovers of a crashed host (synthfx.transport.shm.remove_orphaned_segments).
    flock(fd, LOCK_SH);
    // Reserved now (not just truncated): writing to a sparse tmpfs page when /dev/shm is full
    // would kill the host with SIGBUS; a failed reservation lets the caller stream instead.
    void* data = MAP_FAILED;
    int failure = posix_fallocate(fd, 0, static_cast<off_t>(length));
    if (failure == 0) {
        data = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        failure = errno;
    }
    if (data == MAP_FAILED) {
        close(fd);
        unlink(path.c_str());
        error = "cannot map " + std::to_string(length) + " bytes of shared memory " + path + ": " +
                std::strerror(failure);
        return nullptr;
    }
    return std::unique_ptr<SharedMemory>(
        new SharedMemory(name, static_cast<char*>(data), length, fd));
}

SharedMemory::~SharedMemory() {
    munmap(_data, _size);
    unlink((kShmDir + _name).c_str());
    close(_lockFd);
}

}  // namespace synthfx::ofx
