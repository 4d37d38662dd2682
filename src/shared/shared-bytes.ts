// Fetch worker and serving threads. Object bytes live in shared memory: the fetch worker writes
// them once, and every thread that serves them wraps the same memory, so N serving threads cost
// one copy of the object, not N. The memory is freed once no thread references it.

/** A copy of `bytes` in shared memory. */
export function toSharedBytes(bytes: Uint8Array): SharedArrayBuffer {
  const shared = new SharedArrayBuffer(bytes.byteLength);
  new Uint8Array(shared).set(bytes);
  return shared;
}
