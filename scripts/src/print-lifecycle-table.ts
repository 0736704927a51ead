import { renderLifecycleTable } from './docs/lifecycle-table.js';

console.log(renderLifecycleTable());
