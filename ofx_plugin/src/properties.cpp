// SPDX-License-Identifier: Apache-2.0
#include "properties.h"

namespace synthfx::ofx {
namespace {
const OfxPropertySuiteV1& prop() { return *suites().property; }

std::string describe(const char* verb, const char* name, int index) {
    return std::string(verb) + " property " + name + "[" + std::to_string(index) + "]";
}
}  // namespace

int PropertySet::getInt(const char* name, int index) const {
    int value = 0;
    check(prop().propGetInt(_handle, name, index, &value), describe("getting", name, index));
    return value;
}

double PropertySet::getDouble(const char* name, int index) const {
    double value = 0;
    check(prop().propGetDouble(_handle, name, index, &value), describe("getting", name, index));
    return value;
}

std::string PropertySet::getString(const char* name, int index) const {
    char* value = nullptr;
    check(prop().propGetString(_handle, name, index, &value), describe("getting", name, index));
    return value ? value : "";
}

void* PropertySet::getPointer(const char* name, int index) const {
    void* value = nullptr;
    check(prop().propGetPointer(_handle, name, index, &value), describe("getting", name, index));
    return value;
}

int PropertySet::getIntOr(const char* name, int fallback, int index) const {
    int value = 0;
    return prop().propGetInt(_handle, name, index, &value) == kOfxStatOK ? value : fallback;
}

double PropertySet::getDoubleOr(const char* name, double fallback, int index) const {
    double value = 0;
    return prop().propGetDouble(_handle, name, index, &value) == kOfxStatOK ? value : fallback;
}

std::string PropertySet::getStringOr(const char* name, const std::string& fallback,
                                     int index) const {
    char* value = nullptr;
    if (prop().propGetString(_handle, name, index, &value) != kOfxStatOK || !value) {
        return fallback;
    }
    return value;
}

int PropertySet::dimension(const char* name) const {
    int count = 0;
    check(prop().propGetDimension(_handle, name, &count), describe("sizing", name, 0));
    return count;
}

std::vector<std::string> PropertySet::getStrings(const char* name) const {
    std::vector<std::string> values;
    const int count = dimension(name);
    for (int i = 0; i < count; ++i) {
        values.push_back(getString(name, i));
    }
    return values;
}

void PropertySet::setInt(const char* name, int value, int index) const {
    check(prop().propSetInt(_handle, name, index, value), describe("setting", name, index));
}

void PropertySet::setDouble(const char* name, double value, int index) const {
    check(prop().propSetDouble(_handle, name, index, value), describe("setting", name, index));
}

void PropertySet::setString(const char* name, const std::string& value, int index) const {
    check(prop().propSetString(_handle, name, index, value.c_str()),
          describe("setting", name, index));
}

void PropertySet::setPointer(const char* name, void* value, int index) const {
    check(prop().propSetPointer(_handle, name, index, value), describe("setting", name, index));
}

void PropertySet::setInts(const char* name, const std::vector<int>& values) const {
    for (size_t i = 0; i < values.size(); ++i) {
        setInt(name, values[i], static_cast<int>(i));
    }
}

void PropertySet::setDoubles(const char* name, const std::vector<double>& values) const {
    for (size_t i = 0; i < values.size(); ++i) {
        setDouble(name, values[i], static_cast<int>(i));
    }
}

void PropertySet::setStrings(const char* name, const std::vector<std::string>& values) const {
    for (size_t i = 0; i < values.size(); ++i) {
        setString(name, values[i], static_cast<int>(i));
    }
}

void PropertySet::trySetInt(const char* name, int value, int index) const {
    prop().propSetInt(_handle, name, index, value);
}

void PropertySet::trySetString(const char* name, const std::string& value, int index) const {
    prop().propSetString(_handle, name, index, value.c_str());
}

}  // namespace synthfx::ofx
