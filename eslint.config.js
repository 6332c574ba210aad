// Type-aware lint for correctness, not style (Prettier owns format). The rule set is kept small on
// purpose: each rule names a bug class that has bitten or can bite a mail tool.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'coverage/', 'bench/', 'scripts/', 'bin/'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // verbatimModuleSyntax erases only what is marked as a type: keep type imports marked.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        // `typeof import('../src/x.js')` stays allowed: tests type the built dist module they load by path.
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      // An unawaited send, rename or fsync loses its error and breaks the spool's ordering.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
