/** Three projects: the default suite; the generated fuzz tests in a jest run of their own; the disruptive suite (it stops and starts the broker)
 * runs alone afterwards, because it would break whatever else is talking to RabbitMQ at the time. */
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' } }],
};
const common = {
  transform,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/test/setup-env.js'],
  // `npm run build` output: compiled copies of the workspaces, whose package names would collide.
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};
module.exports = {
  // Tests run in a worker that is replaced once it holds more than this after a file (leaks of 140 files'
  // harnesses — ESM module registries, pools, servers — accumulate otherwise). Without it, on a 2-core
  // machine (one worker) jest runs everything in its own process, whose heap grew past 4 GB until the
  // last files (the fuzz tests) ran 25× slower under constant garbage collection and timed out.
  workerIdleMemoryLimit: '1GB',
  projects: [
    {
      ...common,
      displayName: 'default',
      testMatch: [
        '<rootDir>/{packages,services}/*/{src,test}/**/*.test.ts',
        // Whole-repository checks: deployability (compiled runtime, manifests, README).
        '<rootDir>/test/**/*.test.ts',
      ],
      testPathIgnorePatterns: ['\\.disruptive\\.test\\.ts$', '\\.fuzz\\.test\\.ts$', '/node_modules/'],
    },
    {
      ...common,
      // The generated fuzz tests, in a jest run of their own after the default suite: run after ~140 other
      // files in the same process they crawled (400 s each instead of 15 s) — see scripts/test.sh.
      displayName: 'fuzz',
      testMatch: ['<rootDir>/test/fuzz/**/*.fuzz.test.ts'],
    },
    {
      ...common,
      displayName: 'disruptive',
      testMatch: ['<rootDir>/{packages,services}/*/test/**/*.disruptive.test.ts'],
    },
  ],
};
