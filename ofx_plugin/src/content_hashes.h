// SPDX-License-Identifier: Apache-2.0
// Content hashes of frames read from the host, remembered across renders: rendering frame t
// sends every frame of t's segment, so without them each frame of a segment would be hashed
// once per frame rendered. Plain C++: the hash itself comes from the client library.
#pragma once

#include "backend_client.h"

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace synthfx::ofx {

class ContentHashes {
  public:
    using HashFn = std::function<std::string(const FloatImage&)>;

    // The hash of `image`, read from the host as `identity` says (see imageIdentity). A
    // remembered hash is reused only when the identity is not empty and a sample of the pixels
    // still matches (a guard against a host that keeps an identifier for changed pixels);
    // otherwise `hash` computes it. `afresh`: computed in any case and remembered (a render the
    // artist asked to redo trusts nothing remembered).
    std::string hashOf(const std::string& identity, const FloatImage& image, const HashFn& hash,
                       bool afresh = false);

  private:
    struct Entry {
        std::vector<float> sample;
        std::string hash;
    };
    std::mutex _mutex;
    std::map<std::string, Entry> _entries;
};

// What makes a frame read from the host the same frame again: the host's identifier of the
// image (kOfxImagePropUniqueIdentifier, which OFX hosts change whenever the image's pixels
// may have changed; empty: the host gives none, nothing is remembered), where its pixels are
// and how they were read. `parts` are joined unambiguously.
std::string imageIdentity(const std::vector<std::string>& parts);

}  // namespace synthfx::ofx
