// Main thread. Everything the process writes to stderr passes through `redactSecrets`: the
// logger's destination and the lines written before the logger is loaded. Values come from the
// environment and from the store (an endpoint with user:password@, a URL with a token in its
// query), so redacting at the one exit is the only way to be sure none leaks.

// A URL's userinfo: everything between `scheme://` and the last `@` before the host ends.
const userinfo = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s\\/?#"'<>]*@/gi;
// A URL's query string. Backslashes end the match so that JSON escapes stay intact.
const query = /\b([a-z][a-z0-9+.-]*:\/\/[^\s\\?#"'<>]*)\?[^\s\\#"'<>]*/gi;
// A credential in the query of a path (the refresh endpoint's `token`, presigned signatures).
const credentialParameter = /([?&](?:token|access_token|x-amz-signature|x-amz-credential|signature)=)[^&\s\\#"'<>]*/gi;

export function redactSecrets(text: string): string {
  return text.replace(userinfo, '$1REDACTED@').replace(query, '$1?REDACTED').replace(credentialParameter, '$1REDACTED');
}

export type LineLevel = 'info' | 'warn' | 'error' | 'fatal';

/**
 * One JSON line in the logger's format, for the moments before pino is loaded (it loads while the
 * fetch worker starts) or when it cannot be trusted (an internal fault).
 */
export function writeLogLine(level: LineLevel, msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, time: new Date().toISOString(), pid: process.pid, ...fields, msg });
  process.stderr.write(`${redactSecrets(line)}\n`);
}
