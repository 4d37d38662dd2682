// Serving thread. Short plain-text responses, built once: bodies and headers never change.
import type { ServerResponse } from 'node:http';

export interface PlainResponse {
  readonly status: number;
  readonly headers: string[];
  readonly body: Buffer;
}

export function plainResponse(status: number, text: string, extraHeaders: string[] = []): PlainResponse {
  const body = Buffer.from(`${text}\n`);
  return {
    status,
    headers: ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(body.byteLength), ...extraHeaders],
    body,
  };
}

/** Sends `response` and returns its status, for the request counter. */
export function send(res: ServerResponse, response: PlainResponse): number {
  res.writeHead(response.status, response.headers);
  res.end(response.body);
  return response.status;
}

export const notFound = plainResponse(404, 'Not Found');
export const methodNotAllowed = plainResponse(405, 'Method Not Allowed', ['Allow', 'GET, HEAD']);
