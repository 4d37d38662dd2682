// The small site `npm run demo -- --site` serves from a prefix: a home page linking a stylesheet
// and an image, a sub-folder with its own index, a not-found page, and the marker a deployer writes last.
const page = (title: string, body: string) =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title><link rel="stylesheet" href="/style.css"></head>\n<body>${body}</body></html>\n`;

export const demoSite: Record<string, { body: string; contentType: string }> = {
  'index.html': {
    contentType: 'text/html; charset=utf-8',
    body: page(
      's3-object-cache',
      '<img src="/logo.svg" alt="" width="64"><h1>Served from a snapshot of s3://example/site/</h1>' +
        '<p>Every file of this page comes from one snapshot, swapped whole.</p><p><a href="/docs/">Docs</a> · <a href="/missing">a missing page</a></p>',
    ),
  },
  'docs/index.html': {
    contentType: 'text/html; charset=utf-8',
    body: page('Docs', '<h1>Docs</h1><p><code>/docs</code> redirects here; a path ending in / serves its folder\'s index.html.</p><p><a href="/">Home</a></p>'),
  },
  '404.html': { contentType: 'text/html; charset=utf-8', body: page('Not found', '<h1>Not found</h1><p><a href="/">Home</a></p>') },
  // Stored with no useful type, as many uploads are: the service serves text/css from the extension.
  'style.css': { contentType: 'application/octet-stream', body: 'body { font-family: system-ui, sans-serif; margin: 3rem auto; max-width: 40rem; color: #223; }\nh1 { color: #2a6f97; }\n' },
  'logo.svg': {
    contentType: 'image/svg+xml',
    body: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#2a6f97"/><text x="32" y="42" font-size="28" text-anchor="middle" fill="#fff" font-family="sans-serif">S3</text></svg>\n',
  },
  'deploy.json': { contentType: 'application/json', body: '{"deployed":"demo"}\n' },
};
