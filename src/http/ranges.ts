// Serving thread. Range (RFC 9110 §14.2): which bytes of a representation a request asks for.
// Like nginx, many ranges (more than `maxParts`) or overlapping ones get the whole
// representation (200), which is always allowed; a header that cannot be parsed is ignored.

export type ByteRange = readonly [first: number, last: number];

export type RangePlan =
  /** Serve these parts (206). */
  | { kind: 'parts'; parts: ByteRange[] }
  /** None of the ranges overlaps the representation (416). */
  | { kind: 'unsatisfiable' }
  /** Serve the whole representation (200): no usable Range header. */
  | { kind: 'whole' };

export const maxParts = 16;

const whole: RangePlan = { kind: 'whole' };
const rangeSpec = /^(\d*)-(\d*)$/;

export function planRanges(header: string, length: number): RangePlan {
  const equals = header.indexOf('=');
  if (equals === -1 || header.slice(0, equals).trim().toLowerCase() !== 'bytes') return whole;
  const parts: ByteRange[] = [];
  let specs = 0;
  for (const item of header.slice(equals + 1).split(',')) {
    const spec = item.trim();
    if (spec === '') continue;
    specs++;
    const match = rangeSpec.exec(spec);
    if (!match || (match[1] === '' && match[2] === '')) return whole;
    const [, firstText = '', lastText = ''] = match;
    if (firstText === '') {
      // A suffix: the last N bytes.
      const suffix = Number(lastText);
      if (suffix > 0 && length > 0) parts.push([Math.max(0, length - suffix), length - 1]);
      continue;
    }
    const first = Number(firstText);
    if (lastText !== '' && Number(lastText) < first) return whole; // an invalid range-spec invalidates the header
    if (first < length) parts.push([first, lastText === '' ? length - 1 : Math.min(Number(lastText), length - 1)]);
  }
  if (specs === 0) return whole;
  if (parts.length === 0) return { kind: 'unsatisfiable' };
  if (parts.length > maxParts || overlaps(parts)) return whole;
  return { kind: 'parts', parts };
}

function overlaps(parts: readonly ByteRange[]): boolean {
  const sorted = [...parts].sort((a, b) => a[0] - b[0]);
  return sorted.some((part, index) => index > 0 && part[0] <= sorted[index - 1]![1]);
}
