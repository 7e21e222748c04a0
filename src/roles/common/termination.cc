#include "roles/common/termination.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

namespace wanderluxe {
namespace {

sigset_t TerminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A peer closing a socket must not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

std::optional<int> WaitForTermination(std::chrono::milliseconds timeout) {
  sigset_t set = TerminationSet();
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>((timeout.count() % 1000) * 1'000'000)};
  const int signo = sigtimedwait(&set, nullptr, &ts);
  if (signo < 0) return std::nullopt;  // EAGAIN: timed out; EINTR: woken, look again
  return signo;
}

}  // namespace wanderluxe
