import { lazy } from 'react';
import type { PageDef } from '../registry';

/** Datasets: the list, then one dataset's items at a version, with export and import. */
export const page: PageDef[] = [
  { path: '/datasets', title: 'Datasets', nav: 70, scopes: ['read'], component: lazy(() => import('./list')) },
  { path: '/datasets/:name', title: 'Dataset', scopes: ['read'], component: lazy(() => import('./detail')) },
];
