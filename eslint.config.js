// Lint: ESLint's and typescript-eslint's recommended rules, strict set, over every TypeScript
// file; and the thread boundaries of src/ as import rules (test/unit/boundaries.test.ts proves
// that each one fails on a forbidden import).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * A rule that forbids importing `groups`. Type-only imports stay allowed unless a group says
 * otherwise: they vanish at build, so they cost no thread anything.
 */
const forbid = (groups, paths = []) => ({
  'no-restricted-imports': ['error', { patterns: groups.map((group) => ({ allowTypeImports: true, ...group })), paths }],
});

/** What only the main and serving threads may load: the fetch worker's bundle must stay small. */
const servingOnly = {
  group: ['pino', 'prom-client', '**/main/*', '**/http/*'],
  message: 'the fetch worker must not load the logger, metrics, HTTP servers or serving code (docs/architecture.md)',
};
/** Servers, that is: the worker's client agents (the SDK loads node:http and node:https anyway) are its own. */
const servers = ['node:http', 'node:https', 'node:net'].map((name) => ({
  name,
  importNames: ['createServer', 'Server', 'ServerResponse', 'IncomingMessage'],
  message: servingOnly.message,
}));
/** What only the fetch worker may load. */
const workerOnly = {
  group: ['@aws-sdk/*', '@smithy/*', '**/worker/*'],
  message: 'only the fetch worker talks to the store: main and serving threads must not load the SDK or src/worker/',
};
/** What a serving thread must not load: its isolate stays small, the main thread logs and counts. */
const mainOnly = {
  group: ['pino', 'prom-client', '**/main/logger.ts', '**/main/metrics.ts', '**/main/worker-events.ts'],
  message: 'a serving thread must not load the logger or metrics: it posts to the main thread, which owns them',
};
/**
 * The main thread's folder, seen from everywhere else: not even its types. What several threads
 * share is named in the protocol files, so every arrow between thread folders points there.
 */
const mainFolder = {
  group: ['**/main/*'],
  allowTypeImports: false,
  message: 'only the main thread imports src/main/, types included: put shared vocabulary in src/protocol.ts or src/serving-protocol.ts',
};
/** What src/main.ts loads later on purpose, while the worker starts (code splitting). */
const loadedLater = {
  group: [
    './main/logger.ts',
    './main/metrics.ts',
    './main/healthcheck.ts',
    './main/worker-events.ts',
    './main/serving-threads.ts',
    './main/listeners.ts',
    './main/peers.ts',
    './main/skew-protection.ts',
    './http/*',
    './shared/memory-policy.ts',
  ],
  message: 'src/main.ts loads this with import() once the fetch worker is starting; a static import slows start-up',
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      // `!` after a lookup the code has just proven is common in tests and reads fine.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['src/fetch-worker.ts', 'src/worker/**', 'src/protocol.ts', 'src/shared/**'], rules: forbid([servingOnly, mainFolder], servers) },
  { files: ['src/main/**'], rules: forbid([workerOnly]) },
  { files: ['src/http/**'], rules: forbid([workerOnly, mainOnly, mainFolder]) },
  { files: ['src/main.ts'], rules: forbid([workerOnly, loadedLater]) },
  { files: ['src/serving-thread.ts', 'src/serving-protocol.ts'], rules: forbid([workerOnly, mainOnly, mainFolder]) },
);
