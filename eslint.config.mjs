import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

const services = ['identity', 'catalog', 'gateway', 'billing', 'provisioning', 'support'];

export default tseslint.config(
  {
    ignores: ['node_modules/**', '.data/**', 'coverage/**', 'scratch/**', '**/*.js', '**/*.mjs', '**/*.cjs'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // async functions that satisfy a Promise-returning interface need no await
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  // A service never imports another service (STYLE.md): not by package name, not by a relative path
  // (`../../../identity/src/service` from catalog's src). Composition roots under scripts/ may, and so may
  // tests, which compose real services (billing's tests run the real catalog). test/lint.test.ts holds it.
  ...services.map((self) => ({
    files: [`services/${self}/src/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: services
                .filter((other) => other !== self)
                .flatMap((other) => [
                  `@geminis/${other}`,
                  `@geminis/${other}/**`,
                  `**/${other}/src`,
                  `**/${other}/src/**`,
                ]),
              message: 'Services never import each other: use @geminis/contracts.',
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['packages/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...services.map((s) => `@geminis/${s}`), '**/services/*/src/**'],
              message: 'Packages never import a service.',
            },
          ],
        },
      ],
    },
  },
  {
    // Only config.ts reads the environment (STYLE.md).
    files: ['services/*/src/**/*.ts', 'packages/*/src/**/*.ts'],
    ignores: ['**/config.ts', '**/config/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read the environment only in config.ts.' },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts', '**/*.test.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
