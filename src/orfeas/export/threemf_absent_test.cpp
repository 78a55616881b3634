// A build without lib3mf: 3MF is a clear kUnavailable error that writes nothing.
#include "orfeas/export/threemf.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/export/export.h"
#include "orfeas/export/export_test_support.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::exporter {
namespace {

TEST(Export3mf, UnavailableWithoutLib3mfAndWritesNothing) {
  EXPECT_FALSE(threemf_available());
  const orfeas::testing::TempDir dir;
  const Status status = export_mesh(test_support::make_octahedron(false, true), dir.file("model.3mf"));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(status.error().message().find("this build has no 3MF support (install lib3mf-dev and rebuild)"),
            std::string::npos)
      << status.error().message();
  EXPECT_TRUE(dir.entries().empty());
}

}  // namespace
}  // namespace orfeas::exporter
