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

    // At a render scale below 1 (proxy) the sheet of the proxy frames, cells scaled alike;
    // Layout File is written at full resolution only.
    void render(const PropertySet& inArgs) override;
    // Source (and Matte) at the key frames only.
    void getFramesNeeded(const PropertySet& inArgs, const PropertySet& outArgs) override;
    // The sheet's size at the origin: columns x rows cells of Cell Width x Height (0: the
    // Source's size), known from the parameters and the Source's size alone; in canonical
    // coordinates (pixel width times the pixel aspect ratio).
    void getRegionOfDefinition(const PropertySet& inArgs, const PropertySet& outArgs) override;
    void getClipPreferences(const PropertySet& outArgs) override;
    void changedParam(const std::string& name, const PropertySet& inArgs) override;

  private:
    // Whether Keys asks for N x N frames spread over the shot (blank or "auto").
    bool autoKeys(OfxTime time) const;
    // The frames of the Keys list; none when Keys is auto (or a bad list: the backend names
    // the bad entry).
    std::vector<int> shotKeys(OfxTime time) const override;
    // The key frames as the backend will choose them (auto or the Keys list), to fetch.
    std::vector<int> keyFrames(OfxTime time) const;
    // (width, height) of the Source in pixels at render scale 1.
    std::pair<int, int> sourceSize(OfxTime time) const;
    // (width, height) of one cell in full-resolution pixels: Cell Width x Height, or the
    // Source's size when 0.
    std::pair<int, int> cellSize(OfxTime time) const;
    // (columns, rows) of cells.
    std::pair<int, int> gridSize(OfxTime time) const;
    std::string wrongFrameAdvice() const override;
    // Writes `text` to the Layout File path (a temporary file renamed over it: never half
    // written); throws an OfxError naming the path when it cannot.
    void writeLayout(const std::string& path, const std::string& text) const;

    bool _general;
    OfxImageClipHandle _matte = nullptr;
    OfxImageClipHandle _output;
};

}  // namespace synthfx::ofx
