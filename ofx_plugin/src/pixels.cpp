// SPDX-License-Identifier: Apache-2.0
#include "pixels.h"
#include "suites.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace synthfx::ofx {
namespace {

constexpr float kByteMax = 255.0f;
constexpr float kShortMax = 65535.0f;

size_t bytesPerChannel(Depth depth) {
    switch (depth) {
    case Depth::Byte: return 1;
    case Depth::Short:
    case Depth::Half: return 2;
    case Depth::Float: return 4;
    }
    return 4;
}

float loadChannel(const unsigned char* pixel, int channel, Depth depth) {
    switch (depth) {
    case Depth::Byte: return pixel[channel] / kByteMax;
    case Depth::Short: {
        uint16_t value;
        std::memcpy(&value, pixel + 2 * channel, 2);
        return value / kShortMax;
    }
    case Depth::Half: {
        uint16_t value;
        std::memcpy(&value, pixel + 2 * channel, 2);
        return halfToFloat(value);
    }
    case Depth::Float: {
        float value;
        std::memcpy(&value, pixel + 4 * channel, 4);
        return value;
    }
    }
    return 0.0f;
}

void storeChannel(unsigned char* pixel, int channel, Depth depth, float value) {
    switch (depth) {
    case Depth::Byte:
        pixel[channel] =
            static_cast<unsigned char>(std::lround(std::clamp(value, 0.0f, 1.0f) * kByteMax));
        return;
    case Depth::Short: {
        const auto stored =
            static_cast<uint16_t>(std::lround(std::clamp(value, 0.0f, 1.0f) * kShortMax));
        std::memcpy(pixel + 2 * channel, &stored, 2);
        return;
    }
    case Depth::Half: {
        const uint16_t stored = floatToHalf(value);
        std::memcpy(pixel + 2 * channel, &stored, 2);
        return;
    }
    case Depth::Float: std::memcpy(pixel + 4 * channel, &value, 4); return;
    }
}

OfxRectI intersect(const OfxRectI& a, const OfxRectI& b) {
    OfxRectI r{std::max(a.x1, b.x1), std::max(a.y1, b.y1), std::min(a.x2, b.x2),
               std::min(a.y2, b.y2)};
    if (r.x2 < r.x1) r.x2 = r.x1;
    if (r.y2 < r.y1) r.y2 = r.y1;
    return r;
}

}  // namespace

Depth parseDepth(const std::string& depth) {
    if (depth == kOfxBitDepthFloat) return Depth::Float;
    if (depth == kOfxBitDepthHalf) return Depth::Half;
    if (depth == kOfxBitDepthShort) return Depth::Short;
    if (depth == kOfxBitDepthByte) return Depth::Byte;
    throw OfxError(kOfxStatErrImageFormat,
                   "synthfx: the host gave pixels of depth '" + depth +
                       "', which synthfx cannot read: make the clip 32-bit float, 16-bit or 8-bit");
}

Layout parseLayout(const std::string& components) {
    if (components == kOfxImageComponentRGBA) return Layout::RGBA;
    if (components == kOfxImageComponentRGB) return Layout::RGB;
    if (components == kOfxImageComponentAlpha) return Layout::Alpha;
    throw OfxError(kOfxStatErrImageFormat,
                   "synthfx: the host gave '" + components +
                       "' images, which synthfx cannot read: make the clip RGBA, RGB or alpha");
}

int channelCount(Layout layout) {
    return layout == Layout::RGBA ? 4 : layout == Layout::RGB ? 3 : 1;
}

FloatImage readPixels(const PixelView& view, const OfxRectI& window, int channels) {
    FloatImage image(window.x2 - window.x1, window.y2 - window.y1, channels);
    const int hostChannels = channelCount(view.layout);
    const size_t pixelBytes = bytesPerChannel(view.depth) * hostChannels;
    const OfxRectI inside = intersect(window, view.bounds);
    for (int y = inside.y1; y < inside.y2; ++y) {
        const auto* hostRow =
            static_cast<const unsigned char*>(view.data) + long(y - view.bounds.y1) * view.rowBytes;
        // Host rows count up from the bottom; ours go down from the top.
        float* out = image.row(window.y2 - 1 - y);
        for (int x = inside.x1; x < inside.x2; ++x) {
            const unsigned char* pixel = hostRow + size_t(x - view.bounds.x1) * pixelBytes;
            float* dst = out + size_t(x - window.x1) * channels;
            float rgba[4] = {0, 0, 0, 1};
            if (view.layout == Layout::Alpha) {
                rgba[3] = loadChannel(pixel, 0, view.depth);
            } else {
                for (int c = 0; c < hostChannels; ++c) rgba[c] = loadChannel(pixel, c, view.depth);
                if (view.straightAlpha && view.layout == Layout::RGBA) {
                    for (int c = 0; c < 3; ++c) rgba[c] *= rgba[3];
                }
            }
            if (channels == 1) {
                dst[0] = view.layout == Layout::RGB ? rgba[0] : rgba[3];
            } else {
                for (int c = 0; c < channels; ++c) dst[c] = rgba[c];
            }
        }
    }
    return image;
}

void writePixels(const FloatImage& image, const OfxRectI& window, const MutablePixelView& view,
                 const OfxRectI& renderWindow) {
    const int hostChannels = channelCount(view.layout);
    const size_t pixelBytes = bytesPerChannel(view.depth) * hostChannels;
    const OfxRectI target = intersect(renderWindow, view.bounds);
    for (int y = target.y1; y < target.y2; ++y) {
        auto* hostRow =
            static_cast<unsigned char*>(view.data) + long(y - view.bounds.y1) * view.rowBytes;
        const bool insideY = y >= window.y1 && y < window.y2;
        for (int x = target.x1; x < target.x2; ++x) {
            float rgba[4] = {0, 0, 0, 0};
            if (insideY && x >= window.x1 && x < window.x2) {
                const float* src =
                    image.row(window.y2 - 1 - y) + size_t(x - window.x1) * image.channels;
                if (image.channels == 1) {
                    rgba[0] = rgba[1] = rgba[2] = src[0];
                    rgba[3] = 1;
                } else {
                    for (int c = 0; c < 3; ++c) rgba[c] = src[c];
                    rgba[3] = image.channels >= 4 ? src[3] : 1;
                }
            }
            unsigned char* pixel = hostRow + size_t(x - view.bounds.x1) * pixelBytes;
            if (view.layout == Layout::Alpha) {
                storeChannel(pixel, 0, view.depth, rgba[3]);
            } else {
                for (int c = 0; c < hostChannels; ++c) storeChannel(pixel, c, view.depth, rgba[c]);
            }
        }
    }
}

FloatImage readColour(const PixelView& view, const OfxRectI& window) {
    FloatImage rgba = readPixels(view, window, 4);
    bool opaque = true;
    for (size_t i = 3; i < rgba.pixels.size() && opaque; i += 4) opaque = rgba.pixels[i] == 1.0f;
    if (!opaque) return rgba;
    FloatImage rgb(rgba.width, rgba.height, 3);
    for (size_t p = 0, n = size_t(rgba.width) * rgba.height; p < n; ++p) {
        for (int c = 0; c < 3; ++c) rgb.pixels[3 * p + c] = rgba.pixels[4 * p + c];
    }
    return rgb;
}

float halfToFloat(uint16_t half) {
    const uint32_t sign = uint32_t(half & 0x8000) << 16;
    const int exponent = (half >> 10) & 0x1f;
    const uint32_t mantissa = half & 0x3ff;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            int shift = 0;
            uint32_t m = mantissa;
            while (!(m & 0x400)) {
                m <<= 1;
                ++shift;
            }
            bits = sign | uint32_t(127 - 15 - shift + 1) << 23 | (m & 0x3ff) << 13;
        }
    } else if (exponent == 31) {
        bits = sign | 0x7f800000u | mantissa << 13;
    } else {
        bits = sign | uint32_t(exponent - 15 + 127) << 23 | mantissa << 13;
    }
    float value;
    std::memcpy(&value, &bits, 4);
    return value;
}

uint16_t floatToHalf(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
    const uint32_t magnitude = bits & 0x7fffffff;
    if (magnitude >= 0x7f800000u) {  // inf or nan
        return sign | 0x7c00 | (magnitude > 0x7f800000u ? 0x200 : 0);
    }
    if (magnitude >= 0x477ff000u) return sign | 0x7c00;  // overflows to inf
    if (magnitude < 0x38800000u) {                       // subnormal or zero
        if (magnitude < 0x33000000u) return sign;
        // value / 2^-24 rounded: the mantissa (with its implicit bit) shifted down.
        const int exponent = int(magnitude >> 23);
        const uint32_t mantissa = (magnitude & 0x7fffff) | 0x800000;
        const int shift = 126 - exponent;
        const uint32_t rest = mantissa & ((1u << shift) - 1);
        const uint32_t halfway = 1u << (shift - 1);
        uint32_t result = mantissa >> shift;
        if (rest > halfway || (rest == halfway && (result & 1))) ++result;
        return sign | static_cast<uint16_t>(result);
    }
    uint32_t half = (magnitude - 0x38000000u) >> 13;
    const uint32_t rest = magnitude & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;
    return sign | static_cast<uint16_t>(half);
}

}  // namespace synthfx::ofx
