// SPDX-License-Identifier: Apache-2.0
// Pixel conversion between host images (any depth, RGBA/RGB/Alpha, bottom-up rows with any
// row bytes and bounds) and FloatImage (float, top-down, packed).
#pragma once

#include "backend_client.h"
#include "ofx_api.h"

#include <string>

namespace synthfx::ofx {

enum class Depth { Byte, Short, Half, Float };
enum class Layout { RGBA, RGB, Alpha };

// Throws OfxError for an unsupported depth or components string.
Depth parseDepth(const std::string& depth);
Layout parseLayout(const std::string& components);
int channelCount(Layout layout);

// A host image's memory: `data` points at pixel (bounds.x1, bounds.y1); rowBytes may be
// negative (rows stored top-down).
struct PixelView {
    const void* data = nullptr;
    OfxRectI bounds{};
    long rowBytes = 0;
    Depth depth = Depth::Float;
    Layout layout = Layout::RGBA;
    bool straightAlpha = false;  // kOfxImageUnPreMultiplied: colour not yet times alpha
};

struct MutablePixelView {
    void* data = nullptr;
    OfxRectI bounds{};
    long rowBytes = 0;
    Depth depth = Depth::Float;
    Layout layout = Layout::RGBA;
};

// Reads `window` (pixel coordinates) from `view` into a top-down image with `channels`
// channels: 4 = RGBA, 3 = RGB, 1 = alpha (or the only channel). Pixels of the window outside
// the image bounds are 0; alpha missing from an RGB image is 1. Colour comes out premultiplied
// (the backend's convention, an EXR's): straight RGBA is multiplied by its alpha.
FloatImage readPixels(const PixelView& view, const OfxRectI& window, int channels);

// Writes the part of `image` (top-down, covering `window`) inside `renderWindow` to `view`.
// 1-channel images are written grey with alpha 1; 3-channel images get alpha 1.
void writePixels(const FloatImage& image, const OfxRectI& window, const MutablePixelView& view,
                 const OfxRectI& renderWindow);

// RGBA when the image has a non-opaque alpha, else RGB: an opaque painted frame is the same job
// as an RGB file given to the CLI.
FloatImage readColour(const PixelView& view, const OfxRectI& window);

// IEEE 754 half to float and back (round to nearest even).
float halfToFloat(uint16_t half);
uint16_t floatToHalf(float value);

}  // namespace synthfx::ofx
