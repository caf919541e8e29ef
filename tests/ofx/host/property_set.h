// SPDX-License-Identifier: Apache-2.0
// The test host's property sets and the property suite over them.
#pragma once

#include "ofxProperty.h"

#include <map>
#include <string>
#include <vector>

namespace testhost {

struct Property {
    enum class Type { Int, Double, String, Pointer } type = Type::Int;
    std::vector<int> ints;
    std::vector<double> doubles;
    std::vector<std::string> strings;
    std::vector<void*> pointers;
    int size() const;
};

class PropertySet {
  public:
    void setInt(const std::string& name, std::vector<int> values);
    void setDouble(const std::string& name, std::vector<double> values);
    void setString(const std::string& name, std::vector<std::string> values);
    void setPointer(const std::string& name, void* value);
    const Property* find(const std::string& name) const;
    Property* find(const std::string& name);
    Property& ensure(const std::string& name, Property::Type type);
    int getInt(const std::string& name, int index = 0, int fallback = 0) const;
    double getDouble(const std::string& name, int index = 0, double fallback = 0) const;
    std::string getString(const std::string& name, int index = 0) const;
    const std::map<std::string, Property>& all() const { return _props; }
    OfxPropertySetHandle handle() { return reinterpret_cast<OfxPropertySetHandle>(this); }
    static PropertySet* from(OfxPropertySetHandle handle) {
        return reinterpret_cast<PropertySet*>(handle);
    }

  private:
    std::map<std::string, Property> _props;
};

const OfxPropertySuiteV1* propertySuite();

}  // namespace testhost
