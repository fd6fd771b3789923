import { lazy } from 'react';
import type { PageDef } from '../registry';

export const page: PageDef[] = [
  { path: '/sessions', title: 'Sessions', nav: 30, scopes: ['read'], component: lazy(() => import('./list')) },
  { path: '/sessions/:id', title: 'Session', scopes: ['read'], component: lazy(() => import('./detail')) },
];
