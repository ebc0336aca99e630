import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // CouchDB view functions are not modules (they are evaluated by CouchDB/PouchDB).
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'data/**',
      'tests/helpers/reporter.cjs',
      'tests/stubs/**',
      'shared-libs/couch/ddocs/**',
      'api/src/console/public/**',
      '.tmp/**',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/await-thenable': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
