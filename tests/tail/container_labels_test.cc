// ContainerLabels: namespace, pod and container from kubelet's log names.
#include <gtest/gtest.h>

#include "source/container_labels.h"

namespace errpulse {
namespace {

const std::string kId(64, 'e');

TEST(ContainerLabels, VarLogContainersName) {
  auto l = ContainerLabelsFromPath("/var/log/containers/room-7f9c-abcde_live_app-server-" + kId +
                                   ".log");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->namespace_name, "live");
  EXPECT_EQ(l->pod, "room-7f9c-abcde");
  EXPECT_EQ(l->container, "app-server");
  // Mounted elsewhere in a DaemonSet: only the name counts.
  EXPECT_TRUE(ContainerLabelsFromPath("/host/var/log/containers/p_ns_c-" + kId + ".log"));
}

TEST(ContainerLabels, VarLogPodsTree) {
  auto l = ContainerLabelsFromPath(
      "/var/log/pods/live_room-7f9c_0f0e0d0c-1111-2222-3333-444455556666/app/3.log");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->namespace_name, "live");
  EXPECT_EQ(l->pod, "room-7f9c");
  EXPECT_EQ(l->container, "app");
  // kubelet's rotated copies keep the labels.
  EXPECT_TRUE(ContainerLabelsFromPath(
      "/var/log/pods/live_room-7f9c_0f0e0d0c-1111-2222-3333-444455556666/app/0.log.20261207-101010"));
  EXPECT_EQ(l->key, "live\nroom-7f9c\napp");
}

TEST(ContainerLabels, OtherFilesHaveNone) {
  EXPECT_FALSE(ContainerLabelsFromPath("/var/log/app/server.log"));
  EXPECT_FALSE(ContainerLabelsFromPath("/var/log/containers/noid_ns_c.log"));
  EXPECT_FALSE(ContainerLabelsFromPath("/var/log/containers/p_ns_c-" + std::string(64, 'z') + ".log"));
  EXPECT_FALSE(ContainerLabelsFromPath("/var/log/pods/bad/app/0.log"));
  EXPECT_FALSE(ContainerLabelsFromPath("0.log"));
}

}  // namespace
}  // namespace errpulse
