import type { FastifyInstance, FastifyReply } from 'fastify';
import { backgroundOperations } from '../access/route-policies.js';
import type { EventConsumers } from '../events/consumers.js';
import { JOB_STATES, type JobState } from '../jobs/job.js';
import type { Jobs } from '../jobs/jobs.js';

/** What the operator routes act on. */
export interface BackgroundOperations {
  readonly jobs: Jobs;
  readonly events: EventConsumers;
}

function problem(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error, error_description: message });
}

function jobId(raw: string): number | undefined {
  return /^[1-9][0-9]{0,17}$/.test(raw) ? Number(raw) : undefined;
}

/**
 * Operating background work over HTTP (docs/events-and-jobs.md#operating): jobs — list, inspect, retry,
 * cancel — and change-event consumers with their lag. Administrators, privacy officers and platform
 * clients only; every call is audited like the other administration routes.
 */
export async function backgroundPlugin(app: FastifyInstance, options: BackgroundOperations): Promise<void> {
  const { jobs, events } = options;
  const access = { config: { access: backgroundOperations } };

  app.get('/admin/jobs', access, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const state = query.state as JobState | undefined;
    if (state !== undefined && !JOB_STATES.includes(state)) return problem(reply, 400, 'invalid_request', `state: one of ${JOB_STATES.join(', ')}`);
    const before = query.before === undefined ? undefined : jobId(query.before);
    if (query.before !== undefined && before === undefined) return problem(reply, 400, 'invalid_request', 'before: a job id');
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return problem(reply, 400, 'invalid_request', 'limit: 1 to 500');
    const list = await jobs.list({ ...(state ? { state } : {}), ...(query.kind ? { kind: query.kind } : {}), ...(before ? { beforeId: before } : {}), limit });
    const last = list.at(-1);
    return {
      counts: await jobs.counts(),
      jobs: list,
      ...(list.length === limit && last ? { next: `/admin/jobs?${new URLSearchParams({ ...(state ? { state } : {}), ...(query.kind ? { kind: query.kind } : {}), before: String(last.id), limit: String(limit) })}` } : {}),
    };
  });

  app.get('/admin/jobs/:id', access, async (request, reply) => {
    const id = jobId((request.params as { id: string }).id);
    const job = id === undefined ? undefined : await jobs.get(id);
    return job ?? problem(reply, 404, 'not_found', 'no such job');
  });

  app.post('/admin/jobs/:id/retry', access, async (request, reply) => {
    const id = jobId((request.params as { id: string }).id);
    const job = id === undefined ? undefined : await jobs.get(id);
    if (!job || id === undefined) return problem(reply, 404, 'not_found', 'no such job');
    if (!(await jobs.retry(id))) return problem(reply, 409, 'conflict', `job ${id} is ${job.state}: only dead or cancelled jobs are retried`);
    return jobs.get(id);
  });

  app.post('/admin/jobs/:id/cancel', access, async (request, reply) => {
    const id = jobId((request.params as { id: string }).id);
    const job = id === undefined ? undefined : await jobs.get(id);
    if (!job || id === undefined) return problem(reply, 404, 'not_found', 'no such job');
    const outcome = await jobs.cancel(id);
    if (!outcome) return problem(reply, 409, 'conflict', `job ${id} is ${job.state}: there is nothing to cancel`);
    return reply.code(outcome === 'cancelling' ? 202 : 200).send(await jobs.get(id));
  });

  app.get('/admin/consumers', access, async () => ({ consumers: await events.lag() }));

  app.get('/admin/consumers/:name', access, async (request, reply) => {
    const [lag] = await events.lag((request.params as { name: string }).name);
    return lag ?? problem(reply, 404, 'not_found', 'no such consumer');
  });

  // Past an event the consumer cannot handle (it stays in the outbox for inspection until pruned).
  app.post('/admin/consumers/:name/skip', access, async (request, reply) => {
    const name = (request.params as { name: string }).name;
    if ((await events.lag(name)).length === 0) return problem(reply, 404, 'not_found', 'no such consumer');
    const skipped = await events.skip(name);
    return skipped ? { skipped } : problem(reply, 409, 'conflict', `consumer ${name} has no event to skip`);
  });

  app.delete('/admin/consumers/:name', access, async (request, reply) => {
    const outcome = await events.remove((request.params as { name: string }).name);
    if (outcome === 'registered') return problem(reply, 409, 'conflict', 'this consumer is registered by the running code; remove it from the code first');
    return outcome === 'removed' ? reply.code(204).send() : problem(reply, 404, 'not_found', 'no such consumer');
  });
}
