// One lint configuration for the workspace: typescript-eslint recommended, plus the rule that
// keeps the dependency direction (packages never import the gateway, adapters never each other).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // JavaScript is generated or configuration, except the browser code of the web pages.
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '!packages/http/web/js/**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Browser modules: names are checked by tsc (packages/http/web/jsconfig.json, checkJs with the DOM's types).
    files: ['packages/http/web/js/**/*.js'],
    languageOptions: { sourceType: 'module' },
    rules: { 'no-undef': 'off' },
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
    // The patterns are gitignore-style (no extglob): everything under @kirchhoff/, then the exceptions.
    files: ['packages/*/**/*.ts'],
    ignores: ['packages/core/**', 'packages/http/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@kirchhoff/*', '!@kirchhoff/core', '!@kirchhoff/test-support'], message: 'adapters and libraries depend on @kirchhoff/core only' },
        { group: ['**/apps/**', 'kirchhoff'], message: 'packages must not import the gateway' },
      ] }],
    },
  },
  {
    // The HTTP API reads the data logger's records (the one library it may use besides core).
    files: ['packages/http/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@kirchhoff/*', '!@kirchhoff/core', '!@kirchhoff/history', '!@kirchhoff/test-support'], message: '@kirchhoff/http depends on @kirchhoff/core and @kirchhoff/history only' },
        { group: ['**/apps/**', 'kirchhoff'], message: 'packages must not import the gateway' },
      ] }],
    },
  },
);
