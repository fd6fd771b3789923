import { lazy } from 'react';
import type { PageDef } from '../registry';

export const page: PageDef = { path: '/playground', title: 'Playground', nav: 40, component: lazy(() => import('./view')) };
