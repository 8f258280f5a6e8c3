// LockFile and PidFile between real processes: who holds the lock, and that a holder's
// death frees it even while a half-spawned child of it still has the descriptor.
#include "server/lock_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "server/pid_file.h"
#include "tests/test_env.h"

namespace torque::server {
namespace {

using torque::testing::TempDir;

// A process that takes the lock on `path` and stays (pause). When `child_keeps_ms` >= 0 it
// first forks a child that keeps a copy of the lock's descriptor for that long (forever
// when 0) without exec'ing: a job's process between posix_spawn's clone and its exec.
// Both are killed and reaped on destruction (the test process is their subreaper).
class Holder {
 public:
  Holder(const std::string& path, int child_keeps_ms) {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(fds[0]);
      std::optional<pid_t> other;
      auto lock = LockFile::Acquire(path, &other);
      if (!lock.ok()) _exit(1);
      pid_t child = 0;
      if (child_keeps_ms >= 0 && (child = fork()) == 0) {
        if (child_keeps_ms > 0) {
          usleep(static_cast<useconds_t>(child_keeps_ms) * 1000);
          _exit(0);
        }
        for (;;) pause();
      }
      if (write(fds[1], &child, sizeof child) != sizeof child) _exit(1);
      for (;;) pause();
    }
    close(fds[1]);
    if (read(fds[0], &child_, sizeof child_) != sizeof child_) child_ = -1;
    close(fds[0]);
  }
  ~Holder() {
    Kill();
    if (child_ > 0) {
      kill(child_, SIGKILL);
      waitpid(child_, nullptr, 0);
    }
  }
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;

  bool ready() const { return pid_ > 0 && child_ >= 0; }
  pid_t pid() const { return pid_; }
  void Kill() {  // SIGKILL: no destructor runs, the file stays
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  pid_t child_ = -1;
};

TEST(LockFileTest, ALockNamesItsHolderAndIsFreeOnceTheHolderDies) {
  TempDir dir;
  const std::string path = dir.File("torque.db-lock");
  EXPECT_EQ(LockFile::Holder(path), std::nullopt);
  Holder holder(path, -1);
  ASSERT_TRUE(holder.ready());

  EXPECT_EQ(LockFile::Holder(path), holder.pid());
  std::optional<pid_t> named;
  auto refused = LockFile::Acquire(path, &named);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(refused.status().message(),
            path + " is locked by pid " + std::to_string(holder.pid()));
  EXPECT_EQ(named, holder.pid());

  holder.Kill();
  EXPECT_EQ(LockFile::Holder(path), std::nullopt);
  {
    auto lock = LockFile::Acquire(path, &named);
    ASSERT_TRUE(lock.ok()) << lock.status().message();
    EXPECT_EQ(named, std::nullopt);
    std::optional<pid_t> again;
    EXPECT_FALSE(LockFile::Acquire(path, &again).ok());  // in this process too
    EXPECT_EQ(again, getpid());
  }
  EXPECT_EQ(LockFile::Holder(path), std::nullopt);  // released; the file stays
  std::ifstream in(path);
  pid_t recorded = 0;
  in >> recorded;
  EXPECT_EQ(recorded, getpid());
}

// torqued SIGKILLed while a job's process was between clone and exec, and restarted at
// once: the start waits for that child's exec to let go instead of refusing.
TEST(LockFileTest, ALockLeftToAChildOfADeadHolderIsWaitedFor) {
  TempDir dir;
  const std::string path = dir.File("torqued.pid");
  Holder holder(path, 100);
  ASSERT_TRUE(holder.ready());
  holder.Kill();  // its child keeps the descriptor for up to 100 ms more

  std::optional<pid_t> named;
  auto lock = LockFile::Acquire(path, &named);
  EXPECT_TRUE(lock.ok()) << lock.status().message();
}

// ... but not forever: a child that never lets go is refused after a second, naming the
// holder recorded in the file.
TEST(LockFileTest, ALockAChildNeverLetsGoIsRefusedAfterASecond) {
  TempDir dir;
  const std::string path = dir.File("torqued.pid");
  Holder holder(path, 0);
  ASSERT_TRUE(holder.ready());
  const pid_t dead = holder.pid();
  holder.Kill();

  const auto start = std::chrono::steady_clock::now();
  std::optional<pid_t> named;
  auto lock = LockFile::Acquire(path, &named);
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(named, dead);
  EXPECT_GE(waited, std::chrono::seconds(1));
}

TEST(LockFileTest, AFileThatCannotBeOpenedIsAnIoError) {
  TempDir dir;
  const std::string file = dir.File("plain");
  std::ofstream(file) << "a file where a folder should be\n";
  std::optional<pid_t> named;
  auto lock = LockFile::Acquire(file + "/torque.db-lock", &named);
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), Status::Code::kIoError);
  EXPECT_EQ(lock.status().message(),
            "cannot open " + file + "/torque.db-lock: Not a directory");
}

TEST(PidFileTest, ARunningDaemonIsNamedAndTheFileGoesWithIt) {
  TempDir dir;
  const std::string path = dir.File("torqued.pid");
  Holder holder(path, -1);
  ASSERT_TRUE(holder.ready());
  EXPECT_EQ(PidFile::ReadLive(path), holder.pid());
  auto refused = PidFile::Acquire(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(refused.status().message(), "torqued is already running (pid " +
                                            std::to_string(holder.pid()) + ", pid file " +
                                            path + ")");
  holder.Kill();
  {
    auto file = PidFile::Acquire(path);
    ASSERT_TRUE(file.ok()) << file.status().message();
    EXPECT_EQ(PidFile::ReadLive(path), getpid());
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace torque::server
