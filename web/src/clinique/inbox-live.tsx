import type { Bundle, Parameters, Subscription, Task } from '@medplum/fhirtypes';
import { useQueryClient } from '@tanstack/react-query';
import type Client from 'fhirclient/lib/Client';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { bindingOf, notifiedResources, planSubscriptions, taskFor } from './inbox.js';
import { loadMyPatients } from './pages/MyPatients.js';
import { useSession } from './session.js';

/**
 * The inbox's live connection, for the whole signed-in session of a clinician: their websocket
 * subscriptions made current (one per topic, on "Mes patients"), a binding token
 * (`Subscription/$get-ws-binding-token`), the socket bound with `bind-with-token`, and each notified
 * resource turned into its Task (conditional create: nothing twice). The socket is opened again, with a
 * new token, when it closes; what was notified while no socket was bound is delivered at the next bind.
 */
export type LiveStatus = 'connecting' | 'live' | 'offline' | 'no-patients';

export interface InboxLive {
  readonly status: LiveStatus;
  /** Items that arrived since the page was opened (announced politely). */
  readonly arrived: number;
}

const LiveContext = createContext<InboxLive>({ status: 'offline', arrived: 0 });
export const useInboxLive = () => useContext(LiveContext);
export const INBOX_KEY = ['inbox'] as const;

const json = { 'content-type': 'application/fhir+json' };

async function currentSubscriptions(client: Client, fhirUser: string): Promise<string[]> {
  const patients = (await loadMyPatients(client, fhirUser)).map((p) => p.id);
  const existing = await client.request<Subscription[]>('Subscription?type=websocket&_count=200', { pageLimit: 0, flat: true });
  const plan = planSubscriptions(existing, fhirUser, patients);
  // A topic the server refuses (or the role may not search) leaves the others working.
  const written = await Promise.allSettled([
    ...plan.create.map((s) => client.request<Subscription>({ url: 'Subscription', method: 'POST', headers: json, body: JSON.stringify(s) })),
    ...plan.update.map((s) => client.request<Subscription>({ url: `Subscription/${s.id}`, method: 'PUT', headers: json, body: JSON.stringify(s) })),
  ]);
  return [...plan.keep, ...written.flatMap((w) => (w.status === 'fulfilled' ? [w.value] : []))].map((s) => s.id as string);
}

async function record(client: Client, fhirUser: string, bundle: Bundle): Promise<number> {
  let made = 0;
  for (const resource of notifiedResources(bundle)) {
    const item = taskFor(resource, fhirUser, new Date());
    if (!item) continue;
    await client.request<Task>({ url: 'Task', method: 'POST', headers: { ...json, 'If-None-Exist': item.ifNoneExist }, body: JSON.stringify(item.task) });
    made += 1;
  }
  return made;
}

export function InboxLiveProvider(props: { children: ReactNode }) {
  const { client, fhirUser } = useSession();
  const queries = useQueryClient();
  const [live, setLive] = useState<InboxLive>({ status: 'connecting', arrived: 0 });
  useEffect(() => {
    if (!fhirUser) { setLive({ status: 'offline', arrived: 0 }); return undefined; }
    let stopped = false;
    let socket: WebSocket | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let chain = Promise.resolve();
    const connect = async () => {
      try {
        const ids = await currentSubscriptions(client, fhirUser);
        if (stopped) return;
        if (ids.length === 0) { setLive((l) => ({ ...l, status: 'no-patients' })); return; }
        const params = await client.request<Parameters>({ url: 'Subscription/$get-ws-binding-token', method: 'POST', headers: json, body: JSON.stringify({ resourceType: 'Parameters', parameter: ids.map((id) => ({ name: 'id', valueString: id })) }) });
        const binding = bindingOf(params);
        if (!binding || stopped) throw new Error('no binding token');
        socket = new WebSocket(binding.url);
        socket.onopen = () => { socket?.send(`bind-with-token: ${binding.token}`); setLive((l) => ({ ...l, status: 'live' })); };
        socket.onmessage = (message) => {
          let bundle: Bundle;
          try { bundle = JSON.parse(String(message.data)) as Bundle; } catch { return; }
          if (bundle.resourceType !== 'Bundle') { setLive((l) => ({ ...l, status: 'offline' })); return; }
          // One at a time, in the order they came (each Task written before the next is looked at).
          chain = chain.then(async () => {
            const made = await record(client, fhirUser, bundle).catch(() => 0);
            if (made > 0) {
              setLive((l) => ({ ...l, arrived: l.arrived + made }));
              await queries.invalidateQueries({ queryKey: INBOX_KEY });
            }
          });
        };
        socket.onclose = () => { if (!stopped) { setLive((l) => ({ ...l, status: 'offline' })); retry = setTimeout(() => void connect(), 5000); } };
      } catch {
        if (stopped) return;
        setLive((l) => ({ ...l, status: 'offline' }));
        retry = setTimeout(() => void connect(), 15_000);
      }
    };
    void connect();
    return () => { stopped = true; if (retry) clearTimeout(retry); socket?.close(); };
  }, [client, fhirUser, queries]);
  return <LiveContext.Provider value={live}>{props.children}</LiveContext.Provider>;
}
