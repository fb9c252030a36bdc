#pragma once
// All test tolerances in one place (STYLE.md §2.6 item 10).
namespace nnmip::support {
inline constexpr double kExactTol = 0.0;
inline constexpr double kLpTol = 1e-7;
inline constexpr double kMipTol = 1e-6;
}  // namespace nnmip::support
