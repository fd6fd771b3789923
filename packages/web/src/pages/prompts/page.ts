import { lazy } from 'react';
import type { PageDef } from '../registry';

/** The prompt registry: prompts, then one prompt's versions, labels, diff and "Open in playground". */
export const page: PageDef[] = [
  { path: '/prompts', title: 'Prompts', nav: 60, scopes: ['read'], component: lazy(() => import('./list')) },
  { path: '/prompts/:name', title: 'Prompt', scopes: ['read'], component: lazy(() => import('./detail')) },
];
