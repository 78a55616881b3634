#include "orfeas/core/status.h"

#include <gtest/gtest.h>

namespace orfeas {
namespace {

Result<int> parse_positive(int value) {
  if (value <= 0) return make_error(ErrorCode::kInvalidArgument, "value must be positive");
  return value;
}

Result<int> doubled(int value) {
  ORFEAS_ASSIGN_OR_RETURN(const int checked, parse_positive(value));
  return checked * 2;
}

Status check_with_context(int value) {
  ORFEAS_RETURN_IF_ERROR_CTX(parse_positive(value), "while checking the input");
  return ok();
}

TEST(StatusTest, AssignOrReturnPassesValuesAndErrors) {
  ASSERT_TRUE(doubled(21).has_value());
  EXPECT_EQ(*doubled(21), 42);
  const auto failed = doubled(-1);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(failed.error().message(), "value must be positive");
}

TEST(StatusTest, ContextIsPrefixed) {
  EXPECT_TRUE(check_with_context(3).has_value());
  const auto failed = check_with_context(0);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().message(), "while checking the input: value must be positive");
}

Result<int> tripled_with_context(int value) {
  ORFEAS_ASSIGN_OR_RETURN_CTX(const int checked, parse_positive(value), "while tripling");
  return checked * 3;
}

TEST(StatusTest, AssignOrReturnWithContextPrefixesOnlyErrors) {
  ASSERT_TRUE(tripled_with_context(4).has_value());
  EXPECT_EQ(*tripled_with_context(4), 12);
  const auto failed = tripled_with_context(0);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(failed.error().message(), "while tripling: value must be positive");
}

TEST(StatusTest, WithContextKeepsValuesAndPrefixesErrors) {
  const Result<int> kept = with_context(parse_positive(5), "while reading");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(*kept, 5);
  const Result<int> failed = with_context(parse_positive(-5), "while reading");
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().message(), "while reading: value must be positive");
  const Status status = with_context(Status(make_error(ErrorCode::kIoError, "disk full")), "while saving");
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code(), ErrorCode::kIoError);
  EXPECT_EQ(status.error().message(), "while saving: disk full");
}

TEST(StatusTest, CodeNamesAreReadable) {
  EXPECT_EQ(error_code_name(ErrorCode::kLimitExceeded), "limit exceeded");
  EXPECT_EQ(error_code_name(ErrorCode::kCorruptData), "corrupt data");
  EXPECT_EQ(error_code_name(ErrorCode::kCancelled), "cancelled");
  EXPECT_EQ(error_code_name(ErrorCode::kDeadlineExceeded), "deadline exceeded");
  EXPECT_EQ(error_code_name(ErrorCode::kResourceExhausted), "resource exhausted");
}

}  // namespace
}  // namespace orfeas
