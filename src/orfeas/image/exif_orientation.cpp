#include "orfeas/image/exif_orientation.h"

#include <libexif/exif-data.h>

#include <cstring>
#include <utility>

namespace orfeas::image {
namespace {

// Owns an ExifData.
class ExifDataRef {
 public:
  explicit ExifDataRef(ExifData* data) : data_(data) {}
  ~ExifDataRef() {
    if (data_ != nullptr) exif_data_unref(data_);
  }
  ExifDataRef(const ExifDataRef&) = delete;
  ExifDataRef& operator=(const ExifDataRef&) = delete;
  [[nodiscard]] ExifData* get() const { return data_; }

 private:
  ExifData* data_;
};

// Where the output pixel (x, y) of an upright image comes from in the stored one, which is
// `stored_width` × `stored_height`.
struct SourcePixel {
  int x;
  int y;
};

SourcePixel source_of(int orientation, int x, int y, int stored_width, int stored_height) {
  switch (orientation) {
    case 2:
      return {stored_width - 1 - x, y};  // mirrored left-right
    case 3:
      return {stored_width - 1 - x, stored_height - 1 - y};  // turned 180°
    case 4:
      return {x, stored_height - 1 - y};  // mirrored top-bottom
    case 5:
      return {y, x};  // transposed
    case 6:
      return {y, stored_height - 1 - x};  // turn 90° clockwise
    case 7:
      return {stored_width - 1 - y, stored_height - 1 - x};  // transversed
    case 8:
      return {stored_width - 1 - y, x};  // turn 90° counter-clockwise
    default:
      return {x, y};
  }
}

}  // namespace

int read_exif_orientation(std::span<const std::uint8_t> app1_payload) {
  constexpr unsigned char kExifHeader[] = {'E', 'x', 'i', 'f', 0, 0};
  if (app1_payload.size() < sizeof kExifHeader ||
      std::memcmp(app1_payload.data(), kExifHeader, sizeof kExifHeader) != 0) {
    return 1;
  }
  const ExifDataRef exif(exif_data_new());
  if (exif.get() == nullptr) return 1;
  // Only the orientation is wanted: libexif need not "repair" the other entries while loading.
  exif_data_unset_option(exif.get(), EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
  exif_data_load_data(exif.get(), app1_payload.data(), static_cast<unsigned int>(app1_payload.size()));

  ExifEntry* entry = exif_content_get_entry(exif.get()->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);  // borrowed
  if (entry == nullptr || entry->format != EXIF_FORMAT_SHORT || entry->components < 1 || entry->data == nullptr ||
      entry->size < 2) {
    return 1;
  }
  const int orientation = exif_get_short(entry->data, exif_data_get_byte_order(exif.get()));
  return orientation >= 1 && orientation <= 8 ? orientation : 1;
}

ImageRgba8 apply_exif_orientation(ImageRgba8 image, int orientation) {
  if (orientation < 2 || orientation > 8) return image;
  const bool swaps_axes = orientation >= 5;
  ImageRgba8 upright(swaps_axes ? image.height : image.width, swaps_axes ? image.width : image.height);
  for (int y = 0; y < upright.height; ++y) {
    for (int x = 0; x < upright.width; ++x) {
      const SourcePixel from = source_of(orientation, x, y, image.width, image.height);
      upright.at(x, y) = image.at(from.x, from.y);
    }
  }
  return upright;
}

}  // namespace orfeas::image
