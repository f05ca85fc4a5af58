/**
 * Discord webhooks (https://discord.com/developers/docs/resources/webhook#execute-webhook): `content` holds at
 * most 2,000 characters, so a long batch is cut with a note of how many lines were left out.
 */
import { describeEntry } from '../message.js';
import type { ChannelFormat } from './types.js';

export const DISCORD_CONTENT_LIMIT = 2000;

export const discord: ChannelFormat = {
  render(entries, options) {
    const lines = entries.map(describeEntry);
    let content = '';
    for (const [index, line] of lines.entries()) {
      const rest = lines.length - index;
      const more = `\n… and ${rest} more`;
      if (content.length + line.length + 1 + (rest > 1 ? more.length : 0) > DISCORD_CONTENT_LIMIT) {
        content += more;
        break;
      }
      content += (content ? '\n' : '') + line;
    }
    return { content, ...(options.username ? { username: options.username } : {}) };
  },
};
