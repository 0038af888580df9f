#include "kernel/sysctl.h"

#include <climits>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace usnet {
namespace {

// A stand-in for a stack's config struct.
struct Config {
  int syncookies = 1;
  int somaxconn = 4096;
  int rmem[3] = {4096, 131072, 6291456};
  int mem[3] = {87000, 116000, 174000};  // unordered, like Linux tcp_mem
};

class SysctlTest : public ::testing::Test {
 protected:
  SysctlTest() {
    t_.AddInt("net.ipv4.tcp_syncookies", &cfg_.syncookies, 0, 2, "SYN cookies: 0 off, 1 on flood, 2 always");
    t_.AddInt("net/core/somaxconn", &cfg_.somaxconn, 0, INT_MAX);  // registered with '/'
    t_.AddIntVec("net.ipv4.tcp_rmem", cfg_.rmem, 1, INT_MAX, /*ordered=*/true);
    t_.AddIntVec("net.ipv4.tcp_mem", cfg_.mem, 1, 1000000, /*ordered=*/false);
  }
  // A file under the test's temporary directory, unique per test.
  std::string WriteFile(const std::string& contents) {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string path = ::testing::TempDir() + "/usnet_sysctl_" + info->name() + ".conf";
    std::ofstream(path) << contents;
    return path;
  }

  Config cfg_;
  SysctlTable t_;
};

TEST_F(SysctlTest, SetWritesTheTypedFieldAndGetReadsIt) {
  ASSERT_TRUE(t_.Set("net.ipv4.tcp_syncookies", "2").ok());
  EXPECT_EQ(cfg_.syncookies, 2);
  EXPECT_EQ(*t_.Get("net.ipv4.tcp_syncookies"), "2");
  ASSERT_TRUE(t_.Set("net.ipv4.tcp_syncookies", "0").ok());
  EXPECT_EQ(cfg_.syncookies, 0);
  EXPECT_EQ(*t_.Get("net.ipv4.tcp_syncookies"), "0");
  // Get follows the field even when code changes it directly.
  cfg_.syncookies = 1;
  EXPECT_EQ(*t_.Get("net.ipv4.tcp_syncookies"), "1");
}

TEST_F(SysctlTest, BoundsAreInclusive) {
  EXPECT_TRUE(t_.Set("net.ipv4.tcp_syncookies", "0").ok());
  EXPECT_TRUE(t_.Set("net.ipv4.tcp_syncookies", "2").ok());
  EXPECT_TRUE(t_.Set("net.core.somaxconn", "2147483647").ok());
  EXPECT_EQ(cfg_.somaxconn, INT_MAX);
}

TEST_F(SysctlTest, OutOfRangeIsRefusedAndNothingChanges) {
  for (const char* v : {"3", "-1", "100", "-2147483648", "2147483647"}) {
    absl::Status s = t_.Set("net.ipv4.tcp_syncookies", v);
    EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange) << v << ": " << s;
    EXPECT_EQ(cfg_.syncookies, 1) << v;
  }
  absl::Status s = t_.Set("net.ipv4.tcp_syncookies", "3");
  EXPECT_NE(s.message().find("[0, 2]"), absl::string_view::npos) << s.message();
  EXPECT_EQ(t_.Set("net.core.somaxconn", "-1").code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(cfg_.somaxconn, 4096);
}

TEST_F(SysctlTest, NonIntegersAreRefusedAndNothingChanges) {
  for (const char* v : {"", " ", "abc", "1.5", "12abc", "0x", "1e3", "one", "2147483648",
                        "99999999999999999999", "1 2", "- 1", "--1"}) {
    absl::Status s = t_.Set("net.ipv4.tcp_syncookies", v);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << '"' << v << "\": " << s;
    EXPECT_EQ(cfg_.syncookies, 1) << v;
  }
}

TEST_F(SysctlTest, IntegersParseLikeProcDointvec) {
  // Linux proc_get_long: an optional '-', then a digit, then
  // strtoul_lenient(p, &p, 0, ...): base 0, so "0x..." is hex and a leading
  // 0 is octal; '+' is not a digit and is refused. packetdrill's
  // defaults.sh relies on hex: `sysctl -q net.ipv4.tcp_fastopen=0x70403`.
  EXPECT_TRUE(t_.Set("net.core.somaxconn", "0x80").ok());
  EXPECT_EQ(cfg_.somaxconn, 128);
  EXPECT_TRUE(t_.Set("net.core.somaxconn", "0X70403").ok());
  EXPECT_EQ(cfg_.somaxconn, 0x70403);
  EXPECT_TRUE(t_.Set("net.core.somaxconn", "010").ok());
  EXPECT_EQ(cfg_.somaxconn, 8);
  EXPECT_EQ(t_.Set("net.ipv4.tcp_rmem", "0x1000 0x800 0x100000").code(),
            absl::StatusCode::kInvalidArgument)
      << "0x800 after 0x1000 is decreasing";
  EXPECT_TRUE(t_.Set("net.ipv4.tcp_rmem", "0x1000 0x20000 0x600000").ok());
  EXPECT_EQ(cfg_.rmem[2], 0x600000);
  cfg_.syncookies = 1;
  EXPECT_EQ(t_.Set("net.ipv4.tcp_syncookies", "+2").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cfg_.syncookies, 1);
  EXPECT_EQ(*t_.Get("net.core.somaxconn"), "8") << "Get prints decimal, like /proc";
}

TEST_F(SysctlTest, SurroundingWhitespaceIsAccepted) {
  // As `echo " 2 " > /proc/sys/...` is.
  ASSERT_TRUE(t_.Set("net.ipv4.tcp_syncookies", " 2\t").ok());
  EXPECT_EQ(cfg_.syncookies, 2);
}

TEST_F(SysctlTest, UnknownNameIsNotFound) {
  EXPECT_EQ(t_.Set("net.ipv4.tcp_nonsense", "1").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t_.Get("net.ipv4.tcp_nonsense").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t_.Get("net.ipv4").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t_.Get("").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t_.Help("net.ipv4.tcp_nonsense"), "");
}

TEST_F(SysctlTest, SlashAndDotNamesAreTheSame) {
  ASSERT_TRUE(t_.Set("net/ipv4/tcp_syncookies", "2").ok());
  EXPECT_EQ(cfg_.syncookies, 2);
  EXPECT_EQ(*t_.Get("net.ipv4.tcp_syncookies"), "2");
  EXPECT_EQ(*t_.Get("net/ipv4/tcp_syncookies"), "2");
  // Registered with slashes, reachable with dots.
  ASSERT_TRUE(t_.Set("net.core.somaxconn", "128").ok());
  EXPECT_EQ(*t_.Get("net/core/somaxconn"), "128");
  EXPECT_EQ(cfg_.somaxconn, 128);
  EXPECT_EQ(t_.Help("net/ipv4/tcp_syncookies"), "SYN cookies: 0 off, 1 on flood, 2 always");
}

TEST_F(SysctlTest, NamesAreSortedAndDotted) {
  EXPECT_EQ(t_.Names(), (std::vector<std::string>{"net.core.somaxconn", "net.ipv4.tcp_mem",
                                                  "net.ipv4.tcp_rmem",
                                                  "net.ipv4.tcp_syncookies"}));
}

TEST_F(SysctlTest, VectorValuesAreTabSeparatedLikeProc) {
  EXPECT_EQ(*t_.Get("net.ipv4.tcp_rmem"), "4096\t131072\t6291456");
  ASSERT_TRUE(t_.Set("net.ipv4.tcp_rmem", "4096 540000 15728640").ok());
  EXPECT_EQ(cfg_.rmem[0], 4096);
  EXPECT_EQ(cfg_.rmem[1], 540000);
  EXPECT_EQ(cfg_.rmem[2], 15728640);
  EXPECT_EQ(*t_.Get("net.ipv4.tcp_rmem"), "4096\t540000\t15728640");
  // Tabs and runs of blanks separate too (what Get prints can be Set back).
  ASSERT_TRUE(t_.Set("net.ipv4.tcp_rmem", "1\t2  \t 3").ok());
  EXPECT_EQ(*t_.Get("net.ipv4.tcp_rmem"), "1\t2\t3");
  ASSERT_TRUE(t_.Set("net.ipv4.tcp_rmem", *t_.Get("net.ipv4.tcp_rmem")).ok());
}

TEST_F(SysctlTest, OrderedVectorMustNotDecrease) {
  EXPECT_TRUE(t_.Set("net.ipv4.tcp_rmem", "5 5 5").ok());  // equal is fine
  for (const char* v : {"3 2 1", "1 3 2", "2 1 3"}) {
    absl::Status s = t_.Set("net.ipv4.tcp_rmem", v);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << v;
    EXPECT_EQ(*t_.Get("net.ipv4.tcp_rmem"), "5\t5\t5") << v;
  }
  // An unordered vector takes any order.
  ASSERT_TRUE(t_.Set("net.ipv4.tcp_mem", "300 200 100").ok());
  EXPECT_EQ(cfg_.mem[0], 300);
  EXPECT_EQ(cfg_.mem[2], 100);
}

TEST_F(SysctlTest, VectorIsAllOrNothing) {
  // A bad last element must not leave the first ones written.
  EXPECT_EQ(t_.Set("net.ipv4.tcp_rmem", "8192 65536 0").code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(t_.Set("net.ipv4.tcp_rmem", "8192 65536 x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t_.Set("net.ipv4.tcp_mem", "5 6 1000001").code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(cfg_.rmem[0], 4096);
  EXPECT_EQ(cfg_.rmem[1], 131072);
  EXPECT_EQ(cfg_.rmem[2], 6291456);
  EXPECT_EQ(cfg_.mem[0], 87000);
  EXPECT_EQ(cfg_.mem[1], 116000);
}

TEST_F(SysctlTest, VectorNeedsExactlyItsCount) {
  for (const char* v : {"", "4096", "4096 8192", "1 2 3 4"}) {
    EXPECT_EQ(t_.Set("net.ipv4.tcp_rmem", v).code(), absl::StatusCode::kInvalidArgument) << v;
  }
  EXPECT_EQ(*t_.Get("net.ipv4.tcp_rmem"), "4096\t131072\t6291456");
}

TEST_F(SysctlTest, ApplyTakesNameEqualsValue) {
  ASSERT_TRUE(t_.Apply("net.ipv4.tcp_syncookies=0").ok());
  EXPECT_EQ(cfg_.syncookies, 0);
  ASSERT_TRUE(t_.Apply("  net.ipv4.tcp_syncookies  =  2  ").ok());
  EXPECT_EQ(cfg_.syncookies, 2);
  ASSERT_TRUE(t_.Apply("net/core/somaxconn=511").ok());
  EXPECT_EQ(cfg_.somaxconn, 511);
  ASSERT_TRUE(t_.Apply("net.ipv4.tcp_rmem = 4096 87380 6291456").ok());
  EXPECT_EQ(cfg_.rmem[1], 87380);
}

TEST_F(SysctlTest, ApplyRefusesMalformedAssignments) {
  EXPECT_EQ(t_.Apply("net.ipv4.tcp_syncookies").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t_.Apply("net.ipv4.tcp_syncookies 1").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t_.Apply("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t_.Apply("net.ipv4.tcp_syncookies=").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t_.Apply("net.ipv4.tcp_syncookies==1").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t_.Apply("=1").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t_.Apply("net.ipv4.tcp_syncookies=7").code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(cfg_.syncookies, 1);
}

TEST_F(SysctlTest, LoadFileAppliesEveryLine) {
  const std::string path = WriteFile(
      "# defaults.sh, as sysctl.conf\n"
      "\n"
      "net.ipv4.tcp_syncookies = 2\n"
      "   ; a semicolon comment, indented\n"
      "net.ipv4.tcp_rmem = 4096 540000 15728640\n"
      "\t\n"
      "net/core/somaxconn=1024   \n");
  absl::Status s = t_.LoadFile(path);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(cfg_.syncookies, 2);
  EXPECT_EQ(cfg_.rmem[1], 540000);
  EXPECT_EQ(cfg_.somaxconn, 1024);
}

TEST_F(SysctlTest, LoadFileReportsTheBadLineAsFileColonLine) {
  const std::string path = WriteFile(
      "# comment\n"
      "net.ipv4.tcp_syncookies = 0\n"
      "\n"
      "net.core.somaxconn = lots\n"
      "net.ipv4.tcp_rmem = 1 2 3\n");
  absl::Status s = t_.LoadFile(path);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path + ":4: "), absl::string_view::npos) << s.message();
  EXPECT_NE(s.message().find("lots"), absl::string_view::npos) << s.message();
  EXPECT_EQ(cfg_.syncookies, 0) << "lines before the error are applied";
  EXPECT_EQ(cfg_.somaxconn, 4096);
}

TEST_F(SysctlTest, LoadFileReportsUnknownNamesAndRangeErrorsWithTheirLine) {
  absl::Status s = t_.LoadFile(WriteFile("net.ipv4.tcp_syncookies = 9\n"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(":1: "), absl::string_view::npos) << s.message();
  s = t_.LoadFile(WriteFile("\n\nnet.ipv4.bogus = 1\n"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(":3: "), absl::string_view::npos) << s.message();
  EXPECT_NE(s.message().find("bogus"), absl::string_view::npos) << s.message();
}

TEST_F(SysctlTest, LoadFileOfAMissingFileFails) {
  absl::Status s = t_.LoadFile(::testing::TempDir() + "/usnet_sysctl_does_not_exist.conf");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
}

TEST(SysctlDeathTest, RegisteringANameTwiceAborts) {
  int a = 0, b = 0;
  EXPECT_DEATH(
      {
        SysctlTable t;
        t.AddInt("net.x", &a, 0, 1);
        t.AddInt("net/x", &b, 0, 1);
      },
      "check failed");
}

}  // namespace
}  // namespace usnet
