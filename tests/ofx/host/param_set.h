// SPDX-License-Identifier: Apache-2.0
// The test host's parameters (values and animation keys) and the parameter suite.
#pragma once

#include "ofxParam.h"
#include "property_set.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace testhost {

struct Param {
    std::string type;
    std::string name;
    PropertySet props;
    // One value per dimension; strings in `text`.
    std::vector<double> value;
    std::string text;
    std::map<double, std::vector<double>> keys;  // time -> value (animation)
    std::vector<double> valueAt(double time) const;
};

class ParamSet {
  public:
    Param* define(const std::string& type, const std::string& name);
    Param* find(const std::string& name);
    // An instance's parameters, made from a descriptor's: defaults become values.
    void instantiateFrom(const ParamSet& descriptor);
    const std::vector<std::unique_ptr<Param>>& params() const { return _params; }
    PropertySet props;
    OfxParamSetHandle handle() { return reinterpret_cast<OfxParamSetHandle>(this); }
    static ParamSet* from(OfxParamSetHandle h) { return reinterpret_cast<ParamSet*>(h); }

  private:
    std::vector<std::unique_ptr<Param>> _params;
};

int dimensionsOf(const std::string& type);
const OfxParameterSuiteV1* parameterSuite();

}  // namespace testhost
