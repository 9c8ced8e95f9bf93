/**
 * Import rules checked by `npm run check:deps` (part of `npm test`): no cycles anywhere, and the layers of the
 * hexagon only import downwards: core knows no SDK and no adapter; adapters know no handler and no wiring.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes load order matter and hides which module owns what.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-without-sdks',
      severity: 'error',
      comment: 'lambdas/core is the domain: it must run with no AWS SDK and no Twilio SDK.',
      from: { path: '^lambdas/core/' },
      to: { path: ['^node_modules/@aws-sdk/', '^node_modules/twilio/', '^node_modules/@aws-lambda-powertools/'] },
    },
    {
      name: 'core-imports-only-core',
      severity: 'error',
      comment: 'Ports are passed to the core; it never reaches for an adapter, a handler, the wiring or the CLI.',
      from: { path: '^lambdas/core/' },
      to: { path: '^lambdas/', pathNot: '^lambdas/core/' },
    },
    {
      name: 'adapters-do-not-import-up',
      severity: 'error',
      comment:
        'Adapters implement ports; composition roots (lambdas/wiring) and handlers import them, not the reverse.',
      from: { path: '^lambdas/adapters/' },
      to: { path: ['^lambdas/wiring/', '^lambdas/cli/', '^lambdas/[^/]+/handler\\.ts$'] },
    },
    {
      name: 'console-web-in-the-browser',
      severity: 'error',
      comment: 'The web console runs in the browser: it talks to the API over HTTP and imports no server module.',
      from: { path: '^lambdas/console/web/' },
      to: { pathNot: ['^lambdas/console/web/', '^node_modules/preact/', '^lambdas/core/event-status\\.ts$'] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^cdk\\.out/', '^\\.data/'] },
    // Type-only imports count: a cycle through types still ties two modules together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.cjs', '.mjs', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
