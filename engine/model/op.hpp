#pragma once
// The CPU implementation of one graph node: a forward/backward pair over any number of
// inputs (llm.c style). The Graph owns every value and value gradient, so an op gets its
// inputs and output again in backward instead of caching them.
#include <string>
#include <vector>

#include "engine/model/exec_context.hpp"
#include "engine/model/parameter.hpp"

namespace halflab {

class Op {
 public:
  virtual ~Op() = default;
  virtual std::string name() const = 0;
  // Shapes carry the batch dimension first.
  virtual Shape nodeOutputShape(const std::vector<Shape>& in) const = 0;
  virtual void forwardNode(const std::vector<const Tensor*>& x, Tensor& y, ExecContext& ctx) = 0;
  // Sets the gradients of this op's parameters and, for every dx[i] that is not null,
  // the gradient w.r.t. input i.
  virtual void backwardNode(const std::vector<const Tensor*>& x, const Tensor& y, const Tensor& dy,
                            const std::vector<Tensor*>& dx, ExecContext& ctx) = 0;
  virtual std::vector<Parameter*> parameters() { return {}; }
};

}  // namespace halflab
