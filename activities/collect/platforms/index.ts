import type { Connector } from '../connector';
import { createBlueskyConnector } from './bluesky';
import { facebookConnector } from './facebook';
import { instagramConnector } from './instagram';
import { mastodonConnector } from './mastodon';
import { createRedditConnector } from './reddit';
import { xConnector } from './x';

export type ConnectorRegistry = ReadonlyMap<string, Connector>;

/**
 * Every platform connector by source name. Built per activities instance because the Bluesky and
 * Reddit connectors cache their sessions/tokens in memory (never in heartbeats or results).
 */
export function createConnectorRegistry(): ConnectorRegistry {
  const list = [xConnector, facebookConnector, instagramConnector, mastodonConnector, createBlueskyConnector(), createRedditConnector()];
  return new Map(list.map((c) => [c.name, c]));
}

export const platformSourceNames = ['x', 'facebook', 'instagram', 'mastodon', 'bluesky', 'reddit'] as const;
export type PlatformSourceName = (typeof platformSourceNames)[number];
