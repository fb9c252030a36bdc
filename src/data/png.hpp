#pragma once
// Pictures of image inputs: an RGB canvas with a 3x5 pixel font for numbers, the grey and
// blue-white-red scales, PNG writing (libpng), and a grid of square images (what a campaign
// found, one cell per reference or level). The verifier's counterexample PNGs
// (verify/outputs.hpp) and the campaigns' image grids (experiments/report.hpp) draw with it.
#include <filesystem>
#include <string>
#include <vector>

namespace nnmip::data {

// Writes an 8-bit RGB PNG (rgb: width*height*3 bytes, row-major). Written to "<path>.tmp" and
// renamed. Throws Error{kIo}.
void writePng(const std::filesystem::path& path, int width, int height,
              const std::vector<unsigned char>& rgb);

// Grey levels 0-255 of values in [lo, hi] (clamped).
std::vector<unsigned char> greyImage(const std::vector<double>& v, double lo, double hi);

// Blue (t = -1) - white (0) - red (+1); t is clamped to [-1, 1].
void diverging(double t, unsigned char out[3]);

// An RGB picture, white at the start; drawing outside it is clipped.
struct Canvas {
  int w, h;
  std::vector<unsigned char> rgb;
  Canvas(int width, int height);
  void set(int x, int y, const unsigned char c[3]);
  void block(int x0, int y0, int size, const unsigned char c[3]);
  // Black text in a 3x5 font at `px` pixels per font pixel, 4 * px wide per character: digits,
  // '.', '-', '+', 'e', 'x'; any other character is a blank.
  void text(int x, int y, const std::string& s, int px);
  void write(const std::filesystem::path& path) const { writePng(path, w, h, rgb); }
};

// A grid of square images of side*side values (e.g. 28 x 28 MNIST inputs), row-major cells.
struct ImageGrid {
  enum class Scale {
    kGrey,    // values in [0, 1], black to white
    kSigned,  // values on blue-white-red, each cell magnified to its own largest |value|
  };
  int side = 28;
  int zoom = 3;  // screen pixels per value
  int rows = 0, cols = 0;
  std::vector<Scale> row_scale;            // per row
  std::vector<std::vector<double>> cells;  // rows * cols; an empty cell is left blank (grey)
  // rows * cols or empty; drawn under each cell (Canvas::text, 2 px per font pixel from 48-pixel
  // cells on, else 1)
  std::vector<std::string> labels;
};

// Draws the grid (2-pixel white gaps, blank cells light grey) and writes it as a PNG. Throws
// Error{kInvalidInput} when a non-empty cell has a size other than side * side or the vectors'
// sizes do not match rows and cols, Error{kIo} when the file cannot be written.
void writeImageGrid(const std::filesystem::path& path, const ImageGrid& grid);

}  // namespace nnmip::data
