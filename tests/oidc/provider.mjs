// A real OAuth 2.1 / OpenID authorization server for the tests: panva's oidc-provider with resource
// indicators (RFC 8707) issuing JWT access tokens, authorization code + PKCE, client credentials,
// refresh tokens, dynamic client registration (RFC 7591), Client ID Metadata Documents, DPoP
// (RFC 9449), the iss authorization response parameter (RFC 9207), introspection (RFC 7662) and
// token exchange (RFC 8693): an access token this server issued (JWT) for one issued to the same
// subject for the `resource` (or `audience`) asked for, by a client allowed the grant.
// Its metadata is at /.well-known/openid-configuration only (no RFC 8414 path), as oidc-provider
// serves it. A request without scope gets `default_scope`; any resource indicator is accepted.
//
// Usage: NODE_MODULES=DIR node provider.mjs CONFIG.json PORT
// (DIR holds oidc-provider; the script lives outside any node_modules tree.)
// CONFIG is tests/oidc/provider.json (static settings); the issuer is http://127.0.0.1:PORT.
//
// Login and consent complete without a browser: /interaction/:uid logs in as the request's
// `login_hint` (else the current default subject) and grants every requested scope, so a client
// that follows redirects with a cookie jar reaches its redirect URI with a code.
//
// Test controls under /_test/ (JSON bodies, loopback only):
//   POST /_test/account  {subject, tenant?, default?}  a subject's tenant claim; default=true
//                                                      makes it the subject of later logins
//   POST /_test/rotate   {retire?}                     a new signing key signs from now on; the old
//                                                      keys stay in the JWKS unless retire=true
//   POST /_test/mint     {resource, scope, subject?, tenant?, expires_in?, iat_offset?, claims?}
//                        an access token minted by the provider's own models (iat_offset < 0
//                        with a short expires_in gives an already expired token); `claims` are
//                        set in its payload last (null removes one), still signed by this server
//   POST /_test/resource {resource, format}            "jwt" (default) or "opaque" tokens for it
//   GET  /_test/keys                                   the kids of the current signing keys
//   GET  /_test/exchanges                              the token exchanges made so far
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const { default: Provider, errors } = await import(
  pathToFileURL(path.join(process.env.NODE_MODULES, 'oidc-provider', 'lib', 'index.js')).href
);
const jose = await import(
  pathToFileURL(path.join(process.env.NODE_MODULES, 'jose', 'dist', 'webapi', 'index.js')).href
);

const [configPath, portArg] = process.argv.slice(2);
const settings = JSON.parse(fs.readFileSync(configPath, 'utf8'));
const port = Number(portArg);
const issuer = `http://127.0.0.1:${port}`;

const OIDC_SCOPES = new Set(['openid', 'offline_access']);
const accounts = new Map(); // subject (or client_id) -> { tenant }
const opaqueResources = new Set();
const resourceScopes = new Map(); // resource -> every scope requested for it so far
const mintShift = new WeakMap(); // minted token -> seconds to move iat/exp by
const mintClaims = new WeakMap(); // minted token -> claims set (null: removed) after the shift
let defaultSubject = settings.default_subject;

// One store shared by every Provider instance, so a key rotation (a new instance) keeps clients,
// grants, sessions and tokens.
const store = new Map();
class MemoryAdapter {
  constructor(name) { this.name = name; }

  key(id) { return `${this.name}:${id}`; }

  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : undefined;
    store.set(this.key(id), { payload, expiresAt });
    if (payload.grantId) store.set(`grant:${payload.grantId}:${this.key(id)}`, { ref: this.key(id) });
    if (payload.userCode) store.set(`userCode:${payload.userCode}`, { ref: this.key(id) });
    if (payload.uid) store.set(`uid:${payload.uid}`, { ref: this.key(id) });
  }

  #get(key) {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.ref) return this.#get(entry.ref);
    if (entry.expiresAt && entry.expiresAt < Date.now()) return undefined;
    return entry.payload;
  }

  async find(id) { return this.#get(this.key(id)); }

  async findByUserCode(userCode) { return this.#get(`userCode:${userCode}`); }

  async findByUid(uid) { return this.#get(`uid:${uid}`); }

  async consume(id) {
    const payload = this.#get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { store.delete(this.key(id)); }

  async revokeByGrantId(grantId) {
    for (const [key, entry] of store) {
      if (key.startsWith(`grant:${grantId}:`)) {
        store.delete(entry.ref);
        store.delete(key);
      }
    }
  }
}

function newSigningKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };
}

function requestedScopes(ctx) {
  return String(ctx.oidc.params?.scope || '').split(' ').filter(Boolean);
}

function clientMetadata(client) {
  const { client_id: id, client_secret: secret, ...rest } = client;
  return secret ? { client_id: id, client_secret: secret, ...rest } : { client_id: id, ...rest };
}

function configuration(keys) {
  return {
    adapter: MemoryAdapter,
    clients: settings.clients.map(clientMetadata),
    jwks: { keys },
    cookies: { keys: ['cookie-key-for-tests-only'] },
    scopes: [...new Set([...OIDC_SCOPES, ...settings.scopes])], // what registration may ask for
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    extraTokenClaims: async (_ctx, token) => {
      const tenant = accounts.get(token.accountId || token.clientId)?.tenant;
      return tenant === undefined ? undefined : { tenant };
    },
    formats: {
      customizers: {
        jwt: async (_ctx, token, jwt) => {
          const shift = mintShift.get(token);
          if (shift) {
            jwt.payload.iat += shift;
            jwt.payload.exp += shift;
          }
          for (const [name, value] of Object.entries(mintClaims.get(token) || {})) {
            if (value === null) delete jwt.payload[name];
            else jwt.payload[name] = value;
          }
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    clientBasedCORS: () => true,
    ttl: {
      AccessToken: settings.access_token_ttl,
      ClientCredentials: settings.access_token_ttl,
      RefreshToken: settings.refresh_token_ttl,
      AuthorizationCode: 60,
      Grant: settings.refresh_token_ttl,
      Interaction: 600,
      Session: 3600,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      registration: { enabled: true },
      // Client ID Metadata Documents: an https URL as client_id, its document fetched.
      clientIdMetadataDocument: { enabled: true, ack: 'draft-02' },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => true,
        // Any resource the tests name; its scopes are the configured ones plus any requested for
        // it (remembered for the token endpoint, which sees no scope parameter).
        getResourceServerInfo: async (ctx, resource) => {
          const scopes = resourceScopes.get(resource) || new Set(settings.scopes);
          for (const scope of requestedScopes(ctx)) scopes.add(scope);
          resourceScopes.set(resource, scopes);
          return {
            scope: [...scopes].filter((scope) => !OIDC_SCOPES.has(scope)).join(' '),
            audience: resource,
            accessTokenTTL: settings.access_token_ttl,
            accessTokenFormat: opaqueResources.has(resource) ? 'opaque' : 'jwt',
          };
        },
      },
    },
  };
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

// RFC 8693: the subject token must be a live JWT access token of this issuer; the new token is
// for the same subject and tenant, audience the requested resource, the requested scopes (else
// the subject token's).
async function tokenExchange(ctx) {
  const { params, client } = ctx.oidc;
  if (params.subject_token_type !== ACCESS_TOKEN_TYPE) {
    throw new errors.InvalidRequest('subject_token_type must be an access token');
  }
  let claims;
  try {
    ({ payload: claims } = await jose.jwtVerify(params.subject_token, async (header) => {
      const jwk = keys.find((key) => key.kid === header.kid);
      if (!jwk) throw new Error('unknown kid');
      return jose.importJWK({ kty: jwk.kty, n: jwk.n, e: jwk.e }, 'RS256');
    }, { issuer }));
  } catch (error) {
    throw new errors.InvalidGrant(`subject_token: ${error.message}`);
  }
  const resource = params.resource || params.audience;
  if (!resource) throw new errors.InvalidTarget('resource or audience is required');
  const scope = params.scope || claims.scope || settings.default_scope;
  const token = new provider.AccessToken({
    accountId: claims.sub,
    client,
    scope,
    gty: 'token_exchange',
    expiresIn: settings.access_token_ttl,
  });
  const tenant = accounts.get(claims.sub)?.tenant;
  if (tenant !== undefined) token.extra = { tenant };
  token.resourceServer = new provider.ResourceServer(resource, {
    scope, audience: resource, accessTokenFormat: 'jwt',
  });
  exchanges.push({ client: client.clientId, subject: claims.sub, resource, scope });
  ctx.body = {
    access_token: await token.save(),
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: settings.access_token_ttl,
    scope,
  };
}
const exchanges = []; // what token exchange issued (GET /_test/exchanges)

function newProvider() {
  const made = new Provider(issuer, configuration(keys));
  made.registerGrantType(TOKEN_EXCHANGE, tokenExchange, [
    'subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'resource', 'scope',
    'actor_token', 'actor_token_type',
  ], ['audience', 'resource']);
  // RFC 6749 section 3.3: a request without scope gets the server's default (oidc-provider
  // would deny it, having granted nothing).
  made.use(async (ctx, next) => {
    if (ctx.path === '/auth' && ctx.method === 'GET' && !ctx.query.scope) {
      ctx.query = { ...ctx.query, scope: settings.default_scope };
    }
    await next();
  });
  return made;
}

let keys = [newSigningKey()];
let provider = newProvider();

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

// The headless login and consent: log in as login_hint (or the default), grant what is asked.
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === 'login') {
    const accountId = params.login_hint || defaultSubject;
    await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

async function mint(body) {
  const client = await provider.Client.find(body.client_id || 'test-tokens');
  const subject = body.subject || defaultSubject;
  if (body.tenant !== undefined) accounts.set(subject, { tenant: body.tenant });
  const token = new provider.AccessToken({
    accountId: subject,
    client,
    scope: body.scope,
    gty: 'authorization_code',
    expiresIn: body.expires_in || settings.access_token_ttl,
  });
  const tenant = accounts.get(subject)?.tenant;
  if (tenant !== undefined) token.extra = { tenant };
  token.resourceServer = new provider.ResourceServer(body.resource, {
    scope: body.scope, audience: body.resource, accessTokenFormat: 'jwt',
  });
  if (body.iat_offset) mintShift.set(token, body.iat_offset);
  if (body.claims) mintClaims.set(token, body.claims);
  return { access_token: await token.save() };
}

const controls = {
  'POST /_test/account': async (body) => {
    accounts.set(body.subject, { tenant: body.tenant });
    if (body.default) defaultSubject = body.subject;
    return { ok: true };
  },
  'POST /_test/rotate': async (body) => {
    keys = body.retire ? [newSigningKey()] : [newSigningKey(), ...keys];
    provider = newProvider();
    return { kid: keys[0].kid };
  },
  'POST /_test/mint': mint,
  'POST /_test/resource': async (body) => {
    if (body.format === 'opaque') opaqueResources.add(body.resource);
    else opaqueResources.delete(body.resource);
    return { ok: true };
  },
  'GET /_test/keys': async () => ({ kids: keys.map((key) => key.kid) }),
  'GET /_test/exchanges': async () => ({ exchanges }),
};

const server = http.createServer(async (req, res) => {
  const { pathname } = new URL(req.url, issuer);
  try {
    const control = controls[`${req.method} ${pathname}`];
    if (control) {
      reply(res, 200, await control(await readJson(req)));
    } else if (pathname.startsWith('/interaction/')) {
      await interaction(req, res);
    } else {
      provider.callback()(req, res);
    }
  } catch (error) {
    reply(res, 500, { error: String(error?.message || error) });
  }
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
