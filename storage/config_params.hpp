#pragma once
// Flattens a run's config JSON into dotted (key, value) pairs for the params table, so
// that runs can be filtered and compared by any field ("optimizer.lr" = "0.001").
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace halflab {

// Objects recurse ("a.b.c"); arrays and scalars become one value: strings as they are,
// everything else as compact JSON ("[64,64]", "true", "0.001").
std::vector<std::pair<std::string, std::string>> flattenConfigJson(const nlohmann::json& config);

}  // namespace halflab
