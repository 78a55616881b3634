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

TEST(StatusTest, CodeNamesAreReadable) {
  EXPECT_EQ(error_code_name(ErrorCode::kLimitExceeded), "limit exceeded");
  EXPECT_EQ(error_code_name(ErrorCode::kCorruptData), "corrupt data");
}

}  // namespace
}  // namespace orfeas
