// SPDX-License-Identifier: Apache-2.0
// The effect's remembered content hashes (ofx_plugin/src/content_hashes.h): rendering every
// frame of a segment hashes each frame once, and a frame is hashed again whenever its identity
// or its sampled pixels change.
#include "content_hashes.h"

#include <string>

#include "c_check.h"

using namespace synthfx::ofx;

namespace {

FloatImage ramp(int width, int height, int channels, float offset) {
    FloatImage image(width, height, channels);
    for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = offset + float(i % 89);
    return image;
}

}  // namespace

int main() {
    int hashed = 0;
    const ContentHashes::HashFn hash = [&hashed](const FloatImage& image) {
        ++hashed;
        return "h" + std::to_string(image.pixels[0]);
    };
    constexpr int kFrames = 12;
    std::vector<FloatImage> frames;
    for (int f = 0; f < kFrames; ++f) frames.push_back(ramp(64, 32, 3, float(f)));
    auto identity = [](int f) { return imageIdentity({"id" + std::to_string(f), "Source"}); };

    // Each render of the segment sends all its frames: hashed once each, not once per render.
    ContentHashes hashes;
    for (int render = 0; render < kFrames; ++render) {
        for (int f = 0; f < kFrames; ++f) {
            const std::string got = hashes.hashOf(identity(f), frames[f], hash);
            CHECK(got == "h" + std::to_string(float(f)), "frame %d: %s", f, got.c_str());
        }
    }
    CHECK(hashed == kFrames, "hashed %d times for %d frames", hashed, kFrames);

    // A host that gives no identifier: nothing remembered.
    hashed = 0;
    hashes.hashOf(imageIdentity({"", "Source"}), frames[0], hash);
    hashes.hashOf(imageIdentity({"", "Source"}), frames[0], hash);
    CHECK(hashed == 2, "without an identifier: hashed %d times, expected 2", hashed);

    // A new identifier (the host says the image changed): hashed again.
    hashed = 0;
    hashes.hashOf(imageIdentity({"id0-edited", "Source"}), frames[0], hash);
    CHECK(hashed == 1, "new identifier: hashed %d times, expected 1", hashed);

    // The same identifier over changed pixels (a host that keeps it across an edit): the sample
    // differs, so the frame is hashed again rather than sent under its old hash.
    hashed = 0;
    FloatImage edited = frames[1];
    for (float& value : edited.pixels) value += 0.5f;
    const std::string got = hashes.hashOf(identity(1), edited, hash);
    CHECK(hashed == 1 && got == "h" + std::to_string(edited.pixels[0]),
          "edited pixels under the same identifier: hashed %d times, got %s", hashed, got.c_str());

    // A refresh (Re-render) hashes afresh, and later renders use the new hash.
    hashed = 0;
    hashes.hashOf(identity(3), frames[3], hash, true);
    hashes.hashOf(identity(3), frames[3], hash);
    CHECK(hashed == 1, "refresh: hashed %d times, expected 1", hashed);

    // Another size under the same identifier: hashed again.
    hashed = 0;
    hashes.hashOf(identity(2), ramp(32, 16, 3, 2.0f), hash);
    CHECK(hashed == 1, "another size: hashed %d times, expected 1", hashed);
    return failures == 0 ? 0 : 1;
}
