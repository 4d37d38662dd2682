// What a marker-gated listing refuses: files written after the marker, the next deploy under way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nextDeployMarginMs, writtenAfterMarker } from '../../../src/worker/discover-marker.ts';

const markerWrittenAt = Date.UTC(2026, 11, 7, 12, 0, 0);
const listed = (path: string, lastModified: number | undefined) => ({ key: `site/${path}`, path, etag: '"e"', size: 1, lastModified });
const laterPaths = (listing: ReturnType<typeof listed>[]) => writtenAfterMarker(listing, 'site/deploy.json').map(({ path }) => path);

test('files written before the marker, with it, or within the margin after it (gateways\' clocks differ): the deploy the marker names', () => {
  const listing = [
    listed('deploy.json', markerWrittenAt),
    listed('old.css', markerWrittenAt - 60_000),
    listed('page.html', markerWrittenAt),
    listed('skewed.js', markerWrittenAt + nextDeployMarginMs),
  ];
  assert.equal(laterPaths(listing), []);
});

test('files written beyond the margin after the marker: the next deploy, under way', () => {
  const listing = [listed('deploy.json', markerWrittenAt), listed('page.html', markerWrittenAt + nextDeployMarginMs + 1), listed('app.v2.js', markerWrittenAt + 30_000)];
  assert.equal(laterPaths(listing), ['page.html', 'app.v2.js']);
});

test('no marker listed, or a store that gives no dates: nothing to compare, nothing refused', () => {
  assert.equal(laterPaths([listed('page.html', markerWrittenAt)]), []);
  assert.equal(laterPaths([listed('deploy.json', undefined), listed('page.html', markerWrittenAt)]), []);
  assert.equal(laterPaths([listed('deploy.json', markerWrittenAt), listed('page.html', undefined)]), []);
});

test.run();
