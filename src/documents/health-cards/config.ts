import { ConfigError, intFrom } from '../../config/env.js';
import { parseRetiredKeys, type KeyGenerations } from './issuer-key.js';

/** The issuer keys' generations (CARNET_SHC_KEY_GENERATION, CARNET_SHC_RETIRED_KEYS; docs/documents.md). */
export function loadHealthCardKeys(env: NodeJS.ProcessEnv): KeyGenerations {
  const active = intFrom(env, 'CARNET_SHC_KEY_GENERATION', 1, 1, 9999);
  try {
    return { active, retired: parseRetiredKeys(env.CARNET_SHC_RETIRED_KEYS ?? '', active) };
  } catch (error) {
    throw new ConfigError(`CARNET_SHC_RETIRED_KEYS: ${(error as Error).message}`);
  }
}
