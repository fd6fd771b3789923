/**
 * Pages register themselves: every folder `src/pages/<name>/` with a `page.ts` exporting `page`
 * becomes a route (and a nav entry when it has `nav`). Adding a page is one folder.
 */
import type { ComponentType, LazyExoticComponent } from 'react';

export interface PageDef {
  /** wouter path, e.g. '/traces' or '/traces/:id'. */
  path: string;
  title: string;
  /** Position in the navigation; pages without it are reachable by link only. */
  nav?: number;
  /** Shown only to keys with one of these scopes (admin always sees everything). */
  scopes?: string[];
  component: LazyExoticComponent<ComponentType<{ params: Record<string, string | undefined> }>>;
}

const modules = import.meta.glob<{ page: PageDef | PageDef[] }>('./*/page.ts', { eager: true });

export const pages: PageDef[] = Object.values(modules)
  .flatMap((m) => (Array.isArray(m.page) ? m.page : [m.page]))
  .sort((a, b) => (a.nav ?? 999) - (b.nav ?? 999));
