// A bench-only S3 responder for prefix mode: ListObjectsV2 (1000 keys a page, continuation tokens)
// and conditional GetObject (If-Match, If-None-Match) over a site made by bench/site-files.ts,
// with MD5 ETags the integrity check verifies. CHANGES_PER_SECOND of its files get a new version
// each second (a deploy trickling in, or a busy site); `POST /__change` changes the next one now.
// Every body is made before the endpoint is printed, so that the store spends nothing per GET. It stands in for a store whose own cost is
// negligible, so that the figures measure the service: s3rver cannot list past 1000 keys, and on
// two cores its per-request work would share the cores with the service. The service talks to it
// with its real S3 client. Prints its endpoint; runs until SIGTERM.
//
//   node bench/site-store.ts FILE_COUNT MEAN_BYTES CHANGES_PER_SECOND [--uniform]
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { fileBody, siteFiles, type SiteFile } from './site-files.ts';

const [count, meanBytes, changesPerSecond] = process.argv.slice(2, 5).map(Number);
const prefix = 'site/';
const files = siteFiles(count!, meanBytes!, { uniform: process.argv.includes('--uniform') });
const byKey = new Map(files.map((file) => [prefix + file.path, file]));
const versions = new Map<string, { version: number; body: Buffer; etag: string; lastModified: string }>();

function setVersion(file: SiteFile, version: number): void {
  const body = fileBody(file, version);
  versions.set(prefix + file.path, { version, body, etag: `"${createHash('md5').update(body).digest('hex')}"`, lastModified: new Date().toUTCString() });
}
for (const file of files) setVersion(file, 0);
const current = (file: SiteFile) => versions.get(prefix + file.path)!;

let nextToChange = 0;
const changeNext = () => {
  const file = files[nextToChange++ % files.length]!;
  setVersion(file, current(file).version + 1);
};
if (changesPerSecond! > 0) {
  setInterval(() => {
    for (let changed = 0; changed < changesPerSecond!; changed++) changeNext();
  }, 1000).unref();
}

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function listing(query: URLSearchParams): string {
  const wanted = query.get('prefix') ?? '';
  const keys = [...byKey.keys()].filter((key) => key.startsWith(wanted)).sort();
  const start = Number(query.get('continuation-token') ?? 0);
  const page = keys.slice(start, start + Number(query.get('max-keys') ?? 1000));
  const truncated = start + page.length < keys.length;
  const contents = page.map((key) => {
    const entry = current(byKey.get(key)!);
    return `<Contents><Key>${escapeXml(key)}</Key><LastModified>${new Date(entry.lastModified).toISOString()}</LastModified><ETag>${escapeXml(entry.etag)}</ETag><Size>${entry.body.byteLength}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
  });
  return (
    '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Name>bench</Name><Prefix>${escapeXml(wanted)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>1000</MaxKeys>` +
    `<IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${start + page.length}</NextContinuationToken>` : ''}` +
    `${contents.join('')}</ListBucketResult>`
  );
}

const server = createServer((req, res) => {
  req.resume();
  const url = new URL(req.url!, 'http://store');
  if (req.method === 'POST' && url.pathname === '/__change') {
    changeNext();
    res.writeHead(204).end();
    return;
  }
  if (req.method !== 'GET') {
    res.writeHead(405).end();
    return;
  }
  if (url.searchParams.get('list-type') === '2') {
    const body = Buffer.from(listing(url.searchParams));
    res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': body.byteLength }).end(body);
    return;
  }
  const key = decodeURIComponent(url.pathname.split('/').slice(2).join('/')); // /bucket/key
  const file = byKey.get(key);
  if (file === undefined) {
    const body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>';
    res.writeHead(404, { 'Content-Type': 'application/xml' }).end(body);
    return;
  }
  const entry = current(file);
  const ifMatch = req.headers['if-match'];
  if (ifMatch !== undefined && ifMatch !== entry.etag) {
    res.writeHead(412, { 'Content-Type': 'application/xml' }).end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>changed</Message></Error>');
    return;
  }
  if (req.headers['if-none-match'] === entry.etag) {
    res.writeHead(304, { ETag: entry.etag }).end();
    return;
  }
  res.writeHead(200, {
    'Content-Type': file.contentType,
    'Content-Length': entry.body.byteLength,
    ETag: entry.etag,
    'Last-Modified': entry.lastModified,
  });
  res.end(entry.body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
