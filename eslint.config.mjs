// One lint configuration for the workspace: typescript-eslint recommended, plus the rule that
// keeps the dependency direction (packages never import the gateway, adapters never each other).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['packages/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['kirchhoff', '**/apps/**'], message: 'packages must not import the gateway' },
      ] }],
    },
  },
  {
    files: ['packages/!(core)/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@kirchhoff/!(core)', '**/apps/**', 'kirchhoff'], message: 'adapters depend on @kirchhoff/core only' },
      ] }],
    },
  },
);
