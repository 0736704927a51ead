import { renderEventCatalogue } from './docs/event-catalogue.js';

console.log(renderEventCatalogue());
