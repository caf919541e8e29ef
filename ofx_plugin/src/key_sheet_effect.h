// SPDX-License-Identifier: Apache-2.0
// The Key Sheet node: Source shot (+ optional Matte) -> one key sheet (synthfx sheet pack), the
// same image at every frame, of the sheet's size; its layout is written to Layout File.
#pragma once

#include "effect.h"

#include <vector>

namespace synthfx::ofx {

class KeySheetEffect final : public Effect {
  public:
    KeySheetEffect(OfxImageEffectHandle handle, const std::string& context);

    void render(const PropertySet& inArgs) override;
    // Source (and Matte) at the key frames only.
    void getFramesNeeded(const PropertySet& inArgs, const PropertySet& outArgs) override;
    // The sheet's size at the origin: columns x rows cells of Cell Width x Height (0: the
    // Source's size), known from the parameters and the Source's size alone.
    void getRegionOfDefinition(const PropertySet& inArgs, const PropertySet& outArgs) override;
    void getClipPreferences(const PropertySet& outArgs) override;
    void changedParam(const std::string& name, const PropertySet& inArgs) override;

  private:
    // The shot: the Source clip's frame range, else the effect's; throws when the host tells
    // neither.
    std::pair<int, int> shotRange() const;
    // The key frames as the backend will choose them (auto or the Keys list), to fetch.
    std::vector<int> keyFrames(OfxTime time) const;
    // The Source's pixel rectangle at `time` (render scale 1).
    OfxRectI sourceRect(OfxTime time) const;
    // (width, height) of one cell: Cell Width x Height, or the Source's size when 0.
    std::pair<int, int> cellSize(OfxTime time) const;
    // The sheet's pixel size: columns x rows cells.
    std::pair<int, int> sheetSize(OfxTime time) const;
    FloatImage readFrame(OfxImageClipHandle clip, int frame, int channels, const char* what) const;
    // Writes `text` to the Layout File path (a temporary file renamed over it: never half
    // written); throws an OfxError naming the path when it cannot.
    void writeLayout(const std::string& path, const std::string& text) const;

    bool _general;
    OfxImageClipHandle _source;
    OfxImageClipHandle _matte = nullptr;
    OfxImageClipHandle _output;
};

}  // namespace synthfx::ofx
