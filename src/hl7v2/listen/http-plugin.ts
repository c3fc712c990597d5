import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { HL7_CONTENT_TYPE, type Delivery, type Hl7Gateway } from '../gateway/gateway.js';
import { discardDeadLetter, listDeadLetters, readMessage, type MessageRow } from '../store/message-store.js';
import type { Queryable } from '../../storage/database.js';
import { hl7Feed, hl7Stewardship } from '../../access/route-policies.js';

/**
 * HTTP surface of the gateway: `POST /hl7v2` (one ER7 message per request, answered with its ACK) and the
 * dead-letter API (`/hl7v2/dead-letters`: list, inspect, replay) and message log (`/hl7v2/messages/:id`).
 */

const ACCEPTED_TYPES = [HL7_CONTENT_TYPE, 'application/hl7-v2', 'text/plain'];

/** HTTP status of an ACK: AA 200; AE 422 (the content must be corrected); AR 400, or 503 when storage is unavailable. */
export function statusOf(delivery: Pick<Delivery, 'code' | 'outcome'>): number {
  if (delivery.outcome === 'unavailable') return 503;
  return delivery.code === 'AA' ? 200 : delivery.code === 'AE' ? 422 : 400;
}

function sendAck(reply: FastifyReply, delivery: Delivery): FastifyReply {
  reply.code(statusOf(delivery)).type(`${HL7_CONTENT_TYPE}; charset=utf-8`);
  if (delivery.outcome === 'unavailable') reply.header('retry-after', '5');
  if (delivery.messageId) reply.header('x-carnet-hl7-message', delivery.messageId);
  return reply.send(delivery.ack.replace(/\r/g, '\r\n') + '\r\n');
}

function summary(row: MessageRow) {
  return {
    id: row.id,
    sender: row.sender,
    controlId: row.controlId,
    messageType: row.messageType,
    status: row.status,
    ackCode: row.ackCode,
    receivedAt: row.receivedAt,
    processedAt: row.processedAt,
    attempts: row.attempts,
    errors: row.errors,
    ...(row.resources.length ? { resources: row.resources } : {}),
    ...(row.binaryId ? { original: `Binary/${row.binaryId}` } : {}),
    ...(row.replayedAt ? { replayedAt: row.replayedAt } : {}),
    ...(row.discarded ? { discarded: row.discarded } : {}),
  };
}

function problemJson(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: message });
}

export async function hl7Plugin(app: FastifyInstance, options: { gateway: Hl7Gateway; db: Queryable; clock: () => Date }): Promise<void> {
  const { gateway, db, clock } = options;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(ACCEPTED_TYPES, { parseAs: 'buffer', bodyLimit: gateway.config.maxMessageBytes }, (_request, body, done) => done(null, body));

  // Every route: a source system's token with system/*.cu (src/access/route-policies.ts).
  const config = { access: hl7Feed };
  // The dead letters and the message log: the feeding systems, and administrators (the workspace).
  const steward = { access: hl7Stewardship };
  app.post('/hl7v2', {
    config,
    bodyLimit: gateway.config.maxMessageBytes,
    errorHandler: (error: FastifyError, _request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        const delivery = gateway.oversized(Buffer.alloc(0));
        return reply.code(413).type(`${HL7_CONTENT_TYPE}; charset=utf-8`).send(delivery.ack.replace(/\r/g, '\r\n') + '\r\n');
      }
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        return reply.code(415).type('text/plain').send(`Send one HL7 v2 message as ${ACCEPTED_TYPES.join(' or ')}`);
      }
      throw error;
    },
  }, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    return sendAck(reply, await gateway.receive(body));
  });

  app.get('/hl7v2/dead-letters', { config: steward }, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const limit = Math.min(Math.max(Number(query._count ?? 50) || 50, 1), 500);
    let after: { receivedAt: string; id: string } | undefined;
    if (query._cursor) {
      try {
        after = JSON.parse(Buffer.from(query._cursor, 'base64url').toString('utf8')) as { receivedAt: string; id: string };
      } catch {
        return problemJson(reply, 400, '_cursor is not a cursor this server gave');
      }
    }
    const rows = await listDeadLetters(db, {
      limit: limit + 1,
      ...(query.sender ? { sender: query.sender } : {}),
      ...(query.type ? { messageType: query.type } : {}),
      ...(after ? { after } : {}),
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const next = rows.length > limit && last ? Buffer.from(JSON.stringify({ receivedAt: last.receivedAt, id: last.id })).toString('base64url') : undefined;
    return { items: page.map(summary), ...(next ? { next: `/hl7v2/dead-letters?_count=${limit}&_cursor=${next}` } : {}) };
  });

  const showMessage = async (id: string, reply: FastifyReply, deadOnly: boolean) => {
    const row = await readMessage(db, id);
    if (!row || (deadOnly && row.status !== 'dead-letter')) return problemJson(reply, 404, `No ${deadOnly ? 'dead letter' : 'message'} ${id}`);
    return { ...summary(row), ack: row.ack.split('\r'), ...(row.raw ? { message: row.raw.toString('latin1').split(/\r\n|\r|\n/) } : {}) };
  };
  app.get('/hl7v2/dead-letters/:id', { config: steward }, async (request, reply) => showMessage((request.params as { id: string }).id, reply, true));
  app.get('/hl7v2/messages/:id', { config: steward }, async (request, reply) => showMessage((request.params as { id: string }).id, reply, false));

  // Sets a dead letter aside with who and why (it leaves the list; the row stays). Only a dead letter can be
  // discarded: a second administrator discarding the same one gets 409, nothing written twice.
  // Its own scope: only this route takes JSON (POST /hl7v2 still answers 415 to it).
  await app.register(async (scope) => {
    // The $discard route's small JSON body ({ "reason": "…" }).
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 16_384 }, (_request, body, done) => {
      try {
        done(null, body ? (JSON.parse(body as string) as unknown) : {});
      } catch {
        done(Object.assign(new Error('the body is not JSON'), { statusCode: 400 }), undefined);
      }
    });
    scope.post('/hl7v2/dead-letters/:id/$discard', { config: steward }, async (request, reply) => {
      const id = (request.params as { id: string }).id;
      const reason = typeof (request.body as { reason?: unknown } | undefined)?.reason === 'string' ? ((request.body as { reason: string }).reason).trim() : '';
      if (reason.length < 5) return problemJson(reply, 400, 'State why this dead letter is discarded: { "reason": "…" } (at least 5 characters)');
      const by = request.principal ? `${request.principal.kind}:${request.principal.subject}` : 'unknown';
      if (await discardDeadLetter(db, { id, by, reason, at: clock() })) {
        const row = await readMessage(db, id);
        return reply.send(row ? summary(row) : { id, status: 'discarded' });
      }
      const row = await readMessage(db, id);
      if (row?.status === 'discarded') return problemJson(reply, 409, `Dead letter ${id} was already discarded`);
      return problemJson(reply, 404, `No dead letter ${id}`);
    });
  });

  app.post('/hl7v2/dead-letters/:id/$replay', { config: steward }, async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const delivery = await gateway.replay(id);
    if (!delivery) return problemJson(reply, 404, `No dead letter ${id} (already replayed, or never failed)`);
    return reply.code(delivery.outcome === 'unavailable' ? 503 : 200).send({ outcome: delivery.outcome, ackCode: delivery.code, ack: delivery.ack.split('\r'), messageId: delivery.messageId });
  });
}
