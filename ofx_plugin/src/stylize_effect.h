// SPDX-License-Identifier: Apache-2.0
// The Stylize node: Source shot + painted Style keyframes (+ optional Mask) -> stylized frames.
#pragma once

#include "content_hashes.h"
#include "effect.h"
#include "keyframes.h"
#include "sheet_layout.h"

#include <mutex>
#include <set>
#include <utility>

namespace synthfx::ofx {

class StylizeEffect final : public Effect {
  public:
    StylizeEffect(OfxImageEffectHandle handle, const std::string& context);

    void render(const PropertySet& inArgs) override;
    void getFramesNeeded(const PropertySet& inArgs, const PropertySet& outArgs) override;
    void getRegionOfDefinition(const PropertySet& inArgs, const PropertySet& outArgs) override;
    void getClipPreferences(const PropertySet& outArgs) override;
    void changedParam(const std::string& name, const PropertySet& inArgs) override;

  private:
    // setKeys, else (filter context) every frame whose style file exists: the span of the
    // shot's keys where the host tells no range.
    std::vector<int> shotKeys(OfxTime time) const override;
    std::string wrongFrameAdvice() const override;
    // A styled key sheet's cells, else the frames marked on the Keyframes page (markedKeys);
    // unsorted, maybe outside the shot.
    std::vector<int> setKeys(OfxTime time) const;
    // Keyframes inside the shot: setKeys, else (filter context) the frames whose style file
    // exists.
    std::vector<int> keyframes(OfxTime time) const;
    Segment framesFor(int frame, OfxTime time) const;
    // `identity`, when given, is set to the frame's imageIdentity (empty: none).
    FloatImage readClipFrame(OfxImageClipHandle clip, int frame, const OfxRectI& window,
                             int channels, const char* what, std::string* identity = nullptr) const;
    // Filter context: the Style Frames File parameter, trimmed and checked (absolute, at most
    // one frame placeholder); throws an OfxError saying what to fix.
    std::string styleFile(OfxTime time) const;
    // Filter context: the Source Frames File parameter, trimmed and checked (absolute, one
    // frame placeholder); empty when not set.
    std::string sourceFile(OfxTime time) const;
    // The Key Sheet Layout parameter, trimmed and checked (absolute); empty when not set.
    std::string sheetLayoutFile(OfxTime time) const;
    // What the plugin reads of that layout file (its text in `text` when given); throws an
    // OfxError naming the file.
    SheetLayoutInfo sheetLayout(const std::string& path, std::string* text = nullptr) const;
    // Throws, saying what to do, when the Source frames `segment` needs for `frame` cannot come
    // from the host: it gives only the frame rendered and no Source Frames File is set.
    void requireOtherFrames(const Segment& segment, int frame, bool fromFiles) const;
    // Whether this render should ask the backend to recompute `segment`: Re-render was pressed
    // (in this session) and the segment has not been rendered since; refreshDone records it.
    bool refreshWanted(const Segment& segment, OfxTime time);
    void refreshDone(const Segment& segment);

    bool _general;
    OfxImageClipHandle _style = nullptr;
    OfxImageClipHandle _mask = nullptr;
    OfxImageClipHandle _output;
    std::mutex _refreshMutex;
    int _loadedGeneration = 0;  // at creation: a saved project never refreshes on load
    int _seenGeneration = 0;
    std::set<std::pair<int, int>> _refreshed;  // segments rendered at _seenGeneration
    ContentHashes _hashes;                     // of the frames sent, across renders
};

}  // namespace synthfx::ofx
