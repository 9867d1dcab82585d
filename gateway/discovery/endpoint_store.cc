#include "gateway/discovery/endpoint_store.h"

namespace gw::discovery {

EndpointUrlConstPtr EndpointStore::lookup(std::string_view key) const {
  const DiscoveredUrls& urls = urls_.current();
  auto it = urls.find(absl::string_view(key.data(), key.size()));
  return it == urls.end() ? nullptr : it->second;
}

EndpointStore& processEndpointStore() {
  static EndpointStore* store = new EndpointStore();  // never destroyed: read at exit
  return *store;
}

}  // namespace gw::discovery
