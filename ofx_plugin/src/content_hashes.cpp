// SPDX-License-Identifier: Apache-2.0
#include "content_hashes.h"

#include <algorithm>
#include <cstring>

namespace synthfx::ofx {

namespace {

// Entries remembered (a segment's frames, masks and styles of a few shots); all are
// forgotten when it fills, which only costs hashing again.
constexpr size_t kMaxEntries = 4096;
// Pixels compared before a remembered hash is trusted: enough to catch a host reusing an
// identifier for an edited frame in most edits, small next to hashing the frame.
constexpr size_t kSampleValues = 1024;

std::vector<float> sampleOf(const FloatImage& image) {
    const size_t count = image.pixels.size();
    const size_t step = count > kSampleValues ? count / kSampleValues : 1;
    std::vector<float> sample;
    sample.reserve(count / step + 1);
    for (size_t at = 0; at < count; at += step) sample.push_back(image.pixels[at]);
    if (count) sample.push_back(image.pixels[count - 1]);
    return sample;
}

}  // namespace

std::string ContentHashes::hashOf(const std::string& identity, const FloatImage& image,
                                  const HashFn& hash, bool afresh) {
    if (identity.empty()) return hash(image);
    const std::string key = identity + "|" + std::to_string(image.width) + "x" +
                            std::to_string(image.height) + "x" + std::to_string(image.channels);
    std::vector<float> sample = sampleOf(image);
    if (!afresh) {
        std::lock_guard<std::mutex> lock(_mutex);
        const auto found = _entries.find(key);
        // Compared as bits, so a NaN matches itself.
        if (found != _entries.end() && found->second.sample.size() == sample.size() &&
            std::equal(sample.begin(), sample.end(), found->second.sample.begin(),
                       [](float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; })) {
            return found->second.hash;
        }
    }
    std::string computed = hash(image);
    std::lock_guard<std::mutex> lock(_mutex);
    if (_entries.size() >= kMaxEntries) _entries.clear();
    _entries[key] = Entry{std::move(sample), computed};
    return computed;
}

std::string imageIdentity(const std::vector<std::string>& parts) {
    if (parts.empty() || parts.front().empty()) return {};
    std::string joined;
    for (const auto& part : parts) joined += std::to_string(part.size()) + ":" + part;
    return joined;
}

}  // namespace synthfx::ofx
