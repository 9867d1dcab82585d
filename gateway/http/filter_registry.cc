#include "gateway/http/filter_registry.h"

namespace gw::http {

FilterRegistry& FilterRegistry::instance() {
  static FilterRegistry* registry = new FilterRegistry();
  return *registry;
}

bool FilterRegistry::add(const std::string& name, FilterConfigFactory factory) {
  if (!factories_.emplace(name, std::move(factory)).second) {
    duplicates_.push_back(name);
    return false;
  }
  return true;
}

const FilterConfigFactory* FilterRegistry::find(const std::string& name) const {
  auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : &it->second;
}

std::vector<std::string> FilterRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, f] : factories_) out.push_back(name);
  return out;
}

}  // namespace gw::http
