// SPDX-License-Identifier: Apache-2.0
#include "backend_launcher.h"
#include "client_loader.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <vector>

extern char** environ;

namespace synthfx::ofx {
namespace {

bool ownDirectory(const std::string& path, mode_t forbidden) {
    struct stat info{};
    return lstat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode) && info.st_uid == getuid() &&
           (info.st_mode & forbidden) == 0;
}

// The directory of the backend's socket; `error` unless only this user can reach it: ours and
// 0700, or ours, not writable by others and inside a private $XDG_RUNTIME_DIR. The socket is
// then reachable by this user only, which is what lets the backend read the user's files.
std::string runtimeDir(std::string& error) {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    const bool inXdg = xdg && *xdg;
    std::string base =
        inXdg ? std::string(xdg) + "/synthfx" : "/tmp/synthfx-" + std::to_string(getuid());
    mkdir(base.c_str(), 0700);
    const bool reachableByUserOnly =
        ownDirectory(base, 077) || (inXdg && ownDirectory(xdg, 077) && ownDirectory(base, 022));
    if (!reachableByUserOnly) {
        error = "cannot use a local synthfx backend: " + base +
                " must be a directory owned by you with mode 0700 (remove it, or set "
                "SYNTHFX_BACKEND)";
    }
    return base;
}

// What the started backend may read (`--read-root`): $SYNTHFX_READ_ROOTS (directories separated
// by ':'), else "/". "/" grants nothing new: the backend runs as this user and only this user
// can reach its socket (a private directory), so a read names a file the user could read anyway.
// A TCP port would be reachable by every local user, hence the unix socket.
std::vector<std::string> readRoots() {
    std::vector<std::string> roots;
    const char* configured = std::getenv("SYNTHFX_READ_ROOTS");
    if (!configured || !*configured) return {"/"};
    std::string text = configured;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t end = std::min(text.find(':', start), text.size());
        if (end > start) roots.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return roots;
}

bool socketAnswers(const std::string& path) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    return ok;
}

std::string serveCommand() {
    if (const char* command = std::getenv("SYNTHFX_SERVE_COMMAND"); command && *command) {
        return command;
    }
    std::ifstream installed(bundleContentsDir() + "/Resources/backend_command");
    std::string line;
    if (installed && std::getline(installed, line) && !line.empty()) return line;
    return "synthfx";
}

// The backend this process started, while it runs (it may still be starting up).
pid_t gLaunched = 0;

bool launchedStillRuns() {
    if (gLaunched <= 0) return false;
    int status = 0;
    if (waitpid(gLaunched, &status, WNOHANG) == 0) return true;
    gLaunched = 0;
    return false;
}

std::string spawnServe(const std::string& socketPath, const std::string& logPath) {
    const std::string command = serveCommand();
    const std::string listen = "unix:" + socketPath;
    std::vector<std::string> args = {command, "serve", "--listen", listen};
    for (const auto& root : readRoots()) {
        args.push_back("--read-root");
        args.push_back(root);
    }
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, logPath.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    // Its own session: the backend outlives a host that quits and is shared by the next one.
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
    pid_t pid = 0;
    const int status =
        posix_spawnp(&pid, command.c_str(), &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (status == 0) {
        gLaunched = pid;
        // For the user (and tests) to find and stop it: it outlives the host by design.
        std::ofstream(socketPath + ".pid") << pid << "\n";
    }
    if (status != 0) {
        return "cannot start '" + command + " serve' (" + std::strerror(status) +
               "): install the synthfx backend or set SYNTHFX_BACKEND";
    }
    return {};
}

}  // namespace

LocalBackend ensureLocalBackend() {
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    LocalBackend backend;
    const std::string dir = runtimeDir(backend.error);
    if (!backend.error.empty()) return backend;
    const std::string socketPath = dir + "/backend.sock";
    backend.address = "unix:" + socketPath;
    if (socketAnswers(socketPath)) return backend;
    if (launchedStillRuns()) {
        backend.started = true;  // still starting: the caller waits for it
        return backend;
    }
    // A stale socket from a backend that died is the new backend's to remove: it first takes
    // the path's lock, so a backend still starting in another host keeps its socket.
    backend.error = spawnServe(socketPath, dir + "/backend.log");
    backend.started = backend.error.empty();
    return backend;
}

}  // namespace synthfx::ofx
