// Linked by .ci/musl.sh into the musl libstdc++.so.6 that Bun's musl build needs at run time (made
// from Debian's glibc-configured libstdc++_pic.a): the symbols it takes from glibc that musl lacks.
// Bun's dependency only; tapegrad's addon does not use this library.
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
char __libc_single_threaded = 0;
int __cxa_atexit(void (*)(void *), void *, void *);
int __cxa_thread_atexit_impl(void (*f)(void *), void *obj, void *dso) { return __cxa_atexit(f, obj, dso); }
size_t __strftime_l(char *s, size_t n, const char *f, const struct tm *t, locale_t l) { return strftime_l(s, n, f, t, l); }
int _dl_find_object(void *pc, void *result) { return -1; }
uint32_t arc4random(void) {
  uint32_t v = 0;
  getrandom(&v, sizeof v, 0);
  return v;
}
void _ZNSi6ignoreEl(void) { abort(); }
void _ZNSt13basic_istreamIwSt11char_traitsIwEE6ignoreEl(void) { abort(); }
