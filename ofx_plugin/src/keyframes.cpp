// SPDX-License-Identifier: Apache-2.0
#include "keyframes.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace synthfx::ofx {

std::vector<int> parseKeyList(const std::string &text) {
    std::vector<int> keys;
    std::string token;
    auto flush = [&] {
        if (token.empty()) return;
        char *end = nullptr;
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

Segment segmentFor(int frame, const std::vector<int> &keys, int first, int last) {
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

} // namespace synthfx::ofx
