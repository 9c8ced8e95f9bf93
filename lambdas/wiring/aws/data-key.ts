import { DataProtection, secretsManagerDataKeySource } from '../../adapters/data-protection';
import type { Settings } from '../../core/settings';
import { clientConfigFor, type FunctionName } from './sdk-budgets';

/**
 * The data key of the stack (DATA_KEY_SECRET_ARN), loaded from the init phase on so the first request rarely waits
 * for it. Undefined without the variable: only tests of other concerns build functions without it.
 */
export function awsDataProtection(fn: FunctionName, settings: Pick<Settings, 'dataKeySecretArn'>) {
  if (!settings.dataKeySecretArn) return undefined;
  const protection = new DataProtection(
    secretsManagerDataKeySource(settings.dataKeySecretArn, clientConfigFor(fn, 'secretsManager')),
  );
  protection.prefetch();
  return protection;
}
