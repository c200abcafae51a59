// Filesystem kinds: whether inotify on a directory sees every change to the
// files in it, which decides how often the Tailer must stat them itself.
//
// inotify reports what this kernel does to a file. On a local filesystem
// (ext4, xfs, btrfs, tmpfs, overlayfs, ...) every write goes through this
// kernel, so the events are complete. On a network or FUSE filesystem (NFS,
// CIFS/SMB, Ceph, 9p, GlusterFS, Lustre, sshfs, ...) writes made by other
// hosts, or by the FUSE server itself, never pass through it: no event comes,
// and only a stat shows that the file grew. A filesystem not in the list of
// local ones is treated like a network one: polling it costs a stat, trusting
// it wrongly costs missed lines.
//
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace errpulse {

struct FilesystemKind {
  std::string name;            // "ext4", "nfs", or "0x1234abcd" when not known
  bool inotify_complete = false;  // every change to its files raises an inotify event
};

// From statfs(2)'s f_type.
FilesystemKind ClassifyFilesystem(int64_t f_type);

// statfs(2) on `path` (symlinks followed); nullopt when it fails.
std::optional<FilesystemKind> FilesystemOf(const std::string& path);

}  // namespace errpulse
