#include "orfeas/jobs/data_dir.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::jobs {
namespace {

constexpr std::string_view kId = "0123456789abcdef0123456789abcdef";

TEST(DataDirTest, LayoutAndAtomicWrites) {
  const testing::TempDir dir;
  const Result<DataDir> data = DataDir::open(dir.file("data"));
  ASSERT_TRUE(data) << data.error().message();
  const std::string bytes = "not really a png";
  const Result<std::string> upload = data->write_upload(kId, "png", std::as_bytes(std::span(bytes)));
  ASSERT_TRUE(upload) << upload.error().message();
  EXPECT_EQ(*upload, "uploads/0123456789abcdef0123456789abcdef.png");
  const Result<std::filesystem::path> absolute = data->absolute(*upload);
  ASSERT_TRUE(absolute);
  EXPECT_EQ(*absolute, dir.file("data") / *upload);
  EXPECT_EQ(testing::read_text(*absolute), bytes);

  const Result<std::string> result = data->write_result(kId, "glb", std::as_bytes(std::span(bytes)));
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, "results/0123456789abcdef0123456789abcdef.glb");
  EXPECT_EQ(DataDir::result_path(kId, "glb"), *result);

  ASSERT_TRUE(data->remove(*upload));
  EXPECT_FALSE(std::filesystem::exists(*absolute));
  EXPECT_TRUE(data->remove(*upload)) << "deleting a file already gone is fine";
}

TEST(DataDirTest, RefusesNamesNotMadeFromIds) {
  const testing::TempDir dir;
  const Result<DataDir> data = DataDir::open(dir.path());
  ASSERT_TRUE(data);
  EXPECT_EQ(DataDir::upload_path("../escape", "png").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(DataDir::upload_path(kId, "p/g").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(DataDir::upload_path(kId, "").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(DataDir::upload_path(kId, "PNG").error().code(), ErrorCode::kInvalidArgument);
  for (const std::string_view bad : {"/etc/passwd", "../jobs.sqlite3", "uploads/../jobs.sqlite3", "jobs.sqlite3",
                                     "other/0123456789abcdef0123456789abcdef.png",
                                     "uploads/0123456789abcdef0123456789abcdef.png/x", "uploads/x.png"}) {
    EXPECT_FALSE(data->absolute(bad)) << bad;
    EXPECT_FALSE(data->remove(bad)) << bad;
  }
}

}  // namespace
}  // namespace orfeas::jobs
