// Notifier and notice texts on a real SQLite store with a fake clock and a scripted
// delivery: delivered once, retried with backoff, given up, nothing re-sent after a
// restart; the outbox written in the same transaction as the job's outcome.
#include "server/notifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "server/notice_text.h"
#include "server/sqlite_store.h"
#include "tests/server/failing_store.h"
#include "tests/server/test_support.h"

namespace torque::server {
namespace {

using testing::FailingStore;
using testing::FakeClock;
using testing::TempDir;

// A delivery that records each attempt and fails while `fail` is set.
struct ScriptedDelivery {
  std::mutex mu;
  std::vector<std::string> attempts;  // "target|subject"
  Status fail = Status::Ok();

  DeliverFn Fn() {
    return [this](const NotifyTarget& t, const Notice& n) {
      std::lock_guard lock(mu);
      attempts.push_back(t.Key() + "|" + n.subject);
      return fail;
    };
  }
  size_t count() {
    std::lock_guard lock(mu);
    return attempts.size();
  }
};

Job FailedJob() {
  Job job;
  job.id = 17;
  job.type = "verify";
  job.args = "fid:50";
  job.state = JobState::kFailed;
  job.attempts = 2;
  job.max_attempts = 2;
  job.error = "line one\nchecksum mismatch";
  job.result = "partial output";
  job.created_at = 1'700'000'000'000;
  job.started_at = 1'700'000'000'000;
  return job;
}

JobTypeConfig Type(const std::string& success, const std::string& fail) {
  JobTypeConfig t;
  t.name = "verify";
  t.notify_success = ParseNotifyRule(success).value().targets;
  t.notify_fail = ParseNotifyRule(fail).value().targets;
  return t;
}

TEST(NoticeTextTest, FailureGoesToNotifyFailTargets) {
  const Job job = FailedJob();
  auto notices = MakeNotices(Type("syslog", "mail a@x,b@y syslog:box"), job, job.started_at + 1500);
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_EQ(notices[0].target, "mail:a@x,b@y");
  EXPECT_TRUE(notices[0].failure);
  EXPECT_EQ(notices[0].subject, "[torque] FAIL job 17 verify fid:50");
  EXPECT_NE(notices[0].body.find("Job:       17\n"), std::string::npos) << notices[0].body;
  EXPECT_NE(notices[0].body.find("Attempts:  2 of 2\n"), std::string::npos);
  EXPECT_NE(notices[0].body.find("Duration:  1s500ms\n"), std::string::npos);
  EXPECT_NE(notices[0].body.find("\nError:\nline one\nchecksum mismatch\n"), std::string::npos);
  EXPECT_NE(notices[0].body.find("\nResult:\npartial output\n"), std::string::npos);
  EXPECT_EQ(notices[1].target, "syslog:box");
  EXPECT_EQ(notices[1].subject,
            "FAIL job 17 (verify fid:50) after 2/2 attempts in 1s500ms: line one checksum mismatch");
  EXPECT_EQ(notices[1].body, "");
  EXPECT_EQ(notices[1].next_at, job.started_at + 1500);
}

TEST(NoticeTextTest, SuccessRetryAndCancel) {
  Job job = FailedJob();
  const JobTypeConfig type = Type("syslog", "syslog");
  job.state = JobState::kDone;
  job.error.clear();
  auto notices = MakeNotices(type, job, job.started_at + 5);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_FALSE(notices[0].failure);
  EXPECT_EQ(notices[0].subject, "SUCCESS job 17 (verify fid:50) in 5ms");

  job.state = JobState::kQueued;  // a failure that is retried
  job.error = "boom";
  EXPECT_TRUE(MakeNotices(type, job, job.started_at).empty());
  JobTypeConfig every = type;
  every.notify_every_failure = true;
  notices = MakeNotices(every, job, job.started_at);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].subject, "RETRY job 17 (verify fid:50) after 2/2 attempts in 0s: boom");

  job.state = JobState::kCancelled;
  EXPECT_TRUE(MakeNotices(every, job, job.started_at).empty());
}

TEST(NoticeTextTest, LongArgsAndErrorsAreCut) {
  Job job = FailedJob();
  job.args = std::string(200, 'a');
  job.error = std::string(10000, 'e') + "\xc3\xa9" + "end";
  auto notices = MakeNotices(Type("", "mail a@x syslog"), job, job.started_at);
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_EQ(notices[0].subject, "[torque] FAIL job 17 verify " + std::string(80, 'a') + "...");
  EXPECT_LT(notices[0].body.size(), 4500u);
  EXPECT_NE(notices[0].body.find("\xc3\xa9" "end\n"), std::string::npos);
  EXPECT_LT(notices[1].subject.size(), 450u);
  EXPECT_EQ(Tail("abc\xc3\xa9", 2), "...\xc3\xa9");
  EXPECT_EQ(Tail("abc\xc3\xa9", 1), "...");
}

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override {
    notifier_.reset();
    store_.reset();
  }
  void Open() {
    notifier_.reset();
    store_.reset();
    auto opened = SqliteStore::Open(SqliteStoreOptions{dir_.File("torque.db")});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }
  void StartNotifier(Store* store = nullptr, int digest_after = 10) {
    NotifySettings settings;
    settings.retry_delay = 1000;
    settings.retry_max_delay = 4000;
    settings.give_up_after = 60'000;
    settings.digest_after = digest_after;
    notifier_ = std::make_unique<Notifier>(store ? *store : *store_, clock_, settings,
                                           delivery_.Fn());
    notifier_->Start();
  }
  // Inserts a job, runs it and records its failure with one notice per target.
  JobId FailJob(const std::string& targets) {
    NewJob nj;
    nj.type = "verify";
    nj.created_at = clock_.Now();
    auto ids = store_->Insert({nj});
    EXPECT_TRUE(ids.ok());
    auto claimed = store_->Claim("verify", 1, clock_.Now());
    EXPECT_TRUE(claimed.ok() && claimed->size() == 1u);
    Job job = claimed->front();
    job.state = JobState::kFailed;
    job.error = "boom";
    Outcome out;
    out.state = JobState::kFailed;
    out.error = "boom";
    out.finished_at = clock_.Now();
    out.notices = MakeNotices(Type("", targets), job, clock_.Now());
    EXPECT_TRUE(store_->Finish(job.id, out).ok());
    return job.id;
  }
  int64_t Pending() { return store_->PendingNotices().value().second; }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteStore> store_;
  ScriptedDelivery delivery_;
  std::unique_ptr<Notifier> notifier_;
};

TEST_F(NotifierTest, DeliversEachNoticeOnceAndEmptiesTheOutbox) {
  StartNotifier();
  FailJob("mail a@x syslog");
  EXPECT_EQ(Pending(), 2);
  notifier_->Sync();
  EXPECT_EQ(delivery_.count(), 2u);
  EXPECT_EQ(Pending(), 0);
  clock_.Advance(10'000);
  notifier_->Sync();
  notifier_->Sync();
  EXPECT_EQ(delivery_.count(), 2u);
  EXPECT_EQ(notifier_->stats().delivered, 2);
}

TEST_F(NotifierTest, FailedDeliveryIsRetriedWithBackoff) {
  delivery_.fail = Status::Unavailable("cannot connect");
  StartNotifier();
  FailJob("mail a@x");
  notifier_->Sync();
  ASSERT_EQ(delivery_.count(), 1u);
  auto due = store_->DueNotices(clock_.Now() + 1'000'000, 10).value();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].attempts, 1);
  EXPECT_EQ(due[0].next_at, clock_.Now() + 1000);
  EXPECT_EQ(due[0].last_error, "cannot connect");
  clock_.Advance(999);
  notifier_->Sync();
  EXPECT_EQ(delivery_.count(), 1u);  // not due yet
  clock_.Advance(1);
  notifier_->Sync();
  EXPECT_EQ(delivery_.count(), 2u);
  due = store_->DueNotices(clock_.Now() + 1'000'000, 10).value();
  EXPECT_EQ(due[0].next_at, clock_.Now() + 2000);  // doubled
  {
    std::lock_guard lock(delivery_.mu);
    delivery_.fail = Status::Ok();
  }
  clock_.Advance(2000);
  notifier_->Sync();
  EXPECT_EQ(delivery_.count(), 3u);
  EXPECT_EQ(Pending(), 0);
  EXPECT_EQ(notifier_->stats().failed_attempts, 2);
}

TEST_F(NotifierTest, GivesUpAfterGiveUpAfter) {
  delivery_.fail = Status::IoError("550 no such user");
  StartNotifier();
  FailJob("mail a@x");
  notifier_->Sync();
  for (int i = 0; i < 40 && Pending() > 0; ++i) {
    clock_.Advance(4000);
    notifier_->Sync();
  }
  EXPECT_EQ(Pending(), 0);
  EXPECT_EQ(notifier_->stats().dropped, 1);
  EXPECT_GE(delivery_.count(), 14u);  // 60 s of retries at most 4 s apart
}

TEST_F(NotifierTest, RestartNeitherLosesNorResends) {
  delivery_.fail = Status::Unavailable("down");
  StartNotifier();
  FailJob("syslog");
  notifier_->Sync();
  EXPECT_EQ(delivery_.count(), 1u);
  Open();  // a restart: the undelivered notice is still there
  EXPECT_EQ(Pending(), 1);
  {
    std::lock_guard lock(delivery_.mu);
    delivery_.fail = Status::Ok();
  }
  clock_.Advance(1000);
  StartNotifier();
  notifier_->Sync();
  EXPECT_EQ(delivery_.count(), 2u);
  Open();  // and once delivered it is gone for good
  EXPECT_EQ(Pending(), 0);
  StartNotifier();
  clock_.Advance(100'000);
  notifier_->Sync();
  EXPECT_EQ(delivery_.count(), 2u);
}

TEST_F(NotifierTest, DeliveredButNotRemovedIsNotDeliveredAgain) {
  FailingStore failing(*store_);
  failing.Fail(FailingStore::Kind::kNotice, Status::IoError("disk full"));
  StartNotifier(&failing);
  FailJob("syslog");
  notifier_->Sync();
  EXPECT_EQ(delivery_.count(), 1u);
  EXPECT_EQ(Pending(), 1);
  clock_.Advance(5000);
  notifier_->Sync();
  EXPECT_EQ(delivery_.count(), 1u);  // remembered as delivered
  failing.Heal();
  clock_.Advance(5000);
  notifier_->Sync();
  EXPECT_EQ(Pending(), 0);
  EXPECT_EQ(delivery_.count(), 1u);
}

TEST_F(NotifierTest, ABacklogForTheSameRecipientsGoesOutAsOneDigest) {
  delivery_.fail = Status::Unavailable("mail server down");
  // All due before the first pass, as after an outage.
  for (int i = 0; i < 5; ++i) FailJob("mail ops@x syslog");
  FailJob("mail other@x");
  StartNotifier(nullptr, /*digest_after=*/3);
  notifier_->Sync();
  // While the server is down: one digest attempt for ops@x, single attempts for the rest.
  std::vector<std::string> first;
  {
    std::lock_guard lock(delivery_.mu);
    first = delivery_.attempts;
    delivery_.attempts.clear();
    delivery_.fail = Status::Ok();
  }
  EXPECT_EQ(std::count_if(first.begin(), first.end(),
                          [](const std::string& a) { return a.rfind("mail:ops@x|", 0) == 0; }),
            1);
  EXPECT_EQ(first.size(), 1u + 5u + 1u);  // digest, 5 syslog lines, 1 mail to other@x
  clock_.Advance(1000);
  notifier_->Sync();
  std::vector<std::string> second;
  {
    std::lock_guard lock(delivery_.mu);
    second = delivery_.attempts;
  }
  EXPECT_EQ(std::count(second.begin(), second.end(),
                       "mail:ops@x|[torque] 5 notifications: 5 failure(s), 0 success(es)"),
            1);
  EXPECT_EQ(second.size(), 7u);
  EXPECT_EQ(Pending(), 0);
  EXPECT_EQ(notifier_->stats().delivered, 11);
}

TEST_F(NotifierTest, DigestBodyListsEveryNotice) {
  std::vector<Notice> notices(2);
  notices[0].subject = "[torque] FAIL job 1 a";
  notices[0].body = "Job:       1\n";
  notices[0].failure = true;
  notices[1].subject = "[torque] SUCCESS job 2 b";
  notices[1].body = "Job:       2\n";
  Notice got;
  NotifySettings settings;
  settings.digest_after = 1;
  auto notifier = std::make_unique<Notifier>(*store_, clock_, settings,
                                          [&](const NotifyTarget&, const Notice& n) {
                                            got = n;
                                            return Status::Ok();
                                          });
  for (int i = 1; i <= 2; ++i) {
    NewJob nj;
    nj.type = "verify";
    ASSERT_TRUE(store_->Insert({nj}).ok());
    auto claimed = store_->Claim("verify", 1, clock_.Now()).value();
    Outcome out;
    out.state = i == 1 ? JobState::kFailed : JobState::kDone;
    out.finished_at = clock_.Now();
    Notice n = notices[i - 1];
    n.job_id = claimed.front().id;
    n.target = "mail:a@x";
    n.created_at = n.next_at = clock_.Now();
    out.notices = {n};
    ASSERT_TRUE(store_->Finish(claimed.front().id, out).ok());
  }
  notifier->Start();
  notifier->Sync();
  notifier->Stop();
  EXPECT_EQ(got.subject, "[torque] 2 notifications: 1 failure(s), 1 success(es)");
  EXPECT_TRUE(got.failure);
  EXPECT_EQ(got.body,
            "2 notifications were due at once (after an outage of the mail server, or a burst "
            "of jobs); they come in one mail.\n"
            "\n[torque] FAIL job 1 a\n"
            "\n[torque] SUCCESS job 2 b\n"
            "\n------------------------------------------------------------\n"
            "[torque] FAIL job 1 a\n\nJob:       1\n"
            "\n------------------------------------------------------------\n"
            "[torque] SUCCESS job 2 b\n\nJob:       2\n");
  EXPECT_EQ(Pending(), 0);
}

TEST_F(NotifierTest, RecoveryStoresTheNoticesOfJobsItFails) {
  NewJob nj;
  nj.type = "verify";
  ASSERT_TRUE(store_->Insert({nj}).ok());
  ASSERT_EQ(store_->Claim("verify", 1, clock_.Now()).value().size(), 1u);
  Open();  // the daemon died with the job running; crash_retries = 0 fails it
  const JobTypeConfig type = Type("", "syslog:box");
  auto report = store_->Recover(clock_.Now(), 0, [&](const Job& job) {
    return MakeNotices(type, job, clock_.Now());
  });
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->failed.size(), 1u);
  auto due = store_->DueNotices(clock_.Now(), 10).value();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].target, "syslog:box");
  EXPECT_NE(due[0].subject.find("interrupted by a daemon crash 1 times"), std::string::npos)
      << due[0].subject;
}

}  // namespace
}  // namespace torque::server
