#pragma once
// What the verifier writes: the VNN-COMP result file and, for image inputs, PNGs of the reference
// input (the box centre), the counterexample and their difference (drawn with data/png.hpp).
#include <filesystem>
#include <string>
#include <vector>

#include "data/vnnlib.hpp"
#include "verify/result.hpp"

namespace nnmip::verify {

// VNN-COMP result text: "unsat\n", "unknown\n", "timeout\n", or "sat\n((X_0 v)\n ... (Y_0 v))\n"
// with X the clipped input (17 significant digits) and Y the float32 outputs (9 digits, which
// read back as the same float).
std::string resultFileText(const Result& result);

// For a counterexample on an image input (num_inputs = width * height, e.g. 784 = 28 x 28;
// values shown on the box's overall [min lo, max hi]): writes reference.png (box centre),
// counterexample.png and difference.png (x - centre on a blue-white-red scale symmetric around
// 0, magnified to the largest |difference|, with a colour bar and its range underneath), each
// upscaled `zoom` times. Returns the files written; none when there is no counterexample or the
// input is not a square image.
std::vector<std::filesystem::path> writeImagePngs(const std::filesystem::path& dir,
                                                  const data::VnnlibProperty& property,
                                                  const Result& result, int zoom = 8);

}  // namespace nnmip::verify
