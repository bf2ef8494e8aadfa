// A bounded pool of mapped regions for large uninitialised buffers (1–32 MiB).
//
// Why: a fresh V8 ArrayBuffer of this size is malloc'd memory that glibc returns to the kernel when V8
// frees it (munmap), so every new one faults its pages in again, which costs more than the op that
// fills it. Here the memory stays mapped (and its pages resident) between buffers.
//
// How a region comes back: each buffer is an external ArrayBuffer over a region, watched through a
// weak N-API reference. V8 clears that reference during GC when the ArrayBuffer object dies, so the
// next allocation on the same thread sees it empty and reuses the region, even in a synchronous loop
// that never yields to the event loop (the N-API finalizer of an external buffer would only run on the
// next event-loop turn). The object's death is enough because nothing else can reach the memory:
// - views (typed arrays, Buffers) keep the ArrayBuffer object alive;
// - Node marks external ArrayBuffers untransferable, so postMessage and structuredClone copy them
//   instead of moving the memory to another object (the JS side turns the pool off where
//   ArrayBuffer.prototype.transfer exists, since that could move it);
// - a detached ArrayBuffer no longer points at the region at all.
// When a thread's environment shuts down (worker exit), Node has already detached its external
// ArrayBuffers (their cleanup hooks were added after ours, so they run first) and its regions go back
// to the pool.
//
// Bounds: all regions together (live and free) never exceed kPoolBytes; past that, or when mapping
// fails, uninitBuffer returns undefined and the caller allocates an ordinary ArrayBuffer. Free
// regions that do not fit a request are unmapped, oldest first, to make room.
#include <napi.h>

#include <cstdint>
#include <mutex>
#include <vector>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define TG_POOL 1
#elif defined(_WIN32)
#include "../platform.h"  // <windows.h>: VirtualAlloc
#define TG_POOL 1
#endif

#include "../validate.h"

namespace tg {
namespace {

constexpr size_t kMinBytes = size_t(1) << 20;
constexpr size_t kMaxBytes = size_t(32) << 20;
constexpr size_t kPoolBytes = size_t(128) << 20;
constexpr size_t kHuge = size_t(2) << 20;
constexpr size_t kGrain = size_t(64) << 10;

struct Region {
  char* base;
  size_t bytes;
};

// The mapped length for a buffer of `bytes`: from 2 MiB on, whole 2 MiB huge pages, and a last partial
// one of 1 MiB or more also as a whole huge page (so at most 1 MiB is spent on rounding); below 2 MiB,
// 64 KiB granules.
size_t region_bytes(size_t bytes) {
  const size_t full = bytes & ~(kHuge - 1), tail = bytes - full;
  if (full > 0 && tail >= kHuge / 2) return full + kHuge;
  return full + ((tail + kGrain - 1) & ~(kGrain - 1));
}

#if TG_POOL && defined(_WIN32)
// Committed pages straight from VirtualAlloc (64 KiB aligned, the allocation granularity, which
// region_bytes rounds to). No huge pages: Windows' large pages need SeLockMemoryPrivilege.
bool map_region(size_t bytes, Region* out) {
  void* p = VirtualAlloc(nullptr, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  if (!p) return false;
  *out = Region{static_cast<char*>(p), bytes};
  return true;
}

void unmap_region(const Region& r) { VirtualFree(r.base, 0, MEM_RELEASE); }
#elif TG_POOL
// A region starting on a 2 MiB boundary, its whole 2 MiB pages advised as transparent huge pages.
bool map_region(size_t bytes, Region* out) {
  void* p = mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  const uintptr_t raw = reinterpret_cast<uintptr_t>(p);
  const uintptr_t lo = (raw + kHuge - 1) & ~uintptr_t(kHuge - 1);
  if (lo > raw) munmap(p, lo - raw);
  if (raw + kHuge > lo) munmap(reinterpret_cast<void*>(lo + bytes), raw + kHuge - lo);
#if defined(MADV_HUGEPAGE)
  if (bytes >= kHuge) madvise(reinterpret_cast<void*>(lo), bytes & ~(kHuge - 1), MADV_HUGEPAGE);
#endif
  *out = Region{reinterpret_cast<char*>(lo), bytes};
  return true;
}

void unmap_region(const Region& r) { munmap(r.base, r.bytes); }
#endif

// The regions of the whole process: every thread (worker) that loads the addon shares them.
class Regions {
 public:
  // A free region for a buffer of `bytes` (at most 1/8 larger than needed, the most recently freed of
  // the best fit), else a newly mapped one if the pool has room. False when neither.
  bool acquire(size_t bytes, Region* out) {
#if TG_POOL
    const size_t need = region_bytes(bytes);
    std::vector<Region> evicted;
    {
      std::lock_guard<std::mutex> lock(mu_);
      size_t best = free_.size();
      for (size_t i = 0; i < free_.size(); i++) {
        const size_t b = free_[i].bytes;
        if (b >= need && b - need <= need / 8 && (best == free_.size() || b <= free_[best].bytes)) best = i;
      }
      if (best < free_.size()) {
        *out = free_[best];
        free_bytes_ -= out->bytes;
        free_.erase(free_.begin() + ptrdiff_t(best));
        reused_++;
        return true;
      }
      size_t drop = 0;
      while (drop < free_.size() && mapped_ + need > kPoolBytes) {
        mapped_ -= free_[drop].bytes;
        free_bytes_ -= free_[drop].bytes;
        evicted.push_back(free_[drop++]);
      }
      free_.erase(free_.begin(), free_.begin() + ptrdiff_t(drop));
      if (mapped_ + need > kPoolBytes) {
        refused_++;
        for (const Region& r : evicted) unmap_region(r);
        return false;
      }
      mapped_ += need;
      mapped_count_++;
    }
    for (const Region& r : evicted) unmap_region(r);
    if (map_region(need, out)) return true;
    std::lock_guard<std::mutex> lock(mu_);
    mapped_ -= need;
    refused_++;
#else
    (void)bytes;
    (void)out;
#endif
    return false;
  }

  void release(const Region& r) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(r);
    free_bytes_ += r.bytes;
  }

  void stats(Napi::Object o) {
    std::lock_guard<std::mutex> lock(mu_);
    Napi::Env env = o.Env();
    o["mappedBytes"] = Napi::Number::New(env, double(mapped_));
    o["freeBytes"] = Napi::Number::New(env, double(free_bytes_));
    o["maxBytes"] = Napi::Number::New(env, double(kPoolBytes));
    o["mapped"] = Napi::Number::New(env, double(mapped_count_));
    o["reused"] = Napi::Number::New(env, double(reused_));
    o["refused"] = Napi::Number::New(env, double(refused_));
  }

 private:
  std::mutex mu_;
  std::vector<Region> free_;  // oldest first
  size_t mapped_ = 0, free_bytes_ = 0;
  double mapped_count_ = 0, reused_ = 0, refused_ = 0;
};

Regions& regions() {
  static Regions* r = new Regions();  // never destroyed: worker threads may outlive static teardown
  return *r;
}

// The buffers one environment (the main thread or a worker) has handed out and not yet seen die.
// Only that environment's JS thread touches it.
struct EnvPool {
  napi_env env;
  struct Lease {
    napi_ref ref;  // weak: empty once GC has collected the ArrayBuffer object
    Region region;
  };
  std::vector<Lease> live;

  // Reports a region to V8 as external memory while its buffer is live or not yet collected. V8 also
  // counts each ArrayBuffer's bytes, but that count does not start a GC: in a loop that allocates
  // little JS memory, scavenges are rare and the pool would fill with dead but uncollected buffers
  // (measured: 810 of 102,000 1 MiB buffers reused without this, 2,687 with it).
  void account(const Region& r, int sign) { napi_adjust_external_memory(env, sign * int64_t(r.bytes), nullptr); }

  void reclaim_dead() {
    for (size_t i = 0; i < live.size();) {
      napi_value v = nullptr;
      if (napi_get_reference_value(env, live[i].ref, &v) == napi_ok && v == nullptr) {
        napi_delete_reference(env, live[i].ref);
        account(live[i].region, -1);
        regions().release(live[i].region);
        live[i] = live.back();
        live.pop_back();
      } else {
        i++;
      }
    }
  }

  static void teardown(void* arg) {
    EnvPool* self = static_cast<EnvPool*>(arg);
    for (const Lease& l : self->live) {
      napi_delete_reference(self->env, l.ref);
      regions().release(l.region);
    }
    delete self;
  }
};

// uninitBuffer(bytes): an ArrayBuffer of exactly `bytes` (1–32 MiB) with unspecified contents, 2 MiB
// aligned, from the pool; undefined when the pool cannot serve it (the caller allocates normally).
Napi::Value UninitBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t bytes = size_t(get_int(info, 0, "uninitBuffer", "bytes", int64_t(kMinBytes), int64_t(kMaxBytes)));
  EnvPool* pool = static_cast<EnvPool*>(info.Data());
  pool->reclaim_dead();
  Region r;
  if (!regions().acquire(bytes, &r)) return env.Undefined();
  napi_value ab;
  napi_ref ref;
  if (napi_create_external_arraybuffer(env, r.base, bytes, nullptr, nullptr, &ab) != napi_ok) {
    regions().release(r);
    return env.Undefined();
  }
  if (napi_create_reference(env, ab, 0, &ref) != napi_ok) {
    // The ArrayBuffer exists but cannot be watched: detach it so its memory is never reachable.
    napi_detach_arraybuffer(env, ab);
    regions().release(r);
    return env.Undefined();
  }
  pool->live.push_back({ref, r});
  pool->account(r, +1);
  return Napi::Value(env, ab);
}

// bufferPoolStats(): the process-wide pool's sizes and counters, and this thread's live buffers.
Napi::Value BufferPoolStats(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  regions().stats(o);
  o["live"] = Napi::Number::New(info.Env(), double(static_cast<EnvPool*>(info.Data())->live.size()));
  return o;
}

}  // namespace

void register_buffer_pool(Napi::Env env, Napi::Object exports) {
  EnvPool* pool = new EnvPool{env, {}};
  napi_add_env_cleanup_hook(env, EnvPool::teardown, pool);
  exports["uninitBuffer"] = Napi::Function::New(env, UninitBuffer, "uninitBuffer", pool);
  exports["bufferPoolStats"] = Napi::Function::New(env, BufferPoolStats, "bufferPoolStats", pool);
}

}  // namespace tg
