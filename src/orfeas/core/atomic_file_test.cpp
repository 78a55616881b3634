#include "orfeas/core/atomic_file.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/testing/file_io.h"
#include "orfeas/testing/file_size_limit.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas {
namespace {

using testing::FileSizeLimit;
using testing::read_text;
using testing::TempDir;
using testing::write_text;

// Sets the process umask for one test (process-wide: these tests run one writer at a time).
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(previous_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t previous_;
};

struct stat lstat_of(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info;
}

TEST(AtomicFile, CommitWritesTheTargetAndLeavesNoTemporaryFile) {
  const ScopedUmask umask(022);
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

TEST(AtomicFile, WithoutCommitNothingIsLeft) {
  const TempDir dir;
  {
    AtomicFile file = AtomicFile::create(dir.file("out.txt")).value();
    ASSERT_TRUE(file.write(std::string_view("partial")));
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFile, ExistingTargetReplacedOnlyOnCommit) {
  const ScopedUmask umask(022);
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
  EXPECT_EQ(info.st_mode & 07777, 0644U);  // the ordinary mode, not the replaced file's
}

TEST(AtomicFile, LargeWritesRoundTrip) {
  const TempDir dir;
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  AtomicFile file = AtomicFile::create(dir.file("big.bin")).value();
  ASSERT_TRUE(file.write(std::string_view(big).substr(0, 1000)));
  ASSERT_TRUE(file.write(std::string_view(big).substr(1000)));
  ASSERT_TRUE(file.commit());
  EXPECT_EQ(read_text(dir.file("big.bin")), big);
}

TEST(AtomicFile, MissingDirectoryIsAnIoError) {
  const TempDir dir;
  const std::filesystem::path target = dir.path() / "no" / "such" / "out.stl";
  const Result<AtomicFile> file = AtomicFile::create(target);
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code(), ErrorCode::kIoError);
  EXPECT_NE(file.error().message().find(target.string()), std::string::npos);
  EXPECT_NE(file.error().message().find("No such file or directory"), std::string::npos);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFile, TargetThatIsADirectoryIsAnIoError) {
  const TempDir dir;
  std::filesystem::create_directory(dir.file("model.stl"));
  const Result<AtomicFile> file = AtomicFile::create(dir.file("model.stl"));
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code(), ErrorCode::kIoError);
  EXPECT_NE(file.error().message().find("Is a directory"), std::string::npos);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.stl"});
  EXPECT_EQ(AtomicFile::create(dir.path() / "").error().code(), ErrorCode::kInvalidArgument);
}

TEST(AtomicFile, UnwritableDirectoryIsAnIoError) {
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

TEST(AtomicFile, MovedFileCommitsOnceAndMovedFromIsSpent) {
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

TEST(AtomicFile, FailureMidwayKeepsThePreviousFileAndNoTemporaryFile) {
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

TEST(AtomicFile, ModeComesFromTheUmask) {
  const TempDir dir;
  {
    const ScopedUmask umask(077);
    ASSERT_TRUE(write_file_atomically(dir.file("private.txt"), std::string_view("p")));
  }
  {
    const ScopedUmask umask(002);
    ASSERT_TRUE(write_file_atomically(dir.file("shared.txt"), std::string_view("s")));
  }
  EXPECT_EQ(lstat_of(dir.file("private.txt")).st_mode & 07777, 0600U);
  EXPECT_EQ(lstat_of(dir.file("shared.txt")).st_mode & 07777, 0664U);
}

TEST(AtomicFile, ReplacingASetuidFileGivesTheOrdinaryMode) {
  const ScopedUmask umask(022);
  const TempDir dir;
  write_text(dir.file("out.stl"), "#!/bin/sh\n");
  ASSERT_EQ(::chmod(dir.file("out.stl").c_str(), 06755), 0);
  ASSERT_TRUE(write_file_atomically(dir.file("out.stl"), std::string_view("mesh")));
  EXPECT_EQ(lstat_of(dir.file("out.stl")).st_mode & 07777, 0644U);
  EXPECT_EQ(read_text(dir.file("out.stl")), "mesh");
}

// The link is replaced by a regular file with the ordinary mode; what it pointed at is untouched.
TEST(AtomicFile, SymlinkToASetuidFileIsReplacedByAnOrdinaryFile) {
  const ScopedUmask umask(022);
  const TempDir dir;
  std::filesystem::create_directory(dir.file("bin"));
  const std::filesystem::path program = dir.file("bin") / "tool";
  write_text(program, "#!/bin/sh\n");
  ASSERT_EQ(::chmod(program.c_str(), 04755), 0);
  std::filesystem::create_symlink(program, dir.file("out.stl"));

  ASSERT_TRUE(write_file_atomically(dir.file("out.stl"), std::string_view("mesh")));
  const struct stat written = lstat_of(dir.file("out.stl"));
  EXPECT_TRUE(S_ISREG(written.st_mode));
  EXPECT_EQ(written.st_mode & 07777, 0644U);
  EXPECT_EQ(read_text(dir.file("out.stl")), "mesh");
  EXPECT_EQ(read_text(program), "#!/bin/sh\n");
  EXPECT_EQ(lstat_of(program).st_mode & 07777, 04755U);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"bin", "out.stl"}));
}

TEST(AtomicFile, SymlinkToAnExecutableIsReplacedByAnOrdinaryFile) {
  const ScopedUmask umask(022);
  const TempDir dir;
  write_text(dir.file("run.sh"), "echo\n");
  ASSERT_EQ(::chmod(dir.file("run.sh").c_str(), 0755), 0);
  std::filesystem::create_symlink("run.sh", dir.file("out.glb"));  // relative, as users make them
  ASSERT_TRUE(write_file_atomically(dir.file("out.glb"), std::string_view("glb")));
  EXPECT_EQ(lstat_of(dir.file("out.glb")).st_mode & 07777, 0644U);
  EXPECT_TRUE(S_ISREG(lstat_of(dir.file("out.glb")).st_mode));
  EXPECT_EQ(lstat_of(dir.file("run.sh")).st_mode & 07777, 0755U);
  EXPECT_EQ(read_text(dir.file("run.sh")), "echo\n");
}

TEST(AtomicFile, SymlinkToDevFullIsReplacedAndDevFullIsUntouched) {
  struct stat device_before {};
  if (::stat("/dev/full", &device_before) != 0) GTEST_SKIP() << "this system has no /dev/full";
  const ScopedUmask umask(022);
  const TempDir dir;
  std::filesystem::create_symlink("/dev/full", dir.file("out.stl"));

  ASSERT_TRUE(write_file_atomically(dir.file("out.stl"), std::string_view("solid")));
  const struct stat written = lstat_of(dir.file("out.stl"));
  EXPECT_TRUE(S_ISREG(written.st_mode));
  EXPECT_EQ(written.st_mode & 07777, 0644U);
  EXPECT_EQ(read_text(dir.file("out.stl")), "solid");
  const struct stat device_after = lstat_of("/dev/full");
  EXPECT_TRUE(S_ISCHR(device_after.st_mode));
  EXPECT_EQ(device_after.st_rdev, device_before.st_rdev);
  EXPECT_EQ(device_after.st_mode, device_before.st_mode);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.stl"});
}

TEST(AtomicFile, SymlinkToADirectoryIsRefused) {
  const TempDir dir;
  std::filesystem::create_directory(dir.file("models"));
  std::filesystem::create_directory_symlink("models", dir.file("out.stl"));
  const Result<AtomicFile> file = AtomicFile::create(dir.file("out.stl"));
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code(), ErrorCode::kIoError);
  EXPECT_NE(file.error().message().find("Is a directory"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_symlink(dir.file("out.stl")));
}

// A device, FIFO or socket at the output path is never replaced (as root, rename() would).
TEST(AtomicFile, SpecialFileTargetIsRefused) {
  const TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("pipe").c_str(), 0600), 0);
  const Result<AtomicFile> file = AtomicFile::create(dir.file("pipe"));
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code(), ErrorCode::kIoError);
  EXPECT_NE(file.error().message().find("not a regular file"), std::string::npos);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"pipe"});
  EXPECT_FALSE(AtomicFile::create("/dev/null"));
}

// Two writers of one target (two optimizers saving one calibration, say) never share a temporary
// file: both succeed and the target holds one complete version.
TEST(AtomicFile, ConcurrentWritersOfOneTargetEachUseTheirOwnTemporaryFile) {
  const TempDir dir;
  AtomicFile first = AtomicFile::create(dir.file("shared.json")).value();
  AtomicFile second = AtomicFile::create(dir.file("shared.json")).value();
  EXPECT_NE(first.temp_path(), second.temp_path());

  const std::string a(100000, 'a');
  const std::string b(100000, 'b');
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) EXPECT_TRUE(write_file_atomically(dir.file("shared.json"), t % 2 ? a : b));
    });
  }
  for (std::thread& writer : writers) writer.join();
  const std::string result = read_text(dir.file("shared.json"));
  EXPECT_TRUE(result == a || result == b);
  ASSERT_TRUE(first.write(std::string_view("first")));
  ASSERT_TRUE(second.write(std::string_view("second")));
  ASSERT_TRUE(first.commit());
  ASSERT_TRUE(second.commit());
  EXPECT_EQ(read_text(dir.file("shared.json")), "second");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"shared.json"});
}

TEST(AtomicFile, WriteFileAtomicallyWritesBytesAndReportsErrors) {
  const TempDir dir;
  const std::vector<std::byte> bytes = {std::byte{0}, std::byte{0xff}, std::byte{'x'}};
  ASSERT_TRUE(write_file_atomically(dir.file("raw.bin"), bytes));
  EXPECT_EQ(read_text(dir.file("raw.bin")), std::string("\0\xffx", 3));
  const Status missing = write_file_atomically(dir.path() / "no" / "raw.bin", bytes);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kIoError);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"raw.bin"});
}

}  // namespace
}  // namespace orfeas
