/** Every channel format by type, in one visible map. */
import type { ChannelType } from '../shoutrrr.js';
import { discord } from './discord.js';
import { slack } from './slack.js';
import { teams } from './teams.js';
import type { ChannelFormat } from './types.js';
import { webhook } from './webhook.js';

export const CHANNEL_FORMATS: Record<ChannelType, ChannelFormat> = { slack, discord, teams, webhook };
