import { lazy } from 'react';
import type { PageDef } from '../registry';

/** Annotation queues: the list (and creation), one queue's overview, the annotating workspace, exports. */
export const page: PageDef[] = [
  { path: '/queues', title: 'Annotation', nav: 85, scopes: ['read'], component: lazy(() => import('./list')) },
  { path: '/queues/:id/annotate', title: 'Annotate', scopes: ['read'], component: lazy(() => import('./annotate')) },
  { path: '/queues/:id/export', title: 'Export', scopes: ['admin'], component: lazy(() => import('./export')) },
  { path: '/queues/:id', title: 'Queue', scopes: ['read'], component: lazy(() => import('./overview')) },
];
