import { lazy } from 'react';
import type { PageDef } from '../registry';

/** One trace: its observation tree, timeline and each observation (route /traces/:id, no nav entry). */
export const page: PageDef = { path: '/traces/:id', title: 'Trace', scopes: ['read'], component: lazy(() => import('./view')) };
