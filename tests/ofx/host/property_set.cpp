// SPDX-License-Identifier: Apache-2.0
#include "property_set.h"

namespace testhost {

int Property::size() const {
    switch (type) {
    case Type::Int: return int(ints.size());
    case Type::Double: return int(doubles.size());
    case Type::String: return int(strings.size());
    case Type::Pointer: return int(pointers.size());
    }
    return 0;
}

void PropertySet::setInt(const std::string& name, std::vector<int> values) {
    ensure(name, Property::Type::Int).ints = std::move(values);
}
void PropertySet::setDouble(const std::string& name, std::vector<double> values) {
    ensure(name, Property::Type::Double).doubles = std::move(values);
}
void PropertySet::setString(const std::string& name, std::vector<std::string> values) {
    ensure(name, Property::Type::String).strings = std::move(values);
}
void PropertySet::setPointer(const std::string& name, void* value) {
    ensure(name, Property::Type::Pointer).pointers = {value};
}

const Property* PropertySet::find(const std::string& name) const {
    auto it = _props.find(name);
    return it == _props.end() ? nullptr : &it->second;
}
Property* PropertySet::find(const std::string& name) {
    auto it = _props.find(name);
    return it == _props.end() ? nullptr : &it->second;
}

Property& PropertySet::ensure(const std::string& name, Property::Type type) {
    Property& prop = _props[name];
    if (prop.size() == 0) prop.type = type;
    return prop;
}

int PropertySet::getInt(const std::string& name, int index, int fallback) const {
    const Property* p = find(name);
    return p && p->type == Property::Type::Int && index < int(p->ints.size()) ? p->ints[index]
                                                                              : fallback;
}
double PropertySet::getDouble(const std::string& name, int index, double fallback) const {
    const Property* p = find(name);
    return p && p->type == Property::Type::Double && index < int(p->doubles.size())
               ? p->doubles[index]
               : fallback;
}
std::string PropertySet::getString(const std::string& name, int index) const {
    const Property* p = find(name);
    return p && p->type == Property::Type::String && index < int(p->strings.size())
               ? p->strings[index]
               : std::string();
}

namespace {

// Setting grows the property (plugins set return properties the host prepared, or new ones on
// descriptors); getting an unknown property or index fails as the specification says.
template <typename T> std::vector<T>& slot(Property& p);
template <> std::vector<int>& slot(Property& p) { return p.ints; }
template <> std::vector<double>& slot(Property& p) { return p.doubles; }
template <> std::vector<std::string>& slot(Property& p) { return p.strings; }
template <> std::vector<void*>& slot(Property& p) { return p.pointers; }

template <typename T> Property::Type typeOf();
template <> Property::Type typeOf<int>() { return Property::Type::Int; }
template <> Property::Type typeOf<double>() { return Property::Type::Double; }
template <> Property::Type typeOf<std::string>() { return Property::Type::String; }
template <> Property::Type typeOf<void*>() { return Property::Type::Pointer; }

template <typename T>
OfxStatus set(OfxPropertySetHandle h, const char* name, int index, const T& value) {
    if (!h) return kOfxStatErrBadHandle;
    if (index < 0) return kOfxStatErrBadIndex;
    Property& p = PropertySet::from(h)->ensure(name, typeOf<T>());
    if (p.type != typeOf<T>()) return kOfxStatErrValue;
    auto& values = slot<T>(p);
    if (int(values.size()) <= index) values.resize(index + 1);
    values[index] = value;
    return kOfxStatOK;
}

template <typename T> OfxStatus get(OfxPropertySetHandle h, const char* name, int index, T* value) {
    if (!h) return kOfxStatErrBadHandle;
    Property* p = PropertySet::from(h)->find(name);
    if (!p) return kOfxStatErrUnknown;
    if (p->type != typeOf<T>()) return kOfxStatErrValue;
    auto& values = slot<T>(*p);
    if (index < 0 || index >= int(values.size())) return kOfxStatErrBadIndex;
    *value = values[index];
    return kOfxStatOK;
}

OfxStatus setPointer(OfxPropertySetHandle h, const char* n, int i, void* v) {
    return set<void*>(h, n, i, v);
}
OfxStatus setString(OfxPropertySetHandle h, const char* n, int i, const char* v) {
    return set<std::string>(h, n, i, v ? v : "");
}
OfxStatus setDouble(OfxPropertySetHandle h, const char* n, int i, double v) {
    return set<double>(h, n, i, v);
}
OfxStatus setInt(OfxPropertySetHandle h, const char* n, int i, int v) {
    return set<int>(h, n, i, v);
}
OfxStatus setPointerN(OfxPropertySetHandle h, const char* n, int c, void* const* v) {
    for (int i = 0; i < c; ++i)
        if (OfxStatus s = setPointer(h, n, i, v[i])) return s;
    return kOfxStatOK;
}
OfxStatus setStringN(OfxPropertySetHandle h, const char* n, int c, const char* const* v) {
    for (int i = 0; i < c; ++i)
        if (OfxStatus s = setString(h, n, i, v[i])) return s;
    return kOfxStatOK;
}
OfxStatus setDoubleN(OfxPropertySetHandle h, const char* n, int c, const double* v) {
    for (int i = 0; i < c; ++i)
        if (OfxStatus s = setDouble(h, n, i, v[i])) return s;
    return kOfxStatOK;
}
OfxStatus setIntN(OfxPropertySetHandle h, const char* n, int c, const int* v) {
    for (int i = 0; i < c; ++i)
        if (OfxStatus s = setInt(h, n, i, v[i])) return s;
    return kOfxStatOK;
}
OfxStatus getPointer(OfxPropertySetHandle h, const char* n, int i, void** v) {
    return get<void*>(h, n, i, v);
}
OfxStatus getString(OfxPropertySetHandle h, const char* n, int i, char** v) {
    if (!h) return kOfxStatErrBadHandle;
    Property* p = PropertySet::from(h)->find(n);
    if (!p) return kOfxStatErrUnknown;
    if (p->type != Property::Type::String) return kOfxStatErrValue;
    if (i < 0 || i >= int(p->strings.size())) return kOfxStatErrBadIndex;
    *v = const_cast<char*>(p->strings[i].c_str());
    return kOfxStatOK;
}
OfxStatus getDouble(OfxPropertySetHandle h, const char* n, int i, double* v) {
    return get<double>(h, n, i, v);
}
OfxStatus getInt(OfxPropertySetHandle h, const char* n, int i, int* v) {
    return get<int>(h, n, i, v);
}
OfxStatus getPointerN(OfxPropertySetHandle h, const char* n, int c, void** v) {
    for (int i = 0; i < c; ++i)
        if (OfxStatus s = getPointer(h, n, i, v + i)) return s;
    return kOfxStatOK;
}
OfxStatus getStringN(OfxPropertySetHandle h, const char* n, int c, char** v) {
    for (int i = 0; i < c; ++i)
        if (OfxStatus s = getString(h, n, i, v + i)) return s;
    return kOfxStatOK;
}
OfxStatus getDoubleN(OfxPropertySetHandle h, const char* n, int c, double* v) {
    for (int i = 0; i < c; ++i)
        if (OfxStatus s = getDouble(h, n, i, v + i)) return s;
    return kOfxStatOK;
}
OfxStatus getIntN(OfxPropertySetHandle h, const char* n, int c, int* v) {
    for (int i = 0; i < c; ++i)
        if (OfxStatus s = getInt(h, n, i, v + i)) return s;
    return kOfxStatOK;
}
OfxStatus reset(OfxPropertySetHandle h, const char* n) {
    if (!h) return kOfxStatErrBadHandle;
    return PropertySet::from(h)->find(n) ? kOfxStatOK : kOfxStatErrUnknown;
}
OfxStatus dimension(OfxPropertySetHandle h, const char* n, int* count) {
    if (!h) return kOfxStatErrBadHandle;
    Property* p = PropertySet::from(h)->find(n);
    if (!p) return kOfxStatErrUnknown;
    *count = p->size();
    return kOfxStatOK;
}

const OfxPropertySuiteV1 kSuite = {setPointer, setString,  setDouble,   setInt,     setPointerN,
                                   setStringN, setDoubleN, setIntN,     getPointer, getString,
                                   getDouble,  getInt,     getPointerN, getStringN, getDoubleN,
                                   getIntN,    reset,      dimension};
}  // namespace

const OfxPropertySuiteV1* propertySuite() { return &kSuite; }

}  // namespace testhost
