import { eventCatalogue, eventExamples, eventTypes } from '@wr/gateway-api';

/** Every event type as Markdown, with its example `data`, rendered from the gateway's own catalogue. */
export function renderEventCatalogue(): string {
  const lines = ['| type | about | when |', '|---|---|---|', ...eventTypes.map((type) => `| \`${type}\` | ${eventCatalogue[type].object} | ${eventCatalogue[type].summary} |`), ''];
  for (const type of eventTypes) {
    lines.push(`#### \`${type}\``, '', '```json', JSON.stringify(eventExamples[type], null, 2), '```', '');
  }
  return lines.join('\n').trimEnd();
}
