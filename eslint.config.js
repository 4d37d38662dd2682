// Lint: ESLint's and typescript-eslint's recommended rules, strict set, over every TypeScript file.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
);
