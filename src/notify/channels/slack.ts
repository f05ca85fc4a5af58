/** Slack incoming webhooks (https://api.slack.com/messaging/webhooks): `text` is required, mrkdwn allowed. */
import { describeEntry } from '../message.js';
import type { ChannelFormat } from './types.js';

export const slack: ChannelFormat = {
  render(entries, options) {
    return {
      text: entries.map(describeEntry).join('\n'),
      ...(options.username ? { username: options.username } : {}),
    };
  },
};
