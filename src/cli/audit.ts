import { pino } from 'pino';
import { AuditWriter } from '../audit/writer.js';
import { verifyAuditChain } from '../audit/verify.js';
import { loadConfig } from '../config/config.js';
import { migrate } from '../storage/migrate.js';
import { openDatabase } from '../storage/open-database.js';

const USAGE = 'Usage: carnet audit verify     proves the audit trail\'s hash chain intact, or names the first broken link';

/** `carnet audit verify`: seals pending records, then walks the whole chain. Exit 0 intact, 1 broken. */
export async function auditCommand(args: string[]): Promise<number> {
  if (args[0] !== 'verify') {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const writer = new AuditWriter(db, pino({ level: config.logLevel }));
    await writer.close();
    const report = await verifyAuditChain(db);
    if (report.ok) {
      console.log(`audit trail intact: ${report.records} records chained, last hash ${report.lastHash ?? '-'}${report.unsealed ? `, ${report.unsealed} not sealed yet` : ''}`);
      return 0;
    }
    const at = report.brokenAt;
    console.log(`audit trail BROKEN at record id ${at?.id} (chain position ${at?.chainSeq}, AuditEvent ${at?.uid}): ${report.why}; ${report.records} records before it are intact`);
    return 1;
  } finally {
    await db.close();
  }
}
