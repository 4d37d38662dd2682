// Every thread, through src/shared/memory-policy.ts. glibc's malloc_trim(0) as a Node-API addon:
// what threads free stays in the C heap for their next allocations, and glibc gives back on its own
// only the top of each heap, so after a burst of allocations most of it stays resident. This
// returns every free page in every thread's heap (docs/memory.md). scripts/build.ts compiles it
// into dist/malloc-trim.node where a C compiler exists; without it the service runs as before.
#define NAPI_VERSION 8
#include <node_api.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

// trim(): true if pages were returned. Other C libraries (musl) have no such call: always false.
static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
#ifdef __GLIBC__
  const int returned = malloc_trim(0);
#else
  const int returned = 0;
#endif
  napi_value result;
  napi_get_boolean(env, returned == 1, &result);
  return result;
}

// Context-aware, so that worker threads can load it too.
NAPI_MODULE_INIT() {
  napi_value function;
  napi_create_function(env, "trim", NAPI_AUTO_LENGTH, trim, NULL, &function);
  napi_set_named_property(env, exports, "trim", function);
  return exports;
}
