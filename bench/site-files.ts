// The bench's sites: N files of a web site (HTML, CSS, JS, PNG; 1-200 KB, about 20 KB on average),
// the same in every process that needs them (the store that serves them, nginx's directory), made
// from a seeded generator. A file's bytes depend on its path and its version only.
import { createHash } from 'node:crypto';

export interface SiteFile {
  path: string;
  size: number;
  contentType: string;
}

const kinds = [
  { extension: 'html', contentType: 'text/html; charset=utf-8', text: true },
  { extension: 'css', contentType: 'text/css', text: true },
  { extension: 'js', contentType: 'text/javascript', text: true },
  { extension: 'png', contentType: 'image/png', text: false },
] as const;

/** A small deterministic generator (mulberry32), so every process makes the same site. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * `count` files; sizes log-uniform from 1 KB to 200 KB, scaled to `meanBytes` on average. `uniform`:
 * every file `meanBytes` of an image (no compression), for start-up figures.
 */
export function siteFiles(count: number, meanBytes = 20_000, { uniform = false } = {}): SiteFile[] {
  if (uniform) return Array.from({ length: count }, (_, index) => ({ path: `png/${String(index).padStart(5, '0')}.png`, size: meanBytes, contentType: 'image/png' }));
  const next = random(count);
  const files = Array.from({ length: count }, (_, index) => {
    const kind = kinds[index % kinds.length]!;
    const size = Math.round(1_000 * 200 ** next());
    return { path: `${kind.extension}/${String(index).padStart(5, '0')}.${kind.extension}`, size, contentType: kind.contentType };
  });
  const scale = (meanBytes * count) / files.reduce((sum, file) => sum + file.size, 0);
  for (const file of files) file.size = Math.max(1_000, Math.min(200_000, Math.round(file.size * scale)));
  return files;
}

/** `size` same-sized bytes of `path` at `version`: text that compresses as pages do, or noise as images are. */
export function fileBody(file: SiteFile, version: number): Buffer {
  if (file.contentType.startsWith('image/')) {
    const noise = Buffer.alloc(file.size);
    let block = createHash('sha256').update(`${file.path}@${version}`).digest();
    for (let offset = 0; offset < file.size; offset += block.length) {
      block.copy(noise, offset);
      block = createHash('sha256').update(block).digest();
    }
    return noise;
  }
  const line = `<div class="row-${version}">${file.path} version ${version}: the quick brown fox jumps over the lazy dog</div>\n`;
  return Buffer.from(line.repeat(Math.ceil(file.size / line.length))).subarray(0, file.size);
}
