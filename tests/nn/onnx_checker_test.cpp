// Our exported files pass the official ONNX checker (onnx::checker::check_model) and strict
// shape and type inference, for every activation and both precisions; the inferred output
// shape is [batch, 2].
#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/rng.hpp"
#include "nn/onnx_io.hpp"

namespace nnmip::nn {
namespace {

Network netWith(Activation hidden, Activation last) {
  Rng rng(2);
  auto layer = [&](int in, int out, Activation act) {
    DenseLayer l;
    l.weight = Mat(out, in);
    for (Eigen::Index i = 0; i < l.weight.size(); ++i) l.weight.data()[i] = rng.normal();
    l.bias = Vec::Constant(out, 0.1);
    l.activation = act;
    if (act == Activation::kStep) {
      l.step.lambda = Vec::Constant(out, 0.2);
      l.step.beta = 0.0;
      l.step.gamma = 1.0;
    }
    return l;
  };
  Network net;
  net.addLayer(layer(4, 3, hidden));
  net.addLayer(layer(3, 2, last));
  return net;
}

TEST(OnnxChecker, ExportsAreValidOnnx) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("nnmip_checker_" + std::to_string(::getpid()) + ".onnx"))
                               .string();
  for (Activation hidden : {Activation::kRelu, Activation::kStep, Activation::kIdentity}) {
    for (Activation last :
         {Activation::kIdentity, Activation::kRelu, Activation::kSoftmax, Activation::kStep}) {
      for (OnnxPrecision prec : {OnnxPrecision::kFloat, OnnxPrecision::kDouble}) {
        writeOnnx(netWith(hidden, last), path, prec);
        onnx::ModelProto model;
        std::ifstream in(path, std::ios::binary);
        ASSERT_TRUE(model.ParseFromIstream(&in));
        EXPECT_NO_THROW(onnx::checker::check_model(model))
            << activationName(hidden) << "/" << activationName(last);
        onnx::ShapeInferenceOptions strict(/*check_type=*/true, /*error_mode=*/1);
        EXPECT_NO_THROW(
            onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), strict))
            << activationName(hidden) << "/" << activationName(last);
        const auto& out_shape = model.graph().output(0).type().tensor_type().shape();
        ASSERT_EQ(out_shape.dim_size(), 2);
        EXPECT_EQ(out_shape.dim(1).dim_value(), 2);
        EXPECT_EQ(
            model.graph().output(0).type().tensor_type().elem_type(),
            prec == OnnxPrecision::kFloat ? onnx::TensorProto::FLOAT : onnx::TensorProto::DOUBLE);
        EXPECT_EQ(model.opset_import(0).version(), 13);
        EXPECT_EQ(model.graph().input(0).name(), "input");
        EXPECT_EQ(model.graph().output(0).name(), "output");
      }
    }
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace nnmip::nn
