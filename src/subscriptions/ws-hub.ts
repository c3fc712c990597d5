import type { WebSocket } from 'ws';
import { WakeLoop } from '../app/wake-loop.js';
import type { FhirContext } from '../fhir/context.js';
import type { Jobs } from '../jobs/jobs.js';
import { settle } from './delivery.js';
import { audit, auditNotifications, bodyOf } from './send.js';
import { deliverableRange, eventsOf } from './deliverable.js';
import type { Signal } from './hook.js';
import { ownerProblem } from './standing.js';
import { markSent } from './delivery-store.js';
import { pendingSubscriptions, readSubscription, tryLockSubscription } from './subscription-store.js';
import type { NotificationRow, SubscriptionRow } from './rows.js';
import { verifyBindingToken } from './ws-token.js';

/** Protocol pings (and the check that the client answered the last one). */
export const PING_MS = 25_000;
/** Notifications sent per subscription per round: a busy subscription does not hold its lock for long. */
const PER_ROUND = 100;
const BIND = /^bind-with-token:\s*(\S+)\s*$/;

interface Bound {
  readonly id: string;
  /** When this socket last heard about the subscription (injected clock), for heartbeats. */
  lastSent: number;
  readonly heartbeatMs: number | undefined;
}

interface Connection {
  readonly socket: WebSocket;
  readonly bound: Map<string, Bound>;
  lastPing: number;
  alive: boolean;
}

/**
 * The websocket channel (Subscriptions Backport websocket binding) in one API process: the sockets
 * connected to it and the subscriptions each has bound with `bind-with-token: <token>`. Notifications
 * of a websocket subscription are matched and numbered like any other (matcher.ts); the process that
 * holds a socket bound to it sends them, in order, from the numbered notifications — under the
 * subscription's row lock taken with SKIP LOCKED, so two processes never send the same events at once,
 * and recording each as sent in the transaction that holds the lock (at least once: a process that dies
 * mid-round sends again from where the record stands). Woken when a match commits (here, or in another
 * process through NOTIFY), by a bind, and by a poll; it also sends the Backport heartbeats and protocol
 * pings. Everything sent is decided with the owner's access as it stands and audited, as for a rest-hook.
 */
export class SubscriptionSockets {
  private readonly connections = new Set<Connection>();
  private readonly loop: WakeLoop;

  /** `maxEvents`: the most events one message carries when several wait (CARNET_SUBSCRIPTION_MAX_EVENTS). */
  constructor(private readonly ctx: FhirContext, private readonly jobs: Jobs, private readonly key: Buffer, private readonly maxEvents = 50) {
    this.loop = new WakeLoop(() => this.round(), (error) => ctx.log.error({ error: String(error) }, 'subscription websockets: round failed'));
  }

  start(pollMs: number): void {
    this.loop.start(pollMs);
  }

  kick(): void {
    this.loop.kick();
  }

  /** Runs a round now (tests: deterministic, no waiting for the wake-up). */
  async flush(): Promise<void> {
    await this.round();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    for (const c of this.connections) c.socket.close(1001, 'server shutting down');
    this.connections.clear();
  }

  /** A client connected to the websocket endpoint: nothing is sent until it binds. */
  accept(socket: WebSocket): void {
    const c: Connection = { socket, bound: new Map(), lastPing: Date.now(), alive: true };
    this.connections.add(c);
    socket.on('message', (data) => {
      void this.message(c, String(data)).catch((error: unknown) => this.ctx.log.warn({ error: String(error) }, 'subscription websocket: message failed'));
    });
    socket.on('pong', () => { c.alive = true; });
    socket.on('close', () => this.connections.delete(c));
    socket.on('error', () => this.connections.delete(c));
  }

  private async message(c: Connection, text: string): Promise<void> {
    const bind = BIND.exec(text);
    if (bind) return this.bind(c, bind[1] as string);
    if (text.trim() === 'ping') return send(c, 'pong');
    return refuse(c, 'Carnet understands "bind-with-token: <token>" (from $get-ws-binding-token)');
  }

  private async bind(c: Connection, token: string): Promise<void> {
    const now = this.ctx.clock();
    const claims = verifyBindingToken(this.key, token, now);
    if ('problem' in claims) return refuse(c, claims.problem);
    const subs: SubscriptionRow[] = [];
    for (const id of claims.subscriptions) {
      const sub = await readSubscription(this.ctx.db, id);
      const problem = !sub ? 'it no longer exists' : sub.channel.type !== 'websocket' ? 'it is not a websocket subscription'
        : sub.status === 'off' ? 'it is off' : !sub.owner || `${sub.owner.kind}:${sub.owner.subject}` !== claims.owner ? 'it is no longer yours'
          : await ownerProblem(this.ctx.db, sub.owner, sub.resourceType, this.ctx.ownerStanding);
      if (problem) return refuse(c, `Subscription/${id} cannot be bound: ${problem}`);
      subs.push(sub as SubscriptionRow);
    }
    for (const sub of subs) {
      // The handshake before anything else about it: only then is it bound (and delivered to).
      await this.signal(c, sub, 'handshake');
      c.bound.set(sub.id, { id: sub.id, lastSent: now.getTime(), heartbeatMs: sub.channel.heartbeatSeconds ? sub.channel.heartbeatSeconds * 1000 : undefined });
    }
    this.kick();
  }

  private async signal(c: Connection, sub: SubscriptionRow, type: Signal): Promise<void> {
    await send(c, bodyOf(this.ctx, sub, type, []) as string);
    await audit(this.ctx.db, this.ctx, sub, { signal: type }, undefined);
  }

  /** Delivers what is pending for every bound subscription, then heartbeats and pings; returns when to run again. */
  private async round(): Promise<number | undefined> {
    const byId = new Map<string, Connection[]>();
    for (const c of this.connections) for (const id of c.bound.keys()) byId.set(id, [...(byId.get(id) ?? []), c]);
    let more = false;
    // One statement finds the bound subscriptions with something to send; only those take a lock.
    const pending = new Set(await pendingSubscriptions(this.ctx.db, [...byId.keys()]));
    for (const [id, conns] of byId) {
      if (!pending.has(id)) continue;
      // A socket that closed mid-send rolls its transaction back: nothing recorded, sent again later.
      more = (await this.deliver(id, conns).catch((error: unknown) => {
        this.ctx.log.warn({ error: String(error), subscription: id }, 'subscription websocket: delivery failed');
        return false;
      })) || more;
    }
    const now = this.ctx.clock().getTime();
    let next = PING_MS;
    for (const c of this.connections) {
      for (const b of c.bound.values()) {
        if (!b.heartbeatMs) continue;
        if (now - b.lastSent >= b.heartbeatMs) {
          const sub = await readSubscription(this.ctx.db, b.id);
          if (sub && sub.status === 'active') await this.signal(c, sub, 'heartbeat').catch(() => undefined);
          b.lastSent = now;
        }
        next = Math.min(next, b.heartbeatMs - (now - b.lastSent));
      }
      if (Date.now() - c.lastPing >= PING_MS) {
        if (!c.alive) {
          c.socket.terminate();
          this.connections.delete(c);
          continue;
        }
        c.alive = false;
        c.lastPing = Date.now();
        c.socket.ping();
      }
    }
    return more ? 0 : Math.max(1000, next);
  }

  /** Sends a subscription's pending notifications to its sockets here; true when more are left. */
  private async deliver(id: string, conns: readonly Connection[]): Promise<boolean> {
    const open = conns.filter((c) => c.socket.readyState === 1);
    if (open.length === 0) return false;
    return this.ctx.db.transaction(async (tx) => {
      let sub = await tryLockSubscription(tx, id);
      if (!sub) {
        if (!(await readSubscription(tx, id))) this.unbind(id, open, 'it was deleted');
        return false; // another process is sending, or the matcher is appending: woken again after
      }
      if (sub.status === 'off' || sub.channel.type !== 'websocket') {
        this.unbind(id, open, sub.status === 'off' ? 'it is off' : 'it is no longer a websocket subscription');
        return false;
      }
      const problem = sub.owner ? await ownerProblem(tx, sub.owner, sub.resourceType, this.ctx.ownerStanding) : 'it has no owner';
      if (problem) {
        await settle(tx, this.ctx, this.jobs, id, { kind: 'revoked', error: `delivery stopped: ${problem}` });
        this.unbind(id, open, problem);
        return false;
      }
      // Several waiting notifications go in one message (one Bundle, each event numbered), as on a rest-hook.
      for (let sent = 0; sent < PER_ROUND;) {
        const from: number = sub.deliveredThrough + 1;
        const { notifications, withdrawn } = await deliverableRange(tx, this.ctx, sub, from, this.maxEvents);
        if (withdrawn > 0) sub = (await readSubscription(tx, id)) as SubscriptionRow;
        if (notifications.length === 0) return false;
        const body = bodyOf(this.ctx, sub, 'event-notification', await eventsOf(tx, sub, notifications)) as string;
        for (const c of open) {
          await send(c, body);
          const b = c.bound.get(id);
          if (b) b.lastSent = this.ctx.clock().getTime();
        }
        const through = (notifications.at(-1) as NotificationRow).number;
        await markSent(tx, id, from, through, this.ctx.clock());
        await auditNotifications(tx, this.ctx, sub, notifications, undefined);
        sub = { ...sub, deliveredThrough: through };
        sent += notifications.length;
      }
      return true;
    });
  }

  private unbind(id: string, conns: readonly Connection[], why: string): void {
    for (const c of conns) {
      c.bound.delete(id);
      void refuse(c, `Subscription/${id} is no longer bound: ${why}`);
    }
  }
}

function send(c: Connection, text: string): Promise<void> {
  return new Promise((resolve, reject) => c.socket.send(text, (error) => (error ? reject(error) : resolve())));
}

/** The websocket error message: an OperationOutcome, and nothing else. */
function refuse(c: Connection, text: string): Promise<void> {
  return send(c, JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'security', diagnostics: text }] })).catch(() => undefined);
}
