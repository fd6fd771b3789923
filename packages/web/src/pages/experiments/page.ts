import { lazy } from 'react';
import type { PageDef } from '../registry';

/** Experiments: the list with progress, then one experiment's statistics, comparisons and result grid. */
export const page: PageDef[] = [
  { path: '/experiments', title: 'Experiments', nav: 80, scopes: ['read'], component: lazy(() => import('./list')) },
  { path: '/experiments/:id', title: 'Experiment', scopes: ['read'], component: lazy(() => import('./detail')) },
];
