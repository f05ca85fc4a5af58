import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { parseNotificationUrl } from './shoutrrr.js';

describe('parseNotificationUrl', () => {
  it('turns a shoutrrr slack:// URL into the Slack webhook, keeping token case and the bot name', () => {
    expect(parseNotificationUrl('slack://watchtower@T0ABC/B0DEF/XyZ123')).toEqual({
      type: 'slack',
      endpoint: 'https://hooks.slack.com/services/T0ABC/B0DEF/XyZ123',
      username: 'watchtower',
    });
    expect(parseNotificationUrl('slack://T0ABC/B0DEF/XyZ123', 'slack').username).toBeUndefined();
  });

  it('turns discord://TOKEN@ID into the Discord webhook', () => {
    expect(parseNotificationUrl('discord://AbCd-Token_1@123456789')).toEqual({
      type: 'discord',
      endpoint: 'https://discord.com/api/webhooks/123456789/AbCd-Token_1',
    });
  });

  it('turns teams://GROUP@TENANT/ALT/OWNER?host=… into the Teams webhook', () => {
    expect(parseNotificationUrl('teams://g-1@t-2/alt3/owner4?host=contoso.webhook.office.com')).toEqual({
      type: 'teams',
      endpoint: 'https://contoso.webhook.office.com/webhookb2/g-1@t-2/IncomingWebhook/alt3/owner4',
    });
  });

  it('turns generic URLs into JSON webhooks (https unless told otherwise)', () => {
    expect(parseNotificationUrl('generic+https://hooks.example.com/a?x=1').endpoint).toBe(
      'https://hooks.example.com/a?x=1',
    );
    expect(parseNotificationUrl('generic+http://127.0.0.1:9000/in')).toEqual({
      type: 'webhook',
      endpoint: 'http://127.0.0.1:9000/in',
    });
    expect(parseNotificationUrl('generic://hooks.example.com/a').endpoint).toBe(
      'https://hooks.example.com/a',
    );
    expect(parseNotificationUrl('generic://10.0.0.1:80/a?disabletls=yes').endpoint).toBe('http://10.0.0.1/a');
  });

  it('uses plain http(s) URLs as they are, with the stated type', () => {
    expect(parseNotificationUrl('https://hooks.slack.com/services/A/B/C', 'slack')).toEqual({
      type: 'slack',
      endpoint: 'https://hooks.slack.com/services/A/B/C',
    });
    expect(parseNotificationUrl('http://127.0.0.1:1/x').type).toBe('webhook');
  });

  it('refuses unknown schemes, malformed URLs and mismatched types without echoing the secret', () => {
    const attempts: [string, string | undefined, RegExp][] = [
      [
        'telegram://secret-token@telegram?chats=1',
        undefined,
        /unsupported notification URL scheme 'telegram/,
      ],
      ['slack://only-one-secret-token', undefined, /malformed slack:\/\/ URL/],
      ['discord://no-token-secret', undefined, /malformed discord/],
      ['teams://g@t/a/o', undefined, /malformed teams/],
      ['slack://A/B/secret-c', 'discord', /type 'discord' does not match a slack:\/\/ URL/],
      ['https://x/secret', 'pagerduty', /unknown notification type 'pagerduty'/],
      ['not a url secret', undefined, /not a valid URL/],
    ];
    for (const [url, type, message] of attempts) {
      let caught: unknown;
      try {
        parseNotificationUrl(url, type);
      } catch (error) {
        caught = error;
      }
      expect(caught, url).toBeInstanceOf(ConfigError);
      expect((caught as Error).message).toMatch(message);
      expect((caught as Error).message).not.toContain('secret');
    }
  });
});
