// The ledger under kill -9: a child process appends charges and reports each acknowledged one
// through a pipe; the parent kills it mid-stream, reopens the store, and finds every acknowledged
// entry exactly once, with spend counters equal to the sum of the entries.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "ads/ads_test_world.h"
#include "ads/ledger.h"

namespace foryou::ads {
namespace {

class LedgerKillTest : public AdsWorldTest {};

// The child: appends i0, i1, ... (each synced) and writes each acknowledged index to `fd`.
[[noreturn]] void AppendForever(const std::string& dir, int fd) {
  absl::StatusOr<std::unique_ptr<AdsStore>> store = AdsStore::Open(dir);
  if (!store.ok()) _exit(2);
  Ledger ledger(store->get());
  if (!ledger.Load().ok()) _exit(3);
  for (int32_t i = 0;; ++i) {
    LedgerEntry e;
    e.event_id = absl::StrCat("i", i);
    e.user = absl::StrCat("u", i % 7);
    e.account = "a1";
    e.campaign = "c1";
    e.ad_group = "g1";
    e.ad = "d1";
    e.time_ms = kTestT0 + i;
    e.charge_micros = 1'000 + i % 3;
    absl::StatusOr<bool> r = ledger.Append(e, BudgetLimits{});  // false: there from a past round
    if (!r.ok()) _exit(4);
    if (write(fd, &i, sizeof(i)) != sizeof(i)) _exit(5);
  }
}

TEST_F(LedgerKillTest, KilledMidAppendLosesAndDoublesNothing) {
  store_.reset();  // the child owns the database until it dies
  for (int round = 0; round < 8; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      AppendForever(dir_, fds[1]);
    }
    close(fds[1]);
    // Kill after a round-dependent number of acknowledgements, while it is mid-stream.
    std::set<int32_t> acked;
    int32_t i = 0;
    while (static_cast<int>(acked.size()) < 40 + 25 * round &&
           read(fds[0], &i, sizeof(i)) == sizeof(i)) {
      acked.insert(i);
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    while (read(fds[0], &i, sizeof(i)) == sizeof(i)) acked.insert(i);
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);

    OpenStore();
    Ledger ledger(store_.get());
    ASSERT_TRUE(ledger.Load().ok());
    std::set<std::string> ids;
    int64_t sum = 0;
    uint64_t last_seq = 0;
    ASSERT_TRUE(ledger.ForEach("a1", [&](const LedgerEntry& e) {
      EXPECT_TRUE(ids.insert(e.event_id).second) << "twice: " << e.event_id;
      EXPECT_GT(e.seq, last_seq);
      last_seq = e.seq;
      sum += e.charge_micros;
      return true;
    }).ok());
    for (int32_t a : acked) EXPECT_TRUE(ids.contains(absl::StrCat("i", a))) << "lost i" << a;
    const Spend s = ledger.SpentOf("c1", "g1", kTestT0);
    EXPECT_EQ(s.group_total, sum);
    EXPECT_EQ(s.campaign_day, sum);
    EXPECT_EQ(ledger.Events("g1", EventKind::kImpression), static_cast<int64_t>(ids.size()));
    store_.reset();
    // The next round's child starts again from i0: every id is already there but the ones past
    // the kill, and an existing id is never appended twice.
  }
}

}  // namespace
}  // namespace foryou::ads
