// The official TypeScript SDK client through the MCP authorization flow, headless: discovery from
// the 401, dynamic registration, authorization code + PKCE (the "browser" follows the redirects
// with a cookie jar until the redirect URI), then a tool call.
//
// Usage: NODE_MODULES=DIR node ts_client.mjs MCP_URL TOOL ARGS_JSON
// Prints one JSON line: {"tools": [...], "result": <the tool's result>}.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const sdk = (file) => import(pathToFileURL(
  path.join(process.env.NODE_MODULES, '@modelcontextprotocol', 'sdk', 'dist', 'esm', 'client', file),
).href);
const { Client } = await sdk('index.js');
const { StreamableHTTPClientTransport } = await sdk('streamableHttp.js');
const { UnauthorizedError } = await sdk('auth.js');

const [mcpUrl, tool, args] = process.argv.slice(2);
const REDIRECT = 'http://127.0.0.1:9/callback'; // never reached: the headless browser stops there

// What a browser does with the authorization URL; returns the code the redirect URI receives.
async function followAuthorization(url) {
  const cookies = new Map();
  let next = url.toString();
  for (let hop = 0; hop < 10; hop += 1) {
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const resp = await fetch(next, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    for (const line of resp.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = resp.headers.get('location');
    if (!location) throw new Error(`authorization stopped with HTTP ${resp.status}`);
    next = new URL(location, next).toString();
    if (next.startsWith(REDIRECT)) {
      const code = new URL(next).searchParams.get('code');
      if (!code) throw new Error(`authorization refused: ${next}`);
      return code;
    }
  }
  throw new Error('too many redirects');
}

class HeadlessProvider {
  constructor() {
    this.saved = {};
    this.code = undefined;
  }

  get redirectUrl() { return REDIRECT; }

  get clientMetadata() {
    return {
      client_name: 'typescript sdk test client',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  clientInformation() { return this.saved.client; }

  saveClientInformation(info) { this.saved.client = info; }

  tokens() { return this.saved.tokens; }

  saveTokens(tokens) { this.saved.tokens = tokens; }

  async redirectToAuthorization(url) { this.code = await followAuthorization(url); }

  saveCodeVerifier(verifier) { this.saved.verifier = verifier; }

  codeVerifier() { return this.saved.verifier; }
}

const provider = new HeadlessProvider();

async function connected() {
  const client = new Client({ name: 'ts-oauth-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
  try {
    await client.connect(transport);
    return client;
  } catch (error) {
    if (!(error instanceof UnauthorizedError) || provider.code === undefined) throw error;
    await transport.finishAuth(provider.code); // the token request, then connect again
    const again = new Client({ name: 'ts-oauth-test', version: '1.0.0' });
    await again.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
    return again;
  }
}

const client = await connected();
const { tools } = await client.listTools();
const result = await client.callTool({ name: tool, arguments: JSON.parse(args) });
process.stdout.write(`${JSON.stringify({ tools: tools.map((t) => t.name), result })}\n`);
await client.close();
