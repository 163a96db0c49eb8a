#pragma once
#include <optional>
#include <string_view>

#include "engine/model/layer.hpp"

namespace halflab {

enum class ActivationKind { ReLU, GELU, Tanh, Sigmoid };
std::string_view activationName(ActivationKind k);
std::optional<ActivationKind> parseActivation(std::string_view name);
std::vector<std::string> activationNames();  // what the GUI and CLI offer

// Elementwise activation; runs in the low format (output rounded, gradient rounded).
class Activation : public Layer {
 public:
  Activation(std::string name, ActivationKind kind) : name_(std::move(name)), kind_(kind) {}
  std::string name() const override { return name_; }
  Shape outputShape(const Shape& in) const override { return in; }
  void forward(const Tensor& x, Tensor& y, ExecContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                ExecContext& ctx) override;

 private:
  std::string name_;
  ActivationKind kind_;
};

}  // namespace halflab
