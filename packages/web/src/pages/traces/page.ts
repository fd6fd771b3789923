import { lazy } from 'react';
import type { PageDef } from '../registry';

export const page: PageDef = { path: '/traces', title: 'Traces', nav: 20, scopes: ['read'], component: lazy(() => import('./view')) };
