import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { boot } from '../shared/boot.js';
import { App } from './App.js';

/**
 * TanStack Query caches each read for the session (memory only) and refetches when the page regains focus,
 * so moving between pages is instant and nothing stale lingers; health data is never written to storage.
 */
const queries = new QueryClient({ defaultOptions: { queries: { staleTime: 60_000, retry: 1, refetchOnWindowFocus: true } } });

boot(<QueryClientProvider client={queries}><App /></QueryClientProvider>);
