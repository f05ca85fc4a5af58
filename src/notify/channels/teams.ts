/**
 * Microsoft Teams incoming webhooks take the legacy MessageCard format
 * (https://learn.microsoft.com/en-us/outlook/actionable-messages/message-card-reference); each event is a
 * section so a batch stays one card.
 */
import { describeBatch, describeEntry } from '../message.js';
import type { ChannelFormat } from './types.js';

export const teams: ChannelFormat = {
  render(entries) {
    return {
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: describeBatch(entries),
      title: describeBatch(entries),
      sections: entries.map((entry) => ({ text: describeEntry(entry) })),
    };
  },
};
