// SPDX-License-Identifier: Apache-2.0
// The param instances HostSupport asks a host for: a value plus keys per param, constant
// between keys (what the plugin's keyframe markers and the tests need).
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>

#include "host.h"
#include "report.h"

namespace hostsupport {
namespace {

using OFX::Host::Param::Descriptor;

template <class T> struct Curve {
    T value{};
    std::map<double, T> keys;

    T at(double time) const {
        if (keys.empty()) return value;
        auto after = keys.upper_bound(time);
        if (after == keys.begin()) return after->second;
        return std::prev(after)->second;
    }
    // paramSetValue: the value, or with keys a key at the current time (as hosts animate).
    void set(double now, T v) {
        if (keys.empty()) {
            value = v;
        } else {
            keys[now] = v;
        }
    }
};

// The keyframe calls of every animatable type, over its Curve.
template <class Base, class T> class Keyed : public Base {
  public:
    Keyed(Effect& effect, Descriptor& descriptor) : Base(descriptor, &effect), effect_(effect) {
        label(this->getPropHandle(), "param " + descriptor.getName());
    }

    Curve<T> curve;

    OfxStatus getNumKeys(unsigned int& count) const override {
        count = static_cast<unsigned int>(curve.keys.size());
        return kOfxStatOK;
    }
    OfxStatus getKeyTime(int nth, OfxTime& time) const override {
        if (nth < 0 || size_t(nth) >= curve.keys.size()) return kOfxStatErrBadIndex;
        time = std::next(curve.keys.begin(), nth)->first;
        return kOfxStatOK;
    }
    OfxStatus getKeyIndex(OfxTime time, int direction, int& index) const override {
        // Spec: 0 the key at `time`, -1 the last before it, 1 the first after; else failed.
        int i = 0;
        int found = -1;
        for (const auto& [t, v] : curve.keys) {
            if ((direction == 0 && t == time) || (direction < 0 && t < time)) found = i;
            if (direction > 0 && t > time) {
                found = i;
                break;
            }
            ++i;
        }
        if (found < 0) return kOfxStatFailed;
        index = found;
        return kOfxStatOK;
    }
    OfxStatus deleteKey(OfxTime time) override {
        return curve.keys.erase(time) ? kOfxStatOK : kOfxStatErrBadIndex;
    }
    OfxStatus deleteAllKeys() override {
        curve.keys.clear();
        return kOfxStatOK;
    }

  protected:
    Effect& effect_;
};

class IntegerParam : public Keyed<OFX::Host::Param::IntegerInstance, int> {
  public:
    IntegerParam(Effect& e, Descriptor& d) : Keyed(e, d) {
        curve.value = d.getProperties().getIntProperty(kOfxParamPropDefault);
    }
    OfxStatus get(int& v) override { return get(effect_.time, v); }
    OfxStatus get(OfxTime t, int& v) override { return v = curve.at(t), kOfxStatOK; }
    OfxStatus set(int v) override { return curve.set(effect_.time, v), kOfxStatOK; }
    OfxStatus set(OfxTime t, int v) override { return curve.keys[t] = v, kOfxStatOK; }
};

class ChoiceParam : public Keyed<OFX::Host::Param::ChoiceInstance, int> {
  public:
    ChoiceParam(Effect& e, Descriptor& d) : Keyed(e, d) {
        curve.value = d.getProperties().getIntProperty(kOfxParamPropDefault);
    }
    OfxStatus get(int& v) override { return get(effect_.time, v); }
    OfxStatus get(OfxTime t, int& v) override { return v = curve.at(t), kOfxStatOK; }
    OfxStatus set(int v) override { return curve.set(effect_.time, v), kOfxStatOK; }
    OfxStatus set(OfxTime t, int v) override { return curve.keys[t] = v, kOfxStatOK; }
};

class BooleanParam : public Keyed<OFX::Host::Param::BooleanInstance, bool> {
  public:
    BooleanParam(Effect& e, Descriptor& d) : Keyed(e, d) {
        curve.value = d.getProperties().getIntProperty(kOfxParamPropDefault) != 0;
    }
    OfxStatus get(bool& v) override { return get(effect_.time, v); }
    OfxStatus get(OfxTime t, bool& v) override { return v = curve.at(t), kOfxStatOK; }
    OfxStatus set(bool v) override { return curve.set(effect_.time, v), kOfxStatOK; }
    OfxStatus set(OfxTime t, bool v) override { return curve.keys[t] = v, kOfxStatOK; }
};

class DoubleParam : public Keyed<OFX::Host::Param::DoubleInstance, double> {
  public:
    DoubleParam(Effect& e, Descriptor& d) : Keyed(e, d) {
        curve.value = d.getProperties().getDoubleProperty(kOfxParamPropDefault);
    }
    OfxStatus get(double& v) override { return get(effect_.time, v); }
    OfxStatus get(OfxTime t, double& v) override { return v = curve.at(t), kOfxStatOK; }
    OfxStatus set(double v) override { return curve.set(effect_.time, v), kOfxStatOK; }
    OfxStatus set(OfxTime t, double v) override { return curve.keys[t] = v, kOfxStatOK; }
    // Constant between keys: no slope, and the integral is value x duration.
    OfxStatus derive(OfxTime, double& v) override { return v = 0, kOfxStatOK; }
    OfxStatus integrate(OfxTime t1, OfxTime t2, double& v) override {
        return v = curve.at(t1) * (t2 - t1), kOfxStatOK;
    }
};

class StringParam : public Keyed<OFX::Host::Param::StringInstance, std::string> {
  public:
    StringParam(Effect& e, Descriptor& d) : Keyed(e, d) {
        curve.value = d.getProperties().getStringProperty(kOfxParamPropDefault);
    }
    OfxStatus get(std::string& v) override { return get(effect_.time, v); }
    OfxStatus get(OfxTime t, std::string& v) override { return v = curve.at(t), kOfxStatOK; }
    OfxStatus set(const char* v) override { return curve.set(effect_.time, v), kOfxStatOK; }
    OfxStatus set(OfxTime t, const char* v) override { return curve.keys[t] = v, kOfxStatOK; }
};

class PushButtonParam : public OFX::Host::Param::PushbuttonInstance {
  public:
    PushButtonParam(Effect& e, Descriptor& d) : PushbuttonInstance(d, &e) {
        label(getPropHandle(), "param " + d.getName());
    }
};

template <class P> P* typed(Effect& effect, const std::string& name) {
    auto* param = dynamic_cast<P*>(effect.getParam(name));
    if (!param) throw std::runtime_error("no parameter " + name + " of that type");
    return param;
}

}  // namespace

OFX::Host::Param::Instance* Effect::newParam(const std::string& name, Descriptor& descriptor) {
    const std::string& type = descriptor.getType();
    if (type == kOfxParamTypeInteger) return new IntegerParam(*this, descriptor);
    if (type == kOfxParamTypeDouble) return new DoubleParam(*this, descriptor);
    if (type == kOfxParamTypeBoolean) return new BooleanParam(*this, descriptor);
    if (type == kOfxParamTypeChoice) return new ChoiceParam(*this, descriptor);
    if (type == kOfxParamTypeString) return new StringParam(*this, descriptor);
    if (type == kOfxParamTypePushButton) return new PushButtonParam(*this, descriptor);
    if (type == kOfxParamTypeGroup) return new OFX::Host::Param::GroupInstance(descriptor, this);
    if (type == kOfxParamTypePage) return new OFX::Host::Param::PageInstance(descriptor, this);
    // HostSupport drops the rest of the instance silently when this returns null: say so.
    reportAction("newParam", kOfxStatErrUnsupported,
                 "this test host has no instance of " + type + " (param " + name + ")");
    return new OFX::Host::Param::Instance(descriptor, this);
}

void setParam(Effect& effect, const std::string& name, const std::string& value) {
    OFX::Host::Param::Instance* param = effect.getParam(name);
    if (!param) throw std::runtime_error("no parameter " + name);
    const std::string& type = param->getType();
    if (type == kOfxParamTypeInteger) {
        typed<IntegerParam>(effect, name)->curve.value = std::stoi(value);
    } else if (type == kOfxParamTypeChoice) {
        typed<ChoiceParam>(effect, name)->curve.value = std::stoi(value);
    } else if (type == kOfxParamTypeBoolean) {
        typed<BooleanParam>(effect, name)->curve.value = std::stoi(value) != 0;
    } else if (type == kOfxParamTypeDouble) {
        typed<DoubleParam>(effect, name)->curve.value = std::stod(value);
    } else if (type == kOfxParamTypeString) {
        typed<StringParam>(effect, name)->curve.value = value;
    } else {
        throw std::runtime_error("cannot set " + name + " of type " + type);
    }
}

void setKeys(Effect& effect, const std::string& name, const std::vector<double>& times) {
    OFX::Host::Param::Instance* param = effect.getParam(name);
    if (!param) throw std::runtime_error("no parameter " + name);
    for (double t : times) {
        if (param->getType() == kOfxParamTypeInteger) {
            typed<IntegerParam>(effect, name)->curve.keys[t] = 1;
        } else if (param->getType() == kOfxParamTypeBoolean) {
            typed<BooleanParam>(effect, name)->curve.keys[t] = true;
        } else if (param->getType() == kOfxParamTypeDouble) {
            typed<DoubleParam>(effect, name)->curve.keys[t] = 1.0;
        } else {
            throw std::runtime_error("cannot key " + name);
        }
    }
}

}  // namespace hostsupport
