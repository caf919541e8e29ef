// SPDX-License-Identifier: Apache-2.0
// The OFX client's content hash (BLAKE3) of files, one "HEX  FILE" line each, for
// tests/python/ofx/test_content_hash.py to compare with Python's blake3 package.
//
//   synthfx_blake3_sum [--threads N] [--kernel best|avx512|avx2|generic|scalar] [--bench] FILE...
//
// --threads: at most N threads (0, the default: as the client). --bench: also hashes each file
// for about a second and appends the best speed seen, "  12.34 GB/s".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "blake3.h"

using synthfx::ofx::Blake3Kernel;

namespace {

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: synthfx_blake3_sum [--threads N] "
                         "[--kernel best|avx512|avx2|generic|scalar] [--bench] FILE...\n");
    std::exit(2);
}

bool readFile(const char* path, std::vector<unsigned char>& bytes) {
    std::FILE* file = std::fopen(path, "rb");
    if (!file) return false;
    bytes.clear();
    unsigned char buffer[1 << 16];
    size_t got;
    while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
        bytes.insert(bytes.end(), buffer, buffer + got);
    }
    const bool ok = !std::ferror(file);
    std::fclose(file);
    return ok;
}

Blake3Kernel parseKernel(const std::string& name) {
    if (name == "best") return Blake3Kernel::Best;
    if (name == "avx512") return Blake3Kernel::Avx512;
    if (name == "avx2") return Blake3Kernel::Avx2;
    if (name == "generic") return Blake3Kernel::Generic;
    if (name == "scalar") return Blake3Kernel::Scalar;
    usage();
}

}  // namespace

int main(int argc, char** argv) {
    unsigned threads = 0;
    Blake3Kernel kernel = Blake3Kernel::Best;
    bool bench = false;
    std::vector<const char*> paths;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--threads" && i + 1 < argc) {
            threads = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
        } else if (arg == "--kernel" && i + 1 < argc) {
            kernel = parseKernel(argv[++i]);
        } else if (arg == "--bench") {
            bench = true;
        } else if (arg.size() > 1 && arg[0] == '-') {
            usage();
        } else {
            paths.push_back(argv[i]);
        }
    }
    if (paths.empty()) usage();

    std::vector<unsigned char> bytes;
    for (const char* path : paths) {
        if (!readFile(path, bytes)) {
            std::fprintf(stderr, "cannot read %s\n", path);
            return 1;
        }
        const std::string hex =
            synthfx::ofx::blake3Hex(bytes.data(), bytes.size(), threads, kernel);
        std::printf("%s  %s", hex.c_str(), path);
        if (bench) {
            using Clock = std::chrono::steady_clock;
            double best = 1e30, total = 0;
            for (int run = 0; run < 3 || total < 1.0; ++run) {
                const auto started = Clock::now();
                synthfx::ofx::blake3Hex(bytes.data(), bytes.size(), threads, kernel);
                const double seconds =
                    std::chrono::duration<double>(Clock::now() - started).count();
                best = std::min(best, seconds);
                total += seconds;
            }
            std::printf("  %.2f GB/s", double(bytes.size()) / best / 1e9);
        }
        std::printf("\n");
    }
    return 0;
}
