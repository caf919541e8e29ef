// SPDX-License-Identifier: Apache-2.0
// The ImageSynth node: Style + N (source guide, target guide, weight) -> one synthesised image.
#pragma once

#include "effect.h"

#include <vector>

namespace synthfx::ofx {

class ImageSynthEffect final : public Effect {
  public:
    explicit ImageSynthEffect(OfxImageEffectHandle handle);

    void render(const PropertySet& inArgs) override;
    void getFramesNeeded(const PropertySet& inArgs, const PropertySet& outArgs) override;
    void getRegionOfDefinition(const PropertySet& inArgs, const PropertySet& outArgs) override;
    void getClipPreferences(const PropertySet& outArgs) override;
    void changedParam(const std::string& name, const PropertySet& inArgs) override;

  private:
    struct GuideClips {
        OfxImageClipHandle source;
        OfxImageClipHandle target;
        std::string weight;
    };
    OfxImageClipHandle _style;
    std::vector<GuideClips> _guides;
    OfxImageClipHandle _output;
};

}  // namespace synthfx::ofx
