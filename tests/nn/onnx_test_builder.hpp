#pragma once
// Builds small ONNX models with the protobuf API for the ONNX reader tests.
#include <onnx/onnx_pb.h>

#include <cstring>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

namespace nnmip::testing {

inline onnx::TensorProto makeFloatTensor(const std::string& name, std::vector<int64_t> dims,
                                         const std::vector<float>& values, bool raw = false) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t.add_dims(d);
  if (raw) {
    std::string bytes(values.size() * 4, '\0');
    std::memcpy(bytes.data(), values.data(), bytes.size());  // x86: little-endian
    t.set_raw_data(bytes);
  } else {
    for (float v : values) t.add_float_data(v);
  }
  return t;
}

inline onnx::TensorProto makeDoubleTensor(const std::string& name, std::vector<int64_t> dims,
                                          const std::vector<double>& values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::DOUBLE);
  for (int64_t d : dims) t.add_dims(d);
  for (double v : values) t.add_double_data(v);
  return t;
}

inline onnx::TensorProto makeInt64Tensor(const std::string& name, std::vector<int64_t> dims,
                                         const std::vector<int64_t>& values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) t.add_dims(d);
  for (int64_t v : values) t.add_int64_data(v);
  return t;
}

class GraphBuilder {
 public:
  GraphBuilder(const std::string& input, std::vector<int64_t> input_shape,
               const std::string& output) {
    model_.set_ir_version(7);
    auto* op = model_.add_opset_import();
    op->set_version(13);
    auto* g = model_.mutable_graph();
    g->set_name("test");
    auto* in = g->add_input();
    in->set_name(input);
    auto* shape = in->mutable_type()->mutable_tensor_type()->mutable_shape();
    in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : input_shape) shape->add_dim()->set_dim_value(d);
    g->add_output()->set_name(output);
  }
  void addInitializer(const onnx::TensorProto& t) {
    *model_.mutable_graph()->add_initializer() = t;
  }
  onnx::NodeProto* addNode(const std::string& op, const std::string& name,
                           std::initializer_list<std::string> inputs, const std::string& output) {
    auto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& s : inputs) n->add_input(s);
    n->add_output(output);
    return n;
  }
  void addConstant(const std::string& name, const onnx::TensorProto& t) {
    auto* n = addNode("Constant", "const_" + name, {}, name);
    auto* a = n->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    *a->mutable_t() = t;
  }
  static void setInt(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void setFloat(onnx::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  onnx::ModelProto& model() { return model_; }
  void save(const std::string& path) const {
    std::ofstream out(path, std::ios::binary);
    model_.SerializeToOstream(&out);
  }

 private:
  onnx::ModelProto model_;
};

}  // namespace nnmip::testing
