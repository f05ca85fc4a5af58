/**
 * Notification URLs as Watchtower users write them (shoutrrr, https://containrrr.dev/shoutrrr/services/),
 * turned into the webhook endpoint to POST to:
 *   slack://[botname@]TOKEN-A/TOKEN-B/TOKEN-C       → https://hooks.slack.com/services/A/B/C
 *   discord://TOKEN@WEBHOOK-ID                      → https://discord.com/api/webhooks/ID/TOKEN
 *   teams://GROUP@TENANT/ALT-ID/GROUP-OWNER?host=H  → https://H/webhookb2/GROUP@TENANT/IncomingWebhook/ALT-ID/GROUP-OWNER
 *   generic+https://host/path, generic+http://…     → that URL (a JSON webhook)
 *   generic://host/path                             → https://host/path (shoutrrr's default; ?disabletls=yes → http)
 * A plain http(s) URL is used as it is, with the channel type the configuration names (webhook by default).
 * Only the services safe-updater speaks are accepted; anything else is a configuration error that names
 * the scheme but never echoes the URL, whose path usually is the secret.
 */
import { ConfigError } from '../core/errors.js';

export const CHANNEL_TYPES = ['slack', 'discord', 'teams', 'webhook'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export interface ChannelTarget {
  type: ChannelType;
  /** The http(s) URL to POST to: a secret, never logged. */
  endpoint: string;
  /** For Slack: the bot name shoutrrr's `botname@` sets. */
  username?: string;
}

function isChannelType(value: string): value is ChannelType {
  return (CHANNEL_TYPES as readonly string[]).includes(value);
}

function parseUrl(text: string, where: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new ConfigError(`${where}: not a valid URL`, {
      hint: 'use https://…, or a shoutrrr URL such as slack://…, discord://…, teams://…, generic+https://…',
    });
  }
}

function pathParts(url: URL): string[] {
  return url.pathname
    .split('/')
    .filter((part) => part.length > 0)
    .map(decodeURIComponent);
}

/** Where a notification URL of `type` (optional for shoutrrr URLs) is delivered. */
export function parseNotificationUrl(text: string, type?: string, where = 'notification'): ChannelTarget {
  const url = parseUrl(text, where);
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const stated = type?.toLowerCase();
  if (stated !== undefined && !isChannelType(stated)) {
    throw new ConfigError(`${where}: unknown notification type '${type}'`, {
      hint: `one of ${CHANNEL_TYPES.join(', ')}`,
    });
  }
  if (scheme === 'http' || scheme === 'https') return { type: stated ?? 'webhook', endpoint: url.href };
  const expect = (wanted: ChannelType): void => {
    if (stated !== undefined && stated !== wanted) {
      throw new ConfigError(`${where}: type '${stated}' does not match a ${scheme}:// URL`);
    }
  };
  const malformed = (shape: string): ConfigError =>
    new ConfigError(`${where}: malformed ${scheme}:// URL`, { hint: `expected ${shape}` });
  switch (scheme) {
    case 'slack': {
      expect('slack');
      const tokens = [url.hostname, ...pathParts(url)].filter((part) => part.length > 0);
      if (tokens.length !== 3) throw malformed('slack://[botname@]TOKEN-A/TOKEN-B/TOKEN-C');
      const username = url.username ? decodeURIComponent(url.username) : undefined;
      return {
        type: 'slack',
        endpoint: `https://hooks.slack.com/services/${tokens.map(encodeURIComponent).join('/')}`,
        ...(username ? { username } : {}),
      };
    }
    case 'discord': {
      expect('discord');
      if (!url.username || !url.hostname) throw malformed('discord://TOKEN@WEBHOOK-ID');
      return {
        type: 'discord',
        endpoint: `https://discord.com/api/webhooks/${encodeURIComponent(url.hostname)}/${url.username}`,
      };
    }
    case 'teams': {
      expect('teams');
      const host = url.searchParams.get('host');
      const [altId, groupOwner] = pathParts(url);
      if (!url.username || !url.hostname || !altId || !groupOwner || !host) {
        throw malformed('teams://GROUP@TENANT/ALT-ID/GROUP-OWNER?host=ORGANIZATION.webhook.office.com');
      }
      const parts = [altId, groupOwner].map(encodeURIComponent).join('/');
      return {
        type: 'teams',
        endpoint: `https://${host}/webhookb2/${url.username}@${url.hostname}/IncomingWebhook/${parts}`,
      };
    }
    case 'generic':
    case 'generic+http':
    case 'generic+https': {
      expect('webhook');
      const plain = scheme === 'generic+http' || url.searchParams.get('disabletls') === 'yes';
      const target = new URL(url.href.replace(/^[^:]+:/, plain ? 'http:' : 'https:'));
      target.searchParams.delete('disabletls');
      return { type: 'webhook', endpoint: target.href };
    }
    default:
      throw new ConfigError(`${where}: unsupported notification URL scheme '${scheme}://'`, {
        hint: 'supported: https://, slack://, discord://, teams://, generic://, generic+https://',
      });
  }
}
