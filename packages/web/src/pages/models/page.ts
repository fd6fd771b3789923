import { lazy } from 'react';
import type { PageDef } from '../registry';

export const page: PageDef = { path: '/models', title: 'Models & routes', nav: 50, component: lazy(() => import('./view')) };
