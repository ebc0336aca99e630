import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // CouchDB view functions are not modules (they are evaluated by CouchDB/PouchDB).
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'tests/helpers/reporter.cjs', 'shared-libs/couch/ddocs/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
