// FdTable: descriptors are the lowest free numbers >= 3, as POSIX requires
// of open()/socket()/accept(), whatever order they were closed in.
#include <gtest/gtest.h>

#include <cerrno>

#include "syscalls/epoll.h"  // File owns an Epoll
#include "syscalls/process.h"

namespace usnet {
namespace {

TEST(FdTable, InstallTakesTheLowestFreeDescriptor) {
  FdTable t;
  for (int want = 3; want < 10; ++want) EXPECT_EQ(t.Install(std::make_shared<File>()), want);
  ASSERT_EQ(t.Close(7), 0);
  ASSERT_EQ(t.Close(4), 0);
  ASSERT_EQ(t.Close(8), 0);
  EXPECT_EQ(t.Install(std::make_shared<File>()), 4);
  EXPECT_EQ(t.Install(std::make_shared<File>()), 7);
  EXPECT_EQ(t.Install(std::make_shared<File>()), 8);
  EXPECT_EQ(t.Install(std::make_shared<File>()), 10);
  EXPECT_EQ(t.open_count(), 8u);
}

TEST(FdTable, Dup2PastTheEndLeavesTheGapFree) {
  FdTable t;
  EXPECT_EQ(t.Install(std::make_shared<File>()), 3);
  EXPECT_EQ(t.InstallAt(6, std::make_shared<File>()), 6);
  EXPECT_EQ(t.Install(std::make_shared<File>()), 4);
  EXPECT_EQ(t.Install(std::make_shared<File>()), 5);
  EXPECT_EQ(t.Install(std::make_shared<File>()), 7);
}

TEST(FdTable, FullTableIsEmfileAndCloseOfAFreeSlotIsEbadf) {
  FdTable t(/*max_fds=*/5);
  EXPECT_EQ(t.Install(std::make_shared<File>()), 3);
  EXPECT_EQ(t.Install(std::make_shared<File>()), 4);
  EXPECT_EQ(t.Install(std::make_shared<File>()), -EMFILE);
  EXPECT_EQ(t.Close(4), 0);
  EXPECT_EQ(t.Close(4), -EBADF);
  EXPECT_EQ(t.Install(std::make_shared<File>()), 4);
}

}  // namespace
}  // namespace usnet
