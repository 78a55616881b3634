#include "orfeas/export/format.h"

#include <gtest/gtest.h>

#include "orfeas/export/threemf.h"

namespace orfeas::exporter {
namespace {

TEST(ExportFormat, FromPathByExtension) {
  EXPECT_EQ(format_from_path("model.stl").value(), Format::kStl);
  EXPECT_EQ(format_from_path("out/dir/model.glb").value(), Format::kGlb);
  EXPECT_EQ(format_from_path("/tmp/m.obj").value(), Format::kObj);
  EXPECT_EQ(format_from_path("m.v2.ply").value(), Format::kPly);
  EXPECT_EQ(format_from_path("print.3mf").value(), Format::k3mf);
}

TEST(ExportFormat, FromPathIsCaseInsensitive) {
  EXPECT_EQ(format_from_path("MODEL.STL").value(), Format::kStl);
  EXPECT_EQ(format_from_path("model.Glb").value(), Format::kGlb);
  EXPECT_EQ(format_from_path("model.oBJ").value(), Format::kObj);
  EXPECT_EQ(format_from_path("model.PLY").value(), Format::kPly);
  EXPECT_EQ(format_from_path("model.3MF").value(), Format::k3mf);
}

TEST(ExportFormat, UnknownExtensionIsUnsupported) {
  const Result<Format> format = format_from_path("model.xyz");
  ASSERT_FALSE(format);
  EXPECT_EQ(format.error().code(), ErrorCode::kUnsupportedFormat);
  EXPECT_EQ(format.error().message(), "unknown output extension '.xyz' (expected .stl, .glb, .obj, .ply or .3mf)");
  EXPECT_FALSE(format_from_path("model.stla"));
  EXPECT_FALSE(format_from_path("model."));
}

TEST(ExportFormat, MissingExtensionIsUnsupported) {
  for (const char* path : {"model", "dir.stl/model", ".stl", ""}) {
    const Result<Format> format = format_from_path(path);
    ASSERT_FALSE(format) << path;
    EXPECT_EQ(format.error().code(), ErrorCode::kUnsupportedFormat);
    EXPECT_NE(format.error().message().find("no extension"), std::string::npos);
  }
}

TEST(ExportFormat, ParseNamesAndRoundTrip) {
  for (const Format format : {Format::kStl, Format::kGlb, Format::kObj, Format::kPly, Format::k3mf}) {
    EXPECT_EQ(parse_format(format_name(format)).value(), format);
  }
  EXPECT_EQ(format_name(Format::kGlb), "glb");
  EXPECT_EQ(format_name(Format::k3mf), "3mf");
  EXPECT_EQ(parse_format("STL").value(), Format::kStl);
  for (const char* name : {"", "step", ".stl", "st"}) {
    const Result<Format> format = parse_format(name);
    ASSERT_FALSE(format) << name;
    EXPECT_EQ(format.error().code(), ErrorCode::kUnsupportedFormat);
  }
  EXPECT_EQ(parse_format("step").error().message(),
            "unknown output format 'step' (expected stl, glb, obj, ply or 3mf)");
}

TEST(ExportFormat, AvailabilityFollowsTheBuild) {
  for (const Format format : {Format::kStl, Format::kGlb, Format::kObj, Format::kPly}) {
    EXPECT_TRUE(format_available(format)) << format_name(format);
  }
  const Status threemf = format_available(Format::k3mf);
  EXPECT_EQ(threemf.has_value(), threemf_available());
  if (!threemf) {
    EXPECT_EQ(threemf.error().code(), ErrorCode::kUnavailable);
  }
}

TEST(ExportFormat, StlAnd3mfArePrintFormats) {
  EXPECT_TRUE(is_print_format(Format::kStl));
  EXPECT_TRUE(is_print_format(Format::k3mf));
  EXPECT_FALSE(is_print_format(Format::kGlb));
  EXPECT_FALSE(is_print_format(Format::kObj));
  EXPECT_FALSE(is_print_format(Format::kPly));
}

}  // namespace
}  // namespace orfeas::exporter
