/** A chat or webhook service: how a batch of events becomes the JSON body it accepts. */
import type { NotificationEntry } from '../message.js';

export interface RenderOptions {
  /** A bot name, where the service lets the sender choose one. */
  username?: string;
}

export interface ChannelFormat {
  render(entries: readonly NotificationEntry[], options: RenderOptions): Record<string, unknown>;
}
