// SPDX-License-Identifier: Apache-2.0
// The Keyframe node: a plate (Source) + a painting (Reference) (+ optional Mask) -> the plate
// painted in the painting's look, at the frames marked on its Keyframes page only.
#pragma once

#include "effect.h"

namespace synthfx::ofx {

class KeyframeEffect final : public Effect {
  public:
    explicit KeyframeEffect(OfxImageEffectHandle handle);

    void render(const PropertySet& inArgs) override;
    // Every clip at the frame rendered (the host's default).
    void getFramesNeeded(const PropertySet& inArgs, const PropertySet& outArgs) override;
    void getRegionOfDefinition(const PropertySet& inArgs, const PropertySet& outArgs) override;
    void getClipPreferences(const PropertySet& outArgs) override;
    void changedParam(const std::string& name, const PropertySet& inArgs) override;

  private:
    // Throws the artist's message unless `frame` is marked (a keyframe is costly: the Stylize
    // it feeds reads only its own Style Key frames, so only those are made).
    void requireMarked(int frame, OfxTime time) const;
    std::string wrongFrameAdvice() const override;

    OfxImageClipHandle _reference;
    OfxImageClipHandle _mask;
    OfxImageClipHandle _output;
};

}  // namespace synthfx::ofx
