/**
 * Readers of environment variables shared by every configuration section (config.ts and the sections
 * kept with their capability, such as hl7v2/config.ts). A leaf module: it imports nothing, so a section
 * can use it without importing config.ts, which imports the sections.
 */
export class ConfigError extends Error {}

/** An integer in [min, max]; `fallback` when the variable is unset or empty. */
export function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
  }
  return value;
}

/** `on` or `off` (any case); `fallback` when unset or empty. */
export function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = (env[name] ?? '').toLowerCase();
  if (raw === '') return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(`${name} must be "on" or "off" (got "${env[name]}")`);
}
