// SPDX-License-Identifier: Apache-2.0
// The Stylize node: Source shot + painted Style keyframes (+ optional Mask) -> stylized frames.
#pragma once

#include "effect.h"
#include "keyframes.h"

namespace synthfx::ofx {

class StylizeEffect final : public Effect {
public:
    StylizeEffect(OfxImageEffectHandle handle, const std::string &context);

    void render(const PropertySet &inArgs) override;
    void getFramesNeeded(const PropertySet &inArgs, const PropertySet &outArgs) override;
    void getRegionOfDefinition(const PropertySet &inArgs, const PropertySet &outArgs) override;
    void getClipPreferences(const PropertySet &outArgs) override;
    void changedParam(const std::string &name, const PropertySet &inArgs) override;

private:
    // First and last frame of the Source clip.
    Segment shotRange() const;
    // Keyframes inside the shot: Style Key's animation keys, else the text list.
    std::vector<int> keyframes(OfxTime time) const;
    Segment framesFor(int frame, OfxTime time) const;
    FloatImage readClipFrame(OfxImageClipHandle clip, int frame, const OfxRectI &window,
                             int channels, const char *what) const;

    bool _general;
    OfxImageClipHandle _source;
    OfxImageClipHandle _style = nullptr;
    OfxImageClipHandle _mask = nullptr;
    OfxImageClipHandle _output;
};

} // namespace synthfx::ofx
