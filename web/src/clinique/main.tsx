import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { boot } from '../shared/boot.js';
import { App } from './App.js';

/**
 * The professional workspace (issue C8). TanStack Query caches each read for the session (memory only,
 * never storage); a clinician's reads are refetched when the window regains focus.
 */
const queries = new QueryClient({ defaultOptions: { queries: { staleTime: 30_000, retry: (count, error) => count < 1 && ![401, 403, 404, 410].includes((error as { statusCode?: number }).statusCode ?? 0), refetchOnWindowFocus: true } } });

boot(<QueryClientProvider client={queries}><App /></QueryClientProvider>);
