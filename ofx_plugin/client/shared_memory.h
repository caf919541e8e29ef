// SPDX-License-Identifier: Apache-2.0
// POSIX shared memory segments for payloads to a backend on the same host (synthfx.v1
// SharedMemoryHandle). Like the Python client (synthfx.client.shm): the client creates and
// removes segments, /dev/shm/synthfx-<pid>-<random> with mode 0600; the backend (same user)
// only opens them by name.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace synthfx::ofx {

class SharedMemory {
public:
    // A new mapped segment of at least `size` bytes, or null with `error` saying why.
    static std::unique_ptr<SharedMemory> create(size_t size, std::string &error);
    // Whether this machine has a writable /dev/shm.
    static bool available();
    ~SharedMemory(); // unmaps and removes the name

    SharedMemory(const SharedMemory &) = delete;
    SharedMemory &operator=(const SharedMemory &) = delete;

    const std::string &name() const { return _name; } // without the leading "/"
    size_t size() const { return _size; }
    char *data() const { return _data; }

private:
    SharedMemory(std::string name, char *data, size_t size)
        : _name(std::move(name)), _data(data), _size(size) {}
    std::string _name;
    char *_data;
    size_t _size;
};

// A random lowercase hex string of `bytes` bytes (segment names, probe tokens).
std::string randomHex(size_t bytes);

} // namespace synthfx::ofx
