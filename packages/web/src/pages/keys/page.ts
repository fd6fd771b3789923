import { lazy } from 'react';
import type { PageDef } from '../registry';

export const page: PageDef = { path: '/keys', title: 'Keys', nav: 90, scopes: ['admin'], component: lazy(() => import('./view')) };
