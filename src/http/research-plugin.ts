import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { agentKey } from '../access/principal.js';
import { privacyReview, researchAccess } from '../access/route-policies.js';
import { AccountError, createClient } from '../auth/accounts.js';
import type { AuthServices } from '../auth/services.js';
import { checkDecision, checkRevocation, expiresAt, parseProjectRequest, ProjectError, projectScopes, type Project } from '../research/projects/rules.js';
import type { ResearchConfig } from '../research/config.js';
import { removeExportFiles } from '../research/export/runner.js';
import type { Jobs } from '../jobs/jobs.js';
import { currentContent } from '../storage/resource-store.js';
import { decideProject, insertProject, listProjects, projectExports, projectJwks, readProject, revokeProject } from '../research/projects/store.js';

/**
 * Data-access projects over HTTP (docs/research.md): a researcher asks, a privacy officer approves — the
 * project then gets a backend client limited to its cohort, types and profile until it expires — or
 * refuses with a reason. Every call is audited (route-audit.ts) with the project as entity.
 */
function problem(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: status === 404 ? 'not_found' : status === 409 ? 'conflict' : 'invalid_request', error_description: message });
}

const entity = (id: string) => `urn:carnet:project:${id}`;

/** Privacy officers and platform clients see every project; a researcher their own. */
function sees(request: FastifyRequest, project: Project): boolean {
  const p = request.principal;
  return Boolean(p && (p.platform || p.role === 'privacy-officer' || project.requester === agentKey(p)));
}

export async function researchPlugin(app: FastifyInstance, options: { auth: AuthServices; research: ResearchConfig; jobs?: Jobs }): Promise<void> {
  const { auth } = options;
  const asking = { config: { access: researchAccess } };
  const deciding = { config: { access: privacyReview } };

  app.post('/research/projects', asking, async (request, reply) => {
    const principal = request.principal;
    if (!principal || principal.role !== 'researcher') return problem(reply, 403, 'a researcher asks for a project');
    let input;
    try {
      input = parseProjectRequest(request.body);
    } catch (error) {
      if (error instanceof ProjectError) return problem(reply, 400, error.message);
      throw error;
    }
    if (!(await currentContent(auth.db, 'Group', input.groupId))) return problem(reply, 400, `groupId: Group/${input.groupId} does not exist`);
    const id = auth.newId();
    await insertProject(auth.db, id, input, { key: agentKey(principal), name: principal.display }, auth.clock());
    request.auditEntities = [entity(id), `Group/${input.groupId}`];
    return reply.code(201).send(await readProject(auth.db, id));
  });

  app.get('/research/projects', asking, async (request) => {
    const p = request.principal;
    const all = p && (p.platform || p.role === 'privacy-officer');
    return { projects: await listProjects(auth.db, all || !p ? undefined : agentKey(p)) };
  });

  app.get('/research/projects/:id', asking, async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const project = await readProject(auth.db, id);
    if (!project || !sees(request, project)) return problem(reply, 404, 'no such project');
    request.auditEntities = [entity(id)];
    return { ...project, exports: await projectExports(auth.db, id) };
  });

  const decide = (decision: 'approve' | 'refuse') => async (request: FastifyRequest, reply: FastifyReply) => {
    const id = (request.params as { id: string }).id;
    const project = await readProject(auth.db, id);
    if (!project) return problem(reply, 404, 'no such project');
    request.auditEntities = [entity(id)];
    let reason: string | undefined;
    try {
      reason = checkDecision(project, decision, (request.body as { reason?: unknown } | undefined)?.reason);
    } catch (error) {
      if (error instanceof ProjectError) return problem(reply, project.status === 'requested' ? 400 : 409, error.message);
      throw error;
    }
    const now = auth.clock();
    const by = agentKey(request.principal as NonNullable<FastifyRequest['principal']>);
    const decided = await auth.db.transaction(async (tx) => {
      if (decision === 'refuse') return decideProject(tx, id, { status: 'refused', by, at: now, ...(reason ? { reason } : {}) });
      // The project's own backend client, registered with the researcher's keys: its scopes are the project's types.
      const clientId = `project-${id}`;
      await createClient(tx, { id: clientId, name: `Research project: ${project.title}`, kind: 'backend', jwks: await projectJwks(tx, id), scope: projectScopes(project), project: id }, now);
      return decideProject(tx, id, { status: 'approved', by, at: now, ...(reason ? { reason } : {}), clientId, expiresAt: expiresAt(now, project.durationDays) });
    }).catch((error: unknown) => {
      if (error instanceof AccountError) return error;
      throw error;
    });
    if (decided instanceof AccountError) return problem(reply, 400, `the project's keys cannot make a client: ${decided.message}`);
    if (!decided) return problem(reply, 409, `project ${id} was decided meanwhile`);
    return readProject(auth.db, id);
  };
  app.post('/research/projects/:id/approve', deciding, decide('approve'));
  app.post('/research/projects/:id/refuse', deciding, decide('refuse'));

  // Revocation: the project's client is disabled and its exports cancelled (running ones stop, files go) in one
  // transaction; a token it still holds is refused at the next kick-off (project-inactive), its exports are 404.
  app.post('/research/projects/:id/revoke', deciding, async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const project = await readProject(auth.db, id);
    if (!project) return problem(reply, 404, 'no such project');
    request.auditEntities = [entity(id)];
    let reason: string;
    try {
      reason = checkRevocation(project, (request.body as { reason?: unknown } | undefined)?.reason);
    } catch (error) {
      if (error instanceof ProjectError) return problem(reply, project.status === 'approved' ? 400 : 409, error.message);
      throw error;
    }
    const by = agentKey(request.principal as NonNullable<FastifyRequest['principal']>);
    const cancelled = await auth.db.transaction((tx) => revokeProject(tx, id, { by, at: auth.clock(), reason }));
    if (!cancelled) return problem(reply, 409, `project ${id} changed meanwhile`);
    request.auditEntities = [entity(id), ...cancelled.map((e) => `urn:carnet:export:${e.id}`)];
    // Once committed: running attempts abort through their job's signal (a job not yet leased never runs: the
    // export is cancelled, and the runner skips a cancelled export), then the files go.
    for (const e of cancelled) {
      if (e.running && e.jobId !== null) await options.jobs?.cancel(e.jobId);
      await removeExportFiles(options.research, e.id);
    }
    return readProject(auth.db, id);
  });
}
