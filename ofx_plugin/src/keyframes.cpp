// SPDX-License-Identifier: Apache-2.0
#include "keyframes.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace synthfx::ofx {

std::vector<int> parseKeyList(const std::string& text) {
    std::vector<int> keys;
    std::string token;
    auto flush = [&] {
        if (token.empty()) return;
        char* end = nullptr;
        const long value = std::strtol(token.c_str(), &end, 10);
        if (*end != '\0') {
            throw std::invalid_argument("keyframe list: '" + token + "' is not a frame number");
        }
        keys.push_back(static_cast<int>(value));
        token.clear();
    };
    for (char c : text) {
        if (c == ',' || c == ' ' || c == '\t' || c == ';' || c == '\n') {
            flush();
        } else {
            token += c;
        }
    }
    flush();
    return keys;
}

std::vector<int> normalizeKeys(std::vector<int> keys, int first, int last) {
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    keys.erase(std::remove_if(keys.begin(), keys.end(),
                              [&](int key) { return key < first || key > last; }),
               keys.end());
    return keys;
}

std::vector<int> autoSheetKeys(int first, int last, int grid) {
    const long long count = (long long)grid * grid;
    const long long length = (long long)last - first + 1;
    if (grid < 1 || length < count) return {};
    if (count == 1) return {first};
    const long long span = length - 1, steps = count - 1;
    std::vector<int> keys;
    // floor(i * span / steps + 1/2) in integers, as the backend rounds.
    for (long long i = 0; i < count; ++i) {
        keys.push_back(first + static_cast<int>((2 * i * span + steps) / (2 * steps)));
    }
    return keys;
}

Segment segmentFor(int frame, const std::vector<int>& keys, int first, int last) {
    if (keys.empty()) return {first, last};
    const auto at = std::lower_bound(keys.begin(), keys.end(), frame);
    if (at != keys.end() && *at == frame) {
        // A key touches the segments on both sides; send both so the backend never lacks one.
        return {at == keys.begin() ? first : *(at - 1), at + 1 == keys.end() ? last : *(at + 1)};
    }
    const auto next = std::upper_bound(keys.begin(), keys.end(), frame);
    if (next == keys.begin()) return {first, *next};
    if (next == keys.end()) return {keys.back(), last};
    return {*(next - 1), *next};
}

namespace {

// A placeholder at `at` in `name`: its length and padding, or length 0.
size_t placeholderAt(const std::string& name, size_t at, int& padding) {
    if (name[at] == '#') {
        size_t end = at;
        while (end < name.size() && name[end] == '#') ++end;
        padding = static_cast<int>(end - at);
        return end - at;
    }
    if (name[at] != '%') return 0;
    size_t end = at + 1;
    padding = 0;
    if (end < name.size() && name[end] == '0') {
        size_t digits = end + 1;
        while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits]))) {
            ++digits;
        }
        if (digits == end + 1) return 0;  // "%0" without a width is no placeholder
        padding = std::atoi(name.substr(end, digits - end).c_str());
        end = digits;
    }
    return end < name.size() && name[end] == 'd' ? end + 1 - at : 0;
}

}  // namespace

FramePattern parseFramePattern(const std::string& path) {
    FramePattern pattern;
    const size_t slash = path.rfind('/');
    pattern.directory = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    int padding = 0;
    for (size_t i = 0; i < pattern.directory.size(); ++i) {
        if (placeholderAt(pattern.directory, i, padding)) {
            throw std::invalid_argument(path + ": a frame placeholder only goes in the file name");
        }
    }
    pattern.prefix = name;
    for (size_t i = 0; i < name.size();) {
        const size_t length = placeholderAt(name, i, padding);
        if (!length) {
            ++i;
            continue;
        }
        if (!pattern.still) {
            throw std::invalid_argument(path + " has more than one frame placeholder");
        }
        pattern.still = false;
        pattern.prefix = name.substr(0, i);
        pattern.suffix = name.substr(i + length);
        pattern.padding = padding;
        i += length;
    }
    return pattern;
}

std::string framePath(const FramePattern& pattern, int frame) {
    if (pattern.still) return pattern.directory + pattern.prefix;
    char number[32];
    std::snprintf(number, sizeof(number), "%0*d", pattern.padding, frame);
    return pattern.directory + pattern.prefix + number + pattern.suffix;
}

std::vector<int> existingFrames(const FramePattern& pattern, int first, int last) {
    std::vector<int> frames;
    if (pattern.still) return frames;
    for (int frame = first; frame <= last; ++frame) {
        struct stat info{};
        if (stat(framePath(pattern, frame).c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
            frames.push_back(frame);
        }
    }
    return frames;
}

std::vector<int> existingFrames(const FramePattern& pattern) {
    std::vector<int> frames;
    if (pattern.still) return frames;
    const std::string directory = pattern.directory.empty() ? "." : pattern.directory;
    DIR* listing = opendir(directory.c_str());
    if (!listing) return frames;
    while (const dirent* entry = readdir(listing)) {
        const std::string name = entry->d_name;
        if (name.size() <= pattern.prefix.size() + pattern.suffix.size() ||
            name.compare(0, pattern.prefix.size(), pattern.prefix) != 0 ||
            name.compare(name.size() - pattern.suffix.size(), pattern.suffix.size(),
                         pattern.suffix) != 0) {
            continue;
        }
        const std::string number = name.substr(
            pattern.prefix.size(), name.size() - pattern.prefix.size() - pattern.suffix.size());
        const bool digits = std::all_of(number.begin() + (number[0] == '-'), number.end(),
                                        [](unsigned char c) { return std::isdigit(c) != 0; });
        if (!digits || number.size() > 9 || number == "-") continue;
        const int frame = std::atoi(number.c_str());
        // Only the name the pattern gives that frame ("0012", not "012" for ####).
        if (framePath(pattern, frame) != pattern.directory + name) continue;
        struct stat info{};
        if (stat((pattern.directory + name).c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
            frames.push_back(frame);
        }
    }
    closedir(listing);
    std::sort(frames.begin(), frames.end());
    return frames;
}

}  // namespace synthfx::ofx
