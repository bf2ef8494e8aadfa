#include "parallel.h"

#include <node_api.h>

#include "platform.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace tg {
namespace {

thread_local bool t_in_pool_job = false;

class Pool {
 public:
  explicit Pool(int n) { start(n); }
  ~Pool() { stop(); }

  int size() const { return int(workers_.size()) + 1; }

  bool workers_ended() {
    for (auto& t : workers_)
      if (thread_ended(t)) return true;
    return false;
  }

  void resize(int n) {
    std::lock_guard<std::mutex> call(call_mutex_);
    stop();
    start(n);
  }

  // Returns false when the pool is busy (a call from another JS thread): the caller runs inline.
  bool run(ptrdiff_t nblocks, const std::function<void(ptrdiff_t, ptrdiff_t)>& fn) {
    std::unique_lock<std::mutex> call(call_mutex_, std::try_to_lock);
    if (!call.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lk(m_);
      job_ = &fn;
      env_ = FpEnv::current();
      total_ = nblocks;
      next_.store(0);
      pending_ = int(workers_.size());
      ++generation_;
    }
    cv_.notify_all();
    work();
    std::unique_lock<std::mutex> lk(m_);
    done_cv_.wait(lk, [&] { return pending_ == 0; });
    job_ = nullptr;
    return true;
  }

 private:
  void work() {
    t_in_pool_job = true;
    for (;;) {
      ptrdiff_t b = next_.fetch_add(1);
      if (b >= total_) break;
      (*job_)(b, b + 1);
    }
    t_in_pool_job = false;
  }

  // `seen` starts at the generation current when the worker was created, so a worker added by
  // resize() never mistakes an old job for a new one.
  // Each job runs in the caller's floating-point environment (platform.h: FpEnv), not the one the
  // thread library started the worker with.
  void loop(uint64_t seen) {
    for (;;) {
      FpEnv env;
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return quit_ || generation_ != seen; });
        if (quit_) return;
        seen = generation_;
        env = env_;
      }
      if (env != FpEnv::current()) env.apply();
      work();
      std::lock_guard<std::mutex> lk(m_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }

  void start(int n) {
    quit_ = false;
    const uint64_t g = generation_;
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, g] { loop(g); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(m_);
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::mutex call_mutex_, m_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  const std::function<void(ptrdiff_t, ptrdiff_t)>* job_ = nullptr;
  FpEnv env_;
  std::atomic<ptrdiff_t> next_{0};
  ptrdiff_t total_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool quit_ = false;
};

int default_threads() {
  if (const char* env = std::getenv("TAPEGRAD_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1 && n <= 1024) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : int(hc);
}

// One pool per JS thread (the main thread and each worker_threads Worker), so setNumThreads in one
// never changes another's. It is made on first use and joined by an environment cleanup hook, which
// Node runs on that JS thread when its environment is torn down (worker exit, main thread exit), not
// by a thread_local destructor: on Windows (MinGW-w64) those run at thread detach, where joining and
// destroying the pool's mutex and condition variables hung Worker.terminate(). Not joined at process
// exit on Windows if ExitProcess has already ended the workers, maybe inside the pool's locks
// (platform.h: thread_ended); that pool is left to the OS.
thread_local Pool* t_pool = nullptr;

Pool& pool() {
  if (!t_pool) t_pool = new Pool(default_threads());
  return *t_pool;
}

void release_pool(void*) {
  Pool* p = t_pool;
  t_pool = nullptr;
  if (p && !p->workers_ended()) delete p;
}

}  // namespace

void parallel_for_pool(ptrdiff_t nblocks, const std::function<void(ptrdiff_t, ptrdiff_t)>& fn) {
  if (nblocks <= 0) return;
  if (nblocks == 1 || t_in_pool_job || pool().size() == 1 || !pool().run(nblocks, fn)) {
    fn(0, nblocks);
  }
}

void bind_pool_to_env(napi_env env) { napi_add_env_cleanup_hook(env, release_pool, nullptr); }

void set_num_threads(int n) { pool().resize(std::max(1, n)); }
int get_num_threads() { return pool().size(); }

}  // namespace tg
