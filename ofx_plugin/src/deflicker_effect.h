// SPDX-License-Identifier: Apache-2.0
// The Deflicker node: a flickering render (Source) + the plate it was made from (Guide)
// (+ optional Mask) -> the render made temporally stable, one whole frame at a time.
#pragma once

#include "effect.h"

namespace synthfx::ofx {

class DeflickerEffect final : public Effect {
  public:
    explicit DeflickerEffect(OfxImageEffectHandle handle);

    void render(const PropertySet& inArgs) override;
    // Every clip over the frame's window clipped to the shot.
    void getFramesNeeded(const PropertySet& inArgs, const PropertySet& outArgs) override;
    void getRegionOfDefinition(const PropertySet& inArgs, const PropertySet& outArgs) override;
    void getClipPreferences(const PropertySet& outArgs) override;
    void changedParam(const std::string& name, const PropertySet& inArgs) override;

  private:
    // The shot: hostShotRange; throws when the host tells none (a guessed shot would clip
    // the frames' windows wrongly).
    Segment shot() const;
    // [max(first, frame - window), min(last, frame + window)].
    Segment windowOf(int frame, OfxTime time) const;
    std::string wrongFrameAdvice() const override;

    OfxImageClipHandle _guide;
    OfxImageClipHandle _mask;
    OfxImageClipHandle _output;
};

}  // namespace synthfx::ofx
