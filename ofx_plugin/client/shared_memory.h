// SPDX-License-Identifier: Apache-2.0
// POSIX shared memory segments for payloads to a backend on the same host (synthfx.v1
// SharedMemoryHandle). Like the Python client (synthfx.transport.shm): the client creates and
// removes segments, /dev/shm/synthfx-c2-<pid>-<random> with mode 0600, and holds a shared flock
// on each while it exists; the backend (same user) only opens them by name.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace synthfx::ofx {

class SharedMemory {
  public:
    // A new mapped segment of at least `size` bytes, or null with `error` saying why.
    static std::unique_ptr<SharedMemory> create(size_t size, std::string& error);
    // Whether this machine has a writable /dev/shm.
    static bool available();
    ~SharedMemory();  // unmaps and removes the name

    SharedMemory(const SharedMemory&) = delete;
    SharedMemory& operator=(const SharedMemory&) = delete;

    const std::string& name() const { return _name; }  // without the leading "/"
    size_t size() const { return _size; }
    char* data() const { return _data; }

  private:
    SharedMemory(std::string name, char* data, size_t size, int lockFd)
        : _name(std::move(name)), _data(data), _size(size), _lockFd(lockFd) {}
    std::string _name;
    char* _data;
    size_t _size;
    int _lockFd;  // holds a shared flock: a segment nobody holds is a crashed creator's
};

// A random lowercase hex string of `bytes` bytes (segment names, probe tokens).
std::string randomHex(size_t bytes);

}  // namespace synthfx::ofx
