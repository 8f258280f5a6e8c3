#include "core/file_read.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace torque {
namespace {

namespace fs = std::filesystem;

class FileReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("file_read_test." + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  fs::path dir_;
};

TEST_F(FileReadTest, ReadsEveryByte) {
  std::string bytes(200'000, 'x');
  bytes[7] = '\0';
  bytes.back() = '\n';
  auto read = ReadWholeFile(Write("big", bytes));
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(*read, bytes);
  auto empty = ReadWholeFile(Write("empty", ""));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

TEST_F(FileReadTest, MissingIsNotFound) {
  auto read = ReadWholeFile((dir_ / "nope").string());
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), Status::Code::kNotFound);
  EXPECT_NE(read.status().message().find("nope: No such file"), std::string::npos)
      << read.status().message();
}

TEST_F(FileReadTest, DirectoryAndLimitAreIoErrors) {
  auto dir = ReadWholeFile(dir_.string());
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), Status::Code::kIoError);
  EXPECT_NE(dir.status().message().find("is a directory"), std::string::npos);

  const std::string path = Write("ten", "0123456789");
  EXPECT_TRUE(ReadWholeFile(path, 10).ok());
  auto over = ReadWholeFile(path, 9);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), Status::Code::kIoError);
  EXPECT_NE(over.status().message().find("larger than 9 bytes"), std::string::npos);
}

}  // namespace
}  // namespace torque
