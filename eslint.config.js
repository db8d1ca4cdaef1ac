// ESLint flat config: `npm run lint` runs it, then `prettier --check .` (formatting is prettier's job,
// so no stylistic rules here). Rules are ESLint's and typescript-eslint's recommended sets, which catch
// real bugs (unreachable code, unsafe finally, duplicate keys, unused code, fallthrough…), tuned where
// a rule flags an idiom this code base uses on purpose. Not type-aware: that would need the
// TypeScript 6 program on every run, and `tsc` already type-checks.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.build/',
      '.data/',
      'coverage/',
      'test-artifacts/',
      'bench/results/',
      'scratch/',
      'test/fixtures/',
      'test/replay/histories/',
      'bench/baselines/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused code is a bug or dead weight; a leading `_` marks a binding that is unused on purpose
      // (a destructured field left out, a callback parameter kept for its position).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // `x!` after a check the compiler cannot follow (Map.get after has/set) is used deliberately.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Boundaries (JSON from platforms, pg rows, Temporal payloads) are typed `any` in a few places on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
      // `a && b()` / `c ? x() : y()` as statements are not used; keep the rule, but allow the tagged-template and ternary idioms.
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // Control characters in regexes are how this code strips terminal escapes and C0 codes (lib/secrets, cli/terminalText).
      'no-control-regex': 'off',
      // Errors raised here fold the caught error's text into a message that says what to fix; the CLI
      // prints the bottom of a cause chain (lib/failures.ts chainMessage), so attaching the low-level
      // cause would put the raw text (ENOENT…) in front of the actionable one.
      'preserve-caught-error': 'off',
      // A `while (true)` / `for (;;)` loop with a return or break inside is an intended loop.
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Plain JavaScript entry points (bin/, worker thread bootstrap, bench hooks) are not TypeScript.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
