import type { Bundle, MedicationDispense, MedicationRequest, MedicationStatement, Observation } from '@medplum/fhirtypes';
import type { QueryClient } from '@tanstack/react-query';
import type { RouteName } from './router.js';
import type { useSession } from './session.js';

/**
 * The pages' main reads as TanStack Query options, shared by the pages and by prefetching: a navigation
 * link prefetches its page's data when it is hovered or gets the focus, and once Accueil is shown the
 * other main pages' data is fetched in the background — so a page change usually finds its data cached.
 */
type Client = ReturnType<typeof useSession>['client'];

export const labResultsQuery = (client: Client, patientId: string) => ({
  queryKey: ['Observation', 'laboratory', patientId],
  queryFn: () => client.request<Observation[]>(`Observation?patient=${encodeURIComponent(patientId)}&category=laboratory&_count=200`, { pageLimit: 0, flat: true }),
});

export const medicationsQuery = (client: Client, patientId: string) => ({
  queryKey: ['medications', patientId],
  queryFn: async () => {
    const all = <T,>(type: string) => client.request<T[]>(`${type}?patient=${encodeURIComponent(patientId)}&_count=200`, { pageLimit: 0, flat: true });
    const [requests, dispenses, statements] = await Promise.all([
      all<MedicationRequest>('MedicationRequest'), all<MedicationDispense>('MedicationDispense'), all<MedicationStatement>('MedicationStatement'),
    ]);
    return { requests, dispenses, statements };
  },
});

export const summaryQuery = (client: Client, patientId: string) => ({
  queryKey: ['summary', patientId],
  queryFn: () => client.request<Bundle>(`Patient/${patientId}/$summary`),
});

const BY_ROUTE: Partial<Record<RouteName, (client: Client, patientId: string) => { queryKey: unknown[]; queryFn: () => Promise<unknown> }>> = {
  results: labResultsQuery, medications: medicationsQuery, health: summaryQuery, home: summaryQuery,
};

/** Prefetches a page's main data (a no-op when it is cached and fresh, or the page has none to prefetch). */
export function prefetchRoute(queries: QueryClient, route: RouteName, client: Client, patientId: string): void {
  const options = BY_ROUTE[route]?.(client, patientId);
  if (options) void queries.prefetchQuery({ ...options, staleTime: 60_000 });
}

/** After the first page is shown: the other main pages' data, in the background. */
export function prefetchMain(queries: QueryClient, client: Client, patientId: string): void {
  for (const route of ['results', 'medications', 'health'] as const) prefetchRoute(queries, route, client, patientId);
}
