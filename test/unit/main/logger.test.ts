// The two log formats, in-process: JSON as written, and pino-pretty's line with colours only where
// asked for (the logger asks on a terminal).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatterFor } from '../../../src/main/logger.ts';

const line = '{"level":"info","time":"2026-12-01T10:00:00.000Z","pid":7,"config":{"bucket":"b","key":"k","endpoint":"http://REDACTED@store:9000","port":8000},"msg":"starting"}\n';

test('json: the line as it is', async () => {
  assert.is((await formatterFor('json', true))(line), line);
});

test('pretty: one readable line, the configuration summed up, no pid; colours only when asked for', async () => {
  const plain = (await formatterFor('pretty', false))(line);
  assert.match(plain, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: starting \{"config":"s3:\/\/b\/k from http:\/\/REDACTED@store:9000 on port 8000 \(LOG_FORMAT=json shows every setting\)"\}\n$/);
  assert.not.ok(plain.includes('\u001b['), 'colours where none were asked for');
  const coloured = (await formatterFor('pretty', true))(line);
  assert.ok(coloured.includes('\u001b[32mINFO\u001b[39m'), `no green INFO in ${JSON.stringify(coloured)}`);
});

test.run();
