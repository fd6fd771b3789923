/** Loading, error and empty states: every page shows one of these instead of a blank area. */
import type { ReactNode } from 'react';
import { ApiError } from '../api';

export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  const message = error instanceof Error ? error.message : String(error);
  const status = error instanceof ApiError && error.status ? ` (${error.status})` : '';
  return (
    <div className="error-box" role="alert">
      <strong>{title ?? 'Something went wrong'}{status}</strong>
      <div>{message}</div>
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      {what}…
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

/** Renders a react-query result: loading, error or the content. */
export function QueryState<T>({ query, children, what }: { query: { isPending: boolean; error: unknown; data: T | undefined }; children: (data: T) => ReactNode; what?: string }) {
  if (query.error) return <ErrorMessage error={query.error} />;
  if (query.isPending || query.data === undefined) return <Loading what={what} />;
  return <>{children(query.data)}</>;
}
