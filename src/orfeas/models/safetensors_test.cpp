#include "orfeas/models/safetensors.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::models {
namespace {

template <class T>
std::span<const std::byte> bytes_of(const std::vector<T>& values) {
  return std::as_bytes(std::span(values));
}

template <class T>
std::vector<T> values_of(std::span<const std::byte> bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

std::uint64_t header_length_of(const std::filesystem::path& path) {
  const std::vector<std::byte> bytes = testing::read_bytes(path);
  std::uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | std::to_integer<std::uint64_t>(bytes.at(i));
  return length;
}

// A hand-made file: `length` (the header's own size unless given) as u64 LE, `header`, then
// `data_bytes` bytes 0, 1, 2, ...
void write_raw(const std::filesystem::path& path, const std::string& header, std::size_t data_bytes,
               std::optional<std::uint64_t> length = std::nullopt) {
  std::string file;
  const std::uint64_t n = length.value_or(header.size());
  for (int i = 0; i < 8; ++i) file.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  file += header;
  for (std::size_t i = 0; i < data_bytes; ++i) file.push_back(static_cast<char>(i & 0xFF));
  testing::write_text(path, file);
}

// Opens `path` and checks that it fails with `code` and a message naming the file and `fragment`.
void expect_open_error(const std::filesystem::path& path, ErrorCode code, std::string_view fragment) {
  const Result<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::open(path);
  ASSERT_FALSE(file) << "opened " << path;
  EXPECT_EQ(file.error().code(), code) << file.error().message();
  EXPECT_NE(file.error().message().find(path.string()), std::string::npos) << file.error().message();
  EXPECT_NE(file.error().message().find(fragment), std::string::npos)
      << "'" << fragment << "' not in: " << file.error().message();
}

TEST(SafetensorsTest, DTypeNamesAndSizes) {
  EXPECT_EQ(dtype_name(DType::kF16), "F16");
  EXPECT_EQ(dtype_name(DType::kBF16), "BF16");
  EXPECT_EQ(dtype_name(DType::kBool), "BOOL");
  EXPECT_EQ(dtype_bytes(DType::kF64), 8U);
  EXPECT_EQ(dtype_bytes(DType::kF32), 4U);
  EXPECT_EQ(dtype_bytes(DType::kBF16), 2U);
  EXPECT_EQ(dtype_bytes(DType::kI16), 2U);
  EXPECT_EQ(dtype_bytes(DType::kU8), 1U);
  EXPECT_EQ(dtype_bytes(DType::kBool), 1U);
  for (const DType dtype : {DType::kF64, DType::kF32, DType::kF16, DType::kBF16, DType::kI64, DType::kI32, DType::kI16,
                            DType::kI8, DType::kU8, DType::kBool}) {
    EXPECT_EQ(dtype_from_name(dtype_name(dtype)), dtype) << dtype_name(dtype);
  }
  EXPECT_EQ(dtype_from_name("f32"), std::nullopt);
  EXPECT_EQ(dtype_from_name("F8_E4M3"), std::nullopt);
}

TEST(SafetensorsTest, WritesAndReadsBackValuesAndMetadata) {
  const testing::TempDir dir;
  const std::vector<float> weight = {1.5F, -2.0F, 3.25F, 0.0F, 1e-3F, -7.0F};
  const std::vector<std::uint16_t> half = {0x3C00, 0xC000, 0x7BFF};  // 1, -2, 65504 as F16
  const std::vector<std::uint16_t> bf16 = {0x3F80, 0x4000};          // 1, 2 as BF16
  const std::vector<std::int64_t> scalar = {-42};
  const std::vector<std::uint8_t> flags = {1, 0, 1};
  const std::vector<std::uint8_t> empty;
  const std::vector<TensorToWrite> tensors = {
      {"vae.post_kl.weight", DType::kF32, {2, 3}, bytes_of(weight)},
      {"model.latent_in.bias", DType::kF16, {3}, bytes_of(half)},
      {"conditioner.x", DType::kBF16, {1, 2}, bytes_of(bf16)},
      {"model.step", DType::kI64, {}, bytes_of(scalar)},
      {"flags", DType::kBool, {3}, bytes_of(flags)},
      {"nothing", DType::kU8, {0, 5}, bytes_of(empty)},
  };
  const std::filesystem::path path = dir.file("model.safetensors");
  ASSERT_TRUE(write_safetensors(path, tensors, {{"format", "pt"}, {"note", "ünïcode ✓"}}));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.safetensors"}) << "no temporary file left";
  EXPECT_EQ(header_length_of(path) % 8, 0U) << "header padded to a multiple of 8";

  const Result<std::unique_ptr<SafetensorsFile>> opened = SafetensorsFile::open(path);
  ASSERT_TRUE(opened) << opened.error().message();
  const SafetensorsFile& file = **opened;
  EXPECT_EQ(file.path(), path);
  EXPECT_EQ(file.file_bytes(), std::filesystem::file_size(path));
  EXPECT_EQ(file.data_bytes(), 24U + 6U + 4U + 8U + 3U);

  std::vector<std::string> names;
  for (const TensorInfo& tensor : file.tensors()) names.push_back(tensor.name);
  EXPECT_EQ(names, (std::vector<std::string>{"conditioner.x", "flags", "model.latent_in.bias", "model.step", "nothing",
                                             "vae.post_kl.weight"}));

  const TensorInfo* w = file.find("vae.post_kl.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, DType::kF32);
  EXPECT_EQ(w->shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(w->numel(), 6);
  EXPECT_EQ(w->bytes, 24U);
  EXPECT_EQ(w->offset % 4, 0U) << "F32 data aligned";
  EXPECT_EQ(values_of<float>(file.data(*w)), weight);

  const TensorInfo* h = file.find("model.latent_in.bias");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->dtype, DType::kF16);
  EXPECT_EQ(values_of<std::uint16_t>(file.data(*h)), half);
  const TensorInfo* b = file.find("conditioner.x");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, DType::kBF16);
  EXPECT_EQ(values_of<std::uint16_t>(file.data(*b)), bf16);

  const TensorInfo* s = file.find("model.step");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->shape.empty());
  EXPECT_EQ(s->numel(), 1);
  EXPECT_EQ(s->offset % 8, 0U) << "I64 data aligned";
  EXPECT_EQ(values_of<std::int64_t>(file.data(*s)), scalar);

  const TensorInfo* f = file.find("flags");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->dtype, DType::kBool);
  EXPECT_EQ(values_of<std::uint8_t>(file.data(*f)), flags);

  const TensorInfo* n = file.find("nothing");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->numel(), 0);
  EXPECT_EQ(n->bytes, 0U);
  EXPECT_TRUE(file.data(*n).empty());

  EXPECT_EQ(file.find("model"), nullptr);
  EXPECT_EQ(file.find("zzz"), nullptr);
  EXPECT_EQ(file.find(""), nullptr);
  EXPECT_EQ(file.metadata().size(), 2U);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_EQ(file.metadata().at("note"), "ünïcode ✓");

  TensorInfo foreign = *w;
  foreign.offset = file.data_bytes();
  EXPECT_TRUE(file.data(foreign).empty()) << "a range outside the file is never read";
}

TEST(SafetensorsTest, ZeroTensorFileIsValid) {
  const testing::TempDir dir;
  ASSERT_TRUE(write_safetensors(dir.file("empty.safetensors"), {}));
  const auto written = SafetensorsFile::open(dir.file("empty.safetensors"));
  ASSERT_TRUE(written) << written.error().message();
  EXPECT_TRUE((*written)->tensors().empty());
  EXPECT_TRUE((*written)->metadata().empty());
  EXPECT_EQ((*written)->data_bytes(), 0U);

  write_raw(dir.file("raw.safetensors"), "{}", 0);
  const auto raw = SafetensorsFile::open(dir.file("raw.safetensors"));
  ASSERT_TRUE(raw) << raw.error().message();
  EXPECT_TRUE((*raw)->tensors().empty());
  EXPECT_EQ((*raw)->file_bytes(), 10U);

  write_raw(dir.file("meta.safetensors"), R"({"__metadata__": {"format": "pt"}})", 0);
  const auto meta = SafetensorsFile::open(dir.file("meta.safetensors"));
  ASSERT_TRUE(meta) << meta.error().message();
  EXPECT_TRUE((*meta)->tensors().empty());
  EXPECT_EQ((*meta)->metadata().at("format"), "pt");
}

TEST(SafetensorsTest, ReadsAHandWrittenFileWithGapsAndPadding) {
  const testing::TempDir dir;
  // Unsorted names, a gap between the tensors, trailing bytes, header padded with spaces.
  write_raw(dir.file("x.safetensors"),
            R"({"b": {"dtype": "U8", "shape": [2], "data_offsets": [6, 8]},)"
            R"( "a": {"dtype": "I16", "shape": [1, 2], "data_offsets": [0, 4]}}   )",
            12);
  const auto file = SafetensorsFile::open(dir.file("x.safetensors"));
  ASSERT_TRUE(file) << file.error().message();
  ASSERT_EQ((*file)->tensors().size(), 2U);
  EXPECT_EQ((*file)->tensors()[0].name, "a");
  const TensorInfo* b = (*file)->find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(values_of<std::uint8_t>((*file)->data(*b)), (std::vector<std::uint8_t>{6, 7}));
  EXPECT_EQ(values_of<std::int16_t>((*file)->data((*file)->tensors()[0])),
            (std::vector<std::int16_t>{0x0100, 0x0302}));  // bytes 0 1 2 3, little-endian
}

// Files written on the GPU machine by the official library (safetensors 0.8.0, torch 2.11): its
// save_file with every dtype we read, and the output of locate_model's .ckpt conversion one-liner
// for a small checkpoint {"model": ..., "vae": ..., "conditioner": ...} holding a transposed view
// and a tensor sharing another's storage.
const std::filesystem::path kTestData = std::filesystem::path(ORFEAS_SOURCE_DIR) / "src/orfeas/models/testdata";

TEST(SafetensorsTest, ReadsTheOfficialWritersFiles) {
  const auto opened = SafetensorsFile::open(kTestData / "official_writer.safetensors");
  ASSERT_TRUE(opened) << opened.error().message();
  const SafetensorsFile& file = **opened;
  EXPECT_EQ(file.metadata().at("format"), "pt");
  ASSERT_EQ(file.tensors().size(), 10U);
  const auto tensor = [&](std::string_view name, DType dtype, std::vector<std::int64_t> shape) {
    const TensorInfo* info = file.find(name);
    EXPECT_NE(info, nullptr) << name;
    if (info == nullptr) return std::span<const std::byte>();
    EXPECT_EQ(info->dtype, dtype) << name;
    EXPECT_EQ(info->shape, shape) << name;
    return file.data(*info);
  };
  EXPECT_EQ(values_of<float>(tensor("f32", DType::kF32, {2, 3})),
            (std::vector<float>{1.5F, -2.0F, 3.25F, 0.0F, 1e-3F, -7.0F}));
  EXPECT_EQ(values_of<std::uint16_t>(tensor("f16", DType::kF16, {3})),
            (std::vector<std::uint16_t>{0x3C00, 0xC000, 0x7BFF}));
  EXPECT_EQ(values_of<std::uint16_t>(tensor("bf16", DType::kBF16, {1, 2})),
            (std::vector<std::uint16_t>{0x3F80, 0x4000}));
  EXPECT_EQ(values_of<double>(tensor("f64", DType::kF64, {2})), (std::vector<double>{0.1, -1e300}));
  EXPECT_EQ(values_of<std::int64_t>(tensor("i64", DType::kI64, {})), (std::vector<std::int64_t>{-42}));
  EXPECT_EQ(values_of<std::int32_t>(tensor("i32", DType::kI32, {2})), (std::vector<std::int32_t>{7, -7}));
  EXPECT_EQ(values_of<std::int16_t>(tensor("i16", DType::kI16, {1})), (std::vector<std::int16_t>{-300}));
  EXPECT_EQ(values_of<std::int8_t>(tensor("i8", DType::kI8, {2})), (std::vector<std::int8_t>{-128, 127}));
  EXPECT_TRUE(tensor("u8", DType::kU8, {0, 5}).empty());
  EXPECT_EQ(values_of<std::uint8_t>(tensor("flags", DType::kBool, {3})), (std::vector<std::uint8_t>{1, 0, 1}));

  const auto converted = SafetensorsFile::open(kTestData / "converted_ckpt.safetensors");
  ASSERT_TRUE(converted) << converted.error().message();
  std::vector<std::string> names;
  for (const TensorInfo& info : (*converted)->tensors()) names.push_back(info.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"conditioner.main_image_encoder.model.embeddings.cls_token",
                                      "conditioner.shared_view", "model.latent_in.bias", "model.latent_in.weight",
                                      "model.latent_in.weight_t", "vae.post_kl.weight"}));
  const TensorInfo* weight = (*converted)->find("model.latent_in.weight");
  const TensorInfo* transposed = (*converted)->find("model.latent_in.weight_t");
  const TensorInfo* row = (*converted)->find("conditioner.shared_view");
  ASSERT_TRUE(weight != nullptr && transposed != nullptr && row != nullptr);
  EXPECT_EQ(transposed->shape, (std::vector<std::int64_t>{6, 4}));
  const std::vector<std::uint16_t> w = values_of<std::uint16_t>((*converted)->data(*weight));  // [4, 6]
  const std::vector<std::uint16_t> t = values_of<std::uint16_t>((*converted)->data(*transposed));
  const std::vector<std::uint16_t> r = values_of<std::uint16_t>((*converted)->data(*row));
  ASSERT_EQ(w.size(), 24U);
  ASSERT_EQ(t.size(), 24U);
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t j = 0; j < 6; ++j) EXPECT_EQ(t[j * 4 + i], w[i * 6 + j]) << i << "," << j;
  }
  EXPECT_EQ(r, std::vector<std::uint16_t>(w.begin() + 6, w.begin() + 12)) << "row 1, stored on its own";
}

TEST(SafetensorsTest, WriterRefusesBadTensorsAndWritesNothing) {
  const testing::TempDir dir;
  const std::vector<float> four = {1, 2, 3, 4};
  const std::filesystem::path path = dir.file("bad.safetensors");
  const auto expect_refused = [&](const std::vector<TensorToWrite>& tensors, std::string_view fragment) {
    const Status status = write_safetensors(path, tensors);
    ASSERT_FALSE(status) << fragment;
    EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(status.error().message().find(fragment), std::string::npos) << status.error().message();
    EXPECT_TRUE(dir.entries().empty());
  };
  expect_refused({{"x", DType::kF32, {3}, bytes_of(four)}}, "needs 12 bytes, got 16");
  expect_refused({{"x", DType::kF16, {2, 2}, bytes_of(four)}}, "needs 8 bytes");
  expect_refused({{"x", DType::kF32, {-4}, bytes_of(four)}}, "negative dimension");
  expect_refused({{"x", DType::kF32, {4}, bytes_of(four)}, {"x", DType::kF32, {4}, bytes_of(four)}}, "appears twice");
  expect_refused({{"", DType::kF32, {4}, bytes_of(four)}}, "empty name");
  expect_refused({{"__metadata__", DType::kF32, {4}, bytes_of(four)}}, "reserved");
  expect_refused({{"x", DType::kF32, {std::int64_t{1} << 62, 8}, bytes_of(four)}}, "too large");
  expect_refused({{"\xff\xfe", DType::kF32, {4}, bytes_of(four)}}, "UTF-8");
}

TEST(SafetensorsTest, WriteReplacesAnExistingFile) {
  const testing::TempDir dir;
  const std::filesystem::path path = dir.file("w.safetensors");
  testing::write_text(path, "old contents");
  const std::vector<double> values = {3.0, 4.0};
  ASSERT_TRUE(write_safetensors(path, std::vector<TensorToWrite>{{"v", DType::kF64, {2}, bytes_of(values)}}));
  const auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(values_of<double>((*file)->data(*(*file)->find("v"))), values);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"w.safetensors"});
}

TEST(SafetensorsTest, MissingFileAndDirectory) {
  const testing::TempDir dir;
  const auto missing = SafetensorsFile::open(dir.file("absent.safetensors"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  const auto directory = SafetensorsFile::open(dir.path());
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().code(), ErrorCode::kIoError);
}

TEST(SafetensorsTest, RejectsShortFiles) {
  const testing::TempDir dir;
  testing::write_text(dir.file("empty"), "");
  expect_open_error(dir.file("empty"), ErrorCode::kCorruptData, "0 bytes, shorter than");
  testing::write_text(dir.file("five"), "12345");
  expect_open_error(dir.file("five"), ErrorCode::kCorruptData, "5 bytes, shorter than");
}

TEST(SafetensorsTest, RejectsHeaderLengthsThatLie) {
  const testing::TempDir dir;
  write_raw(dir.file("lie"), "{}", 0, std::uint64_t{1} << 60);
  expect_open_error(dir.file("lie"), ErrorCode::kCorruptData, "header length 1152921504606846976 runs past the end");
  write_raw(dir.file("max"), "{}", 0, ~std::uint64_t{0});
  expect_open_error(dir.file("max"), ErrorCode::kCorruptData, "runs past the end");
  write_raw(dir.file("short"), "{}", 0, 3);
  expect_open_error(dir.file("short"), ErrorCode::kCorruptData, "runs past the end");

  // A header over 100 MB inside a file that large: the limit, not a lie (the file is sparse).
  const std::filesystem::path huge = dir.file("huge");
  write_raw(huge, "{}", 0, 100'000'001);
  std::filesystem::resize_file(huge, 8 + 100'000'001);
  expect_open_error(huge, ErrorCode::kLimitExceeded, "over the 100000000 byte limit");
}

TEST(SafetensorsTest, RejectsHeadersThatAreNotAJsonObject) {
  const testing::TempDir dir;
  write_raw(dir.file("garbage"), "this is not json", 0);
  expect_open_error(dir.file("garbage"), ErrorCode::kCorruptData, "header is not valid JSON");
  write_raw(dir.file("cut"), R"({"a": {"dtype": "F32", "sha)", 0);
  expect_open_error(dir.file("cut"), ErrorCode::kCorruptData, "header is not valid JSON");
  write_raw(dir.file("array"), "[1, 2]", 0);
  expect_open_error(dir.file("array"), ErrorCode::kCorruptData, "header is a JSON array, not an object");
  write_raw(dir.file("binary"), std::string("{\"\xff\": 1}"), 0);
  expect_open_error(dir.file("binary"), ErrorCode::kCorruptData, "header is not valid JSON");
  write_raw(dir.file("deep"), R"({"a": {"b": [[[[[[[[[[1]]]]]]]]]]}})", 0);
  expect_open_error(dir.file("deep"), ErrorCode::kCorruptData, "nested deeper than");
  write_raw(dir.file("empty_header"), "", 0);
  expect_open_error(dir.file("empty_header"), ErrorCode::kCorruptData, "header is not valid JSON");
}

TEST(SafetensorsTest, RejectsMalformedEntries) {
  const testing::TempDir dir;
  const auto expect_rejected = [&](const std::string& name, const std::string& header, std::size_t data_bytes,
                                   std::string_view fragment, ErrorCode code = ErrorCode::kCorruptData) {
    write_raw(dir.file(name), header, data_bytes);
    expect_open_error(dir.file(name), code, fragment);
  };
  expect_rejected("not_object", R"({"a": 3})", 0, "tensor 'a': entry is a JSON number, not an object");
  expect_rejected("no_dtype", R"({"a": {"shape": [1], "data_offsets": [0, 4]}})", 4, "missing field 'dtype'");
  expect_rejected("no_shape", R"({"a": {"dtype": "F32", "data_offsets": [0, 4]}})", 4, "missing field 'shape'");
  expect_rejected("no_offsets", R"({"a": {"dtype": "F32", "shape": [1]}})", 4, "missing field 'data_offsets'");
  expect_rejected("dtype_number", R"({"a": {"dtype": 5, "shape": [1], "data_offsets": [0, 4]}})", 4,
                  "'dtype' is a JSON number, not a string");
  expect_rejected("wrong_dtype", R"({"a": {"dtype": "F17", "shape": [1], "data_offsets": [0, 4]}})", 4,
                  "unknown dtype 'F17'");
  expect_rejected("lowercase_dtype", R"({"a": {"dtype": "f32", "shape": [1], "data_offsets": [0, 4]}})", 4,
                  "unknown dtype 'f32'");
  expect_rejected("fp8", R"({"a": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}})", 4,
                  "dtype F8_E4M3 is not supported", ErrorCode::kUnsupportedFormat);
  expect_rejected("shape_string", R"({"a": {"dtype": "F32", "shape": "1", "data_offsets": [0, 4]}})", 4,
                  "'shape' is a JSON string, not an array");
  expect_rejected("negative_shape", R"({"a": {"dtype": "F32", "shape": [-1, 4], "data_offsets": [0, 4]}})", 4,
                  "holds -1, not a non-negative integer");
  expect_rejected("float_shape", R"({"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", 4,
                  "holds 1.5, not a non-negative integer");
  expect_rejected("huge_dim", R"({"a": {"dtype": "F32", "shape": [18446744073709551615], "data_offsets": [0, 4]}})", 4,
                  "not a non-negative integer");
  expect_rejected("overflow_elements",
                  R"({"a": {"dtype": "U8", "shape": [4611686018427387904, 4], "data_offsets": [0, 4]}})", 4,
                  "more elements than fit in 63 bits");
  expect_rejected("overflow_bytes",
                  R"({"a": {"dtype": "F64", "shape": [4611686018427387904], "data_offsets": [0, 4]}})", 4,
                  "more bytes than fit in 64 bits");
  expect_rejected("shape_mismatch", R"({"a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}})", 20,
                  "shape [2,3] of F32 is 24 bytes but 'data_offsets' [0,20] hold 20");
  expect_rejected("offsets_three", R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}})", 8,
                  "not an array [begin, end]");
  expect_rejected("offsets_negative", R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})", 8,
                  "are not non-negative integers");
  expect_rejected("begin_after_end", R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8,
                  "begin after they end");
  expect_rejected("past_end", R"({"a": {"dtype": "F32", "shape": [250], "data_offsets": [0, 1000]}})", 8,
                  "end past the data buffer (8 bytes");
  expect_rejected(
      "past_end_huge",
      R"({"a": {"dtype": "U8", "shape": [16], "data_offsets": [18446744073709551600, 18446744073709551615]}})", 8,
      "end past the data buffer");
  expect_rejected("overlap",
                  R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                  R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                  12, "tensors 'a' [0, 8) and 'b' [4, 12) overlap");
  expect_rejected("duplicate",
                  R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                  R"( "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                  8, "duplicate key 'a'");
  expect_rejected("metadata_number", R"({"__metadata__": {"format": 1}})", 0,
                  "'__metadata__' value of 'format' is a JSON number, not a string");
  expect_rejected("metadata_array", R"({"__metadata__": ["pt"]})", 0, "'__metadata__' is a JSON array");
}

TEST(SafetensorsTest, RejectsTruncatedFiles) {
  const testing::TempDir dir;
  const std::vector<float> values(64, 1.0F);
  const std::filesystem::path path = dir.file("model.safetensors");
  ASSERT_TRUE(write_safetensors(path, std::vector<TensorToWrite>{{"a", DType::kF32, {8, 8}, bytes_of(values)}}));
  const std::uintmax_t size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size - 1);
  expect_open_error(path, ErrorCode::kCorruptData, "tensor 'a': 'data_offsets' [0,256] end past the data buffer (255");
  std::filesystem::resize_file(path, 20);  // inside the header
  expect_open_error(path, ErrorCode::kCorruptData, "runs past the end of the file (20 bytes)");
}

}  // namespace
}  // namespace orfeas::models
