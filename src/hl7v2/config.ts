import { readFileSync } from 'node:fs';
import { ConfigError, intFrom } from '../config/env.js';
import { checkSendersFile, defaultTimezone, type SendersFile } from './mapping/profile.js';

/** HL7 v2 gateway configuration, read once at startup (see docs/hl7v2.md). */
export interface Hl7Config {
  /** MLLP port; undefined when the listener is off (`CARNET_MLLP_PORT=off`). */
  readonly mllpPort: number | undefined;
  readonly mllpHost: string;
  /** PEM files: server certificate and key, and optionally the CA that client certificates must chain to. */
  readonly tls: { readonly cert: string; readonly key: string; readonly ca?: string } | undefined;
  readonly maxMessageBytes: number;
  /** MSH-11 processing ids accepted (others are AR 202). */
  readonly processingIds: ReadonlySet<string>;
  /** Time zone of times sent without an offset, unless a sender profile says otherwise. */
  readonly timezone: string;
  /** Idle MLLP connections are closed after this long (0: never). */
  readonly idleTimeoutMs: number;
  readonly senders: SendersFile;
}

function readSenders(path: string | undefined): SendersFile {
  if (!path) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`CARNET_HL7_SENDERS: cannot read ${path}: ${(error as Error).message}`);
  }
  const problems = checkSendersFile(parsed);
  if (problems.length > 0) throw new ConfigError(`CARNET_HL7_SENDERS (${path}): ${problems.join('; ')}`);
  return parsed as SendersFile;
}

export function loadHl7Config(env: NodeJS.ProcessEnv, host: string): Hl7Config {
  const portRaw = (env.CARNET_MLLP_PORT ?? '').trim().toLowerCase();
  const mllpPort = portRaw === 'off' ? undefined : intFrom(env, 'CARNET_MLLP_PORT', 2575, 0, 65535);
  const cert = env.CARNET_MLLP_TLS_CERT || undefined;
  const key = env.CARNET_MLLP_TLS_KEY || undefined;
  if (Boolean(cert) !== Boolean(key)) throw new ConfigError('CARNET_MLLP_TLS_CERT and CARNET_MLLP_TLS_KEY go together');
  const ca = env.CARNET_MLLP_TLS_CA || undefined;
  const processingIds = new Set((env.CARNET_HL7_PROCESSING_IDS || 'P,T,D').split(',').map((s) => s.trim()).filter(Boolean));
  const timezone = env.CARNET_HL7_TIMEZONE || defaultTimezone();
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new ConfigError(`CARNET_HL7_TIMEZONE "${timezone}" is not an IANA time zone`);
  }
  return {
    mllpPort,
    mllpHost: env.CARNET_MLLP_HOST || host,
    tls: cert && key ? { cert, key, ...(ca ? { ca } : {}) } : undefined,
    maxMessageBytes: intFrom(env, 'CARNET_HL7_MAX_MESSAGE_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    processingIds,
    timezone,
    idleTimeoutMs: intFrom(env, 'CARNET_MLLP_IDLE_TIMEOUT_S', 600, 0, 86_400) * 1000,
    senders: readSenders(env.CARNET_HL7_SENDERS || undefined),
  };
}
