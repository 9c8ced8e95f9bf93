/**
 * How each function is bundled (esbuild through NodejsFunction), in one place so the stack, the bench
 * (bench/cold-start.ts) and the bundle tests build the same thing.
 *
 * Ingest answers every hook, and most hooks of a small MFI hit a cold function, so its module init is the sender's
 * wait; the worker's is the wait of the first SMS. Requiring the runtime's SDK v3 from node_modules (hundreds of
 * files resolved, read and compiled one by one) was most of every function's init, so each bundle carries its own
 * SDK: ES module builds (`mainFields`), so esbuild keeps only the commands and middleware it uses, minified into one
 * file. What it leaves out is code a Lambda invocation never reaches, behind a dynamic import that the runtime's SDK
 * copy answers if it ever is.
 */

/** Lambda's nodejs24.x. */
export const BUNDLE_TARGET = 'node24';

/** The functions whose bundle includes the SDK clients they use (all of them); any other uses the runtime's copy. */
export const SDK_BUNDLED: ReadonlySet<string> = new Set([
  'ingest',
  'worker',
  'register',
  'admin',
  'twilio-status',
  'sweeper',
]);

/**
 * Every credential source after the environment, which is where Lambda puts the function's credentials (shared
 * files, SSO, process, web identity, container and instance metadata, and the STS/SSO clients they use): the SDK
 * reaches them by dynamic import only, so leaving them to the runtime's copy costs nothing at init.
 */
const LATER_CREDENTIAL_SOURCES: readonly string[] = [
  '@aws-sdk/nested-clients',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/token-providers',
  '@smithy/credential-provider-imds',
];

/**
 * Per SDK-bundled function, what it loads by dynamic import only and leaves to the runtime. Code reached by dynamic
 * import that the function needs on an ordinary invocation stays in the bundle instead (esbuild defers its
 * evaluation just the same), so that first use does not require hundreds of the runtime's files.
 */
export const SDK_LAZY_EXTERNALS: Readonly<Record<string, readonly string[]>> = {
  ingest: [
    // A path variant handed to another function: rare.
    '@aws-sdk/client-lambda',
    ...LATER_CREDENTIAL_SOURCES,
  ],
  // The worker needs Secrets Manager for its first SMS (the tenant's token), so it carries that client; the SMS
  // providers' clients and EventBridge are in the bundle behind dynamic imports (wiring/outbound.ts).
  worker: LATER_CREDENTIAL_SOURCES,
  register: LATER_CREDENTIAL_SOURCES,
  admin: LATER_CREDENTIAL_SOURCES,
  'twilio-status': LATER_CREDENTIAL_SOURCES,
  sweeper: LATER_CREDENTIAL_SOURCES,
};

/**
 * A module built as a file of its own beside a function's index.js and left external in it, so the cold start
 * does not compile it: esbuild cannot split a CJS bundle, and code behind a dynamic import inside the one file is
 * still read and parsed at init. The importing module requires it as `./<name>` on first use.
 */
export interface SideBundle {
  /** The module, from the repository root. */
  entry: string;
  /** Its file name in the function's asset, and the path it is imported by. */
  name: string;
}

/** Twilio and axios (~430 KB minified) for the functions that send with Twilio (adapters/twilio-vendor.ts). */
const TWILIO_VENDOR: SideBundle = { entry: 'lambdas/adapters/twilio-vendor.ts', name: 'twilio-vendor' };
/** The AWS End User Messaging SMS client (adapters/aws-sms-vendor.ts). */
const AWS_SMS_VENDOR: SideBundle = { entry: 'lambdas/adapters/aws-sms-vendor.ts', name: 'aws-sms-vendor' };
/** The EventBridge client (adapters/eventbridge-vendor.ts). */
const EVENTBRIDGE_VENDOR: SideBundle = { entry: 'lambdas/adapters/eventbridge-vendor.ts', name: 'eventbridge-vendor' };

/**
 * The Secrets Manager client for ingest (adapters/secrets-manager-vendor.ts): it reads the data key once per
 * container, on the first hook, so the client stays out of the init but must not cost that hook the runtime's files.
 */
const SECRETS_MANAGER_VENDOR: SideBundle = {
  entry: 'lambdas/adapters/secrets-manager-vendor.ts',
  name: 'secrets-manager-vendor',
};
export const SIDE_BUNDLES: Readonly<Record<string, readonly SideBundle[]>> = {
  ingest: [SECRETS_MANAGER_VENDOR],
  worker: [TWILIO_VENDOR, AWS_SMS_VENDOR, EVENTBRIDGE_VENDOR],
  register: [TWILIO_VENDOR, AWS_SMS_VENDOR],
  admin: [EVENTBRIDGE_VENDOR],
};

export function sideBundlesFor(entryDir: string): readonly SideBundle[] {
  return SIDE_BUNDLES[entryDir] ?? [];
}

export interface FunctionBundling {
  /** Left to the runtime (esbuild `external`). */
  externalModules: string[];
  /** package.json fields esbuild resolves a package by; undefined keeps esbuild's default for node. */
  mainFields?: string[];
}

/** The bundling of the function in `lambdas/<entryDir>/handler.ts`. */
export function bundlingFor(entryDir: string): FunctionBundling {
  // `*/name` matches the import as written (`./name`), which the bundle then requires from beside itself.
  const side = sideBundlesFor(entryDir).map((b) => `*/${b.name}`);
  if (!SDK_BUNDLED.has(entryDir)) return { externalModules: ['@aws-sdk/*', ...side] };
  return {
    externalModules: [...(SDK_LAZY_EXTERNALS[entryDir] ?? []), ...side],
    mainFields: ['module', 'main'],
  };
}

/** The esbuild options NodejsFunction passes besides entry and output: the bench and the tests build with these. */
export function esbuildOptionsFor(entryDir: string): {
  bundle: true;
  platform: 'node';
  target: string;
  format: 'cjs';
  minify: true;
  external: string[];
  mainFields?: string[];
} {
  const { externalModules, mainFields } = bundlingFor(entryDir);
  return {
    bundle: true,
    platform: 'node',
    target: BUNDLE_TARGET,
    format: 'cjs',
    minify: true,
    external: externalModules,
    ...(mainFields ? { mainFields } : {}),
  };
}

/**
 * The esbuild options of a side bundle: self-contained like the functions' own, an SDK client in it tree-shaken
 * from its ES module build with the same credential sources left to the runtime. A side bundle carries its own copy
 * of the SDK's core: it is loaded only where that client is used.
 */
export const SIDE_BUNDLE_OPTIONS: {
  bundle: true;
  platform: 'node';
  target: string;
  format: 'cjs';
  minify: true;
  mainFields: string[];
  external: string[];
} = {
  bundle: true,
  platform: 'node',
  target: BUNDLE_TARGET,
  format: 'cjs',
  minify: true,
  mainFields: ['module', 'main'],
  external: [...LATER_CREDENTIAL_SOURCES],
};

/** The esbuild command line building `side` into `outputDir` (the stack's afterBundling hook). */
export function sideBundleCommand(esbuildBin: string, inputDir: string, side: SideBundle, outputDir: string): string {
  const o = SIDE_BUNDLE_OPTIONS;
  const entry = `${inputDir}/${side.entry}`;
  const external = o.external.map((e) => `--external:${e}`).join(' ');
  return `"${esbuildBin}" "${entry}" --bundle --platform=${o.platform} --target=${o.target} --format=${o.format} --minify --main-fields=${o.mainFields.join(',')} ${external} --log-level=warning --outfile="${outputDir}/${side.name}.js"`;
}
