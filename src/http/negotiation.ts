// Serving thread. Content negotiation. Accept-Encoding (RFC 9110 §12.5.3): which of the prepared
// encodings a client gets. The highest q wins; on a tie the server's order (COMPRESSION's, then
// identity) decides.
// `identity` is acceptable unless excluded (`identity;q=0`, or `*;q=0` without an entry for it),
// but when not named it ranks below any coding the client names (`gzip;q=0.8` means: gzip, please).
// When nothing offered is acceptable the client still gets identity, as nginx does, not a 406.

/** Each item of an Accept-style list with its q (1 unless given; unreadable: 0, not wanted). */
function weightsOf(header: string): Map<string, number> {
  const weights = new Map<string, number>();
  for (const item of header.split(',')) {
    const [name = '', ...parameters] = item.split(';').map((part) => part.trim());
    if (name === '') continue;
    let q = 1;
    for (const parameter of parameters) {
      const match = /^q=([0-9](?:\.[0-9]{0,3})?)$/i.exec(parameter);
      if (parameter.toLowerCase().startsWith('q=')) q = match ? Math.min(1, Number(match[1])) : 0;
    }
    weights.set(name.toLowerCase(), q);
  }
  return weights;
}

export function chooseEncoding<E extends string>(acceptEncoding: string | undefined, offered: readonly E[]): E | 'identity' {
  // No header: any coding is allowed, but a client that asks for nothing gets the plain bytes.
  if (acceptEncoding === undefined || offered.length === 0) return 'identity';
  const weights = weightsOf(acceptEncoding);
  const wildcard = weights.get('*');
  const unnamedIdentity = 0.001; // the lowest weight HTTP can write, still acceptable
  const weightOf = (coding: string) => weights.get(coding) ?? (coding === 'identity' ? (wildcard ?? unnamedIdentity) : (wildcard ?? 0));
  let chosen: E | 'identity' = 'identity';
  let best = weightOf('identity');
  for (const coding of offered) {
    const q = weightOf(coding);
    // Offered codings come first in the server's order, so only a strictly better q displaces one,
    // and a compressed coding beats identity on a tie.
    if (q > 0 && (q > best || (q === best && chosen === 'identity'))) {
      chosen = coding;
      best = q;
    }
  }
  return chosen;
}

/**
 * Whether a request is a browser's navigation to a page: `Sec-Fetch-Mode: navigate` where fetch
 * metadata is sent, else an Accept that names text/html with the highest q it gives anything (a
 * browser's `text/html,...,*\/*;q=0.8`, not curl's `*\/*` nor a script's `application/json`).
 */
export function isNavigation(secFetchMode: string | undefined, accept: string | undefined): boolean {
  if (secFetchMode !== undefined) return secFetchMode === 'navigate';
  if (accept === undefined) return false;
  const weights = weightsOf(accept);
  const html = weights.get('text/html') ?? 0;
  return html > 0 && html >= Math.max(...weights.values());
}
