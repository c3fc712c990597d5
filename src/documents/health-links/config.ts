import { intFrom } from '../../config/env.js';
import { DEFAULT_LINK_LIMITS, type LinkLimits } from './link.js';

/** SMART Health Links' settings (CARNET_SHL_*; docs/documents.md#smart-health-links). */
export interface HealthLinksConfig {
  readonly limits: LinkLimits;
  /** A viewer the answer prefixes the link with (`<viewer>#shlink:/…`), e.g. a portal page; none by default. */
  readonly viewer?: string;
}

export function loadHealthLinksConfig(env: NodeJS.ProcessEnv): HealthLinksConfig {
  const maxDays = intFrom(env, 'CARNET_SHL_MAX_DAYS', DEFAULT_LINK_LIMITS.maxDays, 1, 3650);
  const viewer = env.CARNET_SHL_VIEWER?.trim();
  return {
    limits: {
      passcodeAttempts: intFrom(env, 'CARNET_SHL_PASSCODE_ATTEMPTS', DEFAULT_LINK_LIMITS.passcodeAttempts, 1, 100),
      defaultDays: intFrom(env, 'CARNET_SHL_DEFAULT_DAYS', DEFAULT_LINK_LIMITS.defaultDays, 1, maxDays),
      maxDays,
      locationSeconds: intFrom(env, 'CARNET_SHL_LOCATION_SECONDS', DEFAULT_LINK_LIMITS.locationSeconds, 10, 3600),
    },
    ...(viewer ? { viewer } : {}),
  };
}
