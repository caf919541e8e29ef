// SPDX-License-Identifier: Apache-2.0
// What every synthfx effect instance shares: its handles, parameter access, messages, progress
// and abort, and the backend connection.
#pragma once

#include "backend_connection.h"
#include "keyframes.h"
#include "pixels.h"
#include "properties.h"

#include <atomic>
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

namespace synthfx::ofx {

class HostImage;
class ProgressScope;

class Effect {
  public:
    explicit Effect(OfxImageEffectHandle handle);
    virtual ~Effect() = default;

    virtual void render(const PropertySet& inArgs) = 0;
    virtual void getFramesNeeded(const PropertySet& inArgs, const PropertySet& outArgs) = 0;
    virtual void getRegionOfDefinition(const PropertySet& inArgs, const PropertySet& outArgs) = 0;
    virtual void getClipPreferences(const PropertySet& outArgs) = 0;
    virtual void changedParam(const std::string& name, const PropertySet& inArgs);
    // Remembers the frames the host is about to render (kOfxImageEffectPropFrameRange of its
    // inArgs): shotRange's fallback.
    void beginSequenceRender(const PropertySet& inArgs);

    OfxImageEffectHandle handle() const { return _handle; }
    // Shows `message` on the node until cleared (the artist sees it in the viewer / node).
    void setPersistentError(const std::string& message) const;
    void clearPersistentMessage() const;
    void showMessage(const char* type, const std::string& message) const;

  protected:
    OfxImageClipHandle clip(const char* name) const;
    bool clipConnected(OfxImageClipHandle clip) const;
    OfxParamHandle param(const char* name) const;
    int intAt(const char* name, OfxTime time) const;
    double doubleAt(const char* name, OfxTime time) const;
    bool boolAt(const char* name, OfxTime time) const;
    std::string stringAt(const char* name, OfxTime time) const;
    bool aborted() const;
    bool isBackground() const;
    std::string hostName() const;
    // Whether the host gives clip images at other times than the one rendered (MLT does not).
    bool hostHasTemporalAccess() const;
    ConnectionSettings connectionSettings(OfxTime time) const;
    // Frames marked on the Keyframes page (Stylize, Keyframe): the keys set on Style Key, else
    // those of the text list; unsorted, maybe outside the shot.
    std::vector<int> markedKeys(OfxTime time) const;
    // Handles Add/Remove Key Here; false for any other parameter.
    bool changedKeyParam(const std::string& name, OfxTime time);
    // The options of `params` at `time`, named as the backend wants them.
    std::vector<JobOption> optionsAt(const std::vector<struct OptionParam>& params,
                                     OfxTime time) const;
    // Turns a failed backend call into an OfxError carrying an artist-readable message.
    [[noreturn]] void failRender(const ClientResult& result) const;
    // The backend for this render, connected with the Backend page's settings at `time`;
    // throws the artist's message when it cannot be reached.
    BackendClient& backendClient(OfxTime time);
    // The backend's progress shown on `progress`; cancelled by the host's abort or the
    // progress dialog's cancel.
    RenderCallbacks callbacksFor(ProgressScope& progress) const;
    // Throws the artist's message when Source is not connected: `what` to connect there.
    void requireSource(const char* what) const;
    // The Source's region of definition as the node's (Source unconnected: requireSource).
    void sourceRegionOfDefinition(const PropertySet& inArgs, const PropertySet& outArgs,
                                  const char* what) const;

    // The Source clip's or the effect's frame range, or frames [0, duration - 1]; false when
    // the host tells none of them.
    bool hostShotRange(Segment& range) const;
    // First and last frame of the shot: hostShotRange, else what this render covers (see the
    // .cpp).
    Segment shotRange(OfxTime time) const;
    // The frames the node's keys name, for shotRange's last fallback; must not ask shotRange.
    virtual std::vector<int> shotKeys(OfxTime time) const;

    // The deepest pixel depth the host offers (float on a host that does not say); throws the
    // artist's message when it offers none synthfx writes.
    std::string outputDepth() const;
    // Output RGBA at outputDepth, premultiplied; one image for every frame unless
    // `frameVarying`.
    void setOutputPreferences(const PropertySet& outArgs, bool frameVarying) const;

    // How readFrame hands an image's channels to the backend: opaque as RGB else RGBA (the job
    // of an RGB or RGBA file given to the CLI), the image's own, or one / three channels.
    enum class Channels { Colour, Own, Alpha, RGB };
    // The clip's image at `frame` over its own pixels (its pixel window in `window` when
    // given); throws the artist's message when the host gives none or another frame.
    FloatImage readFrame(OfxImageClipHandle clip, int frame, Channels channels, const char* what,
                         OfxRectI* window = nullptr) const;
    // Throws the artist's message when the host gave no image at `frame`, or another frame.
    void requireImage(const HostImage& image, int frame, const char* what) const;
    // What requireImage adds when the host gave another frame than asked: what to do instead.
    virtual std::string wrongFrameAdvice() const;
    static OfxRectI renderWindowOf(const PropertySet& inArgs);
    static int frameOf(OfxTime time) { return static_cast<int>(std::lround(time)); }

    OfxImageEffectHandle _handle;
    PropertySet _props;
    OfxParamSetHandle _params = nullptr;
    BackendConnection _backend;
    // The node's main input, "Source", set by its constructor: hostShotRange reads its range.
    OfxImageClipHandle _source = nullptr;  // ImageSynth: none

  private:
    mutable std::mutex _sequenceMutex;
    bool _hasSequence = false;  // begin-sequence-render told the frames rendered
    Segment _sequence;
};

// Progress bar for one render; ends it when destroyed.
class ProgressScope {
  public:
    ProgressScope(const Effect& effect, const std::string& label);
    ~ProgressScope();
    // Returns false when the host's progress dialog was cancelled (kOfxStatReplyNo).
    bool update(double fraction);
    bool cancelled() const { return _cancelled; }

  private:
    void* _instance;
    bool _started = false;
    std::atomic<bool> _cancelled{false};
};

}  // namespace synthfx::ofx
