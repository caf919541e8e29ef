// SPDX-License-Identifier: Apache-2.0
// A property set seen through the property suite; getters throw OfxError naming the property.
#pragma once

#include "suites.h"

#include <string>
#include <vector>

namespace synthfx::ofx {

class PropertySet {
  public:
    explicit PropertySet(OfxPropertySetHandle handle = nullptr) : _handle(handle) {}
    OfxPropertySetHandle handle() const { return _handle; }

    int getInt(const char* name, int index = 0) const;
    double getDouble(const char* name, int index = 0) const;
    std::string getString(const char* name, int index = 0) const;
    void* getPointer(const char* name, int index = 0) const;
    // The value, or `fallback` when the host does not have the property.
    int getIntOr(const char* name, int fallback, int index = 0) const;
    double getDoubleOr(const char* name, double fallback, int index = 0) const;
    std::string getStringOr(const char* name, const std::string& fallback, int index = 0) const;
    int dimension(const char* name) const;
    std::vector<std::string> getStrings(const char* name) const;

    void setInt(const char* name, int value, int index = 0) const;
    void setDouble(const char* name, double value, int index = 0) const;
    void setString(const char* name, const std::string& value, int index = 0) const;
    void setPointer(const char* name, void* value, int index = 0) const;
    void setInts(const char* name, const std::vector<int>& values) const;
    void setDoubles(const char* name, const std::vector<double>& values) const;
    void setStrings(const char* name, const std::vector<std::string>& values) const;
    // Setting a property a host does not know must not fail describe (hosts differ).
    void trySetInt(const char* name, int value, int index = 0) const;
    void trySetString(const char* name, const std::string& value, int index = 0) const;

  private:
    OfxPropertySetHandle _handle;
};

}  // namespace synthfx::ofx
