// Fetch worker. Replacing a file so that a reader, or a process killed at any point, sees the old
// file or the new one, never a mix (CACHE_FILE and its confirmation).
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';

let temporaryCounter = 0;

/** Replaces `path` with `chunks`: temporary file in the same directory (0600), fsync, rename, fsync of the directory. */
export async function writeAtomically(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}-${threadId}-${temporaryCounter++}.tmp`);
  const file = await open(temporary, 'wx', 0o600);
  try {
    for (const chunk of chunks) await file.write(chunk);
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await file.close();
  await rename(temporary, path);
  // The rename itself reaches the disk only with the directory's own fsync.
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

