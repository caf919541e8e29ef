// SPDX-License-Identifier: Apache-2.0
#include "host_image.h"

namespace synthfx::ofx {
namespace {
OfxRectI rectProperty(const PropertySet& props, const char* name) {
    return OfxRectI{props.getInt(name, 0), props.getInt(name, 1), props.getInt(name, 2),
                    props.getInt(name, 3)};
}
}  // namespace

HostImage::HostImage(OfxImageClipHandle clip, OfxTime time) {
    if (suites().effect->clipGetImage(clip, time, nullptr, &_handle) != kOfxStatOK) {
        _handle = nullptr;
    }
}

HostImage::~HostImage() {
    if (_handle) suites().effect->clipReleaseImage(_handle);
}

PixelView HostImage::view() const {
    const MutablePixelView view = mutableView();
    const bool straight =
        properties().getStringOr(kOfxImageEffectPropPreMultiplication, kOfxImagePreMultiplied) ==
        kOfxImageUnPreMultiplied;
    return PixelView{view.data, view.bounds, view.rowBytes, view.depth, view.layout, straight};
}

MutablePixelView HostImage::mutableView() const {
    const PropertySet props(_handle);
    MutablePixelView view;
    view.data = props.getPointer(kOfxImagePropData);
    view.bounds = rectProperty(props, kOfxImagePropBounds);
    view.rowBytes = props.getInt(kOfxImagePropRowBytes);
    view.depth = parseDepth(props.getString(kOfxImageEffectPropPixelDepth));
    view.layout = parseLayout(props.getString(kOfxImageEffectPropComponents));
    if (!view.data) {
        throw OfxError(kOfxStatFailed, "synthfx: the host gave an image without pixels: render "
                                       "again, and report it to the host's makers if it stays");
    }
    return view;
}

OfxRectI HostImage::regionOfDefinition() const {
    const PropertySet props(_handle);
    if (props.getIntOr(kOfxImagePropRegionOfDefinition, INT_MIN, 0) != INT_MIN) {
        try {
            return rectProperty(props, kOfxImagePropRegionOfDefinition);
        } catch (const OfxError&) {
        }
    }
    return rectProperty(props, kOfxImagePropBounds);
}

}  // namespace synthfx::ofx
