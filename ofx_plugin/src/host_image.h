// SPDX-License-Identifier: Apache-2.0
// A clip image fetched from the host, released when it goes out of scope.
#pragma once

#include "pixels.h"
#include "properties.h"

namespace synthfx::ofx {

class HostImage {
  public:
    // Null when the clip has no image at `time` (unconnected, or outside its range).
    HostImage(OfxImageClipHandle clip, OfxTime time);
    ~HostImage();
    HostImage(const HostImage&) = delete;
    HostImage& operator=(const HostImage&) = delete;

    explicit operator bool() const { return _handle != nullptr; }
    PropertySet properties() const { return PropertySet(_handle); }
    // Throws OfxError for missing data or unsupported depth/components.
    PixelView view() const;
    MutablePixelView mutableView() const;
    // The image's region of definition in pixels (its bounds when the host does not say).
    OfxRectI regionOfDefinition() const;

  private:
    OfxPropertySetHandle _handle = nullptr;
};

}  // namespace synthfx::ofx
