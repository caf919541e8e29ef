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
    // The shot: the Source clip's frame range, else the effect's; throws when the host tells
    // neither.
    std::pair<int, int> shotRange() const;
    // [max(first, frame - window), min(last, frame + window)].
    std::pair<int, int> windowOf(int frame, OfxTime time) const;
    // The clip's image at `frame` over its own pixels, as `channels` channels (0: the image's);
    // `region`, when given, gets where those pixels lie.
    FloatImage readFrame(OfxImageClipHandle clip, int frame, int channels, const char* what,
                         OfxRectI* region = nullptr) const;

    OfxImageClipHandle _source;
    OfxImageClipHandle _guide;
    OfxImageClipHandle _mask;
    OfxImageClipHandle _output;
};

}  // namespace synthfx::ofx
