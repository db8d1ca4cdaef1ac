import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { ConfigError } from '../../lib/config';
import { strongestRole, type Principal } from './roles';

/**
 * Optional OIDC / JWT bearer tokens, for organisations with an identity provider: a token signed by a
 * key of the provider's JWKS, with the configured issuer and audience, not expired, carrying a role in
 * a claim. Configured from the environment:
 *
 *   SOCIALSENSE_OIDC_ISSUER       the `iss` tokens must carry, e.g. https://login.example.com/realms/acme
 *   SOCIALSENSE_OIDC_AUDIENCE     the `aud` they must be issued for, e.g. socialsense-api
 *   SOCIALSENSE_OIDC_JWKS_URL     where the signing keys are, e.g. https://login.example.com/.../certs
 *   SOCIALSENSE_OIDC_ROLES_CLAIM  the claim holding the roles (default `roles`; a dotted path such as
 *                                 `realm_access.roles` reaches into an object)
 */

export interface OidcConfig {
  issuer: string;
  audience: string;
  jwksUrl: string;
  rolesClaim: string;
}

const OIDC_VARS = ['SOCIALSENSE_OIDC_ISSUER', 'SOCIALSENSE_OIDC_AUDIENCE', 'SOCIALSENSE_OIDC_JWKS_URL'] as const;

/**
 * The OIDC settings from `env`, or null when none is set (keys only).
 * @throws ConfigError when only some are set, or the JWKS URL is not an http(s) URL
 */
export function oidcConfigFromEnv(env: NodeJS.ProcessEnv = process.env): OidcConfig | null {
  const set = OIDC_VARS.filter((v) => env[v]);
  if (set.length === 0) return null;
  const missing = OIDC_VARS.filter((v) => !env[v]);
  if (missing.length)
    throw new ConfigError(`OIDC is half configured: ${set.join(', ')} set but ${missing.join(', ')} missing; set all three, or none to accept API keys only`);
  const jwksUrl = env.SOCIALSENSE_OIDC_JWKS_URL!;
  if (!/^https?:\/\/.+/.test(jwksUrl)) throw new ConfigError(`SOCIALSENSE_OIDC_JWKS_URL must be an http(s) URL, got "${jwksUrl}"`);
  return { issuer: env.SOCIALSENSE_OIDC_ISSUER!, audience: env.SOCIALSENSE_OIDC_AUDIENCE!, jwksUrl, rolesClaim: env.SOCIALSENSE_OIDC_ROLES_CLAIM || 'roles' };
}

/** A claim by dotted path (`realm_access.roles`), or the claim literally named so (`https://x/roles`). */
function claimAt(payload: JWTPayload, path: string): unknown {
  if (path in payload) return payload[path];
  let v: unknown = payload;
  for (const part of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

export type OidcOutcome = { ok: true; principal: Principal } | { ok: false; reason: 'invalid' | 'no-role'; message: string };

/** Verifies tokens against the provider's keys (fetched once, refreshed when an unknown key id shows up). */
export class OidcVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly config: OidcConfig) {
    this.jwks = createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
  }

  /** `invalid`: bad signature, issuer, audience, expiry, or an unreachable JWKS (→ 401); `no-role`: valid token without a role (→ 403). */
  async verify(token: string): Promise<OidcOutcome> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, { issuer: this.config.issuer, audience: this.config.audience, requiredClaims: ['exp', 'sub'] }));
    } catch (err) {
      // jose's codes (ERR_JWT_EXPIRED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED, ERR_JWT_CLAIM_VALIDATION_FAILED…) say what is wrong without echoing the token.
      return { ok: false, reason: 'invalid', message: `the bearer token was refused (${(err as { code?: string }).code ?? (err as Error).name})` };
    }
    const role = strongestRole(claimAt(payload, this.config.rolesClaim));
    if (!role)
      return {
        ok: false,
        reason: 'no-role',
        message: `the token's "${this.config.rolesClaim}" claim names no SocialSense role (viewer, analyst, operator or admin)`,
      };
    return { ok: true, principal: { id: `oidc:${payload.sub}`, name: String(payload.sub), role, kind: 'oidc' } };
  }
}
