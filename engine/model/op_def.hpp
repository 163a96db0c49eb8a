#pragma once
// The backend-neutral definition of one op: how its attributes are read and checked,
// its output shape, the parameters it declares (with their initialisation), the state it
// keeps per sample (for the memory estimate) and, per backend, how to instantiate it.
// Every op is one such definition in its own file under engine/model/ops/, added to the
// registry by the registration list (op_list.cpp). See docs/ARCHITECTURE.md, "Op registry".
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/model/attr_reader.hpp"
#include "engine/model/node_spec.hpp"
#include "engine/model/op.hpp"
#include "engine/tensor/tensor.hpp"

namespace halflab {

enum class ParamInit {
  UniformFanIn,  // uniform in +-gain/sqrt(fan_in), drawn from the model's generator in order
  Ones,
  Zeros,
};

struct ParameterSpec {
  std::string name;        // e.g. "fc2.weight"
  Shape shape;
  bool keep_fp32 = false;  // batch-norm affine parameters stay fp32 in every mode
  bool decay = true;       // weight decay applies (not to biases / norm parameters)
  ParamInit init = ParamInit::UniformFanIn;
  std::int64_t fan_in = 1;
};

// State an op keeps besides its output, for the memory estimate.
struct OpBuffer {
  enum class Batch { None, Forward, Train };  // scaled by no batch, the forward or the training batch
  std::string what;          // e.g. "indices"
  std::int64_t elements = 0; // per sample (Batch::Forward/Train) or in all (Batch::None)
  int bytes = 4;
  Batch batch = Batch::Forward;
};

// Attributes and input shapes (with a batch dimension) the registry-driven tests run
// every op with: finite-difference gradients and the rounding points of every mode.
struct OpExample {
  nlohmann::json attrs;
  std::vector<Shape> inputs;
  std::vector<std::int32_t> lengths;  // ExecContext::lengths for sequence ops (empty: all steps)
};

// Input and output shapes carry a batch dimension of 1.
struct OpDef {
  std::string name;
  std::string summary;  // one line for `halflab-cli model ops` and the GUI
  int min_inputs = 1;
  int max_inputs = 1;   // -1: any number
  // Reads every attribute through the reader (so that unknown ones can be reported).
  std::function<void(AttrReader&)> check_attrs;
  // Throws ShapeInferenceError naming the node when the inputs do not fit.
  std::function<Shape(const NodeSpec&, const std::vector<Shape>&)> output_shape;
  std::function<std::vector<ParameterSpec>(const NodeSpec&, const std::vector<Shape>&)> parameters;  // may be empty
  std::function<std::vector<OpBuffer>(const NodeSpec&, const std::vector<Shape>&, const Shape&)> buffers;  // may be empty
  // Forward FLOPs per sample (multiply-add = 2); empty = one per output element.
  std::function<double(const NodeSpec&, const std::vector<Shape>&, const Shape&)> flops;
  std::vector<OpExample> examples;
  bool gemm = false;  // reads its inputs as GEMM/convolution operands (TF32 copies in tf32 mode)
  // Reads int32 token ids as its (first) input: the model input of a text set. The
  // registry tests then feed it ids below the attribute `vocab`.
  bool token_input = false;
  // The CPU implementation; params are initialised, in the order parameters() declares.
  std::function<std::unique_ptr<Op>(const NodeSpec&, const std::vector<Shape>&, std::vector<Parameter>)> make_cpu;
};

class OpRegistry {
 public:
  void add(OpDef def);  // refuses a second op of the same name
  const OpDef* find(const std::string& name) const;
  const OpDef& at(const std::string& name) const;  // std::invalid_argument naming the known ops
  std::vector<std::string> names() const;          // in registration order
  const std::vector<std::unique_ptr<OpDef>>& all() const { return defs_; }

 private:
  std::vector<std::unique_ptr<OpDef>> defs_;
};

// Every op of this build (op_list.cpp).
const OpRegistry& opRegistry();

}  // namespace halflab
