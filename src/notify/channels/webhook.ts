/**
 * The generic JSON webhook: the events as data, for scripts and other tools. Shape (version 1):
 *   { source: 'safe-updater', version: 1, events: [{ event, text, ...payload }] }
 */
import { describeEntry } from '../message.js';
import type { ChannelFormat } from './types.js';

export const webhook: ChannelFormat = {
  render(entries) {
    return {
      source: 'safe-updater',
      version: 1,
      events: entries.map((entry) => ({ ...entry.payload, event: entry.event, text: describeEntry(entry) })),
    };
  },
};
