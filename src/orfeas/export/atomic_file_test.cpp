#include "orfeas/export/atomic_file.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/export/export.h"
#include "orfeas/export/export_test_support.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::exporter {
namespace {

using orfeas::testing::TempDir;
using test_support::read_text;
using test_support::write_text;

// Caps the size of files this process may write, so a write fails midway with EFBIG.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &previous_);
    rlimit limited = previous_;
    limited.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limited);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &previous_);
    std::signal(SIGXFSZ, previous_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit previous_{};
  void (*previous_handler_)(int) = nullptr;
};

TEST(ExportAtomicFile, CommitWritesTheTargetAndLeavesNoTemporaryFile) {
  const TempDir dir;
  AtomicFile file = AtomicFile::create(dir.file("out.txt")).value();
  EXPECT_EQ(file.temp_path().parent_path(), dir.path());
  EXPECT_EQ(file.temp_path().filename().string().rfind(".out.txt.tmp-", 0), 0U);
  EXPECT_TRUE(std::filesystem::exists(file.temp_path()));
  EXPECT_FALSE(std::filesystem::exists(dir.file("out.txt")));
  ASSERT_TRUE(file.write(std::string_view("hello ")));
  ASSERT_TRUE(file.write(std::string_view("world")));
  EXPECT_EQ(file.bytes_written(), 11U);
  ASSERT_TRUE(file.commit());
  EXPECT_EQ(read_text(dir.file("out.txt")), "hello world");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.txt"});
  struct stat info {};
  ASSERT_EQ(::stat(dir.file("out.txt").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644U);
}

TEST(ExportAtomicFile, WithoutCommitNothingIsLeft) {
  const TempDir dir;
  {
    AtomicFile file = AtomicFile::create(dir.file("out.txt")).value();
    ASSERT_TRUE(file.write(std::string_view("partial")));
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ExportAtomicFile, ExistingTargetReplacedOnlyOnCommit) {
  const TempDir dir;
  write_text(dir.file("out.txt"), "previous");
  ::chmod(dir.file("out.txt").c_str(), 0600);
  {
    AtomicFile abandoned = AtomicFile::create(dir.file("out.txt")).value();
    ASSERT_TRUE(abandoned.write(std::string_view("new but abandoned")));
  }
  EXPECT_EQ(read_text(dir.file("out.txt")), "previous");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.txt"});

  AtomicFile file = AtomicFile::create(dir.file("out.txt")).value();
  ASSERT_TRUE(file.write(std::string_view("replacement")));
  EXPECT_EQ(read_text(dir.file("out.txt")), "previous");
  ASSERT_TRUE(file.commit());
  EXPECT_EQ(read_text(dir.file("out.txt")), "replacement");
  struct stat info {};
  ASSERT_EQ(::stat(dir.file("out.txt").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);  // the replaced file's mode is kept
}

TEST(ExportAtomicFile, LargeWritesRoundTrip) {
  const TempDir dir;
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  AtomicFile file = AtomicFile::create(dir.file("big.bin")).value();
  ASSERT_TRUE(file.write(std::string_view(big).substr(0, 1000)));
  ASSERT_TRUE(file.write(std::string_view(big).substr(1000)));
  ASSERT_TRUE(file.commit());
  EXPECT_EQ(read_text(dir.file("big.bin")), big);
}

TEST(ExportAtomicFile, MissingDirectoryIsAnIoError) {
  const TempDir dir;
  const std::filesystem::path target = dir.path() / "no" / "such" / "out.stl";
  const Result<AtomicFile> file = AtomicFile::create(target);
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code(), ErrorCode::kIoError);
  EXPECT_NE(file.error().message().find(target.string()), std::string::npos);
  EXPECT_NE(file.error().message().find("No such file or directory"), std::string::npos);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ExportAtomicFile, TargetThatIsADirectoryIsAnIoError) {
  const TempDir dir;
  std::filesystem::create_directory(dir.file("model.stl"));
  const Result<AtomicFile> file = AtomicFile::create(dir.file("model.stl"));
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code(), ErrorCode::kIoError);
  EXPECT_NE(file.error().message().find("Is a directory"), std::string::npos);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.stl"});
  EXPECT_EQ(AtomicFile::create(dir.path() / "").error().code(), ErrorCode::kInvalidArgument);
}

TEST(ExportAtomicFile, UnwritableDirectoryIsAnIoError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  const TempDir dir;
  std::filesystem::create_directory(dir.file("locked"));
  std::filesystem::permissions(dir.file("locked"),
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  const Result<AtomicFile> file = AtomicFile::create(dir.file("locked") / "out.stl");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code(), ErrorCode::kIoError);
  EXPECT_NE(file.error().message().find("Permission denied"), std::string::npos);
}

TEST(ExportAtomicFile, MovedFileCommitsOnceAndMovedFromIsSpent) {
  const TempDir dir;
  AtomicFile original = AtomicFile::create(dir.file("out.txt")).value();
  ASSERT_TRUE(original.write(std::string_view("moved")));
  AtomicFile moved = std::move(original);
  EXPECT_EQ(original.write(std::string_view("x")).error().code(), ErrorCode::kInternal);  // NOLINT
  EXPECT_EQ(original.commit().error().code(), ErrorCode::kInternal);                      // NOLINT
  AtomicFile assigned = AtomicFile::create(dir.file("other.txt")).value();
  assigned = std::move(moved);  // discards other.txt's temporary file
  ASSERT_TRUE(assigned.commit());
  EXPECT_EQ(assigned.commit().error().code(), ErrorCode::kInternal);
  EXPECT_EQ(assigned.write(std::string_view("late")).error().code(), ErrorCode::kInternal);
  EXPECT_EQ(read_text(dir.file("out.txt")), "moved");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.txt"});
}

TEST(ExportAtomicFile, FailureMidwayKeepsThePreviousFileAndNoTemporaryFile) {
  const TempDir dir;
  write_text(dir.file("out.bin"), "previous");
  Status write_status;
  {
    const FileSizeLimit limit(64 * 1024);
    AtomicFile file = AtomicFile::create(dir.file("out.bin")).value();
    const std::string chunk(512 * 1024, 'x');
    for (int i = 0; i < 4 && write_status; ++i) write_status = file.write(std::string_view(chunk));
    ASSERT_FALSE(write_status);
    EXPECT_EQ(write_status.error().code(), ErrorCode::kIoError);
    EXPECT_NE(write_status.error().message().find("File too large"), std::string::npos);
    // The temporary file is gone at once; later calls repeat the first error.
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});
    const Status commit = file.commit();
    ASSERT_FALSE(commit);
    EXPECT_EQ(commit.error().message(), write_status.error().message());
  }
  EXPECT_EQ(read_text(dir.file("out.bin")), "previous");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});
}

TEST(ExportAtomicFile, ExportFailingMidwayKeepsThePreviousFile) {
  const TempDir dir;
  const mesh::Mesh big = test_support::make_grid(200, 200, true, true);
  for (const char* name : {"grid.stl", "grid.glb", "grid.obj", "grid.ply"}) {
    write_text(dir.file(name), "previous");
    Status exported;
    {
      const FileSizeLimit limit(16 * 1024);
      exported = export_mesh(big, dir.file(name));
    }
    ASSERT_FALSE(exported) << name;
    EXPECT_EQ(exported.error().code(), ErrorCode::kIoError) << exported.error().message();
    EXPECT_EQ(read_text(dir.file(name)), "previous") << name;
  }
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"grid.glb", "grid.obj", "grid.ply", "grid.stl"}));
}

}  // namespace
}  // namespace orfeas::exporter
