// Unit tests for the filesystem classification that decides whether inotify
// alone follows a directory (see daemon/tail/filesystem_kind.h).
#include "tail/filesystem_kind.h"

#include <gtest/gtest.h>

namespace errpulse {
namespace {

TEST(FilesystemKind, LocalFilesystemsAreComplete) {
  for (int64_t magic : std::initializer_list<int64_t>{0xEF53, 0x58465342, 0x9123683E, 0x01021994, 0x794C7630}) {
    const FilesystemKind kind = ClassifyFilesystem(magic);
    EXPECT_TRUE(kind.inotify_complete) << kind.name;
  }
  EXPECT_EQ(ClassifyFilesystem(0x58465342).name, "xfs");
  EXPECT_EQ(ClassifyFilesystem(0x794C7630).name, "overlayfs");
}

TEST(FilesystemKind, NetworkAndFuseFilesystemsAreNot) {
  for (int64_t magic : std::initializer_list<int64_t>{0x6969, 0xFF534D42, 0xFE534D42, 0x65735546, 0x00C36400, 0x01021997,
                        0x0BD00BD0}) {
    const FilesystemKind kind = ClassifyFilesystem(magic);
    EXPECT_FALSE(kind.inotify_complete) << kind.name;
  }
  EXPECT_EQ(ClassifyFilesystem(0x6969).name, "nfs");
  EXPECT_EQ(ClassifyFilesystem(0x65735546).name, "fuse");
}

TEST(FilesystemKind, UnknownFilesystemsAreNotTrusted) {
  const FilesystemKind kind = ClassifyFilesystem(0x12345678);
  EXPECT_FALSE(kind.inotify_complete);
  EXPECT_EQ(kind.name, "0x12345678");
  // f_type is a signed long: a magic with the high bit set may arrive negative.
  EXPECT_EQ(ClassifyFilesystem(static_cast<int32_t>(0xFF534D42)).name, "cifs");
}

TEST(FilesystemKind, StatfsOfAPath) {
  EXPECT_TRUE(FilesystemOf("/").has_value());
  EXPECT_FALSE(FilesystemOf("/no/such/directory/here").has_value());
}

}  // namespace
}  // namespace errpulse
