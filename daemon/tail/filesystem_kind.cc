// Filesystem kinds by statfs(2) magic number. See filesystem_kind.h.
#include "tail/filesystem_kind.h"

#include <sys/vfs.h>

#include <cstdio>

namespace errpulse {
namespace {

struct KnownFilesystem {
  uint32_t magic;
  const char* name;
  bool inotify_complete;
};

// Magic numbers from linux/magic.h (and the filesystems' own headers for
// those it lacks: zfs, bcachefs, ntfs3, lustre, gfs2, gpfs, orangefs, vboxsf).
constexpr KnownFilesystem kFilesystems[] = {
    // Local: every write goes through this kernel.
    {0xEF53, "ext2/ext3/ext4", true},
    {0x58465342, "xfs", true},
    {0x9123683E, "btrfs", true},
    {0x01021994, "tmpfs", true},
    {0x858458F6, "ramfs", true},
    {0x794C7630, "overlayfs", true},
    {0xF2F52010, "f2fs", true},
    {0x2FC12FC1, "zfs", true},
    {0xCA451A4E, "bcachefs", true},
    {0x52654973, "reiserfs", true},
    {0x3153464A, "jfs", true},
    {0x3434, "nilfs", true},
    {0x4D44, "vfat", true},
    {0x2011BAB0, "exfat", true},
    {0x5346544E, "ntfs", true},
    {0x73717368, "squashfs", true},
    // Network, cluster and FUSE: other hosts (or the FUSE server) write
    // without this kernel seeing it.
    {0x6969, "nfs", false},
    {0xFF534D42, "cifs", false},
    {0xFE534D42, "smb2", false},
    {0x517B, "smb", false},
    {0x65735546, "fuse", false},  // also sshfs, glusterfs, virtiofs, s3fs
    {0x00C36400, "ceph", false},
    {0x01021997, "9p", false},
    {0x0BD00BD0, "lustre", false},
    {0x01161970, "gfs2", false},
    {0x7461636F, "ocfs2", false},
    {0x47504653, "gpfs", false},
    {0x5346414F, "afs", false},
    {0x6B414653, "afs", false},
    {0x73757245, "coda", false},
    {0x564C, "ncp", false},
    {0x13661366, "orangefs", false},
    {0x786F4256, "vboxsf", false},
};

}  // namespace

FilesystemKind ClassifyFilesystem(int64_t f_type) {
  const auto magic = static_cast<uint32_t>(f_type);
  for (const auto& fs : kFilesystems)
    if (fs.magic == magic) return {fs.name, fs.inotify_complete};
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%x", magic);
  return {hex, false};
}

std::optional<FilesystemKind> FilesystemOf(const std::string& path) {
  struct statfs st;
  if (::statfs(path.c_str(), &st) != 0) return std::nullopt;
  return ClassifyFilesystem(static_cast<int64_t>(st.f_type));
}

}  // namespace errpulse
