#include "orfeas/service/request_params.h"

#include <string>

#include <gtest/gtest.h>

namespace orfeas::service {
namespace {

void expect_invalid(const ParamFields& fields, const std::string& field_named) {
  const auto parsed = parse_job_params(fields);
  ASSERT_FALSE(parsed.has_value()) << field_named;
  EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(parsed.error().message().find("\"" + field_named + "\""), std::string::npos) << parsed.error().message();
}

TEST(RequestParams, DefaultsWhenNothingIsGiven) {
  const auto parsed = parse_job_params({});
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->params, jobs::GenerationParams{});
  EXPECT_EQ(parsed->priority, 0);
}

TEST(RequestParams, EveryFieldParsed) {
  const auto parsed = parse_job_params({{"format", "glb"},
                                        {"resolution", "32"},
                                        {"size_mm", "42.5"},
                                        {"faces", "5000"},
                                        {"backend", "inflate"},
                                        {"device", "cuda:1"},
                                        {"priority", "-7"}});
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->params.format, "glb");
  EXPECT_EQ(parsed->params.resolution, 32);
  EXPECT_DOUBLE_EQ(parsed->params.size_mm, 42.5);
  EXPECT_EQ(parsed->params.faces, 5000);
  EXPECT_EQ(parsed->params.backend, "inflate");
  EXPECT_EQ(parsed->params.device, "cuda:1");
  EXPECT_EQ(parsed->priority, -7);
}

TEST(RequestParams, EveryOutputFormatIsAccepted) {
  for (const char* format : {"stl", "glb", "obj", "ply", "3mf"}) {
    const auto parsed = parse_job_params({{"format", format}});
    ASSERT_TRUE(parsed.has_value()) << format << ": " << parsed.error().message();
    EXPECT_EQ(parsed->params.format, format);
  }
}

TEST(RequestParams, QualityMapsToTheDocumentedResolutions) {
  EXPECT_EQ(resolution_for_quality(1).value(), 32);
  EXPECT_EQ(resolution_for_quality(5).value(), 128);
  EXPECT_EQ(resolution_for_quality(7).value(), 192);
  EXPECT_EQ(resolution_for_quality(10).value(), 384);
  EXPECT_FALSE(resolution_for_quality(0).has_value());
  EXPECT_FALSE(resolution_for_quality(11).has_value());
  EXPECT_EQ(parse_job_params({{"quality", "3"}})->params.resolution, 64);
  for (std::size_t i = 1; i < kQualityResolutions.size(); ++i)
    EXPECT_LT(kQualityResolutions[i - 1], kQualityResolutions[i]);  // higher quality, finer grid
}

TEST(RequestParams, StrictParsingNamesTheField) {
  expect_invalid({{"format", "STL"}}, "format");
  expect_invalid({{"format", "fbx"}}, "format");
  expect_invalid({{"resolution", "12abc"}}, "resolution");
  expect_invalid({{"resolution", " 12"}}, "resolution");
  expect_invalid({{"resolution", "+12"}}, "resolution");
  expect_invalid({{"resolution", ""}}, "resolution");
  expect_invalid({{"resolution", "7"}}, "resolution");
  expect_invalid({{"resolution", "1025"}}, "resolution");
  expect_invalid({{"resolution", "99999999999999999999999"}}, "resolution");
  expect_invalid({{"quality", "0"}}, "quality");
  expect_invalid({{"quality", "5.5"}}, "quality");
  expect_invalid({{"quality", "5"}, {"resolution", "64"}}, "quality");
  expect_invalid({{"size_mm", "1e400"}}, "size_mm");
  expect_invalid({{"size_mm", "nan"}}, "size_mm");
  expect_invalid({{"size_mm", "inf"}}, "size_mm");
  expect_invalid({{"size_mm", "0"}}, "size_mm");
  expect_invalid({{"size_mm", "10mm"}}, "size_mm");
  expect_invalid({{"faces", "-1"}}, "faces");
  expect_invalid({{"backend", "hunyuan9"}}, "backend");
  expect_invalid({{"device", "gpu"}}, "device");
  expect_invalid({{"device", "cuda:"}}, "device");
  expect_invalid({{"device", "cuda:x"}}, "device");
  expect_invalid({{"priority", "101"}}, "priority");
  expect_invalid({{"priority", "-101"}}, "priority");
  expect_invalid({{"colour", "red"}}, "colour");
}

TEST(RequestParams, IgnoredFieldsAreSkipped) {
  EXPECT_FALSE(parse_job_params({{"image", ""}}).has_value());
  EXPECT_TRUE(parse_job_params({{"image", ""}}, {"image"}).has_value());
}

TEST(RequestParams, QueryAndFormMerge) {
  const auto merged = merge_param_fields({{"format", "obj"}, {"faces", "10"}}, {{"faces", "10"}, {"priority", "3"}});
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(*merged, (ParamFields{{"format", "obj"}, {"faces", "10"}, {"priority", "3"}}));
  const auto conflict = merge_param_fields({{"format", "obj"}}, {{"format", "stl"}});
  ASSERT_FALSE(conflict.has_value());
  EXPECT_NE(conflict.error().message().find("\"format\""), std::string::npos);
}

TEST(RequestParams, NumberFieldsAreWholeStrings) {
  EXPECT_EQ(parse_integer_field("n", "42", 0, 100).value(), 42);
  EXPECT_FALSE(parse_integer_field("n", "42 ", 0, 100).has_value());
  EXPECT_FALSE(parse_integer_field("n", "0x10", 0, 100).has_value());
  EXPECT_DOUBLE_EQ(parse_number_field("x", "0.25", 0, 1).value(), 0.25);
  EXPECT_FALSE(parse_number_field("x", "0.25.1", 0, 1).has_value());
  EXPECT_FALSE(parse_number_field("x", "2", 0, 1).has_value());
}

}  // namespace
}  // namespace orfeas::service
