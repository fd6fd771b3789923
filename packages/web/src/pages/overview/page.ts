import { lazy } from 'react';
import type { PageDef } from '../registry';

export const page: PageDef = { path: '/', title: 'Overview', nav: 10, component: lazy(() => import('./view')) };
